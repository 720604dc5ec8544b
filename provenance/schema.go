package provenance

// migrations is the schema history. Entry i takes the database from user_version i to i+1.
// Never edit an entry that has been released: append a new one (ALTER TABLE, CREATE INDEX,
// or a table rebuild) so existing sweep databases upgrade in place.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE sweep (
	id              INTEGER PRIMARY KEY,
	name            TEXT    NOT NULL,
	config_text     TEXT    NOT NULL,          -- the experiment document exactly as given
	config_digest   TEXT    NOT NULL,
	created         TEXT    NOT NULL,
	gennctl_version TEXT    NOT NULL DEFAULT '',
	vcs_commit      TEXT    NOT NULL DEFAULT '',
	vcs_dirty       INTEGER NOT NULL DEFAULT 0 CHECK (vcs_dirty IN (0, 1)),
	UNIQUE (name, config_digest)
);

-- One row per invocation that worked on the sweep (a resumed sweep or another shard may run
-- on a different host), hence not unique per sweep.
CREATE TABLE environment (
	id           INTEGER PRIMARY KEY,
	sweep_id     INTEGER NOT NULL REFERENCES sweep (id),
	recorded     TEXT    NOT NULL,
	os           TEXT    NOT NULL DEFAULT '',
	kernel       TEXT    NOT NULL DEFAULT '',
	cpu_model    TEXT    NOT NULL DEFAULT '',
	cores        INTEGER NOT NULL DEFAULT 0,
	memory_bytes INTEGER NOT NULL DEFAULT 0,
	go_version   TEXT    NOT NULL DEFAULT '',
	hostname     TEXT    NOT NULL DEFAULT '',
	gpus         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(gpus)),
	driver       TEXT    NOT NULL DEFAULT '',
	cuda_version TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX environment_sweep ON environment (sweep_id);

CREATE TABLE variant (
	id            INTEGER PRIMARY KEY CHECK (id >= 0 AND id < 9007199254740992), -- < 2^53
	sweep_id      INTEGER NOT NULL REFERENCES sweep (id),
	point         TEXT    NOT NULL CHECK (json_valid(point)),
	repeat        INTEGER NOT NULL,
	seed          TEXT    NOT NULL,            -- decimal uint64
	structure_key TEXT    NOT NULL,
	status        TEXT    NOT NULL DEFAULT 'pending'
	              CHECK (status IN ('pending', 'running', 'done', 'failed')),
	attempts      INTEGER NOT NULL DEFAULT 0,
	error         TEXT    NOT NULL DEFAULT '',
	updated       TEXT    NOT NULL
);
CREATE INDEX variant_sweep ON variant (sweep_id);
CREATE INDEX variant_status ON variant (status);
CREATE INDEX variant_structure ON variant (structure_key);

CREATE TABLE build (
	id               INTEGER PRIMARY KEY,
	structure_key    TEXT    NOT NULL,
	source_digest    TEXT    NOT NULL DEFAULT '',
	module_key       TEXT    NOT NULL DEFAULT '',  -- content address in the module cache
	module_path      TEXT    NOT NULL DEFAULT '',
	backend          TEXT    NOT NULL DEFAULT '',
	compiler         TEXT    NOT NULL DEFAULT '',
	compiler_version TEXT    NOT NULL DEFAULT '',
	flags            TEXT    NOT NULL DEFAULT '',
	target_arch      TEXT    NOT NULL DEFAULT '',
	started          TEXT    NOT NULL,
	duration_s       REAL    NOT NULL DEFAULT 0,
	cache_hit        INTEGER NOT NULL DEFAULT 0 CHECK (cache_hit IN (0, 1))
);
CREATE INDEX build_structure ON build (structure_key);

-- One row per attempt of a variant on a worker. ended, exit_status are NULL while running.
CREATE TABLE run (
	id             INTEGER PRIMARY KEY,
	variant_id     INTEGER NOT NULL REFERENCES variant (id),
	build_id       INTEGER REFERENCES build (id),
	batch_id       TEXT    NOT NULL DEFAULT '',
	worker_pid     INTEGER NOT NULL DEFAULT 0,
	host           TEXT    NOT NULL DEFAULT '',
	device         TEXT    NOT NULL DEFAULT '',
	started        TEXT    NOT NULL,
	ended          TEXT,
	status         TEXT    NOT NULL DEFAULT 'running',
	exit_status    INTEGER,
	error          TEXT    NOT NULL DEFAULT '',
	peak_rss_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX run_variant ON run (variant_id);

-- One row per (file, variant): a batch file holding several variants has one row for each.
-- variant_id is NULL for sweep-level files such as the variants table. path is relative to
-- the sweep directory.
CREATE TABLE output (
	id         INTEGER PRIMARY KEY,
	sweep_id   INTEGER NOT NULL REFERENCES sweep (id),
	variant_id INTEGER REFERENCES variant (id),
	kind       TEXT    NOT NULL CHECK (kind <> ''),
	path       TEXT    NOT NULL CHECK (path <> ''),
	rows       INTEGER NOT NULL DEFAULT 0,
	bytes      INTEGER NOT NULL DEFAULT 0,
	sha256     TEXT    NOT NULL CHECK (length(sha256) = 64),
	created    TEXT    NOT NULL
);
CREATE INDEX output_variant ON output (variant_id);
CREATE INDEX output_path ON output (path);
`,
	// 2: fault isolation. Which sweep (config) a run belonged to, so that a variant kept across
	// a deliberate config change (--force-config) is reproduced from the config that ran it; a
	// short machine-readable failure kind next to the error text.
	`
ALTER TABLE run ADD COLUMN sweep_id INTEGER REFERENCES sweep (id);
ALTER TABLE run ADD COLUMN failure TEXT NOT NULL DEFAULT '';
-- The config file's path as given: code positions (#line directives, hence the generated
-- source) name it, so reproducing a variant uses the same name.
ALTER TABLE sweep ADD COLUMN config_path TEXT NOT NULL DEFAULT '';
CREATE INDEX run_status ON run (status);
`,
	// 3: the variant's simulated network. A result stands only for the exact network that
	// produced it: value_digest digests every number of the variant's network that the
	// structure key leaves out (fixed values included), so a change of any of them resets
	// the variant to pending (and so does a first run by this version over a database from before,
	// whose variants have '').
	`
ALTER TABLE variant ADD COLUMN value_digest TEXT NOT NULL DEFAULT '';
`,
	// 4: a done variant's figures for the variants table (Summary), written in the
	// transaction that completes it: spike counts per population and the summary statistics,
	// so that the table needs no result file (a sweep may keep only summaries).
	`
CREATE TABLE variant_summary (
	variant_id     INTEGER PRIMARY KEY REFERENCES variant (id),
	spike_counts   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(spike_counts)),
	summary_values TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(summary_values))
);
`,
	// 5: scale. The variant definitions that a run recorded, as one digest
	// (VariantSetDigest), so that a rerun of the same variants finds them recorded and need
	// not upsert every row again; any other change of definitions (UpsertVariants, a merge)
	// empties the table. The runs by batch attempt (a batch's runs share their start and
	// batch id), covering what RunTotals sums, so that a status of 10^6 runs reads an index
	// in order instead of sorting the table. The index of structure keys goes: no query
	// uses it, and at 10^6 variants it was a tenth of the file.
	`
CREATE TABLE variant_set (
	digest   TEXT    PRIMARY KEY,
	variants INTEGER NOT NULL,
	recorded TEXT    NOT NULL
);
CREATE INDEX run_attempt ON run (started, batch_id, ended, peak_rss_bytes);
DROP INDEX variant_structure;
`,
}

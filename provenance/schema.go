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
	// 6: rows per batch, not per variant. A batch's runs share everything but their variant,
	// and a batch file's records everything but the variant and its row count, so each is
	// one row holding its variants' ids as a JSON array (ascending): at 10^6 tiny variants
	// in batches of 1000, the thousands of rows that recording, merging and checking a sweep
	// read and write instead of millions. A batch attempt whose variants end differently (one
	// became NaN) is split: the variants of each end are an attempt row of their own, with the
	// batch's start, batch id and worker. The views run and output give the tables of
	// before, one row per variant, for queries written against them. A failed variant's
	// failure kind moves to its row (it was its latest run's).
	`
ALTER TABLE variant ADD COLUMN failure TEXT NOT NULL DEFAULT '';
UPDATE variant SET failure = coalesce((SELECT r.failure FROM run r WHERE r.variant_id = variant.id ORDER BY r.id DESC LIMIT 1), '')
	WHERE status = 'failed';

CREATE TABLE attempt (
	id             INTEGER PRIMARY KEY,
	variants       TEXT    NOT NULL CHECK (json_valid(variants)), -- JSON array of variant ids, ascending
	build_id       INTEGER REFERENCES build (id),
	sweep_id       INTEGER REFERENCES sweep (id),
	batch_id       TEXT    NOT NULL DEFAULT '',
	worker_pid     INTEGER NOT NULL DEFAULT 0,
	host           TEXT    NOT NULL DEFAULT '',
	device         TEXT    NOT NULL DEFAULT '',
	started        TEXT    NOT NULL,
	ended          TEXT,
	status         TEXT    NOT NULL DEFAULT 'running',
	exit_status    INTEGER,
	failure        TEXT    NOT NULL DEFAULT '',
	error          TEXT    NOT NULL DEFAULT '',
	peak_rss_bytes INTEGER NOT NULL DEFAULT 0
);
INSERT INTO attempt (variants, build_id, sweep_id, batch_id, worker_pid, host, device, started, ended, status, exit_status,
	failure, error, peak_rss_bytes)
SELECT json_group_array(variant_id ORDER BY variant_id), build_id, sweep_id, batch_id, worker_pid, host, device, started, ended,
	status, exit_status, failure, error, peak_rss_bytes
FROM run GROUP BY build_id, sweep_id, batch_id, worker_pid, host, device, started, ended, status, exit_status, failure, error,
	peak_rss_bytes
ORDER BY min(id);
CREATE INDEX attempt_key ON attempt (started, batch_id, worker_pid);
CREATE INDEX attempt_status ON attempt (status);
DROP TABLE run;
CREATE VIEW run AS
SELECT a.id AS id, j.value AS variant_id, a.build_id, a.batch_id, a.worker_pid, a.host, a.device, a.started, a.ended,
	a.status, a.exit_status, a.error, a.peak_rss_bytes, a.sweep_id, a.failure
FROM attempt a, json_each(a.variants) j;

-- variants NULL: a sweep-level file (the variants table), of rows rows. Otherwise
-- variant_rows holds each variant's rows, in the order of variants, and rows their sum.
CREATE TABLE result_file (
	id           INTEGER PRIMARY KEY,
	sweep_id     INTEGER NOT NULL REFERENCES sweep (id),
	kind         TEXT    NOT NULL CHECK (kind <> ''),
	path         TEXT    NOT NULL CHECK (path <> ''),
	variants     TEXT    CHECK (json_valid(variants)),
	variant_rows TEXT    CHECK (json_valid(variant_rows)),
	rows         INTEGER NOT NULL DEFAULT 0,
	bytes        INTEGER NOT NULL DEFAULT 0,
	sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
	created      TEXT    NOT NULL
);
INSERT INTO result_file (sweep_id, kind, path, variants, variant_rows, rows, bytes, sha256, created)
SELECT sweep_id, kind, path, json_group_array(variant_id ORDER BY variant_id), json_group_array(rows ORDER BY variant_id),
	sum(rows), bytes, sha256, created
FROM output WHERE variant_id IS NOT NULL GROUP BY sweep_id, kind, path, bytes, sha256, created
ORDER BY min(id);
INSERT INTO result_file (sweep_id, kind, path, rows, bytes, sha256, created)
SELECT sweep_id, kind, path, rows, bytes, sha256, created FROM output WHERE variant_id IS NULL ORDER BY id;
CREATE INDEX result_file_path ON result_file (path);
DROP TABLE output;
CREATE VIEW output AS
SELECT f.id AS id, f.sweep_id, j.value AS variant_id, f.kind, f.path, f.variant_rows ->> j.key AS rows, f.bytes, f.sha256, f.created
FROM result_file f, json_each(f.variants) j
UNION ALL
SELECT id, sweep_id, NULL, kind, path, rows, bytes, sha256, created FROM result_file WHERE variants IS NULL;
`,
}

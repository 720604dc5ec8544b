package provenance

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// collect runs a query and scans every row with scan.
func collect[T any](d *DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := d.db.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("provenance: scan: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	return out, nil
}

// times parses several stored timestamps into their destinations.
func times(pairs ...any) error {
	for i := 0; i < len(pairs); i += 2 {
		t, err := parseTime(pairs[i].(sql.NullString))
		if err != nil {
			return err
		}
		*pairs[i+1].(*time.Time) = t
	}
	return nil
}

const sweepCols = `id, name, config_text, config_digest, created, gennctl_version, vcs_commit, vcs_dirty, config_path`

func scanSweep(r scanner) (Sweep, error) {
	var s Sweep
	var created sql.NullString
	err := r.Scan(&s.ID, &s.Name, &s.ConfigText, &s.ConfigDigest, &created, &s.GennctlVersion, &s.VCSCommit, &s.VCSDirty, &s.ConfigPath)
	if err == nil {
		err = times(created, &s.Created)
	}
	return s, err
}

// Sweeps returns all sweeps, oldest first.
func (d *DB) Sweeps() ([]Sweep, error) {
	return collect(d, scanSweep, `SELECT `+sweepCols+` FROM sweep ORDER BY id`)
}

const envCols = `id, sweep_id, recorded, os, kernel, cpu_model, cores, memory_bytes, go_version, hostname, gpus, driver, cuda_version`

func scanEnvironment(r scanner) (Environment, error) {
	var e Environment
	var rec sql.NullString
	err := r.Scan(&e.ID, &e.SweepID, &rec, &e.OS, &e.Kernel, &e.CPUModel, &e.Cores, &e.MemoryBytes,
		&e.GoVersion, &e.Hostname, &e.GPUs, &e.Driver, &e.CUDAVersion)
	if err == nil {
		err = times(rec, &e.Recorded)
	}
	return e, err
}

// Environments returns the environments recorded for a sweep, oldest first.
func (d *DB) Environments(sweepID int64) ([]Environment, error) {
	return collect(d, scanEnvironment, `SELECT `+envCols+` FROM environment WHERE sweep_id = ? ORDER BY id`, sweepID)
}

const variantCols = `id, sweep_id, point, repeat, seed, structure_key, status, attempts, error, updated, value_digest, failure`

func scanVariant(r scanner) (Variant, error) {
	var v Variant
	var id int64
	var seed string
	var updated sql.NullString
	err := r.Scan(&id, &v.SweepID, &v.Point, &v.Repeat, &seed, &v.StructureKey, &v.Status, &v.Attempts, &v.Error, &updated, &v.ValueDigest, &v.Failure)
	if err != nil {
		return v, err
	}
	v.ID = uint64(id)
	if v.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
		return v, fmt.Errorf("variant %d: bad seed %q: %w", id, seed, err)
	}
	return v, times(updated, &v.Updated)
}

// Variants returns the variants with the given status ("" for all), by id.
func (d *DB) Variants(status string) ([]Variant, error) {
	if status == "" {
		return collect(d, scanVariant, `SELECT `+variantCols+` FROM variant ORDER BY id`)
	}
	return collect(d, scanVariant, `SELECT `+variantCols+` FROM variant WHERE status = ? ORDER BY id`, status)
}

// Variant returns one variant; a missing one gives an error wrapping ErrNotFound.
func (d *DB) Variant(id uint64) (Variant, error) {
	key, err := variantKey(id)
	if err != nil {
		return Variant{}, err
	}
	v, err := scanVariant(d.db.QueryRow(`SELECT `+variantCols+` FROM variant WHERE id = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Variant{}, fmt.Errorf("%w: variant %d", ErrNotFound, id)
	}
	if err != nil {
		return Variant{}, fmt.Errorf("provenance: variant %d: %w", id, err)
	}
	return v, nil
}

// Statuses returns every variant's status by id: what a run over 10^6 variants reads instead
// of 10^6 Variant lookups. Each status's variants come from the status index, which holds
// their ids (a tenth of the table's bytes).
func (d *DB) Statuses() (map[uint64]string, error) {
	out := map[uint64]string{}
	for _, status := range []string{StatusPending, StatusRunning, StatusDone, StatusFailed} {
		rows, err := d.db.Query(`SELECT id FROM variant INDEXED BY variant_status WHERE status = ?`, status)
		if err != nil {
			return nil, fmt.Errorf("provenance: query: %w", d.damaged(err))
		}
		var id int64
		for rows.Next() {
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("provenance: scan: %w", err)
			}
			out[uint64(id)] = status
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("provenance: query: %w", d.damaged(err))
		}
	}
	return out, nil
}

// LastVariantUpdate is the latest time a variant's status or definition changed (zero when
// there are no variants).
func (d *DB) LastVariantUpdate() (time.Time, error) {
	var last sql.NullString
	if err := d.db.QueryRow(`SELECT max(updated) FROM variant`).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	return parseTime(last)
}

// FileRecord is a result file as its variants' records name it, as EachFile reads it.
type FileRecord struct {
	Path, Kind, SHA256 string
	Bytes              int64
	Variants           []uint64 // the variants whose records name the file, ascending
	// Agree is false when the records of the file disagree on its kind, size or sha256.
	Agree bool
}

// EachFile calls f with every result file that variants' records name (sweep-level files are
// left out), in path order: one row per file (and per recording of it, after a merge), so that
// 10^6 variants' records reach Go as a few thousand rows.
func (d *DB) EachFile(f func(FileRecord) error) error {
	rows, err := d.db.Query(`SELECT path, kind, sha256, bytes, variants FROM result_file INDEXED BY result_file_path
		WHERE variants IS NOT NULL ORDER BY path, id`)
	if err != nil {
		return fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	defer rows.Close()
	var rec FileRecord
	flush := func() error {
		if rec.Path == "" {
			return nil
		}
		slices.Sort(rec.Variants)
		return f(rec)
	}
	for rows.Next() {
		var path, kind, sha string
		var size int64
		var list sql.RawBytes
		if err := rows.Scan(&path, &kind, &sha, &size, &list); err != nil {
			return fmt.Errorf("provenance: scan: %w", err)
		}
		ids, err := parseIDArray(list)
		if err != nil {
			return fmt.Errorf("provenance: variants of %s: %w", path, err)
		}
		if path == rec.Path {
			rec.Agree = rec.Agree && rec.Kind == kind && rec.SHA256 == sha && rec.Bytes == size
			for _, id := range ids {
				rec.Variants = append(rec.Variants, uint64(id))
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		rec = FileRecord{Path: path, Kind: kind, SHA256: sha, Bytes: size, Agree: true, Variants: make([]uint64, len(ids))}
		for k, id := range ids {
			rec.Variants[k] = uint64(id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	return flush()
}

// parseIDArray reads a JSON array of variant ids as the attempt and result_file rows hold
// them ("[1,2,3]"), without encoding/json's reflection per element.
func parseIDArray(b []byte) ([]int64, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, fmt.Errorf("not a JSON array: %.40q", b)
	}
	b = b[1 : len(b)-1]
	ids := make([]int64, 0, bytes.Count(b, []byte{','})+1)
	for len(bytes.TrimSpace(b)) > 0 {
		field := b
		if i := bytes.IndexByte(b, ','); i >= 0 {
			field, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		id, err := strconv.ParseInt(string(bytes.TrimSpace(field)), 10, 64)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// CountsByStatus returns how many variants have each status (statuses with none are absent).
func (d *DB) CountsByStatus() (map[string]int, error) {
	type pair struct {
		status string
		n      int
	}
	ps, err := collect(d, func(r scanner) (pair, error) {
		var p pair
		return p, r.Scan(&p.status, &p.n)
	}, `SELECT status, count(*) FROM variant GROUP BY status`)
	if err != nil {
		return nil, err
	}
	m := make(map[string]int, len(ps))
	for _, p := range ps {
		m[p.status] = p.n
	}
	return m, nil
}

const buildCols = `id, structure_key, source_digest, module_key, module_path, backend, compiler, compiler_version,
	flags, target_arch, started, duration_s, cache_hit`

func scanBuild(r scanner) (Build, error) {
	var b Build
	var started sql.NullString
	var secs float64
	err := r.Scan(&b.ID, &b.StructureKey, &b.SourceDigest, &b.ModuleKey, &b.ModulePath, &b.Backend, &b.Compiler,
		&b.CompilerVersion, &b.Flags, &b.TargetArch, &started, &secs, &b.CacheHit)
	if err != nil {
		return b, err
	}
	// Seconds as float64 keep microsecond precision for any realistic build time; rounding
	// to it makes a stored duration read back as recorded.
	b.Duration = time.Duration(secs * float64(time.Second)).Round(time.Microsecond)
	return b, times(started, &b.Started)
}

// Builds returns all builds, oldest first.
func (d *DB) Builds() ([]Build, error) {
	return collect(d, scanBuild, `SELECT `+buildCols+` FROM build ORDER BY id`)
}

const runCols = `id, variant_id, build_id, batch_id, worker_pid, host, device, started, ended, status, exit_status,
	error, peak_rss_bytes, sweep_id, failure`

func scanRun(r scanner) (Run, error) {
	var x Run
	var vid int64
	var build, exit, sweep sql.NullInt64
	var started, ended sql.NullString
	err := r.Scan(&x.ID, &vid, &build, &x.BatchID, &x.WorkerPID, &x.Host, &x.Device, &started, &ended, &x.Status,
		&exit, &x.Error, &x.PeakRSSBytes, &sweep, &x.Failure)
	if err != nil {
		return x, err
	}
	x.SweepID = sweep.Int64
	x.VariantID = uint64(vid)
	x.BuildID = build.Int64
	x.ExitStatus = int(exit.Int64)
	return x, times(started, &x.Started, ended, &x.Ended)
}

// Runs returns the attempts of a variant, oldest first.
func (d *DB) Runs(variantID uint64) ([]Run, error) {
	key, err := variantKey(variantID)
	if err != nil {
		return nil, err
	}
	return collect(d, scanRun, `SELECT id, ?1, build_id, batch_id, worker_pid, host, device, started, ended, status, exit_status,
			error, peak_rss_bytes, sweep_id, failure
		FROM attempt WHERE `+holds("variants")+` AND EXISTS (SELECT 1 FROM json_each(variants) WHERE value = ?1) ORDER BY id`, key)
}

// AllRuns returns every run of every variant, oldest first.
func (d *DB) AllRuns() ([]Run, error) {
	return collect(d, scanRun, `SELECT `+runCols+` FROM run ORDER BY id, variant_id`)
}

// Sweep returns one sweep by id; a missing one gives an error wrapping ErrNotFound.
func (d *DB) Sweep(id int64) (Sweep, error) {
	s, err := scanSweep(d.db.QueryRow(`SELECT `+sweepCols+` FROM sweep WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Sweep{}, fmt.Errorf("%w: sweep %d", ErrNotFound, id)
	}
	if err != nil {
		return Sweep{}, fmt.Errorf("provenance: sweep %d: %w", id, err)
	}
	return s, nil
}

// Build returns one build by id; a missing one gives an error wrapping ErrNotFound.
func (d *DB) Build(id int64) (Build, error) {
	b, err := scanBuild(d.db.QueryRow(`SELECT `+buildCols+` FROM build WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Build{}, fmt.Errorf("%w: build %d", ErrNotFound, id)
	}
	if err != nil {
		return Build{}, fmt.Errorf("provenance: build %d: %w", id, err)
	}
	return b, nil
}

const outputCols = `id, sweep_id, variant_id, kind, path, rows, bytes, sha256, created`

func scanOutput(r scanner) (Output, error) {
	var o Output
	var vid sql.NullInt64
	var created sql.NullString
	err := r.Scan(&o.ID, &o.SweepID, &vid, &o.Kind, &o.Path, &o.Rows, &o.Bytes, &o.SHA256, &created)
	if err != nil {
		return o, err
	}
	if vid.Valid {
		v := uint64(vid.Int64)
		o.VariantID = &v
	}
	return o, times(created, &o.Created)
}

// Outputs returns recorded outputs, oldest first, filtered by variant (nil: any, including
// sweep-level files) and kind ("": any). Sweep-level files alone are kind "variants" or
// those with a nil VariantID.
func (d *DB) Outputs(variantID *uint64, kind string) ([]Output, error) {
	if variantID == nil {
		return collect(d, scanOutput, `SELECT `+outputCols+` FROM output WHERE (?1 = '' OR kind = ?1) ORDER BY id, variant_id`, kind)
	}
	key, err := variantKey(*variantID)
	if err != nil {
		return nil, err
	}
	return collect(d, scanOutput, `SELECT f.id, f.sweep_id, j.value, f.kind, f.path, f.variant_rows ->> j.key, f.bytes, f.sha256, f.created
		FROM result_file f, json_each(f.variants) j
		WHERE `+holds("f.variants")+` AND j.value = ?1 AND (?2 = '' OR f.kind = ?2) ORDER BY f.id`, key, kind)
}

// holds is a condition on the JSON array of variant ids in column: it may hold variant ?1.
// A substring search of the id's digits in the array's text passes over the rows of other
// batches at memory speed (a variant's lookup at 10^6 variants reads a thousand arrays of a
// thousand ids); the query's exact test then reads the few arrays that pass.
func holds(column string) string {
	return `instr(` + column + `, ?1) > 0`
}

// RunTotals summarises every recorded run, as gennctl status shows it.
type RunTotals struct {
	Runs          int
	PeakRSSBytes  int64 // largest of any run
	FirstStart    time.Time
	LastEnd       time.Time
	WorkerSeconds float64 // sum over batch attempts of their duration
}

// RunTotals sums the attempts in SQL. A batch attempt is the attempt rows of one batch id with
// one start (one, or several when its variants ended differently); its duration runs to its
// last end.
func (d *DB) RunTotals() (RunTotals, error) {
	var t RunTotals
	rows, err := d.db.Query(`SELECT started, max(ended), max(peak_rss_bytes), sum(json_array_length(variants)) FROM attempt
		GROUP BY started, batch_id`)
	if err != nil {
		return t, fmt.Errorf("provenance: query: %w", d.damaged(err))
	}
	defer rows.Close()
	for rows.Next() {
		var s, e sql.NullString
		var rss int64
		var n int
		if err := rows.Scan(&s, &e, &rss, &n); err != nil {
			return t, d.damaged(err)
		}
		var start, end time.Time
		if err := times(s, &start, e, &end); err != nil {
			return t, err
		}
		t.Runs += n
		t.PeakRSSBytes = max(t.PeakRSSBytes, rss)
		if t.FirstStart.IsZero() || start.Before(t.FirstStart) {
			t.FirstStart = start
		}
		if !end.IsZero() {
			t.WorkerSeconds += end.Sub(start).Seconds()
			if end.After(t.LastEnd) {
				t.LastEnd = end
			}
		}
	}
	if err := rows.Err(); err != nil {
		return t, d.damaged(err)
	}
	return t, nil
}

// StatusCounts counts the variants of sweep sweepID by status, and how many variants belong to
// other sweeps (earlier configs); sweepID 0 counts every variant as the sweep's. The counts of
// all variants use the status index and those of other sweeps the sweep index (0.1 s each at
// 10^6 variants, against 0.9 s for one GROUP BY sweep, status).
func (d *DB) StatusCounts(sweepID int64) (counts map[string]int, others int, err error) {
	type row struct {
		status string
		n      int
	}
	scan := func(r scanner) (row, error) {
		var x row
		return x, r.Scan(&x.status, &x.n)
	}
	all, err := collect(d, scan, `SELECT status, count(*) FROM variant GROUP BY status`)
	if err != nil {
		return nil, 0, err
	}
	counts = map[string]int{}
	for _, x := range all {
		counts[x.status] = x.n
	}
	if sweepID == 0 {
		return counts, 0, nil
	}
	other, err := collect(d, scan, `SELECT status, count(*) FROM variant WHERE sweep_id <> ? GROUP BY status`, sweepID)
	if err != nil {
		return nil, 0, err
	}
	for _, x := range other {
		others += x.n
		if counts[x.status] -= x.n; counts[x.status] == 0 {
			delete(counts, x.status)
		}
	}
	return counts, others, nil
}

// FailedVariants lists the failed variants of sweep sweepID (0: of any sweep), by id.
func (d *DB) FailedVariants(sweepID int64) ([]Variant, error) {
	return collect(d, scanVariant, `SELECT `+variantCols+` FROM variant WHERE status = 'failed' AND (? = 0 OR sweep_id = ?) ORDER BY id`,
		sweepID, sweepID)
}

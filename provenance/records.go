package provenance

import (
	"cmp"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Variant statuses.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// MaxVariantID bounds variant ids (exclusive): 2^53, the largest range of integers that JSON
// readers, JavaScript and float64 columns hold exactly.
const MaxVariantID = uint64(1) << 53

// Sweep is one sweep directory's experiment: the document as given and who made it.
type Sweep struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	ConfigText     string    `json:"config_text"`
	ConfigDigest   string    `json:"config_digest"`
	ConfigPath     string    `json:"config_path"` // the config file's path as given (first recorded)
	Created        time.Time `json:"created"`     // zero: now
	GennctlVersion string    `json:"gennctl_version"`
	VCSCommit      string    `json:"vcs_commit"`
	VCSDirty       bool      `json:"vcs_dirty"`
}

// Environment describes the machine an invocation ran on. GPU fields are filled by callers.
type Environment struct {
	ID          int64     `json:"id"`
	SweepID     int64     `json:"sweep_id"`
	Recorded    time.Time `json:"recorded"` // zero: now
	OS          string    `json:"os"`       // GOOS/GOARCH, e.g. "linux/amd64"
	Kernel      string    `json:"kernel"`
	CPUModel    string    `json:"cpu_model"`
	Cores       int       `json:"cores"`
	MemoryBytes int64     `json:"memory_bytes"`
	GoVersion   string    `json:"go_version"`
	Hostname    string    `json:"hostname"`
	GPUs        string    `json:"gpus"` // JSON array describing the GPUs; empty is stored as "[]"
	Driver      string    `json:"driver"`
	CUDAVersion string    `json:"cuda_version"`
}

// Variant is one point of the sweep at one repeat.
type Variant struct {
	ID           uint64 `json:"id"` // the variant_id used in result files; < MaxVariantID
	SweepID      int64  `json:"sweep_id"`
	Point        string `json:"point"` // JSON object of the swept values; empty is stored as "{}"
	Repeat       int    `json:"repeat"`
	Seed         uint64 `json:"seed"` // all 64 bits; stored as decimal TEXT
	StructureKey string `json:"structure_key"`
	// ValueDigest identifies the numbers of the variant's network that the structure key
	// leaves out (modelspec.Network.ValueDigest): with the point, repeat, seed and structure
	// key it is the variant's definition, and a result stands only while it is unchanged.
	ValueDigest string    `json:"value_digest"`
	Status      string    `json:"status"`
	Attempts    int       `json:"attempts"` // incremented each time the status is set to running
	Error       string    `json:"error"`
	Failure     string    `json:"failure"` // failure kind of a failed variant's last run: crash, timeout, nonfinite, ...
	Updated     time.Time `json:"updated"`
}

// SameDefinition reports whether v and o define the same simulation (point, repeat, seed,
// structure key and value digest), so that a result recorded for one stands for the other;
// UpsertVariants applies the same rule.
func (v Variant) SameDefinition(o Variant) bool {
	return v.Point == o.Point && v.Repeat == o.Repeat && v.Seed == o.Seed && v.StructureKey == o.StructureKey &&
		v.ValueDigest == o.ValueDigest
}

// Build is one compilation (or module-cache hit) for a structure.
type Build struct {
	ID              int64         `json:"id"`
	StructureKey    string        `json:"structure_key"`
	SourceDigest    string        `json:"source_digest"`
	ModuleKey       string        `json:"module_key"`
	ModulePath      string        `json:"module_path"`
	Backend         string        `json:"backend"`
	Compiler        string        `json:"compiler"`
	CompilerVersion string        `json:"compiler_version"`
	Flags           string        `json:"flags"`
	TargetArch      string        `json:"target_arch"`
	Started         time.Time     `json:"started"` // zero: now
	Duration        time.Duration `json:"duration_ns"`
	CacheHit        bool          `json:"cache_hit"`
}

// Run is one attempt to simulate a variant.
type Run struct {
	ID           int64     `json:"id"`
	VariantID    uint64    `json:"variant_id"`
	BuildID      int64     `json:"build_id"` // 0: unknown (NULL)
	BatchID      string    `json:"batch_id"`
	WorkerPID    int       `json:"worker_pid"`
	Host         string    `json:"host"`
	Device       string    `json:"device"`
	Started      time.Time `json:"started"`        // zero: now
	Ended        time.Time `json:"ended,omitzero"` // zero while running
	Status       string    `json:"status"`         // "running" until finished; then what FinishRun says (e.g. done, failed)
	ExitStatus   int       `json:"exit_status"`    // 0 while running
	Error        string    `json:"error"`
	PeakRSSBytes int64     `json:"peak_rss_bytes"`
	SweepID      int64     `json:"sweep_id"` // the sweep (config) the run belonged to; 0: unknown (NULL)
	Failure      string    `json:"failure"`  // failure kind of a failed run: crash, timeout, nonfinite, job, interrupted, ...
}

// Run statuses besides the variant statuses: a run cut short by Ctrl-C, or left running by an
// orchestrator that was killed, is "abandoned".
const RunAbandoned = "abandoned"

// RunEnd is how an attempt ended.
type RunEnd struct {
	Status       string // done, failed, abandoned
	ExitStatus   int
	Failure      string
	Error        string
	Ended        time.Time // zero: now
	PeakRSSBytes int64     // 0: leave as recorded
}

// Output is one recorded output file (for one variant, or for the sweep when VariantID is
// nil). Path is relative to the sweep directory.
type Output struct {
	ID        int64     `json:"id"`
	SweepID   int64     `json:"sweep_id"`
	VariantID *uint64   `json:"variant_id"`
	Kind      string    `json:"kind"` // "spikes", "state", "variants", ...
	Path      string    `json:"path"`
	Rows      int64     `json:"rows"`
	Bytes     int64     `json:"bytes"`
	SHA256    string    `json:"sha256"`  // lowercase hex
	Created   time.Time `json:"created"` // zero: now
}

// UpsertSweep records the sweep and returns its id. A sweep with the same name and config
// digest is the same sweep (a rerun or another shard): its existing id is returned and its row
// is left as first recorded.
func (d *DB) UpsertSweep(s Sweep) (int64, error) {
	if s.Name == "" || s.ConfigDigest == "" {
		return 0, errors.New("provenance: sweep needs a name and a config digest")
	}
	created := s.Created
	if created.IsZero() {
		created = now()
	}
	var id int64
	err := d.inTx(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO sweep (name, config_text, config_digest, created, gennctl_version, vcs_commit, vcs_dirty, config_path)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name, config_digest) DO NOTHING`,
			s.Name, s.ConfigText, s.ConfigDigest, dbTime(created), s.GennctlVersion, s.VCSCommit, boolInt(s.VCSDirty), s.ConfigPath)
		if err != nil {
			return err
		}
		return tx.QueryRow(`SELECT id FROM sweep WHERE name = ? AND config_digest = ?`, s.Name, s.ConfigDigest).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("provenance: upsert sweep %q: %w", s.Name, err)
	}
	return id, nil
}

// RecordEnvironment appends the environment of this invocation to the sweep.
func (d *DB) RecordEnvironment(sweepID int64, e Environment) error {
	rec := e.Recorded
	if rec.IsZero() {
		rec = now()
	}
	gpus := e.GPUs
	if gpus == "" {
		gpus = "[]"
	}
	_, err := d.exec(`INSERT INTO environment (sweep_id, recorded, os, kernel, cpu_model, cores, memory_bytes,
			go_version, hostname, gpus, driver, cuda_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sweepID, dbTime(rec), e.OS, e.Kernel, e.CPUModel, e.Cores, e.MemoryBytes,
		e.GoVersion, e.Hostname, gpus, e.Driver, e.CUDAVersion)
	if err != nil {
		return fmt.Errorf("provenance: record environment: %w", err)
	}
	return nil
}

// variantKey converts a variant id to SQLite's signed integer, refusing ids at or above 2^53.
func variantKey(id uint64) (int64, error) {
	if id >= MaxVariantID {
		return 0, fmt.Errorf("provenance: variant id %d is not below 2^53", id)
	}
	return int64(id), nil
}

// UpsertVariants records the sweep's variants in one transaction. New variants are inserted
// as pending. An existing variant keeps its status, attempts and error when its definition
// (point, repeat, seed, structure key, value digest; see Variant.SameDefinition) is unchanged, so a rerun skips finished work; when the
// definition changed, its old results no longer apply and it is reset to pending. Point JSON
// is compared as text, so callers must encode it canonically (encoding/json sorts map keys).
// The variant moves to sweepID either way (an edited comment changes the config digest, hence
// the sweep row, without invalidating results).
func (d *DB) UpsertVariants(sweepID int64, vs []Variant) error {
	t := dbTime(now())
	err := d.inTx(func(tx *sql.Tx) error {
		// Recorded sets of definitions no longer describe the table.
		if _, err := tx.Exec(`DELETE FROM variant_set`); err != nil {
			return err
		}
		rows := make([][]any, len(vs))
		for i, v := range vs {
			id, err := variantKey(v.ID)
			if err != nil {
				return err
			}
			point := v.Point
			if point == "" {
				point = "{}"
			}
			if !json.Valid([]byte(point)) {
				return fmt.Errorf("provenance: variant %d: point is not valid JSON: %q", v.ID, point)
			}
			rows[i] = []any{id, point, v.Repeat, strconv.FormatUint(v.Seed, 10), v.StructureKey, v.ValueDigest}
		}
		arg, err := jsonRows(rows)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO variant (id, sweep_id, point, repeat, seed, structure_key, value_digest, status, attempts, error, updated)
			SELECT value ->> 0, ?, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending', 0, '', ?
			FROM json_each(?) WHERE true
			ON CONFLICT (id) DO UPDATE SET
				sweep_id = excluded.sweep_id,
				point = excluded.point,
				repeat = excluded.repeat,
				seed = excluded.seed,
				structure_key = excluded.structure_key,
				value_digest = excluded.value_digest,
				status   = CASE WHEN `+variantChanged+` THEN 'pending' ELSE status END,
				attempts = CASE WHEN `+variantChanged+` THEN 0 ELSE attempts END,
				error    = CASE WHEN `+variantChanged+` THEN '' ELSE error END,
				failure  = CASE WHEN `+variantChanged+` THEN '' ELSE failure END,
				updated  = CASE WHEN `+variantChanged+` THEN excluded.updated ELSE updated END`, sweepID, t, arg)
		return err
	})
	if err != nil {
		return fmt.Errorf("provenance: upsert variants: %w", err)
	}
	return nil
}

// VariantSetDigest digests the definitions of variants as UpsertVariants records them in
// sweep sweepID, in any order (the sum of the variants' own digests): RecordVariantSet
// stores it after the last upsert, and HasVariantSet finds it while no other definitions
// were recorded since. A rerun digests its variants in plan order, where a point's repeats
// share their encoding, and a first run while it upserts them in id order.
type VariantSetDigest struct {
	sweepID int64
	sum     [4]uint64 // of the variants' sha256, as 256-bit integers, mod 2^256
	n       int
	buf     []byte
}

// NewVariantSetDigest starts the digest of variants recorded in sweep sweepID.
func NewVariantSetDigest(sweepID int64) *VariantSetDigest {
	return &VariantSetDigest{sweepID: sweepID}
}

// Add digests the definitions of vs (Variant.SameDefinition's fields and the id).
func (d *VariantSetDigest) Add(vs []Variant) {
	for _, v := range vs {
		b := strconv.AppendUint(d.buf[:0], v.ID, 10)
		b = strconv.AppendInt(append(b, ' '), int64(v.Repeat), 10)
		b = strconv.AppendUint(append(b, ' '), v.Seed, 10)
		for _, f := range []string{v.Point, v.StructureKey, v.ValueDigest} { // length-prefixed
			b = append(strconv.AppendInt(append(b, ' '), int64(len(f)), 10), ':')
			b = append(b, f...)
		}
		d.buf = b
		h := sha256.Sum256(b)
		var carry uint64
		for k := range d.sum {
			d.sum[k], carry = bits.Add64(d.sum[k], binary.LittleEndian.Uint64(h[8*k:]), carry)
		}
	}
	d.n += len(vs)
}

// Sum is the digest of the variants added so far.
func (d *VariantSetDigest) Sum() string {
	b := fmt.Appendf(nil, "gennctl/variant-set/v1\n%d\n%d\n", d.sweepID, d.n)
	for _, w := range d.sum {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Len is how many variants were added.
func (d *VariantSetDigest) Len() int { return d.n }

// AnyVariantSet reports whether any set of definitions is recorded (none in a new database,
// or after an upsert or a merge that has not recorded its set).
func (d *DB) AnyVariantSet() (bool, error) {
	var n int
	if err := d.db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM variant_set LIMIT 1)`).Scan(&n); err != nil {
		return false, fmt.Errorf("provenance: variant set: %w", err)
	}
	return n > 0, nil
}

// HasVariantSet reports whether the definitions digested by digest are recorded as they are:
// UpsertVariants recorded them, and no definition was recorded since.
func (d *DB) HasVariantSet(digest string) (bool, error) {
	var n int
	if err := d.db.QueryRow(`SELECT count(*) FROM variant_set WHERE digest = ?`, digest).Scan(&n); err != nil {
		return false, fmt.Errorf("provenance: variant set: %w", err)
	}
	return n > 0, nil
}

// RecordVariantSet records that the variants digested by digest (n of them) were upserted,
// after the last UpsertVariants of them.
func (d *DB) RecordVariantSet(digest *VariantSetDigest) error {
	if _, err := d.exec(`INSERT OR REPLACE INTO variant_set (digest, variants, recorded) VALUES (?, ?, ?)`,
		digest.Sum(), digest.Len(), dbTime(now())); err != nil {
		return fmt.Errorf("provenance: record variant set: %w", err)
	}
	return nil
}

// variantChanged is true in an upsert when the incoming definition differs from the stored
// one (unqualified names are the stored row's values), as Variant.SameDefinition says.
const variantChanged = `(point IS NOT excluded.point OR repeat IS NOT excluded.repeat OR seed IS NOT excluded.seed
	OR structure_key IS NOT excluded.structure_key OR value_digest IS NOT excluded.value_digest)`

func validStatus(s string) bool {
	switch s {
	case StatusPending, StatusRunning, StatusDone, StatusFailed:
		return true
	}
	return false
}

// SetVariantStatus sets a variant's status and error text. Setting it to running counts an
// attempt, so retries are visible and can be capped.
func (d *DB) SetVariantStatus(id uint64, status, errText string) error {
	if !validStatus(status) {
		return fmt.Errorf("provenance: invalid variant status %q", status)
	}
	key, err := variantKey(id)
	if err != nil {
		return err
	}
	res, err := d.exec(`UPDATE variant SET status = ?, error = ?, failure = '', updated = ?,
			attempts = attempts + (CASE WHEN ? = 'running' THEN 1 ELSE 0 END) WHERE id = ?`,
		status, errText, dbTime(now()), status, key)
	if err != nil {
		return fmt.Errorf("provenance: set variant %d status: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("variant %d", id))
}

// mustAffect turns "no row matched" into ErrNotFound.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return nil
}

// jsonRows encodes the rows of a set-based statement, which reads them with json_each
// (value ->> k is the row's k-th value): a batch is written by a few statements instead of
// several per variant, each a cgo call and a database/sql round trip. Rows hold integers,
// strings, nil and arrays of them (appendJSON); the integers of a batch's ids are most of it.
func jsonRows(rows any) (string, error) {
	b, err := appendJSON(nil, rows)
	return string(b), err
}

// appendJSON appends v as JSON: the few types that rows hold, without encoding/json's
// reflection per value.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case string:
		s, err := json.Marshal(x)
		return append(b, s...), err
	case []int64:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, e, 10)
		}
		return append(b, ']'), nil
	case []any:
		return appendList(b, len(x), func(i int) any { return x[i] })
	case [][]any:
		return appendList(b, len(x), func(i int) any { return x[i] })
	case []string:
		return appendList(b, len(x), func(i int) any { return x[i] })
	case [][2]int64:
		return appendList(b, len(x), func(i int) any { return x[i][:] })
	}
	return nil, fmt.Errorf("provenance: internal error: no JSON for %T", v)
}

// appendList appends the JSON array of the n values at(0), ..., at(n-1).
func appendList(b []byte, n int, at func(int) any) ([]byte, error) {
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSON(b, at(i)); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// rowGroup is rows that agree in every value but the first: first holds their first values.
type rowGroup struct {
	first []any
	rest  []any
}

// groupRows groups rows (of equal length) by their values after the first, in the order
// their groups first appear: the rows of one batch (its runs, its file's records) differ in
// the variant alone, so that a statement per group binds the shared values once and reads
// only the variant ids through json_each.
func groupRows(rows [][]any) []rowGroup {
	var groups []rowGroup
	for _, r := range rows {
		// Linear: the rows of a batch form one group, or a few.
		i := slices.IndexFunc(groups, func(g rowGroup) bool { return slices.Equal(g.rest, r[1:]) })
		if i < 0 {
			i = len(groups)
			groups = append(groups, rowGroup{rest: r[1:]})
		}
		groups[i].first = append(groups[i].first, r[0])
	}
	return groups
}

// affectsAll turns "fewer rows matched than given" into ErrNotFound naming the first key
// of keys (a json_each array) for which lookup (a query of one ? that is the key) finds no row.
func affectsAll(tx *sql.Tx, res sql.Result, want int, keys, lookup, what string) error {
	n, err := res.RowsAffected()
	if err != nil || n == int64(want) {
		return err
	}
	var missing int64
	if err := tx.QueryRow(`SELECT value FROM json_each(?) WHERE NOT EXISTS (`+lookup+`) LIMIT 1`, keys).Scan(&missing); err != nil {
		return fmt.Errorf("%w: %d of %d %ss", ErrNotFound, int64(want)-n, want, what)
	}
	return fmt.Errorf("%w: %s %d", ErrNotFound, what, missing)
}

// RecordBuild records a build (or a cache hit) and returns its id.
func (d *DB) RecordBuild(b Build) (int64, error) {
	started := b.Started
	if started.IsZero() {
		started = now()
	}
	res, err := d.exec(`INSERT INTO build (structure_key, source_digest, module_key, module_path, backend, compiler,
			compiler_version, flags, target_arch, started, duration_s, cache_hit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.StructureKey, b.SourceDigest, b.ModuleKey, b.ModulePath, b.Backend, b.Compiler,
		b.CompilerVersion, b.Flags, b.TargetArch, dbTime(started), b.Duration.Seconds(), boolInt(b.CacheHit))
	if err != nil {
		return 0, fmt.Errorf("provenance: record build: %w", err)
	}
	return res.LastInsertId()
}

// A batch attempt is one row of table attempt that holds its variants' ids (migration 6);
// a run, as Run reads it, is one variant of an attempt, and its id is the attempt's.

// attemptColumns are the columns of a new attempt, in the order of attemptArgs after its
// variants.
const attemptColumns = `variants, build_id, batch_id, worker_pid, host, device, started, status, error, peak_rss_bytes, sweep_id, failure`

// attemptArgs are the values of attemptColumns after variants for a run r started at
// r.Started, or else at started.
func attemptArgs(r Run, started time.Time) []any {
	if !r.Started.IsZero() {
		started = r.Started
	}
	status := r.Status
	if status == "" {
		status = StatusRunning
	}
	var build any
	if r.BuildID != 0 {
		build = r.BuildID
	}
	var sweep any
	if r.SweepID != 0 {
		sweep = r.SweepID
	}
	return []any{build, r.BatchID, r.WorkerPID, r.Host, r.Device, dbTime(started), status, r.Error, r.PeakRSSBytes, sweep, r.Failure}
}

// runKeys are the variant keys of runs; a variant twice fails.
func runKeys(runs []Run) ([]int64, error) {
	keys := make([]int64, len(runs))
	seen := make(map[int64]bool, len(runs))
	for i, r := range runs {
		key, err := variantKey(r.VariantID)
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("variant %d twice in one batch", r.VariantID)
		}
		seen[key], keys[i] = true, key
	}
	return keys, nil
}

// insertAttempts records runs (of variant keys keys) started at started: runs that differ
// in their variant alone, a batch's, are one attempt. It returns each run's attempt id.
func insertAttempts(tx *sql.Tx, runs []Run, keys []int64, started time.Time) ([]int64, error) {
	ids := make([]int64, len(runs))
	rows := make([][]any, len(runs))
	for i, r := range runs {
		rows[i] = append([]any{i}, attemptArgs(r, started)...)
	}
	for _, g := range groupRows(rows) {
		members := make([]int64, len(g.first))
		for k, i := range g.first {
			members[k] = keys[i.(int)]
		}
		slices.Sort(members)
		arg, err := jsonRows(members)
		if err != nil {
			return nil, err
		}
		var id int64
		if err := tx.QueryRow(`INSERT INTO attempt (`+attemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			append([]any{arg}, g.rest...)...).Scan(&id); err != nil {
			return nil, err
		}
		for _, i := range g.first {
			ids[i.(int)] = id
		}
	}
	return ids, nil
}

// BeginRun records the start of an attempt of one variant (status "running" unless r.Status
// is set), leaving the variant's status as it is, and returns the run id.
func (d *DB) BeginRun(r Run) (int64, error) {
	var ids []int64
	err := d.inTx(func(tx *sql.Tx) error {
		keys, err := runKeys([]Run{r})
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM variant WHERE id = ?`, keys[0]).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: variant %d", ErrNotFound, r.VariantID)
		}
		ids, err = insertAttempts(tx, []Run{r}, keys, now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("provenance: begin run of variant %d: %w", r.VariantID, err)
	}
	return ids[0], nil
}

// BeginRuns starts a batch's attempts in one transaction: each run's variant becomes running
// (counting an attempt and clearing its error, as SetVariantStatus does) and the runs are
// recorded as one attempt (those that differ in their variant alone). It returns the run ids
// in the order of runs; an unknown variant fails the whole call.
func (d *DB) BeginRuns(runs []Run) ([]int64, error) {
	var ids []int64
	started := now()
	err := d.inTx(func(tx *sql.Tx) error {
		keys, err := runKeys(runs)
		if err != nil {
			return err
		}
		keyArg, err := jsonRows(keys)
		if err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE variant SET status = 'running', error = '', failure = '', updated = ?, attempts = attempts + 1
			WHERE id IN (SELECT value FROM json_each(?))`, dbTime(started), keyArg)
		if err != nil {
			return err
		}
		if err := affectsAll(tx, res, len(keys), keyArg, `SELECT 1 FROM variant WHERE id = value`, "variant"); err != nil {
			return err
		}
		ids, err = insertAttempts(tx, runs, keys, started)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("provenance: begin runs: %w", err)
	}
	return ids, nil
}

// FinishRun records the end of an attempt, for every variant of it. ended zero means now.
func (d *DB) FinishRun(runID int64, status string, exitStatus int, errText string, ended time.Time) error {
	if ended.IsZero() {
		ended = now()
	}
	res, err := d.exec(`UPDATE attempt SET status = ?, exit_status = ?, error = ?, ended = ? WHERE id = ?`,
		status, exitStatus, errText, dbTime(ended), runID)
	if err != nil {
		return fmt.Errorf("provenance: finish run %d: %w", runID, err)
	}
	return mustAffect(res, fmt.Sprintf("run %d", runID))
}

// SetRunPeakRSS records the peak resident memory of a run's worker (known only at its end).
func (d *DB) SetRunPeakRSS(runID, bytes int64) error {
	res, err := d.exec(`UPDATE attempt SET peak_rss_bytes = ? WHERE id = ?`, bytes, runID)
	if err != nil {
		return fmt.Errorf("provenance: set run %d peak RSS: %w", runID, err)
	}
	return mustAffect(res, fmt.Sprintf("run %d", runID))
}

// runEnd is how the run of one variant (key) in attempt ended; Ended is set.
type runEnd struct {
	attempt, variant int64
	RunEnd
}

// endRuns records how runs ended. An attempt whose variants all end alike is updated in
// place; otherwise the variants of each end split off into an attempt of their own (the
// attempt's start, batch, worker and build, with that end), leaving the attempt's row to
// the rest. A run that is not of its attempt, or given twice, fails the call.
func endRuns(tx *sql.Tx, ends []runEnd) error {
	var order []int64
	byAttempt := map[int64][]runEnd{}
	for _, e := range ends {
		if _, ok := byAttempt[e.attempt]; !ok {
			order = append(order, e.attempt)
		}
		byAttempt[e.attempt] = append(byAttempt[e.attempt], e)
	}
	for _, a := range order {
		var list []byte
		if err := tx.QueryRow(`SELECT variants FROM attempt WHERE id = ?`, a).Scan(&list); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: run %d", ErrNotFound, a)
			}
			return err
		}
		members, err := parseIDArray(list)
		if err != nil {
			return fmt.Errorf("run %d: variants: %w", a, err)
		}
		ended := make(map[int64]bool, len(members))
		type endGroup struct {
			end  RunEnd
			keys []int64
		}
		var groups []endGroup
		for _, e := range byAttempt[a] {
			if _, in := slices.BinarySearch(members, e.variant); !in || ended[e.variant] {
				return fmt.Errorf("%w: run %d of variant %d", ErrNotFound, a, e.variant)
			}
			ended[e.variant] = true
			i := slices.IndexFunc(groups, func(g endGroup) bool { return g.end == e.RunEnd })
			if i < 0 {
				i = len(groups)
				groups = append(groups, endGroup{end: e.RunEnd})
			}
			groups[i].keys = append(groups[i].keys, e.variant)
		}
		rest := slices.DeleteFunc(members, func(k int64) bool { return ended[k] })
		for i, g := range groups {
			slices.Sort(g.keys)
			arg, err := jsonRows(g.keys)
			if err != nil {
				return err
			}
			e := g.end
			args := []any{e.Status, e.ExitStatus, e.Failure, e.Error, dbTime(e.Ended), e.PeakRSSBytes, e.PeakRSSBytes}
			if len(rest) == 0 && i == len(groups)-1 {
				// The last end keeps the attempt's row; its variants are those left.
				q := `UPDATE attempt SET status = ?, exit_status = ?, failure = ?, error = ?, ended = ?,
					peak_rss_bytes = CASE WHEN ? > 0 THEN ? ELSE peak_rss_bytes END`
				if len(groups) > 1 {
					q += `, variants = ?`
					args = append(args, arg)
				}
				if _, err := tx.Exec(q+` WHERE id = ?`, append(args, a)...); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.Exec(`INSERT INTO attempt (variants, build_id, sweep_id, batch_id, worker_pid, host, device, started,
					status, exit_status, failure, error, ended, peak_rss_bytes)
				SELECT ?, build_id, sweep_id, batch_id, worker_pid, host, device, started, ?, ?, ?, ?, ?,
					CASE WHEN ? > 0 THEN ? ELSE peak_rss_bytes END
				FROM attempt WHERE id = ?`, append(append([]any{arg}, args...), a)...); err != nil {
				return err
			}
		}
		if len(rest) > 0 {
			arg, err := jsonRows(rest)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE attempt SET variants = ? WHERE id = ?`, arg, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// EndRun records the end of an attempt, for every variant of it, with its failure kind and
// peak memory.
func (d *DB) EndRun(runID int64, e RunEnd) error {
	ended := e.Ended
	if ended.IsZero() {
		ended = now()
	}
	res, err := d.exec(`UPDATE attempt SET status = ?, exit_status = ?, failure = ?, error = ?, ended = ?,
			peak_rss_bytes = CASE WHEN ? > 0 THEN ? ELSE peak_rss_bytes END WHERE id = ?`,
		e.Status, e.ExitStatus, e.Failure, e.Error, dbTime(ended), e.PeakRSSBytes, e.PeakRSSBytes, runID)
	if err != nil {
		return fmt.Errorf("provenance: end run %d: %w", runID, err)
	}
	return mustAffect(res, fmt.Sprintf("run %d", runID))
}

// FailVariants records, in one transaction, that variants failed: each variant's status
// becomes status (failed, or pending when it will be retried or was abandoned) with its error
// text and failure kind, and its run ends as given. ends maps variant id to (run id, how the
// run ended); a run id of 0 leaves the variant's runs as they are.
func (d *DB) FailVariants(status string, ends map[uint64]VariantEnd) error {
	if !validStatus(status) {
		return fmt.Errorf("provenance: invalid variant status %q", status)
	}
	t := now()
	err := d.inTx(func(tx *sql.Tx) error {
		setStatus, err := tx.Prepare(`UPDATE variant SET status = ?, error = ?, failure = ?, updated = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer setStatus.Close()
		var runs []runEnd
		for _, vid := range slices.Sorted(maps.Keys(ends)) {
			e := ends[vid]
			key, err := variantKey(vid)
			if err != nil {
				return err
			}
			res, err := setStatus.Exec(status, e.Error, e.Failure, dbTime(t), key)
			if err != nil {
				return fmt.Errorf("variant %d: %w", vid, err)
			}
			if err := mustAffect(res, fmt.Sprintf("variant %d", vid)); err != nil {
				return err
			}
			if e.RunID == 0 {
				continue
			}
			if e.Ended.IsZero() {
				e.Ended = t
			}
			runs = append(runs, runEnd{attempt: e.RunID, variant: key, RunEnd: e.RunEnd})
		}
		return endRuns(tx, runs)
	})
	if err != nil {
		return fmt.Errorf("provenance: fail variants: %w", err)
	}
	return nil
}

// VariantEnd is the end of one variant's run, for FailVariants.
type VariantEnd struct {
	RunID int64
	RunEnd
}

// AbandonRunning marks every run still "running" as abandoned with errText and puts variants
// still "running" back to pending: they belonged to an orchestrator that was killed (or is
// otherwise gone) and must run again. It returns how many variants were reset.
func (d *DB) AbandonRunning(errText string) (int, error) {
	var n int64
	t := dbTime(now())
	err := d.inTx(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE attempt SET status = ?, failure = 'abandoned', error = ?, ended = ? WHERE status = 'running'`,
			RunAbandoned, errText, t); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE variant SET status = 'pending', error = ?, failure = 'abandoned', updated = ? WHERE status = 'running'`,
			errText, t)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("provenance: abandon running: %w", err)
	}
	return int(n), nil
}

// Completion is a finished batch, for CompleteVariants.
type Completion struct {
	Variants     []uint64         // the variants done
	Runs         map[uint64]int64 // variant id: its run, which ends done
	Outputs      []Output         // of variants of Variants
	Ended        time.Time        // zero: now
	PeakRSSBytes int64            // of the batch's worker, for its runs; 0: leave as recorded
	Summaries    []Summary        // one per variant done, optional
}

// CompleteVariants records a finished batch in ONE transaction: it inserts the outputs, marks
// every variant of c.Variants done (clearing its error) and finishes the runs of c.Runs as
// done with exit status 0 at c.Ended (zero: now) and the worker's peak memory. Either all of
// it is recorded or none: a process killed at any point never leaves a variant marked done
// without its outputs, or outputs without the variant. Any unknown variant or run, an output
// of a variant not in c.Variants, or an invalid output, fails the whole call.
//
// A recorded file replaces every earlier record of its path (replaceOutputs). The summaries
// are stored, each replacing its variant's earlier one, in the same transaction.
func (d *DB) CompleteVariants(c Completion) error {
	ended := c.Ended
	if ended.IsZero() {
		ended = now()
	}
	t := dbTime(ended)
	err := d.inTx(func(tx *sql.Tx) error {
		keys := make([]int64, len(c.Variants))
		done := make(map[uint64]bool, len(c.Variants))
		for i, id := range c.Variants {
			key, err := variantKey(id)
			if err != nil {
				return err
			}
			keys[i], done[id] = key, true
		}
		for _, o := range c.Outputs {
			if o.VariantID == nil || !done[*o.VariantID] {
				return fmt.Errorf("output %s: not of a variant of the completion", o.Path)
			}
		}
		if err := replaceOutputs(tx, c.Outputs); err != nil {
			return err
		}
		keyArg, err := jsonRows(keys)
		if err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE variant SET status = 'done', error = '', failure = '', updated = ? WHERE id IN (SELECT value FROM json_each(?))`,
			t, keyArg)
		if err != nil {
			return err
		}
		if err := affectsAll(tx, res, len(keys), keyArg, `SELECT 1 FROM variant WHERE id = value`, "variant"); err != nil {
			return err
		}
		if err := upsertSummaries(tx, c.Summaries); err != nil {
			return err
		}
		runs := make([]runEnd, 0, len(c.Runs))
		for _, vid := range slices.Sorted(maps.Keys(c.Runs)) {
			key, err := variantKey(vid)
			if err != nil {
				return err
			}
			runs = append(runs, runEnd{attempt: c.Runs[vid], variant: key,
				RunEnd: RunEnd{Status: StatusDone, Ended: ended, PeakRSSBytes: c.PeakRSSBytes}})
		}
		return endRuns(tx, runs)
	})
	if err != nil {
		return fmt.Errorf("provenance: complete variants: %w", err)
	}
	return nil
}

// RecordOutputs records outputs outside a variant completion, e.g. the sweep-level variants
// table, with the same replacement rule as CompleteVariants. An output of an unknown
// variant fails the call.
func (d *DB) RecordOutputs(outputs []Output) error {
	err := d.inTx(func(tx *sql.Tx) error { return replaceOutputs(tx, outputs) })
	if err != nil {
		return fmt.Errorf("provenance: record outputs: %w", err)
	}
	return nil
}

// replaceOutputs records outputs in a transaction, one row per file (a batch file's records
// differ in their variant and its row count alone). A recorded file is its latest version,
// whichever sweep (config) wrote it: the earlier records of its path, for whichever
// variants, no longer describe it (a variant run again after a --force-config change
// rewrote the file) and are deleted first.
func replaceOutputs(tx *sql.Tx, outputs []Output) error {
	if len(outputs) == 0 {
		return nil
	}
	type member struct{ key, rows int64 }
	type file struct {
		Output  // the file's shared values
		members []member
	}
	var files []file
	t := now()
	for _, o := range outputs {
		// Recorded paths are relative to the sweep directory so the directory can be moved or
		// copied (from a cluster scratch disk to a laptop) and still verify.
		path := filepath.ToSlash(filepath.Clean(o.Path))
		if o.Path == "" || filepath.IsAbs(o.Path) || path == "." || path == ".." || strings.HasPrefix(path, "../") {
			return fmt.Errorf("output path %q must be a file path relative to the sweep directory", o.Path)
		}
		if o.Created.IsZero() {
			o.Created = t
		}
		o.Created = o.Created.UTC().Round(0) // comparable as a value
		o.Path, o.ID = path, 0
		if o.VariantID == nil { // a sweep-level file: a row of its own
			files = append(files, file{Output: o})
			continue
		}
		key, err := variantKey(*o.VariantID)
		if err != nil {
			return err
		}
		m := member{key, o.Rows}
		o.VariantID, o.Rows = nil, 0
		i := slices.IndexFunc(files, func(f file) bool { return f.members != nil && f.Output == o })
		if i < 0 {
			i = len(files)
			files = append(files, file{Output: o})
		}
		files[i].members = append(files[i].members, m)
	}
	paths := make([]string, 0, len(files))
	for _, f := range files {
		if !slices.Contains(paths, f.Path) {
			paths = append(paths, f.Path)
		}
	}
	pathArg, err := jsonRows(paths)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM result_file WHERE path IN (SELECT value FROM json_each(?))`, pathArg); err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	for _, f := range files {
		var variants, rows any // NULL for a sweep-level file
		total := f.Rows
		if f.members != nil {
			slices.SortFunc(f.members, func(a, b member) int { return cmp.Compare(a.key, b.key) })
			keys, counts := make([]int64, len(f.members)), make([]int64, len(f.members))
			total = 0
			for k, m := range f.members {
				keys[k], counts[k] = m.key, m.rows
				total += m.rows
			}
			if variants, err = jsonRows(keys); err != nil {
				return err
			}
			if rows, err = jsonRows(counts); err != nil {
				return err
			}
			var missing int64
			switch err := tx.QueryRow(`SELECT value FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM variant WHERE id = value) LIMIT 1`,
				variants).Scan(&missing); {
			case err == nil:
				return fmt.Errorf("output %s: %w: variant %d", f.Path, ErrNotFound, missing)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if _, err := tx.Exec(`INSERT INTO result_file (sweep_id, kind, path, variants, variant_rows, rows, bytes, sha256, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.SweepID, f.Kind, f.Path, variants, rows, total, f.Bytes, f.SHA256, dbTime(f.Created)); err != nil {
			return fmt.Errorf("outputs: %w", err)
		}
	}
	return nil
}

// ForgetOutputs deletes the records of the files at paths (relative to the sweep
// directory), for every variant, in one transaction: a file about to be replaced or removed
// no longer vouches for any variant, so those variants are no longer complete.
func (d *DB) ForgetOutputs(paths []string) error {
	err := d.inTx(func(tx *sql.Tx) error {
		stmt, err := tx.Prepare(`DELETE FROM result_file WHERE path = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range paths {
			if _, err := stmt.Exec(filepath.ToSlash(filepath.Clean(p))); err != nil {
				return fmt.Errorf("output %s: %w", p, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("provenance: forget outputs: %w", err)
	}
	return nil
}

package sweep

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// Options control how a plan runs.
type Options struct {
	OutDir     string   // results go to OutDir/<plan name>
	CacheDir   string   // module cache ("" = gpu.DefaultCacheDir())
	BatchSize  int      // variants per module instance (0 = automatic)
	Workers    int      // worker processes (0 = one per CPU slot)
	WorkerArgv []string // command starting a worker ([os.Executable(), "worker"] when nil)
	WorkerEnv  []string // worker environment (nil = inherit)
	MemBudget  int64    // bytes of simulation state per batch for automatic sizing (0 = 1 GiB)
	Version    string   // gennctl version, commit and dirty flag for provenance
	Commit     string
	Dirty      bool
	Progress   func(Event) // called from several goroutines, serialised by Run
	// Shard runs only part of the sweep (a job-array task); its database
	// and variants table go under shards/ so that no two shards write one
	// file. `gennctl merge` folds them together.
	Shard Shard
	// Compression of the result files (results.CompressNone by default,
	// which every Arrow reader handles).
	Compression results.Compression

	// Retries > 0 runs failed batches again: a failed batch of several
	// variants is split in two halves that run separately (recursively, so a
	// variant that fails ends up alone and its batch-mates complete); a
	// variant that fails alone runs again until it has failed Retries times
	// (the failure of the batch it started in counts as one).
	Retries int
	// VariantTimeout > 0 kills a worker whose batch of B variants has run
	// longer than B × VariantTimeout; the batch fails with reason "timeout".
	VariantTimeout time.Duration
	// ForceConfig continues a sweep directory created by a different config:
	// variants whose id, parameter point, seed and structure are unchanged
	// and done are kept; every other variant of the new config runs.
	ForceConfig bool
	// NoFiniteCheck turns off the check for NaN/inf in neuron state.
	NoFiniteCheck bool
}

// Event reports progress; Kind says which fields are set.
type Event struct {
	Kind      string  `json:"event"` // plan, build, batch, retry, variant, done, interrupted
	Variants  int     `json:"variants,omitempty"`
	Groups    int     `json:"groups,omitempty"`
	Skipped   int     `json:"skipped,omitempty"`
	Structure string  `json:"structure,omitempty"`
	CacheHit  bool    `json:"cache_hit,omitempty"`
	Seconds   float64 `json:"seconds,omitempty"`
	VariantID uint64  `json:"variant_id,omitempty"`
	Status    string  `json:"status,omitempty"`
	Error     string  `json:"error,omitempty"`
	Done      int     `json:"done,omitempty"`
	Failed    int     `json:"failed,omitempty"`
	Total     int     `json:"total,omitempty"`
	Dir       string  `json:"dir,omitempty"`
	Failure   string  `json:"failure,omitempty"` // kind of failure: crash, timeout, nonfinite, job, killed, exit
	Pending   int     `json:"pending,omitempty"`
}

// Summary is what a run did.
type Summary struct {
	Dir       string
	Variants  int
	Ran       int // variants simulated now
	Skipped   int // variants complete from an earlier run
	Failed    int
	Retried   int // batches run again after a failure
	Abandoned int // variants abandoned by an interrupt (they run on the next run)
	Builds    int // modules compiled now
	CacheHits int // modules found in the cache
	Wall      time.Duration
}

// Layout of a sweep directory besides the result files (results.SpikesDir,
// results.StateDir, results.VariantsFile, results.SpikeFile, results.StateFile).
const (
	DBFile   = "provenance.db"
	LockFile = ".lock"
)

// ShardsDir holds the databases and variants tables of shards.
const ShardsDir = "shards"

// DBPath is the provenance database of a shard (or of the whole sweep),
// relative to the sweep directory.
func DBPath(s Shard) string {
	if !s.Sharded() {
		return DBFile
	}
	return filepath.Join(ShardsDir, s.Name()+".db")
}

// VariantsPath is the variants table of a shard (or of the whole sweep),
// relative to the sweep directory.
func VariantsPath(s Shard) string {
	if !s.Sharded() {
		return results.VariantsFile
	}
	return filepath.Join(ShardsDir, "variants-"+s.Name()+".arrow")
}

// ErrConfigChanged is returned when the output directory holds a sweep of a
// different config.
var ErrConfigChanged = errors.New("the output directory holds results of a different config")

// ConfigChangedError says how the config differs from the one that created
// the output directory. It matches ErrConfigChanged with errors.Is.
type ConfigChangedError struct {
	Dir         string
	Old, New    string   // config digests
	Changes     []string // "path: old -> new" lines, at most maxChanges
	MoreChanges int      // changes not listed
}

func (e *ConfigChangedError) Is(target error) bool { return target == ErrConfigChanged }

func (e *ConfigChangedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s holds results of a different config (digest %.12s; this one is %.12s). What changed:", e.Dir, e.Old, e.New)
	for _, c := range e.Changes {
		b.WriteString("\n  " + c)
	}
	if e.MoreChanges > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", e.MoreChanges)
	}
	fmt.Fprintf(&b, "\nTo start a new sweep, give another output directory (--out) or change name:.")
	fmt.Fprintf(&b, "\nTo continue this one deliberately, rerun with --force-config: variants whose id, point, seed and structure are unchanged and done are kept; all others run.")
	return b.String()
}

// ErrLocked is returned when another gennctl process is running the same
// sweep directory.
var ErrLocked = errors.New("another gennctl process is running this sweep directory")

// runner is the state of one Run.
type runner struct {
	plan    *Plan
	opts    Options
	dir     string
	db      *provenance.DB
	sweepID int64
	mu      sync.Mutex // serialises Progress and the counters below
	sum     Summary
	stats   map[uint64][]int64 // variant → spikes per population
	mine    []int              // the variants of this run's shard (indices into plan.Variants)
}

// Run executes the plan: builds one module per structure group, runs the
// variants that are not complete yet in batches on worker processes, writes
// a spike file per variant, the variants table, and provenance.
//
// Cancelling ctx (Ctrl-C) abandons the batches in flight (their workers are
// killed), puts their variants back to pending, writes the variants table
// and returns an error wrapping context.Canceled; a rerun finishes the rest.
func Run(ctx context.Context, plan *Plan, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.MemBudget == 0 {
		opts.MemBudget = 1 << 30
	}
	if opts.Workers <= 0 {
		opts.Workers = gpu.CPUSlots()
	}
	if opts.WorkerArgv == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opts.WorkerArgv = []string{exe, "worker"}
	}
	r := &runner{plan: plan, opts: opts, dir: filepath.Join(opts.OutDir, plan.Name), stats: map[uint64][]int64{}}
	r.sum.Dir, r.sum.Variants = r.dir, len(plan.Variants)
	// A new sweep compiles everything before it creates its directory, so
	// that a compile error in user code leaves nothing behind.
	dbPath := filepath.Join(r.dir, DBPath(opts.Shard))
	_, statErr := os.Stat(dbPath)
	fresh := errors.Is(statErr, os.ErrNotExist)
	if !fresh {
		// Refuse a changed config before touching anything.
		if err := r.checkConfig(dbPath); err != nil {
			return nil, err
		}
	}
	var mods map[int]built
	if fresh {
		all := make([]int, len(plan.Variants))
		for i := range all {
			all[i] = i
		}
		var err error
		if mods, err = r.compile(r.groupsOf(all)); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(r.dir, results.SpikesDir), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockDir(r.dir, opts.Shard)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Temporary files of an orchestrator that was killed are garbage: the
	// lock says no other process is writing here.
	r.mine = plan.ShardVariants(opts.Shard)
	r.sum.Variants = len(r.mine)
	cleanTemp(r.dir, r.tempOwned())
	db, err := provenance.Open(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	r.db = db
	sweepID, err := r.recordSweep()
	if err != nil {
		return nil, err
	}
	r.sweepID = sweepID
	// Runs left "running" belonged to an orchestrator that was killed.
	if _, err := db.AbandonRunning("abandoned: the orchestrator ended before the run finished"); err != nil {
		return nil, err
	}
	todo, err := r.pending()
	if err != nil {
		return nil, err
	}
	r.sum.Skipped = len(r.mine) - len(todo)
	r.emit(Event{Kind: "plan", Variants: len(r.mine), Groups: len(plan.Groups), Skipped: r.sum.Skipped, Dir: r.dir})

	if !fresh {
		if mods, err = r.compile(r.groupsOf(todo)); err != nil {
			return nil, err
		}
	}
	modules, buildIDs, err := r.recordBuilds(mods)
	if err != nil {
		return nil, err
	}
	batches := plan.Batches(todo, opts.BatchSize, opts.Workers, opts.MemBudget)
	runErr := r.runBatches(ctx, batches, modules, buildIDs)
	if runErr != nil && ctx.Err() == nil {
		return &r.sum, runErr
	}
	// Written after an interrupt too, so that the table shows what is done.
	if err := r.writeVariantsTable(sweepID); err != nil {
		return &r.sum, err
	}
	r.sum.Wall = time.Since(start)
	if ctx.Err() != nil {
		pending := len(r.mine) - r.sum.Ran - r.sum.Skipped - r.sum.Failed
		r.emit(Event{Kind: "interrupted", Done: r.sum.Ran + r.sum.Skipped, Failed: r.sum.Failed, Pending: pending,
			Total: len(r.mine), Seconds: r.sum.Wall.Seconds(), Dir: r.dir})
		return &r.sum, fmt.Errorf("sweep %s interrupted: %d of %d variants done, %d failed, %d not run (%d abandoned in flight): %w",
			r.dir, r.sum.Ran+r.sum.Skipped, len(r.mine), r.sum.Failed, pending, r.sum.Abandoned, context.Canceled)
	}
	r.emit(Event{Kind: "done", Done: r.sum.Ran + r.sum.Skipped, Failed: r.sum.Failed, Total: len(r.mine), Seconds: r.sum.Wall.Seconds(), Dir: r.dir})
	if r.sum.Failed > 0 {
		return &r.sum, fmt.Errorf("%d of %d variants failed (see gennctl status %s)", r.sum.Failed, len(r.mine), r.dir)
	}
	return &r.sum, nil
}

// crashAt is the test hook GENNCTL_TEST_CRASH_AT=<point>:<n>: the process
// kills itself with SIGKILL the n-th time it reaches the named point
// (before-rename, after-rename: of a spike file; after-commit: of a batch's
// provenance), so tests can kill the orchestrator at exact moments.
var crashAt = struct {
	sync.Mutex
	point string
	n     int
}{}

func init() {
	if v := os.Getenv("GENNCTL_TEST_CRASH_AT"); v != "" {
		p, n, _ := strings.Cut(v, ":")
		crashAt.point = p
		crashAt.n, _ = strconv.Atoi(n)
	}
}

func crashPoint(name string) {
	if crashAt.point == "" {
		return
	}
	crashAt.Lock()
	defer crashAt.Unlock()
	if name == crashAt.point {
		crashAt.n--
		if crashAt.n <= 0 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns
		}
	}
}

// lockDir takes an exclusive lock on the sweep directory for the life of
// the process (the kernel releases it when the process dies, even by
// SIGKILL), so two orchestrators never write one sweep at once.
// Shards of one sweep run concurrently in one directory: each locks its
// own name, and cleans only its own temporary files (see cleanTemp).
func lockDir(dir string, s Shard) (func(), error) {
	path := filepath.Join(dir, LockFile)
	if s.Sharded() {
		path = filepath.Join(dir, ShardsDir, "."+s.Name()+".lock")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := strings.TrimSpace(string(b))
			if holder != "" {
				holder = " (pid " + holder + ")"
			}
			return nil, fmt.Errorf("%w%s: %s; wait for it to finish or stop it", ErrLocked, holder, dir)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		f.Close() // releases the lock
	}, nil
}

// cleanTemp removes the temporary files (".<name>.tmp-<random>") that a
// killed orchestrator left in the sweep directory and its spikes directory.
// owned (final paths relative to dir) limits it to this run's files: shards
// share the directory and must not remove each other's files in progress.
func cleanTemp(dir string, owned map[string]bool) {
	for _, d := range []string{dir, filepath.Join(dir, results.SpikesDir), filepath.Join(dir, results.StateDir), filepath.Join(dir, ShardsDir)} {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			base, _, isTmp := strings.Cut(strings.TrimPrefix(n, "."), ".tmp-")
			if !e.Type().IsRegular() || !strings.HasPrefix(n, ".") || !isTmp {
				continue
			}
			rel, _ := filepath.Rel(dir, filepath.Join(d, base))
			if owned == nil || owned[rel] {
				_ = os.Remove(filepath.Join(d, n))
			}
		}
	}
}

// tempOwned lists the files this run writes (nil: all of the directory's,
// for a sweep that is not sharded).
func (r *runner) tempOwned() map[string]bool {
	if !r.opts.Shard.Sharded() {
		return nil
	}
	owned := map[string]bool{VariantsPath(r.opts.Shard): true}
	for _, vi := range r.mine {
		owned[results.SpikeFile(r.plan.Variants[vi].ID())] = true
		owned[results.StateFile(r.plan.Variants[vi].ID())] = true
	}
	return owned
}

func (r *runner) emit(e Event) {
	if r.opts.Progress == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opts.Progress(e)
}

// checkConfig compares the config with the one last run in the directory.
// A change that leaves the parsed document equal (comments, formatting) is
// accepted; any other change is refused unless ForceConfig.
func (r *runner) checkConfig(dbPath string) error {
	db, err := provenance.Open(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	last, ok, err := LastSweep(db)
	if err != nil || !ok {
		return err
	}
	if last.ConfigDigest == r.plan.ConfigDigest || r.opts.ForceConfig {
		return nil
	}
	changes, err := DiffConfigs([]byte(last.ConfigText), r.plan.Config)
	if err != nil {
		changes = []string{"(cannot compare: " + err.Error() + ")"}
	}
	if len(changes) == 0 {
		return nil // only comments or formatting differ
	}
	e := &ConfigChangedError{Dir: r.dir, Old: last.ConfigDigest, New: r.plan.ConfigDigest, Changes: changes}
	if len(changes) > maxChanges {
		e.Changes, e.MoreChanges = changes[:maxChanges], len(changes)-maxChanges
	}
	return e
}

// LastSweep is the sweep (config) most recently run in a directory: the
// sweep of the latest recorded environment (one is recorded per run).
func LastSweep(db *provenance.DB) (provenance.Sweep, bool, error) {
	var id int64
	err := db.SQL().QueryRow(`SELECT sweep_id FROM environment ORDER BY recorded DESC, id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		sweeps, err := db.Sweeps()
		if err != nil || len(sweeps) == 0 {
			return provenance.Sweep{}, false, err
		}
		return sweeps[len(sweeps)-1], true, nil
	}
	if err != nil {
		return provenance.Sweep{}, false, err
	}
	s, err := db.Sweep(id)
	return s, err == nil, err
}

// recordSweep records the sweep, environment and variants.
func (r *runner) recordSweep() (int64, error) {
	id, err := r.db.UpsertSweep(provenance.Sweep{Name: r.plan.Name, ConfigText: string(r.plan.Config), ConfigDigest: r.plan.ConfigDigest,
		ConfigPath:     r.plan.File,
		GennctlVersion: r.opts.Version, VCSCommit: r.opts.Commit, VCSDirty: r.opts.Dirty})
	if err != nil {
		return 0, err
	}
	if err := r.db.RecordEnvironment(id, provenance.CurrentEnvironment()); err != nil {
		return 0, err
	}
	// A shard records only its own variants, so that merging shards never
	// overwrites one shard's results with another's pending rows.
	vs := make([]provenance.Variant, len(r.mine))
	for i, vi := range r.mine {
		v := r.plan.Variants[vi]
		vs[i] = provenance.Variant{ID: v.ID(), Point: PointJSON(v.Point), Repeat: v.Point.Repeat, Seed: v.Point.Seed,
			StructureKey: r.plan.Groups[v.Group].Key}
	}
	return id, r.db.UpsertVariants(id, vs)
}

// PointJSON encodes a point's assignments as a JSON object.
func PointJSON(p Point) string {
	m := map[string]any{}
	for _, a := range p.Assign {
		var v any
		if err := a.Value.Decode(&v); err != nil {
			v = a.Value.Value
		}
		m[a.Path] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// pending lists the variants that must run: those not recorded done, or
// whose recorded spike file is missing or does not match its checksum.
func (r *runner) pending() ([]int, error) {
	var todo []int
	for _, i := range r.mine {
		v := r.plan.Variants[i]
		rec, err := r.db.Variant(v.ID())
		if err != nil {
			return nil, err
		}
		if rec.Status == "done" && r.outputsVerify(v.ID()) && r.stateCurrent(v) {
			continue
		}
		todo = append(todo, i)
	}
	return todo, nil
}

func (r *runner) outputsVerify(id uint64) bool {
	outs, err := r.db.Outputs(&id, "")
	if err != nil || len(outs) == 0 {
		return false
	}
	for _, o := range outs {
		sum, size, err := results.FileSHA256(filepath.Join(r.dir, o.Path))
		if err != nil || sum != o.SHA256 || size != o.Bytes {
			return false
		}
	}
	return true
}

// stateCurrent reports whether a done variant has the state file its network asks for:
// recording is not part of the structure, so a config continued with --force-config may
// record other variables than the run that completed the variant.
func (r *runner) stateCurrent(v *Variant) bool {
	want := recordingOf(v.Net).meta
	if want == "" {
		return true
	}
	id := v.ID()
	outs, err := r.db.Outputs(&id, "state")
	if err != nil || len(outs) != 1 {
		return false
	}
	meta, err := results.FileMetadata(filepath.Join(r.dir, outs[0].Path))
	return err == nil && meta[results.MetaRecorded] == want
}

// built is a group's module, compiled or found in the cache.
type built struct {
	res     gpu.BuildResult
	started time.Time
}

// groupsOf returns the groups of the given variants.
func (r *runner) groupsOf(todo []int) map[int]bool {
	need := map[int]bool{}
	for _, vi := range todo {
		need[r.plan.Variants[vi].Group] = true
	}
	return need
}

// compile builds (or finds in the cache) the modules of the given groups.
// It writes nothing but the cache, so a compile error in user code leaves
// no output behind.
func (r *runner) compile(need map[int]bool) (map[int]built, error) {
	out := map[int]built{}
	if len(need) == 0 {
		return out, nil
	}
	cacheDir := r.opts.CacheDir
	if cacheDir == "" {
		cacheDir = gpu.DefaultCacheDir()
	}
	cache, err := gpu.OpenCache(cacheDir)
	if err != nil {
		return nil, err
	}
	tc, err := gpu.DetectCC()
	if err != nil {
		return nil, err
	}
	for gi, g := range r.plan.Groups {
		if !need[gi] {
			continue
		}
		started := time.Now()
		res, err := buildGroup(cache, g, r.plan.Backend, tc)
		if err != nil {
			return nil, fmt.Errorf("building structure %.12s: %w", g.Key, err)
		}
		out[gi] = built{res, started}
	}
	return out, nil
}

// recordBuilds records each module in provenance and returns the module
// paths and build ids by group.
func (r *runner) recordBuilds(mods map[int]built) (map[int]string, map[int]int64, error) {
	paths, ids := map[int]string{}, map[int]int64{}
	for gi, g := range r.plan.Groups {
		b, ok := mods[gi]
		if !ok {
			continue
		}
		res := b.res
		if res.Hit {
			r.sum.CacheHits++
		} else {
			r.sum.Builds++
		}
		id, err := r.db.RecordBuild(provenance.Build{StructureKey: g.Key, SourceDigest: res.SourceDigest, ModuleKey: res.Key,
			ModulePath: res.ModulePath, Backend: r.plan.Backend, Compiler: res.Compiler, CompilerVersion: res.CompilerVersion,
			Flags: strings.Join(res.Flags, " "), TargetArch: res.Arch, Started: b.started, Duration: res.Duration, CacheHit: res.Hit})
		if err != nil {
			return nil, nil, err
		}
		paths[gi], ids[gi] = res.ModulePath, id
		r.emit(Event{Kind: "build", Structure: g.Key[:12], CacheHit: res.Hit, Seconds: res.Duration.Seconds()})
	}
	return paths, ids, nil
}

// buildGroup generates a group's module and compiles it into the cache.
func buildGroup(cache *gpu.Cache, g *Group, backend string, tc gpu.Toolchain) (gpu.BuildResult, error) {
	files, err := Generate(g, backend)
	if err != nil {
		return gpu.BuildResult{}, err
	}
	return cache.Build(files, tc)
}

// Generate returns the source of a group's module for a backend.
func Generate(g *Group, backend string) (codegen.Files, error) {
	switch backend {
	case "cpu":
		return cpu.Generate(g.Net, g.Options)
	default:
		return nil, fmt.Errorf("backend %q is not available in this version of gennctl (use cpu)", backend)
	}
}

// task is a batch to run and how many times its variants have failed.
type task struct {
	b     Batch
	tries int
}

// taskQueue is the queue of batches; failed batches are put back (split)
// while workers run, so it ends when no task is queued or running.
type taskQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	items   []task
	active  int // tasks queued or running
	stopped bool
}

func newTaskQueue(ts []task) *taskQueue {
	q := &taskQueue{items: ts, active: len(ts)}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// pop waits for a task; false when every task is finished or the queue is
// stopped.
func (q *taskQueue) pop() (task, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && q.active > 0 && !q.stopped {
		q.cond.Wait()
	}
	if q.stopped || len(q.items) == 0 {
		return task{}, false
	}
	t := q.items[0]
	q.items = q.items[1:]
	return t, true
}

// push queues more tasks; call before done() of the task they replace.
func (q *taskQueue) push(ts ...task) {
	q.mu.Lock()
	q.items = append(q.items, ts...)
	q.active += len(ts)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// done marks a popped task finished.
func (q *taskQueue) done() {
	q.mu.Lock()
	q.active--
	q.mu.Unlock()
	q.cond.Broadcast()
}

// stop makes every pop return false; queued tasks are dropped.
func (q *taskQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// runBatches feeds batches to worker processes; a worker that dies is
// replaced and only its batch fails (or is retried, see Options.Retries).
func (r *runner) runBatches(ctx context.Context, batches []Batch, modules map[int]string, buildIDs map[int]int64) error {
	if len(batches) == 0 {
		return nil
	}
	ts := make([]task, len(batches))
	for i, b := range batches {
		ts[i] = task{b: b}
	}
	q := newTaskQueue(ts)
	stopWatch := context.AfterFunc(ctx, q.stop)
	defer stopWatch()
	workers := r.opts.Workers
	if workers > len(batches) {
		workers = len(batches)
	}
	var wg sync.WaitGroup
	var fatalMu sync.Mutex
	var fatal error
	setFatal := func(err error) {
		fatalMu.Lock()
		if fatal == nil {
			fatal = err
		}
		fatalMu.Unlock()
		q.stop()
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var worker *gpu.Worker
			defer func() {
				if worker != nil {
					worker.Close()
				}
			}()
			for {
				t, ok := q.pop()
				if !ok {
					return
				}
				if worker == nil {
					var err error
					worker, err = gpu.StartWorker(ctx, r.opts.WorkerArgv, r.opts.WorkerEnv)
					if err != nil {
						if ctx.Err() == nil {
							setFatal(fmt.Errorf("starting a worker: %w", err))
						}
						q.done()
						continue
					}
				}
				died, err := r.runBatch(ctx, worker, t, modules[t.b.Group], buildIDs[t.b.Group], q)
				if died {
					worker.Close()
					worker = nil
				}
				q.done()
				if err != nil {
					setFatal(err)
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fatal
}

// batchFailure is why a batch failed: a short kind and the full message.
type batchFailure struct {
	kind, msg string
	exit      int
	peakRSS   int64
}

// classify turns a worker.Run error into a failure.
func (r *runner) classify(err error, timedOut bool, limit time.Duration, b Batch) batchFailure {
	f := batchFailure{kind: "job", msg: err.Error(), exit: exitStatus(err)}
	var died *gpu.WorkerDiedError
	if errors.As(err, &died) {
		f.peakRSS = died.PeakRSS
		switch {
		case timedOut:
			f.kind = "timeout"
			f.msg = fmt.Sprintf("timeout: the batch of %d variant(s) ran longer than %v (--variant-timeout %v per variant); worker %d killed",
				len(b.Variants), limit, r.opts.VariantTimeout, died.Pid)
		case died.Signal == syscall.SIGKILL.String():
			f.kind = "killed"
		case died.Signal != "":
			f.kind = "crash"
		default:
			f.kind = "exit"
		}
	}
	return f
}

// runBatch runs one batch and records its variants. A failure of the batch
// itself (the module reports an error, the worker crashes, hangs or is
// killed) marks its variants failed or queues them again (Options.Retries)
// and is not an error; died says the worker must be replaced. Errors are
// failures of the orchestrator's own files or database.
func (r *runner) runBatch(ctx context.Context, worker *gpu.Worker, t task, module string, buildID int64, q *taskQueue) (died bool, err error) {
	plan := r.plan
	b := t.b
	g := plan.Groups[b.Group]
	batchID := fmt.Sprintf("%.12s-%d-%d", g.Key, plan.Variants[b.Variants[0]].ID(), len(b.Variants))
	host, _ := os.Hostname()
	runIDs := map[uint64]int64{}
	seeds := make([]uint64, len(b.Variants))
	var runtime []float64
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		seeds[k] = v.Point.Seed
		runtime = append(runtime, v.Runtime...)
		if err := r.db.SetVariantStatus(v.ID(), "running", ""); err != nil {
			return false, err
		}
		id, err := r.db.BeginRun(provenance.Run{VariantID: v.ID(), BuildID: buildID, BatchID: batchID, WorkerPID: worker.Pid(),
			Host: host, Device: "cpu", SweepID: r.sweepID})
		if err != nil {
			return false, err
		}
		runIDs[v.ID()] = id
	}
	pops := make([]string, len(g.Net.Populations))
	for i, p := range g.Net.Populations {
		pops[i] = p.Name
	}
	writers := make([]*results.SpikeWriter, len(b.Variants))
	counts := make([][]int64, len(b.Variants))
	// Every variant of a batch records the same variables (Plan.Batches).
	rec := recordingOf(plan.Variants[b.Variants[0]].Net)
	var states []*results.StateWriter // nil when nothing is recorded
	if len(rec.specs) > 0 {
		states = make([]*results.StateWriter, len(b.Variants))
		if err := os.MkdirAll(filepath.Join(r.dir, results.StateDir), 0o755); err != nil {
			return false, err
		}
	}
	abort := func() {
		for _, w := range writers {
			if w != nil {
				w.Abort()
			}
		}
		for _, w := range states {
			if w != nil {
				w.Abort()
			}
		}
	}
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		meta := r.fileMeta(v)
		w, err := results.NewSpikeWriter(filepath.Join(r.dir, results.SpikeFile(v.ID())), pops, meta, r.writeOpts()...)
		if err != nil {
			abort()
			return false, err
		}
		writers[k] = w
		counts[k] = make([]int64, len(pops))
		if states != nil {
			sw, err := results.NewStateWriter(filepath.Join(r.dir, results.StateFile(v.ID())), rec.owners, rec.vars, stateMeta(meta, rec), r.writeOpts()...)
			if err != nil {
				abort()
				return false, err
			}
			states[k] = sw
		}
	}
	dt := g.Net.Sim.DT
	job := gpu.Job{ID: batchID, ModulePath: module, Seeds: seeds, Runtime: runtime, Steps: g.Net.Sim.Steps(), NoFiniteCheck: r.opts.NoFiniteCheck,
		Record: rec.specs}
	variantIDs := make([]uint64, len(b.Variants))
	for k, vi := range b.Variants {
		variantIDs[k] = plan.Variants[vi].ID()
	}
	sd := &stateDemux{rec: rec, variantIDs: variantIDs, writers: states, dt: dt}
	var timedOut atomic.Bool
	var limit time.Duration
	if r.opts.VariantTimeout > 0 {
		limit = r.opts.VariantTimeout * time.Duration(len(b.Variants))
		timer := time.AfterFunc(limit, func() {
			timedOut.Store(true)
			_ = worker.Kill()
		})
		defer timer.Stop()
	}
	done, err := worker.RunJob(job, gpu.Handlers{
		Spikes: func(c gpu.SpikeChunk) error { return demux(c, variantIDs, writers, counts, dt) },
		State:  sd.write,
	})
	if err != nil {
		abort()
		var jobFailed *gpu.JobFailedError
		died := !errors.As(err, &jobFailed)
		if ctx.Err() != nil {
			return true, r.abandonBatch(b, runIDs)
		}
		return died, r.batchFailed(t, runIDs, r.classify(err, timedOut.Load(), limit, b), q)
	}
	// Variants whose state became NaN or infinite fail alone; the others of
	// the batch are unaffected (variants never share state).
	bad := map[int]gpu.NonFinite{}
	for _, nf := range done.NonFinite {
		if nf.Variant >= 0 && nf.Variant < len(b.Variants) {
			bad[nf.Variant] = nf
		}
	}
	var outputs []provenance.Output
	var ids []uint64
	okRuns := map[uint64]int64{}
	failed := map[uint64]provenance.VariantEnd{}
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		id := v.ID()
		if nf, isBad := bad[k]; isBad {
			writers[k].Abort()
			writers[k] = nil
			if states != nil {
				states[k].Abort()
				states[k] = nil
			}
			msg := fmt.Sprintf("non-finite state: %s.%s[%d] became %v between t = %g ms and t = %g ms (time steps %d-%d)",
				nf.Owner, nf.Var, nf.Index, nf.Value, float64(nf.LastGood)*dt, float64(nf.Step)*dt, nf.LastGood, nf.Step)
			failed[id] = provenance.VariantEnd{RunID: runIDs[id], RunEnd: provenance.RunEnd{Status: "failed", ExitStatus: 0,
				Failure: "nonfinite", Error: msg, PeakRSSBytes: done.PeakRSS}}
			continue
		}
		crashPoint("before-rename")
		info, err := writers[k].Close()
		writers[k] = nil
		crashPoint("after-rename")
		if err != nil {
			abort()
			return false, err
		}
		ids = append(ids, id)
		okRuns[id] = runIDs[id]
		outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "spikes", Path: results.SpikeFile(id), Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256})
		if states != nil {
			sinfo, err := states[k].Close()
			states[k] = nil
			if err != nil {
				abort()
				return false, err
			}
			outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "state", Path: results.StateFile(id), Rows: sinfo.Rows, Bytes: sinfo.Bytes, SHA256: sinfo.SHA256})
		}
	}
	if done.PeakRSS > 0 {
		for _, id := range ids {
			if err := r.db.SetRunPeakRSS(runIDs[id], done.PeakRSS); err != nil {
				return false, err
			}
		}
	}
	if len(ids) > 0 {
		if err := r.db.CompleteVariants(ids, okRuns, outputs, time.Time{}); err != nil {
			return false, err
		}
		crashPoint("after-commit")
	}
	if len(failed) > 0 {
		if err := r.db.FailVariants(provenance.StatusFailed, failed); err != nil {
			return false, err
		}
		for id, e := range failed {
			r.emit(Event{Kind: "variant", VariantID: id, Status: "failed", Failure: e.Failure, Error: e.Error})
		}
	}
	r.mu.Lock()
	for k, vi := range b.Variants {
		if _, isBad := bad[k]; !isBad {
			r.stats[plan.Variants[vi].ID()] = counts[k]
		}
	}
	r.sum.Ran += len(ids)
	r.sum.Failed += len(failed)
	done2, failedN := r.sum.Ran+r.sum.Skipped, r.sum.Failed
	r.mu.Unlock()
	r.emit(Event{Kind: "batch", Variants: len(ids), Structure: g.Key[:12], Done: done2, Failed: failedN, Total: len(plan.Variants)})
	return false, nil
}

// abandonBatch records a batch cut short by an interrupt: its runs are
// abandoned and its variants pending again.
func (r *runner) abandonBatch(b Batch, runIDs map[uint64]int64) error {
	ends := map[uint64]provenance.VariantEnd{}
	for _, vi := range b.Variants {
		id := r.plan.Variants[vi].ID()
		ends[id] = provenance.VariantEnd{RunID: runIDs[id], RunEnd: provenance.RunEnd{Status: provenance.RunAbandoned, ExitStatus: -1,
			Failure: "interrupted", Error: "interrupted: abandoned in flight; runs again when the sweep is resumed"}}
	}
	r.mu.Lock()
	r.sum.Abandoned += len(b.Variants)
	r.mu.Unlock()
	return r.db.FailVariants(provenance.StatusPending, ends)
}

// batchFailed records a failed batch: with retries left it is queued again
// (split in halves when it holds several variants), otherwise its variants
// fail.
func (r *runner) batchFailed(t task, runIDs map[uint64]int64, f batchFailure, q *taskQueue) error {
	b := t.b
	var again []task
	switch {
	case r.opts.Retries <= 0:
	case len(b.Variants) > 1:
		// The failure is the first of these variants at most; bisect.
		tries := max(t.tries, 1)
		h := len(b.Variants) / 2
		again = []task{{Batch{b.Group, b.Variants[:h]}, tries}, {Batch{b.Group, b.Variants[h:]}, tries}}
	case t.tries+1 < r.opts.Retries+1 && t.tries+1 <= r.opts.Retries:
		again = []task{{b, t.tries + 1}}
	}
	status := provenance.StatusFailed
	if again != nil {
		status = provenance.StatusPending
	}
	ends := map[uint64]provenance.VariantEnd{}
	for _, vi := range b.Variants {
		id := r.plan.Variants[vi].ID()
		ends[id] = provenance.VariantEnd{RunID: runIDs[id], RunEnd: provenance.RunEnd{Status: "failed", ExitStatus: f.exit,
			Failure: f.kind, Error: f.msg, PeakRSSBytes: f.peakRSS}}
	}
	if err := r.db.FailVariants(status, ends); err != nil {
		return err
	}
	if again != nil {
		r.mu.Lock()
		r.sum.Retried++
		r.mu.Unlock()
		r.emit(Event{Kind: "retry", Variants: len(b.Variants), Groups: len(again), Failure: f.kind, Error: firstLine(f.msg)})
		q.push(again...)
		return nil
	}
	for _, vi := range b.Variants {
		r.emit(Event{Kind: "variant", VariantID: r.plan.Variants[vi].ID(), Status: "failed", Failure: f.kind, Error: f.msg})
	}
	r.mu.Lock()
	r.sum.Failed += len(b.Variants)
	r.mu.Unlock()
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// demux splits a chunk of a batch's spikes into the variants' writers.
func demux(c gpu.SpikeChunk, variantIDs []uint64, writers []*results.SpikeWriter, counts [][]int64, dt float64) error {
	type cols struct {
		variant []uint64
		pop     []uint32
		neuron  []uint32
		time    []float64
	}
	per := make([]cols, len(writers))
	for i := range c.Pop {
		k := c.Variant[i]
		if int(k) >= len(writers) {
			return fmt.Errorf("module reported spike of variant %d in a batch of %d", k, len(writers))
		}
		per[k].pop = append(per[k].pop, c.Pop[i])
		per[k].neuron = append(per[k].neuron, c.Neuron[i])
		per[k].time = append(per[k].time, float64(c.Step[i])*dt)
		if int(c.Pop[i]) < len(counts[k]) {
			counts[k][c.Pop[i]]++
		}
	}
	for k, p := range per {
		if len(p.pop) == 0 {
			continue
		}
		ids := make([]uint64, len(p.pop))
		for i := range ids {
			ids[i] = variantIDs[k]
		}
		if err := writers[k].Write(ids, p.pop, p.neuron, p.time); err != nil {
			return err
		}
	}
	return nil
}

func exitStatus(err error) int {
	var died *gpu.WorkerDiedError
	if errors.As(err, &died) {
		return died.ExitCode
	}
	return 1
}

func (r *runner) fileMeta(v *Variant) map[string]string {
	net := v.Net
	sizes := map[string]int{}
	for _, p := range net.Populations {
		sizes[p.Name] = p.Size
	}
	return map[string]string{
		results.MetaGennctlVersion:  r.opts.Version,
		results.MetaConfigDigest:    r.plan.ConfigDigest,
		results.MetaStructureKey:    r.plan.Groups[v.Group].Key,
		results.MetaVariantID:       strconv.FormatUint(v.ID(), 10),
		results.MetaSeed:            strconv.FormatUint(v.Point.Seed, 10),
		results.MetaDT:              strconv.FormatFloat(net.Sim.DT, 'g', -1, 64),
		results.MetaDuration:        strconv.FormatFloat(net.Sim.Duration, 'g', -1, 64),
		results.MetaTimeUnit:        "ms",
		results.MetaPopulationSizes: results.FormatPopulationSizes(sizes),
	}
}

// writeOpts are the options of every result file this run writes.
func (r *runner) writeOpts() []results.Option {
	return []results.Option{results.WithCompression(r.opts.Compression)}
}

// spikeCounts returns per-population spike counts of a variant, reading its
// file when it completed in an earlier run.
func (r *runner) spikeCounts(v *Variant) ([]int64, bool) {
	if c, ok := r.stats[v.ID()]; ok {
		return c, true
	}
	sp, _, err := results.ReadSpikes(filepath.Join(r.dir, results.SpikeFile(v.ID())))
	if err != nil {
		return nil, false
	}
	idx := map[string]int{}
	for i, p := range v.Net.Populations {
		idx[p.Name] = i
	}
	c := make([]int64, len(v.Net.Populations))
	for _, p := range sp.Population {
		c[idx[p]]++
	}
	return c, true
}

// writeVariantsTable writes variants.arrow: one row per variant with its
// swept values, repeat, seed, structure, status and per-population spike
// counts and mean rates.
func (r *runner) writeVariantsTable(sweepID int64) error {
	plan := r.plan
	n := len(plan.Variants)
	ids := make([]uint64, n)
	seeds := make([]uint64, n)
	repeats := make([]int64, n)
	keys := make([]string, n)
	status := make([]string, n)
	axes := map[string]*results.Column{}
	var axisCols []*results.Column
	for _, a := range plan.Axes {
		c := &results.Column{Name: a}
		axes[a] = c
		axisCols = append(axisCols, c)
	}
	// A swept path is numeric if every value is a number.
	for _, a := range plan.Axes {
		numeric := true
		for _, v := range plan.Variants {
			for _, as := range v.Point.Assign {
				if as.Path == a && as.Value.Tag != "!!int" && as.Value.Tag != "!!float" {
					numeric = false
				}
			}
		}
		if numeric {
			axes[a].Float64 = make([]float64, n)
		} else {
			axes[a].String = make([]string, n)
		}
	}
	popNames := map[string]bool{}
	for _, v := range plan.Variants {
		for _, p := range v.Net.Populations {
			popNames[p.Name] = true
		}
	}
	pops := make([]string, 0, len(popNames))
	for p := range popNames {
		pops = append(pops, p)
	}
	sort.Strings(pops)
	spikes := map[string][]int64{}
	rates := map[string][]float64{}
	for _, p := range pops {
		spikes[p] = make([]int64, n)
		rates[p] = make([]float64, n)
	}
	for i, v := range plan.Variants {
		ids[i], seeds[i], repeats[i] = v.ID(), v.Point.Seed, int64(v.Point.Repeat)
		keys[i] = plan.Groups[v.Group].Key
		rec, err := r.db.Variant(v.ID())
		switch {
		case errors.Is(err, provenance.ErrNotFound):
			rec.Status = "pending" // a merge of shards that have not started
		case err != nil:
			return err
		}
		status[i] = rec.Status
		for _, as := range v.Point.Assign {
			c := axes[as.Path]
			if c.Float64 != nil {
				c.Float64[i], _ = strconv.ParseFloat(as.Value.Value, 64)
			} else {
				c.String[i] = CanonicalValue(as.Value)
			}
		}
		counts, ok := r.spikeCounts(v)
		for pi, p := range v.Net.Populations {
			if !ok || rec.Status != "done" {
				spikes[p.Name][i] = -1
				continue
			}
			spikes[p.Name][i] = counts[pi]
			if v.Net.Sim.Duration > 0 {
				rates[p.Name][i] = float64(counts[pi]) / float64(p.Size) / (v.Net.Sim.Duration / 1000)
			}
		}
	}
	cols := []results.Column{{Name: "variant_id", Uint64: ids}, {Name: "repeat", Int64: repeats}, {Name: "seed", Uint64: seeds},
		{Name: "structure_key", String: keys, Dictionary: true}, {Name: "status", String: status, Dictionary: true}}
	for _, c := range axisCols {
		cols = append(cols, *c)
	}
	for _, p := range pops {
		cols = append(cols, results.Column{Name: "spikes_" + p, Int64: spikes[p]},
			results.Column{Name: "rate_" + p, Unit: "Hz", Float64: rates[p]})
	}
	meta := map[string]string{results.MetaGennctlVersion: r.opts.Version, results.MetaConfigDigest: plan.ConfigDigest,
		results.MetaName: plan.Name, results.MetaAxes: strings.Join(plan.Axes, "\n"), results.MetaTimeUnit: "ms"}
	if len(plan.Variants) > 0 {
		sim := plan.Variants[0].Net.Sim
		meta[results.MetaDT] = strconv.FormatFloat(sim.DT, 'g', -1, 64)
		meta[results.MetaDuration] = strconv.FormatFloat(sim.Duration, 'g', -1, 64)
	}
	path := VariantsPath(r.opts.Shard)
	info, err := results.WriteTable(filepath.Join(r.dir, path), cols, meta, r.writeOpts()...)
	if err != nil {
		return err
	}
	return r.db.RecordOutputs([]provenance.Output{{SweepID: sweepID, Kind: "variants", Path: path, Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256}})
}

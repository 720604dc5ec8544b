package sweep

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// Options control how a plan runs.
type Options struct {
	OutDir    string // results go to OutDir/<plan name>
	CacheDir  string // module cache ("" = gpu.DefaultCacheDir())
	BatchSize int    // variants per module instance (0 = automatic)
	Workers   int    // worker processes (0 = one per CPU slot)
	// Threads is the number of threads inside a time step of each batch
	// (gn_set_threads; the CPU backend's, same bits on any number): 0 or 1
	// one, AutoThreads StepThreads. One by default: on the shared 2-vCPU
	// development VM two threads ran slower than one (BENCHMARKS.md).
	Threads    int
	WorkerArgv []string // command starting a worker ([os.Executable(), "worker"] when nil)
	WorkerEnv  []string // worker environment (nil = inherit)
	CUDAArchs  []string // nvcc architectures, e.g. "80" (nil = the visible GPUs')
	MemBudget  int64    // bytes of simulation state per batch for automatic sizing (0 = 1 GiB)
	Version    string   // gennctl version, commit and dirty flag for provenance
	Commit     string
	Dirty      bool
	Progress   func(Event) // called from several goroutines, serialised by Run
	// Shard runs only part of the sweep (a job-array task); its database
	// and variants table go under shards/ so that no two shards write one
	// file. `gennctl merge` folds them together.
	Shard Shard
	// Precheck, if not nil, is the integrity check of the database begun
	// before the plan was made (StartPrecheck); Run waits for it.
	Precheck *Precheck
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
	// done variants whose point, seed, structure and network (every value,
	// fixed ones included) are unchanged are kept; every other variant of
	// the new config runs.
	ForceConfig bool
	// NoFiniteCheck turns off the check for NaN/inf in neuron state.
	NoFiniteCheck bool
}

// AutoThreads as Options.Threads asks for StepThreads.
const AutoThreads = -1

// StepThreads is the automatic number of threads inside a step of each of
// batches batches run by workers workers: the CPU slots of workers that no
// batch would keep busy, shared among the batches (a sweep of one large
// network gets every slot), else one.
func StepThreads(workers, batches int) int {
	if batches <= 0 || workers <= batches {
		return 1
	}
	return workers / batches
}

// Event reports progress; Kind says which fields are set.
type Event struct {
	Kind      string  `json:"event"` // config, plan, build, batch, retry, variant, done, interrupted
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
	Backend   string  `json:"backend,omitempty"` // plan: cpu or cuda
	Reason    string  `json:"reason,omitempty"`  // plan: why that backend
	// done: the workers' time in completed batches, summed (Summary.WorkerTime), and how many
	// workers ran
	WorkerSeconds float64 `json:"worker_seconds,omitempty"`
	Workers       int     `json:"workers,omitempty"`
	// config: what changed in a config continued with --force-config
	// (Variants rerun, Skipped kept of Total; Error says which rerun).
	Changes []string `json:"changes,omitempty"`
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
	// WorkerTime is the time workers spent in the batches that completed
	// (from loading the module to the last step; gpu.Done.Wall), summed:
	// Wall less WorkerTime / Workers is what orchestration cost.
	WorkerTime time.Duration
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
	Reruns      Reruns   // what --force-config would run again
}

// Reruns says which variants a run over a changed config runs again: all
// but those whose recorded result stands (done, with the same point, seed,
// structure and network; see provenance.Variant.SameDefinition).
type Reruns struct {
	Variants int      // variants of this run (its shard)
	Kept     int      // recorded results that stand
	Rerun    []string // the others, "id (point)", at most maxChanges
	More     int      // reruns not listed
}

func (r Reruns) String() string {
	n := r.Variants - r.Kept
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d variant(s) run again, %d recorded result(s) stand (same point, seed and network)", n, r.Variants, r.Kept)
	if n > 0 {
		b.WriteString(": " + strings.Join(r.Rerun, ", "))
		if r.More > 0 {
			fmt.Fprintf(&b, " and %d more", r.More)
		}
	}
	return b.String()
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
	fmt.Fprintf(&b, "\nTo continue this one deliberately, rerun with --force-config: a result stands only for the exact network that produced it, so %s.", e.Reruns)
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
	mine    []int        // the variants of this run's shard (indices into plan.Variants)
	gpus    []gpu.GPU    // the GPUs of a CUDA run, one per worker (round robin)
	wide    widened      // groups built with wider bounds (widen.go)
	checked func() error // waits for the database's integrity check (Run)
}

// Run executes the plan: builds one module per structure group, runs the
// variants that are not complete yet in batches on worker processes, writes
// a spike file per variant, the variants table, and provenance.
//
// Cancelling ctx (Ctrl-C) abandons the batches in flight (their workers are
// killed), puts their variants back to pending, writes the variants table
// and returns an error wrapping context.Canceled; a rerun finishes the rest.
func Run(ctx context.Context, plan *Plan, opts Options) (sum *Summary, err error) {
	start := time.Now()
	if err := plan.CheckSteps(); err != nil {
		return nil, err
	}
	var gpus []gpu.GPU
	if plan.Backend == "cuda" {
		var err error
		if gpus, err = useGPUs(plan, &opts); err != nil {
			return nil, err
		}
	}
	// Before anything is compiled or written.
	if err := CheckFits(plan, gpus); err != nil {
		return nil, err
	}
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
	r := &runner{plan: plan, opts: opts, dir: filepath.Join(opts.OutDir, plan.Name), gpus: gpus}
	r.mine = plan.ShardVariants(opts.Shard)
	r.sum.Dir, r.sum.Variants = r.dir, len(r.mine)
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
	if slices.ContainsFunc(plan.Groups, func(g *Group) bool { return writesSpikeFile(g.Net) }) {
		if err := os.MkdirAll(filepath.Join(r.dir, results.SpikesDir), 0o755); err != nil {
			return nil, err
		}
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
	r.cleanTemp()
	db, err := provenance.Open(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	r.db = db
	// A run that stops early (a full disk, a database error) leaves no
	// variant "running": what it did not finish is pending again. (A killed
	// run cannot do this; the next run and gennctl status see that no
	// orchestrator holds the lock.)
	var damaged *provenance.DamagedError
	defer func() {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.As(err, &damaged) {
			_, _ = db.AbandonRunning("abandoned: the run stopped before this batch finished: " + FirstLine(err.Error()))
		}
	}()
	// A damaged database is found before any file is removed or any batch
	// runs. The check reads the whole file (seconds at 10^6 variants), so it
	// runs beside the reads that decide what to run (pending waits for it),
	// and a run that fails before then reports the damage if there is any.
	// The check a precheck began before the plan was made stands if the
	// file is as it was then (see Precheck).
	if pre := opts.Precheck; pre.stands(dbPath) {
		r.checked = sync.OnceValue(func() error { return pre.verdict(func() error { return db.Check(true) }) })
	} else {
		pre.Wait()
		checked := make(chan error, 1)
		go func() { checked <- db.Check(true) }()
		r.checked = sync.OnceValue(func() error { return <-checked })
	}
	defer func() {
		if cerr := r.checked(); cerr != nil {
			sum, err = nil, cerr
		}
	}()
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
	r.emit(Event{Kind: "plan", Variants: len(r.mine), Groups: len(plan.Groups), Skipped: r.sum.Skipped, Dir: r.dir,
		Backend: plan.Backend, Reason: plan.BackendReason})

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
	if r.opts.Threads == AutoThreads {
		r.opts.Threads = StepThreads(opts.Workers, len(batches))
	}
	runErr := r.runBatches(ctx, batches, modules, buildIDs)
	if runErr != nil && ctx.Err() == nil {
		return &r.sum, runErr
	}
	// Written after an interrupt too, so that the table shows what is done;
	// a run that ran nothing keeps a table that is current.
	current := false
	if len(todo) == 0 {
		if current, err = r.tableCurrent(); err != nil {
			return &r.sum, err
		}
	}
	if !current {
		statuses, err := r.db.Statuses()
		if err != nil {
			return &r.sum, err
		}
		if err := r.writeVariantsTable(sweepID, statuses); err != nil {
			return &r.sum, err
		}
	}
	r.sum.Wall = time.Since(start)
	if ctx.Err() != nil {
		pending := len(r.mine) - r.sum.Ran - r.sum.Skipped - r.sum.Failed
		r.emit(Event{Kind: "interrupted", Done: r.sum.Ran + r.sum.Skipped, Failed: r.sum.Failed, Pending: pending,
			Total: len(r.mine), Seconds: r.sum.Wall.Seconds(), Dir: r.dir})
		return &r.sum, fmt.Errorf("sweep %s interrupted: %d of %d variants done, %d failed, %d not run (%d abandoned in flight): %w",
			r.dir, r.sum.Ran+r.sum.Skipped, len(r.mine), r.sum.Failed, pending, r.sum.Abandoned, context.Canceled)
	}
	r.emit(Event{Kind: "done", Done: r.sum.Ran + r.sum.Skipped, Failed: r.sum.Failed, Total: len(r.mine), Seconds: r.sum.Wall.Seconds(), Dir: r.dir,
		WorkerSeconds: r.sum.WorkerTime.Seconds(), Workers: r.opts.Workers})
	if r.sum.Failed > 0 {
		return &r.sum, fmt.Errorf("%d of %d variants failed (see gennctl status %s)", r.sum.Failed, len(r.mine), r.dir)
	}
	return &r.sum, nil
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
	if last.ConfigDigest == r.plan.ConfigDigest {
		return nil
	}
	changes, err := DiffConfigs([]byte(last.ConfigText), r.plan.Config)
	if err != nil {
		changes = []string{"(cannot compare: " + err.Error() + ")"}
	}
	if len(changes) == 0 {
		return nil // only comments or formatting differ
	}
	reruns, err := r.reruns(db)
	if err != nil {
		return err
	}
	if r.opts.ForceConfig {
		r.emit(Event{Kind: "config", Changes: changes, Variants: reruns.Variants - reruns.Kept, Skipped: reruns.Kept, Total: reruns.Variants,
			Error: reruns.String()})
		return nil
	}
	e := &ConfigChangedError{Dir: r.dir, Old: last.ConfigDigest, New: r.plan.ConfigDigest, Changes: changes, Reruns: reruns}
	if len(changes) > maxChanges {
		e.Changes, e.MoreChanges = changes[:maxChanges], len(changes)-maxChanges
	}
	return e
}

// reruns compares this run's variants with those recorded in db: a variant
// whose recorded result stands is kept, every other runs.
func (r *runner) reruns(db *provenance.DB) (Reruns, error) {
	recorded, err := db.Variants("")
	if err != nil {
		return Reruns{}, err
	}
	byID := make(map[uint64]provenance.Variant, len(recorded))
	for _, v := range recorded {
		byID[v.ID] = v
	}
	res := Reruns{Variants: len(r.mine)}
	for i, def := range r.variantDefs(r.mine) {
		if rec, ok := byID[def.ID]; ok && rec.Status == provenance.StatusDone && rec.SameDefinition(def) {
			res.Kept++
			continue
		}
		if len(res.Rerun) < maxChanges {
			res.Rerun = append(res.Rerun, fmt.Sprintf("%d (%s, repeat %d)", def.ID, PointJSON(r.plan.Variants[r.mine[i]].Point), def.Repeat))
		} else {
			res.More++
		}
	}
	return res, nil
}

// variantDefs are the definitions of the variants at indices (into
// plan.Variants), as recorded. A point's repeats next to each other share
// its point JSON and value digest, computed once.
func (r *runner) variantDefs(indices []int) []provenance.Variant {
	vs := make([]provenance.Variant, len(indices))
	variant := func(i int) *Variant { return r.plan.Variants[indices[i]] }
	repeat := func(i int) bool { return i > 0 && variant(i-1).PointValues == variant(i).PointValues }
	forEach(len(vs), func(i int) {
		if !repeat(i) {
			v := variant(i)
			vs[i].Point, vs[i].ValueDigest = PointJSON(v.Point), v.ValueDigest()
		}
	})
	for i := range vs {
		v := variant(i)
		if repeat(i) {
			vs[i].Point, vs[i].ValueDigest = vs[i-1].Point, vs[i-1].ValueDigest
		}
		vs[i].ID, vs[i].Repeat, vs[i].Seed, vs[i].StructureKey = v.ID(), v.Point.Repeat, v.Point.Seed, r.plan.Groups[v.Group].Key
	}
	return vs
}

// upsertChunk is how many variants recordSweep upserts per transaction, so
// that their definitions are not all held at once.
const upsertChunk = 1 << 14

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
	if err := r.db.RecordEnvironment(id, environment()); err != nil {
		return 0, err
	}
	// A shard records only its own variants, so that merging shards never
	// overwrites one shard's results with another's pending rows. A variant
	// whose definition changed (a --force-config run) is pending again.
	// (A run killed between chunks leaves some variants recorded: the
	// next run upserts them all again.) A rerun of the same variants finds
	// their definitions recorded as a set and upserts nothing.
	set := provenance.NewVariantSetDigest(id)
	digested, err := r.db.AnyVariantSet() // else no set can match: digest while upserting
	if err != nil {
		return 0, err
	}
	if digested {
		for lo := 0; lo < len(r.mine); lo += upsertChunk {
			set.Add(r.variantDefs(r.mine[lo:min(lo+upsertChunk, len(r.mine))]))
		}
		if recorded, err := r.db.HasVariantSet(set.Sum()); err != nil || recorded {
			return id, err
		}
	}
	// In the order of their ids, the variants' rows fill the table's pages
	// one after another instead of each landing on a page of its own.
	byID := slices.Clone(r.mine)
	slices.SortFunc(byID, func(a, b int) int { return cmp.Compare(r.plan.Variants[a].ID(), r.plan.Variants[b].ID()) })
	for lo := 0; lo < len(byID); lo += upsertChunk {
		defs := r.variantDefs(byID[lo:min(lo+upsertChunk, len(byID))])
		if !digested {
			set.Add(defs)
		}
		if err := r.db.UpsertVariants(id, defs); err != nil {
			return 0, err
		}
	}
	return id, r.db.RecordVariantSet(set)
}

// pending lists this run's variants that must run: those not done, and those done whose
// files do not verify or do not hold what the network now records. A result file holds
// many variants, so a file that must be replaced takes all of its variants with it: they
// rerun together, and its records and the file are removed before anything runs, so that no
// variant's rows are ever held by two files. Files no record names (left by a run killed
// between writing and recording) are removed first.
func (r *runner) pending() ([]int, error) {
	// The two scans read separate tables on separate connections: side by
	// side they take the time of the longer (seconds each at 10^6 variants).
	var status map[uint64]string
	statusRead := make(chan error, 1)
	go func() {
		var err error
		status, err = r.db.Statuses()
		statusRead <- err
	}()
	idx, err := indexFiles(r.db)
	if serr := <-statusRead; err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	if err := r.checked(); err != nil {
		return nil, err
	}
	if err := r.removeUnrecorded(idx.index); err != nil {
		return nil, err
	}
	idx.verify(r.dir)
	rerun := map[uint64]bool{}
	stale := map[int32]bool{}
	var replace func(id uint64)
	replace = func(id uint64) { // id reruns: its files are replaced, with their other variants
		if rerun[id] {
			return
		}
		rerun[id] = true
		for _, f := range idx.of[id] {
			if !stale[f.path] {
				stale[f.path] = true
				for _, other := range idx.holders[f.path] {
					replace(other)
				}
			}
		}
	}
	var summarised map[uint64]bool
	for _, i := range r.mine {
		v := r.plan.Variants[i]
		files := idx.of[v.ID()]
		if status[v.ID()] != provenance.StatusDone || !idx.current(r.dir, files, r.plan.Profiles[v.Profile].rec) && !r.summaryOnly(v, len(files), &summarised) {
			replace(v.ID())
		}
	}
	if len(stale) > 0 {
		paths := make([]string, 0, len(stale))
		for p := range stale {
			paths = append(paths, idx.paths[p])
		}
		sort.Strings(paths)
		if err := r.db.ForgetOutputs(paths); err != nil {
			return nil, err
		}
		for _, p := range paths {
			if err := os.Remove(filepath.Join(r.dir, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	var todo []int
	for _, i := range r.mine {
		if rerun[r.plan.Variants[i].ID()] {
			todo = append(todo, i)
		}
	}
	return todo, nil
}

// summaryOnly reports whether a done variant without result files keeps only its
// summaries, and they are recorded (summarised: the variants with a stored summary,
// read once when first needed).
func (r *runner) summaryOnly(v *Variant, files int, summarised *map[uint64]bool) bool {
	if files > 0 || !writesNoFiles(r.plan.Groups[v.Group].Net, r.plan.Profiles[v.Profile].rec) {
		return false
	}
	if *summarised == nil {
		ids, err := r.db.SummaryIDs()
		if err != nil {
			return false // the variant runs again
		}
		*summarised = ids
	}
	return (*summarised)[v.ID()]
}

// fileIndex is a compact index of the result files that the records of a sweep directory
// name: at 10^6 variants it holds a few numbers per variant, not every output row.
type fileIndex struct {
	paths   []string         // by file number
	index   map[string]int32 // path: file number
	want    []fileCheck      // per file: the size and sha256 recorded
	ok      []bool           // per file: it verifies (verify)
	meta    map[int32]string // per file read so far: its MetaRecorded
	holders [][]uint64       // per file: the variants it holds
	of      map[uint64][]variantFile
}

// variantFile is one of a variant's recorded files.
type variantFile struct {
	path int32
	kind string // shared with the file's other records
}

// fileCheck is a file's recorded size and sha256; bad marks a file whose records disagree.
type fileCheck struct {
	sha256 string
	bytes  int64
	bad    bool
}

func indexFiles(db *provenance.DB) (*fileIndex, error) {
	idx := &fileIndex{index: map[string]int32{}, meta: map[int32]string{}, of: map[uint64][]variantFile{}}
	err := db.EachFile(func(f provenance.FileRecord) error {
		p := int32(len(idx.paths))
		idx.index[f.Path] = p
		idx.paths = append(idx.paths, f.Path)
		idx.want = append(idx.want, fileCheck{sha256: f.SHA256, bytes: f.Bytes, bad: !f.Agree})
		idx.holders = append(idx.holders, f.Variants)
		for _, id := range f.Variants {
			idx.of[id] = append(idx.of[id], variantFile{path: p, kind: f.Kind})
		}
		return nil
	})
	return idx, err
}

// verify checks every file against its record, each once, in parallel.
func (idx *fileIndex) verify(dir string) {
	idx.ok = make([]bool, len(idx.paths))
	forEach(len(idx.paths), func(i int) {
		sum, size, err := results.FileSHA256(filepath.Join(dir, idx.paths[i]))
		w := idx.want[i]
		idx.ok[i] = err == nil && !w.bad && sum == w.sha256 && size == w.bytes
	})
}

// current reports whether a done variant's files verify and hold the state and synapse
// samples its profile asks for: recording is not part of the structure, so a config
// continued with --force-config may record other variables than the run that completed it.
func (idx *fileIndex) current(dir string, files []variantFile, rec recording) bool {
	if len(files) == 0 {
		return false
	}
	byKind := map[string]int32{}
	for _, f := range files {
		if !idx.ok[f.path] {
			return false
		}
		if _, dup := byKind[f.kind]; dup && (f.kind == "state" || f.kind == "synapses") {
			return false
		}
		byKind[f.kind] = f.path
	}
	for _, want := range []struct{ kind, meta string }{{"state", rec.meta}, {"synapses", rec.synMeta}} {
		if want.meta == "" {
			continue
		}
		p, has := byKind[want.kind]
		if !has {
			return false
		}
		got, seen := idx.meta[p]
		if !seen {
			if m, err := results.FileMetadata(filepath.Join(dir, idx.paths[p])); err == nil {
				got = m[results.MetaRecorded]
			}
			idx.meta[p] = got
		}
		if got != want.meta {
			return false
		}
	}
	return true
}

// environment describes this machine for provenance, with its CUDA GPUs,
// driver and nvcc version where there are any.
func environment() provenance.Environment {
	env := provenance.CurrentEnvironment()
	gpus, err := gpu.DiscoverGPUs()
	if err != nil || len(gpus) == 0 {
		return env
	}
	if b, err := json.Marshal(gpus); err == nil {
		env.GPUs = string(b)
	}
	env.Driver = gpus[0].Driver
	if tc, err := gpu.DetectNVCC(nil); err == nil {
		env.CUDAVersion = tc.Version
	}
	return env
}

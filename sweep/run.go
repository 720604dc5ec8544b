package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
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
}

// Event reports progress; Kind says which fields are set.
type Event struct {
	Kind      string  `json:"event"` // plan, build, batch, variant, done
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
}

// Summary is what a run did.
type Summary struct {
	Dir       string
	Variants  int
	Ran       int // variants simulated now
	Skipped   int // variants complete from an earlier run
	Failed    int
	Builds    int // modules compiled now
	CacheHits int // modules found in the cache
	Wall      time.Duration
}

// Layout of a sweep directory.
const (
	DBFile       = "provenance.db"
	SpikesDir    = "spikes"
	VariantsFile = "variants.arrow"
)

// SpikeFile is the spike file of a variant, relative to the sweep directory.
func SpikeFile(id uint64) string {
	return filepath.Join(SpikesDir, "variant-"+strconv.FormatUint(id, 10)+".arrow")
}

// ErrConfigChanged is returned when the output directory holds a sweep of a
// different config.
var ErrConfigChanged = errors.New("the output directory holds results of a different config")

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
}

// Run executes the plan: builds one module per structure group, runs the
// variants that are not complete yet in batches on worker processes, writes
// a spike file per variant, the variants table, and provenance.
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
	dbPath := filepath.Join(r.dir, DBFile)
	_, statErr := os.Stat(dbPath)
	fresh := errors.Is(statErr, os.ErrNotExist)
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
	if err := os.MkdirAll(filepath.Join(r.dir, SpikesDir), 0o755); err != nil {
		return nil, err
	}
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
	todo, err := r.pending()
	if err != nil {
		return nil, err
	}
	r.sum.Skipped = len(plan.Variants) - len(todo)
	r.emit(Event{Kind: "plan", Variants: len(plan.Variants), Groups: len(plan.Groups), Skipped: r.sum.Skipped, Dir: r.dir})

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
	if err := r.runBatches(ctx, batches, modules, buildIDs); err != nil {
		return &r.sum, err
	}
	if err := r.writeVariantsTable(sweepID); err != nil {
		return &r.sum, err
	}
	r.sum.Wall = time.Since(start)
	r.emit(Event{Kind: "done", Done: r.sum.Ran + r.sum.Skipped, Failed: r.sum.Failed, Total: len(plan.Variants), Seconds: r.sum.Wall.Seconds(), Dir: r.dir})
	if r.sum.Failed > 0 {
		return &r.sum, fmt.Errorf("%d of %d variants failed (see gennctl status %s)", r.sum.Failed, len(plan.Variants), r.dir)
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

// recordSweep records the sweep, environment and variants; a directory that
// holds another config is refused.
func (r *runner) recordSweep() (int64, error) {
	sweeps, err := r.db.Sweeps()
	if err != nil {
		return 0, err
	}
	for _, s := range sweeps {
		if s.ConfigDigest != r.plan.ConfigDigest || s.Name != r.plan.Name {
			return 0, fmt.Errorf("%w: %s was created by a config with digest %.12s, this one is %.12s; use another --out directory or remove %s to start afresh",
				ErrConfigChanged, r.dir, s.ConfigDigest, r.plan.ConfigDigest, r.dir)
		}
	}
	id, err := r.db.UpsertSweep(provenance.Sweep{Name: r.plan.Name, ConfigText: string(r.plan.Config), ConfigDigest: r.plan.ConfigDigest,
		GennctlVersion: r.opts.Version, VCSCommit: r.opts.Commit, VCSDirty: r.opts.Dirty})
	if err != nil {
		return 0, err
	}
	if err := r.db.RecordEnvironment(id, provenance.CurrentEnvironment()); err != nil {
		return 0, err
	}
	vs := make([]provenance.Variant, len(r.plan.Variants))
	for i, v := range r.plan.Variants {
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
	for i, v := range r.plan.Variants {
		rec, err := r.db.Variant(v.ID())
		if err != nil {
			return nil, err
		}
		if rec.Status == "done" && r.outputsVerify(v.ID()) {
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

// runBatches feeds batches to worker processes; a worker that dies is
// replaced and only its batch fails.
func (r *runner) runBatches(ctx context.Context, batches []Batch, modules map[int]string, buildIDs map[int]int64) error {
	queue := make(chan Batch)
	workers := r.opts.Workers
	if workers > len(batches) {
		workers = len(batches)
	}
	var wg sync.WaitGroup
	var fatalMu sync.Mutex
	var fatal error
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
			for b := range queue {
				if worker == nil {
					var err error
					worker, err = gpu.StartWorker(ctx, r.opts.WorkerArgv, r.opts.WorkerEnv)
					if err != nil {
						fatalMu.Lock()
						fatal = fmt.Errorf("starting a worker: %w", err)
						fatalMu.Unlock()
						r.failBatch(b, err)
						continue
					}
				}
				died, err := r.runBatch(ctx, worker, b, modules[b.Group], buildIDs[b.Group])
				if died {
					worker.Close()
					worker = nil
				}
				if err != nil {
					fatalMu.Lock()
					if fatal == nil {
						fatal = err
					}
					fatalMu.Unlock()
				}
			}
		}()
	}
	for _, b := range batches {
		select {
		case queue <- b:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(queue)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fatal
}

// runBatch runs one batch and records its variants. A failure of the batch
// itself (the module reports an error, the worker dies) marks its variants
// failed and is not an error; died says the worker must be replaced. Errors
// are failures of the orchestrator's own files or database.
func (r *runner) runBatch(ctx context.Context, worker *gpu.Worker, b Batch, module string, buildID int64) (died bool, err error) {
	plan := r.plan
	g := plan.Groups[b.Group]
	batchID := fmt.Sprintf("%.12s-%d", g.Key, plan.Variants[b.Variants[0]].ID())
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
		id, err := r.db.BeginRun(provenance.Run{VariantID: v.ID(), BuildID: buildID, BatchID: batchID, WorkerPID: worker.Pid(), Host: host, Device: "cpu"})
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
	abort := func() {
		for _, w := range writers {
			if w != nil {
				w.Abort()
			}
		}
	}
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		w, err := results.NewSpikeWriter(filepath.Join(r.dir, SpikeFile(v.ID())), pops, r.fileMeta(v))
		if err != nil {
			abort()
			return false, err
		}
		writers[k] = w
		counts[k] = make([]int64, len(pops))
	}
	dt := g.Net.Sim.DT
	job := gpu.Job{ID: batchID, ModulePath: module, Seeds: seeds, Runtime: runtime, Steps: g.Net.Sim.Steps()}
	variantIDs := make([]uint64, len(b.Variants))
	for k, vi := range b.Variants {
		variantIDs[k] = plan.Variants[vi].ID()
	}
	_, err = worker.Run(job, func(c gpu.SpikeChunk) error {
		return demux(c, variantIDs, writers, counts, dt)
	})
	if err != nil {
		abort()
		r.failBatch(b, err)
		for _, id := range runIDs {
			if ferr := r.db.FinishRun(id, "failed", exitStatus(err), err.Error(), time.Time{}); ferr != nil {
				return true, ferr
			}
		}
		var jobFailed *gpu.JobFailedError
		return !errors.As(err, &jobFailed), nil
	}
	var outputs []provenance.Output
	ids := make([]uint64, len(b.Variants))
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		info, err := writers[k].Close()
		writers[k] = nil
		if err != nil {
			abort()
			return false, err
		}
		id := v.ID()
		ids[k] = id
		outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "spikes", Path: SpikeFile(id), Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256})
	}
	if err := r.db.CompleteVariants(ids, runIDs, outputs, time.Time{}); err != nil {
		return false, err
	}
	r.mu.Lock()
	for k, id := range ids {
		r.stats[id] = counts[k]
	}
	r.sum.Ran += len(ids)
	done := r.sum.Ran + r.sum.Skipped
	r.mu.Unlock()
	r.emit(Event{Kind: "batch", Variants: len(ids), Structure: g.Key[:12], Done: done, Failed: r.sum.Failed, Total: len(plan.Variants)})
	return false, nil
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

func (r *runner) failBatch(b Batch, cause error) {
	for _, vi := range b.Variants {
		v := r.plan.Variants[vi]
		_ = r.db.SetVariantStatus(v.ID(), "failed", cause.Error())
		r.emit(Event{Kind: "variant", VariantID: v.ID(), Status: "failed", Error: cause.Error()})
	}
	r.mu.Lock()
	r.sum.Failed += len(b.Variants)
	r.mu.Unlock()
}

func (r *runner) fileMeta(v *Variant) map[string]string {
	net := v.Net
	return map[string]string{
		"gennctl_version": r.opts.Version,
		"config_digest":   r.plan.ConfigDigest,
		"structure_key":   r.plan.Groups[v.Group].Key,
		"variant_id":      strconv.FormatUint(v.ID(), 10),
		"seed":            strconv.FormatUint(v.Point.Seed, 10),
		"dt":              strconv.FormatFloat(net.Sim.DT, 'g', -1, 64),
		"duration":        strconv.FormatFloat(net.Sim.Duration, 'g', -1, 64),
		"time_unit":       "ms",
	}
}

// spikeCounts returns per-population spike counts of a variant, reading its
// file when it completed in an earlier run.
func (r *runner) spikeCounts(v *Variant) ([]int64, bool) {
	if c, ok := r.stats[v.ID()]; ok {
		return c, true
	}
	sp, _, err := results.ReadSpikes(filepath.Join(r.dir, SpikeFile(v.ID())))
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
		if err != nil {
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
		{Name: "structure_key", String: keys}, {Name: "status", String: status}}
	for _, c := range axisCols {
		cols = append(cols, *c)
	}
	for _, p := range pops {
		cols = append(cols, results.Column{Name: "spikes_" + p, Int64: spikes[p]},
			results.Column{Name: "rate_" + p, Unit: "Hz", Float64: rates[p]})
	}
	meta := map[string]string{"gennctl_version": r.opts.Version, "config_digest": plan.ConfigDigest, "name": plan.Name}
	info, err := results.WriteTable(filepath.Join(r.dir, VariantsFile), cols, meta)
	if err != nil {
		return err
	}
	return r.db.RecordOutputs([]provenance.Output{{SweepID: sweepID, Kind: "variants", Path: VariantsFile, Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256}})
}

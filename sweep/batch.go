package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

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
			var pending chan struct{} // the previous batch being recorded
			waitPending := func() {
				if pending != nil {
					<-pending
					pending = nil
				}
			}
			defer waitPending()
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
					worker, err = gpu.StartWorker(ctx, r.opts.WorkerArgv, r.workerEnv(w))
					if err != nil {
						if ctx.Err() == nil {
							setFatal(fmt.Errorf("starting a worker: %w", err))
						}
						q.done()
						continue
					}
				}
				died, finish, err := r.runBatch(ctx, worker, r.device(w), t, modules[t.b.Group], buildIDs[t.b.Group], q)
				if died {
					worker.Close()
					worker = nil
				}
				if err != nil {
					setFatal(err)
				}
				// Record the batch while the worker runs the next one, one
				// batch behind at most (its files are still open until then).
				waitPending()
				if finish != nil {
					pending = make(chan struct{})
					go func(finish func() error, done chan struct{}) {
						defer close(done)
						if err := finish(); err != nil {
							setFatal(err)
						}
						q.done()
					}(finish, pending)
				} else {
					q.done()
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
// failures of the orchestrator's own files or database. After a successful
// job, finish closes the variants' files and records them: the caller runs
// it while the worker already simulates its next batch.
func (r *runner) runBatch(ctx context.Context, worker *gpu.Worker, device string, t task, module string, buildID int64, q *taskQueue) (died bool, finish func() error, err error) {
	plan := r.plan
	b := t.b
	g := plan.Groups[b.Group]
	batchID := fmt.Sprintf("%.12s-%d-%d", g.Key, plan.Variants[b.Variants[0]].ID(), len(b.Variants))
	host, _ := os.Hostname()
	// One start for the batch's runs: they are one attempt of one worker
	// (status counts worker time per batch attempt).
	started := time.Now()
	runIDs := map[uint64]int64{}
	seeds := make([]uint64, len(b.Variants))
	var runtime []float64
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		seeds[k] = v.Point.Seed
		runtime = append(runtime, v.Runtime...)
		if err := r.db.SetVariantStatus(v.ID(), "running", ""); err != nil {
			return false, nil, err
		}
		id, err := r.db.BeginRun(provenance.Run{VariantID: v.ID(), BuildID: buildID, BatchID: batchID, WorkerPID: worker.Pid(),
			Host: host, Device: device, Started: started, SweepID: r.sweepID})
		if err != nil {
			return false, nil, err
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
			return false, nil, err
		}
	}
	// spike-like events of the populations that record them, and
	// per-synapse samples: one file each per variant (nil when none)
	var events []*results.SpikeWriter
	for _, p := range g.Net.Populations {
		if p.RecordSpikeEvents {
			events = make([]*results.SpikeWriter, len(b.Variants))
			if err := os.MkdirAll(filepath.Join(r.dir, results.SpikeEventsDir), 0o755); err != nil {
				return false, nil, err
			}
			break
		}
	}
	var synapses []*results.SynapseWriter
	if len(rec.syn) > 0 {
		synapses = make([]*results.SynapseWriter, len(b.Variants))
		if err := os.MkdirAll(filepath.Join(r.dir, results.SynapsesDir), 0o755); err != nil {
			return false, nil, err
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
		for _, w := range events {
			if w != nil {
				w.Abort()
			}
		}
		for _, w := range synapses {
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
			return false, nil, err
		}
		writers[k] = w
		counts[k] = make([]int64, len(pops))
		if states != nil {
			opts := r.writeOpts()
			if v.Net.Sim.Precision == "float" {
				opts = append(opts, results.WithFloat32Values()) // exact: the state is float
			}
			sw, err := results.NewStateWriter(filepath.Join(r.dir, results.StateFile(v.ID())), rec.owners, rec.vars, stateMeta(meta, rec), opts...)
			if err != nil {
				abort()
				return false, nil, err
			}
			states[k] = sw
		}
		if events != nil {
			ew, err := results.NewSpikeWriter(filepath.Join(r.dir, results.SpikeEventFile(v.ID())), pops, meta, r.writeOpts()...)
			if err != nil {
				abort()
				return false, nil, err
			}
			events[k] = ew
		}
		if synapses != nil {
			opts := r.writeOpts()
			if v.Net.Sim.Precision == "float" {
				opts = append(opts, results.WithFloat32Values())
			}
			sm := map[string]string{}
			for key, val := range meta {
				sm[key] = val
			}
			sm[results.MetaRecorded] = rec.synMeta
			yw, err := results.NewSynapseWriter(filepath.Join(r.dir, results.SynapseFile(v.ID())), rec.synGroups, rec.synVars, sm, opts...)
			if err != nil {
				abort()
				return false, nil, err
			}
			synapses[k] = yw
		}
	}
	dt := g.Net.Sim.DT
	job := gpu.Job{ID: batchID, ModulePath: module, Seeds: seeds, Runtime: runtime, Steps: g.Net.Sim.Steps(), NoFiniteCheck: r.opts.NoFiniteCheck,
		Threads: r.opts.Threads,
		Record:  rec.specs, RecordSynapses: rec.syn}
	windows := make([]recordingWindows, len(b.Variants))
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		for _, e := range v.EGPs {
			job.EGPs = append(job.EGPs, gpu.EGPSet{Variant: k, Path: e.Path, Values: e.Values})
		}
		actions, err := protocolActions(v, k)
		if err != nil {
			abort()
			return false, nil, err
		}
		job.Protocol = append(job.Protocol, actions...)
		windows[k] = windowsOf(v.Net)
	}
	variantIDs := make([]uint64, len(b.Variants))
	for k, vi := range b.Variants {
		variantIDs[k] = plan.Variants[vi].ID()
	}
	sd := &stateDemux{rec: rec, variantIDs: variantIDs, writers: states, windows: windows, dt: dt}
	yd := &synapseDemux{rec: rec, variantIDs: variantIDs, writers: synapses, windows: windows, dt: dt}
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
		Spikes:   newDemuxer(variantIDs, writers, events, counts, windows, pops, dt).write,
		State:    sd.write,
		Synapses: yd.write,
	})
	// The attempt ends when the worker is done with it; recording it
	// happens while the worker runs its next batch.
	ended := time.Now()
	if err != nil {
		abort()
		var jobFailed *gpu.JobFailedError
		died := !errors.As(err, &jobFailed)
		if ctx.Err() != nil {
			return true, nil, r.abandonBatch(b, runIDs)
		}
		return died, nil, r.batchFailed(t, runIDs, r.classify(err, timedOut.Load(), limit, b), q)
	}
	finish = func() error {
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
				if events != nil {
					events[k].Abort()
					events[k] = nil
				}
				if synapses != nil {
					synapses[k].Abort()
					synapses[k] = nil
				}
				msg := fmt.Sprintf("non-finite state: %s.%s[%d] became %v between t = %g ms and t = %g ms (time steps %d-%d)",
					nf.Owner, nf.Var, nf.Index, nf.Value, float64(nf.LastGood)*dt, float64(nf.Step)*dt, nf.LastGood, nf.Step)
				failed[id] = provenance.VariantEnd{RunID: runIDs[id], RunEnd: provenance.RunEnd{Status: "failed", ExitStatus: 0,
					Failure: "nonfinite", Error: msg, PeakRSSBytes: done.PeakRSS, Ended: ended}}
				continue
			}
			crashPoint("before-rename")
			info, err := writers[k].Close()
			writers[k] = nil
			crashPoint("after-rename")
			if err != nil {
				abort()
				return err
			}
			ids = append(ids, id)
			okRuns[id] = runIDs[id]
			outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "spikes", Path: results.SpikeFile(id), Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256})
			if states != nil {
				sinfo, err := states[k].Close()
				states[k] = nil
				if err != nil {
					abort()
					return err
				}
				outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "state", Path: results.StateFile(id), Rows: sinfo.Rows, Bytes: sinfo.Bytes, SHA256: sinfo.SHA256})
			}
			if events != nil {
				einfo, err := events[k].Close()
				events[k] = nil
				if err != nil {
					abort()
					return err
				}
				outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "spike_events", Path: results.SpikeEventFile(id), Rows: einfo.Rows, Bytes: einfo.Bytes, SHA256: einfo.SHA256})
			}
			if synapses != nil {
				yinfo, err := synapses[k].Close()
				synapses[k] = nil
				if err != nil {
					abort()
					return err
				}
				outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: "synapses", Path: results.SynapseFile(id), Rows: yinfo.Rows, Bytes: yinfo.Bytes, SHA256: yinfo.SHA256})
			}
		}
		if done.PeakRSS > 0 {
			for _, id := range ids {
				if err := r.db.SetRunPeakRSS(runIDs[id], done.PeakRSS); err != nil {
					return err
				}
			}
		}
		if len(ids) > 0 {
			if err := r.db.CompleteVariants(ids, okRuns, outputs, ended); err != nil {
				return err
			}
			crashPoint("after-commit")
		}
		if len(failed) > 0 {
			if err := r.db.FailVariants(provenance.StatusFailed, failed); err != nil {
				return err
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
		r.emit(Event{Kind: "batch", Variants: len(ids), Structure: g.Key[:12], Done: done2, Failed: failedN, Total: len(r.mine)})
		return nil
	}
	return false, finish, nil
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

// demuxer splits the chunks of a batch's spikes into the variants' writers,
// and the spike-like events the module sends among them (population index
// len(pops) + p) into the variants' event writers, dropping those recorded
// while a variant's protocol stopped the population's recording. Its
// per-variant columns are reused from chunk to chunk (the writers copy
// what they are given), so a batch allocates them once.
type demuxer struct {
	variantIDs []uint64
	writers    []*results.SpikeWriter
	events     []*results.SpikeWriter // nil when no population records events
	counts     [][]int64
	windows    []recordingWindows
	pops       []string
	dt         float64
	per, evPer []demuxCols
}

type demuxCols struct {
	variant []uint64
	pop     []uint32
	neuron  []uint32
	time    []float64
}

func newDemuxer(variantIDs []uint64, writers, events []*results.SpikeWriter, counts [][]int64, windows []recordingWindows, pops []string, dt float64) *demuxer {
	return &demuxer{variantIDs: variantIDs, writers: writers, events: events, counts: counts, windows: windows, pops: pops, dt: dt,
		per: make([]demuxCols, len(writers)), evPer: make([]demuxCols, len(writers))}
}

// write splits one chunk.
func (d *demuxer) write(c gpu.SpikeChunk) error {
	nw := len(d.writers)
	npops := uint32(len(d.pops))
	for i, k := range c.Variant {
		if int(k) >= nw {
			return fmt.Errorf("module reported spike of variant %d in a batch of %d", k, nw)
		}
		if p := c.Pop[i]; p >= npops && (d.events == nil || p >= 2*npops) {
			return fmt.Errorf("module reported a spike of population %d of %d", p, npops)
		}
	}
	for k := range d.per {
		for _, p := range []*demuxCols{&d.per[k], &d.evPer[k]} {
			p.variant, p.pop, p.neuron, p.time = p.variant[:0], p.pop[:0], p.neuron[:0], p.time[:0]
		}
	}
	for i, k := range c.Variant {
		p, pop := &d.per[k], c.Pop[i]
		if pop >= npops {
			p, pop = &d.evPer[k], pop-npops
		}
		if !d.windows[k].always() && !d.windows[k].on(d.pops[pop], uint64(c.Step[i])) {
			continue
		}
		if p == &d.per[k] {
			d.counts[k][pop]++
		}
		p.variant = append(p.variant, d.variantIDs[k])
		p.pop = append(p.pop, pop)
		p.neuron = append(p.neuron, c.Neuron[i])
		p.time = append(p.time, float64(c.Step[i])*d.dt)
	}
	for k := range d.per {
		if p := &d.per[k]; len(p.pop) > 0 {
			if err := d.writers[k].Write(p.variant, p.pop, p.neuron, p.time); err != nil {
				return err
			}
		}
		if p := &d.evPer[k]; len(p.pop) > 0 {
			if err := d.events[k].Write(p.variant, p.pop, p.neuron, p.time); err != nil {
				return err
			}
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

package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
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
				module, buildID := r.moduleOf(t.b.Group, modules, buildIDs)
				died, finish, err := r.runBatch(ctx, worker, r.device(w), t, module, buildID, q)
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
	wider     *Batch // the batch in a module with a wider bound (widen.go)
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
	if f.kind == "job" { // the module reported the error
		if wider, ok, werr := r.widen(b, f.msg); ok {
			f.kind, f.wider = "bound", &wider
		} else if werr != nil {
			f.msg += "\n" + werr.Error()
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
	g := r.groupOf(b.Group)
	batchID := fmt.Sprintf("%.12s-%d-%d", g.Key, plan.Variants[b.Variants[0]].ID(), len(b.Variants))
	host, _ := os.Hostname()
	// One start for the batch's runs: they are one attempt of one worker
	// (status counts worker time per batch attempt).
	started := time.Now()
	seeds := make([]uint64, len(b.Variants))
	var runtime []float64
	runs := make([]provenance.Run, len(b.Variants))
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		seeds[k] = v.Point.Seed
		runtime = append(runtime, v.Runtime...)
		runs[k] = provenance.Run{VariantID: v.ID(), BuildID: buildID, BatchID: batchID, WorkerPID: worker.Pid(),
			Host: host, Device: device, Started: started, SweepID: r.sweepID}
	}
	ids, err := r.db.BeginRuns(runs)
	if err != nil {
		return false, nil, err
	}
	runIDs := make(map[uint64]int64, len(ids))
	for k, id := range ids {
		runIDs[runs[k].VariantID] = id
	}
	pops := make([]string, len(g.Net.Populations))
	for i, p := range g.Net.Populations {
		pops[i] = p.Name
	}
	counts := make([][]int64, len(b.Variants))
	for k := range counts {
		counts[k] = make([]int64, len(pops))
	}
	// Every variant of a batch has the same profile (Plan.Batches).
	prof := plan.Profiles[plan.Variants[b.Variants[0]].Profile]
	rec := prof.rec
	// The profile's summaries: a window's default end is the profile's duration, not the
	// group network's.
	sumNet := *g.Net
	sumNet.Summaries = prof.summaries
	summaries := make([]*variantSummary, len(b.Variants)) // nil: no summaries
	for k := range b.Variants {
		summaries[k] = newVariantSummary(&sumNet, rec)
	}
	events := false
	for _, p := range g.Net.Populations {
		events = events || p.RecordSpikeEvents
	}
	out := newBatchOutput(len(b.Variants), writesSpikeFile(g.Net), events, rec)
	dt := g.Net.Sim.DT
	job := gpu.Job{ID: batchID, ModulePath: module, Seeds: seeds, Runtime: runtime, Steps: prof.Steps(g), NoFiniteCheck: r.opts.NoFiniteCheck,
		Threads: r.opts.Threads,
		Record:  rec.specs, RecordSynapses: rec.syn}
	windows := make([]recordingWindows, len(b.Variants))
	for k, vi := range b.Variants {
		v := plan.Variants[vi]
		for _, e := range v.EGPs {
			job.EGPs = append(job.EGPs, gpu.EGPSet{Variant: k, Path: e.Path, Values: e.Values})
		}
		if pr := v.protocol; pr != nil {
			for _, a := range pr.actions {
				a.Variant = k
				job.Protocol = append(job.Protocol, a)
			}
			windows[k] = pr.windows
		}
	}
	variantIDs := make([]uint64, len(b.Variants))
	for k, vi := range b.Variants {
		variantIDs[k] = plan.Variants[vi].ID()
	}
	sd := &stateDemux{rec: rec, rows: out.state, windows: windows, dt: dt, summaries: summaries}
	yd := &synapseDemux{rec: rec, rows: out.synapses, windows: windows, dt: dt}
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
	// A batch of one variant streams its rows into its files as they come (the files
	// are sorted by variant whatever the order), so that one large recording needs
	// bounded memory; a batch of many holds them until it ends (batchOutput).
	streaming := len(b.Variants) == 1
	if streaming {
		if err := out.open(r, variantIDs, []int{0}, r.batchMeta(g, prof), rec, pops, g.Net.Sim.Precision == "float"); err != nil {
			return false, nil, err
		}
	}
	spilling := func(write func() error) error {
		if err := write(); err != nil {
			return err
		}
		return out.spill()
	}
	spikes := newDemuxer(out, counts, windows, g.Net.Populations, dt, summaries)
	done, err := worker.RunJob(job, gpu.Handlers{
		Spikes:   func(c gpu.SpikeChunk) error { return spilling(func() error { return spikes.write(c) }) },
		State:    func(c gpu.StateChunk) error { return spilling(func() error { return sd.write(c) }) },
		Synapses: func(c gpu.SynapseChunk) error { return spilling(func() error { return yd.write(c) }) },
	})
	// The attempt ends when the worker is done with it; recording it
	// happens while the worker runs its next batch.
	ended := time.Now()
	if err != nil {
		out.abort()
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
		var sums []provenance.Summary
		var ids []uint64
		var keep []int
		okRuns := map[uint64]int64{}
		failed := map[uint64]provenance.VariantEnd{}
		for k, vi := range b.Variants {
			id := plan.Variants[vi].ID()
			if nf, isBad := bad[k]; isBad {
				msg := fmt.Sprintf("non-finite state: %s.%s[%d] became %v between t = %g ms and t = %g ms (time steps %d-%d)",
					nf.Owner, nf.Var, nf.Index, nf.Value, float64(nf.LastGood)*dt, float64(nf.Step)*dt, nf.LastGood, nf.Step)
				failed[id] = provenance.VariantEnd{RunID: runIDs[id], RunEnd: provenance.RunEnd{Status: "failed", ExitStatus: 0,
					Failure: "nonfinite", Error: msg, PeakRSSBytes: done.PeakRSS, Ended: ended}}
				continue
			}
			ids = append(ids, id)
			keep = append(keep, k)
			okRuns[id] = runIDs[id]
			sums = append(sums, summaryRecord(id, g.Net, counts[k], summaries[k]))
		}
		var outputs []provenance.Output
		var err error
		switch {
		case streaming && len(keep) == 0: // its one variant failed
			out.abort()
		case streaming:
			outputs, err = out.close(r)
		case len(keep) > 0:
			outputs, err = out.write(r, variantIDs, keep, r.batchMeta(g, prof), rec, pops, g.Net.Sim.Precision == "float")
		}
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			if err := r.db.CompleteVariants(provenance.Completion{Variants: ids, Runs: okRuns, Outputs: outputs, Ended: ended,
				PeakRSSBytes: done.PeakRSS, Summaries: sums}); err != nil {
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
		r.sum.Ran += len(ids)
		r.sum.Failed += len(failed)
		r.sum.WorkerTime += done.Wall
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
	case f.wider != nil:
		again = []task{{*f.wider, t.tries}}
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

// demuxer splits the chunks of a batch's spikes by variant into its batchOutput, and the
// spike-like events the module sends among them (population index len(pops) + p) into the
// events, dropping those recorded while a variant's protocol stopped the population's
// recording. It counts the spikes and feeds the variants' summaries; spikes of populations
// recorded for the summaries only, and of batches without a spike file, are not kept.
type demuxer struct {
	out       *batchOutput
	counts    [][]int64
	windows   []recordingWindows
	pops      []string
	unwritten []bool // per population: SpikesUnwritten
	dt        float64
	summaries []*variantSummary // per variant; nil: none
}

func newDemuxer(out *batchOutput, counts [][]int64, windows []recordingWindows, pops []*modelspec.Population, dt float64, summaries []*variantSummary) *demuxer {
	d := &demuxer{out: out, counts: counts, windows: windows, dt: dt, summaries: summaries}
	for _, p := range pops {
		d.pops = append(d.pops, p.Name)
		d.unwritten = append(d.unwritten, p.SpikesUnwritten)
	}
	return d
}

// write splits one chunk.
func (d *demuxer) write(c gpu.SpikeChunk) error {
	nw := len(d.out.spikes)
	npops := uint32(len(d.pops))
	for i, k := range c.Variant {
		if int(k) >= nw {
			return fmt.Errorf("module reported spike of variant %d in a batch of %d", k, nw)
		}
		if p := c.Pop[i]; p >= npops && (d.out.events == nil || p >= 2*npops) {
			return fmt.Errorf("module reported a spike of population %d of %d", p, npops)
		}
	}
	for i, k := range c.Variant {
		pop := c.Pop[i]
		rows, event := &d.out.spikes[k], pop >= npops
		if event {
			rows, pop = &d.out.events[k], pop-npops
		}
		if !d.windows[k].always() && !d.windows[k].on(d.pops[pop], uint64(c.Step[i])) {
			continue
		}
		if !event {
			d.counts[k][pop]++
			if s := d.summaries[k]; s != nil {
				if err := s.spike(pop, c.Neuron[i], uint64(c.Step[i])); err != nil {
					return err
				}
			}
			if d.unwritten[pop] || !d.out.spikeFile {
				continue
			}
		}
		rows.pop = append(rows.pop, pop)
		rows.neuron = append(rows.neuron, c.Neuron[i])
		rows.time = append(rows.time, float64(c.Step[i])*d.dt)
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

// writeOpts are the options of every result file this run writes.
func (r *runner) writeOpts() []results.Option {
	return []results.Option{results.WithCompression(r.opts.Compression)}
}

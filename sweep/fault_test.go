package sweep_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultPlan is the faults.yaml network with eight healthy variants (I
// swept) and, unless mode is 0, one culprit variant of the given Mode, in
// one structure group.
func faultPlan(t *testing.T, healthy int, culprit string) *sweep.Plan {
	t.Helper()
	var is []string
	for k := 0; k < healthy; k++ {
		is = append(is, fmt.Sprintf("%.1f", 1.0+0.1*float64(k)))
	}
	s := "sweep:\n  - grid: {populations.P.params.I: [" + strings.Join(is, ", ") + "]}\n"
	if culprit != "" {
		s += "  - grid: {" + culprit + "}\n"
	}
	plan := planText(t, "faults.yaml", "testdata/faults.yaml", s)
	require.Len(t, plan.Groups, 1)
	return plan
}

// culpritID is the id of the variant that sets Mode or Spin.
func culpritID(t *testing.T, plan *sweep.Plan, path string) uint64 {
	t.Helper()
	for _, v := range plan.Variants {
		for _, a := range v.Point.Assign {
			if a.Path == path {
				return v.ID()
			}
		}
	}
	t.Fatalf("no variant sets %s", path)
	return 0
}

// checkSweep asserts that every variant except the failed ones is done with
// a verifying spike file, and returns the database (closed at cleanup).
func checkSweep(t *testing.T, dir string, plan *sweep.Plan, failed map[uint64]bool) *provenance.DB {
	t.Helper()
	db, err := provenance.Open(filepath.Join(dir, sweep.DBFile))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	for _, v := range plan.Variants {
		id := v.ID()
		rec, err := db.Variant(id)
		require.NoError(t, err)
		outs, err := db.Outputs(&id, "spikes")
		require.NoError(t, err)
		if failed[id] {
			assert.Equal(t, "failed", rec.Status, "variant %d", id)
			assert.NotEmpty(t, rec.Error)
			assert.Empty(t, outs, "a failed variant has no recorded output")
			files, err := results.VariantFiles(dir, id)
			require.NoError(t, err)
			assert.Empty(t, files, "variants.arrow names no file of a failed variant")
			continue
		}
		assert.Equal(t, "done", rec.Status, "variant %d: %s", id, rec.Error)
		require.Len(t, outs, 1, "variant %d", id)
		sum, _, err := results.FileSHA256(filepath.Join(dir, outs[0].Path))
		require.NoError(t, err)
		assert.Equal(t, outs[0].SHA256, sum)
	}
	// No temporary files are left behind.
	tmps, _ := filepath.Glob(filepath.Join(dir, results.SpikesDir, ".*.tmp-*"))
	assert.Empty(t, tmps)
	return db
}

// TestCrashingVariantIsolated: a variant whose code segfaults or aborts is
// marked failed with the signal as its reason; with --retries its batch is
// bisected, so every other variant of its batch completes.
func TestCrashingVariantIsolated(t *testing.T) {
	cache := t.TempDir()
	for _, c := range []struct {
		name, want string
		mode       int
	}{
		{"segfault", "segmentation fault", 1},
		{"abort", "abort", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := faultPlan(t, 8, fmt.Sprintf("populations.P.params.Mode: [%d]", c.mode))
			bad := culpritID(t, plan, "populations.P.params.Mode")
			o := opts(t, cache)
			o.BatchSize, o.Workers, o.Retries = 9, 2, 1
			var mu sync.Mutex
			var events []sweep.Event
			o.Progress = func(e sweep.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
			sum, err := sweep.Run(context.Background(), plan, o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "1 of 9 variants failed")
			assert.Equal(t, 8, sum.Ran)
			assert.Equal(t, 1, sum.Failed)
			assert.Positive(t, sum.Retried)
			db := checkSweep(t, sum.Dir, plan, map[uint64]bool{bad: true})

			rec, err := db.Variant(bad)
			require.NoError(t, err)
			assert.Contains(t, rec.Error, c.want)
			assert.GreaterOrEqual(t, rec.Attempts, 2, "the culprit ran in its batch and alone")
			runs, err := db.Runs(bad)
			require.NoError(t, err)
			last := runs[len(runs)-1]
			assert.Equal(t, "failed", last.Status)
			assert.Equal(t, "crash", last.Failure)
			assert.Contains(t, last.Error, c.want)
			assert.NotZero(t, last.WorkerPID)
			assert.False(t, last.Ended.IsZero())
			// An innocent batch-mate failed once with the batch, then ran.
			for _, v := range plan.Variants {
				if v.ID() == bad {
					continue
				}
				runs, err := db.Runs(v.ID())
				require.NoError(t, err)
				require.GreaterOrEqual(t, len(runs), 2)
				assert.Equal(t, "crash", runs[0].Failure)
				assert.Equal(t, "done", runs[len(runs)-1].Status)
				assert.Positive(t, runs[len(runs)-1].PeakRSSBytes, "peak memory recorded")
			}
			var failedEvents int
			for _, e := range events {
				if e.Kind == "variant" && e.Status == "failed" {
					failedEvents++
					assert.Equal(t, bad, e.VariantID)
				}
			}
			assert.Equal(t, 1, failedEvents)

			// A rerun runs the failed variant again (and only it).
			again, err := sweep.Run(context.Background(), plan, o)
			require.Error(t, err)
			assert.Equal(t, 8, again.Skipped)
			assert.Equal(t, 1, again.Failed)
		})
	}
}

// TestCrashWithoutRetriesFailsBatch: without --retries the whole batch of a
// crashing variant fails, each variant with the crash as its reason; other
// batches complete.
func TestCrashWithoutRetriesFailsBatch(t *testing.T) {
	plan := faultPlan(t, 5, "populations.P.params.Mode: [1]")
	bad := culpritID(t, plan, "populations.P.params.Mode")
	o := opts(t, t.TempDir())
	o.BatchSize, o.Workers = 1, 2
	sum, err := sweep.Run(context.Background(), plan, o)
	require.Error(t, err)
	assert.Equal(t, 5, sum.Ran)
	checkSweep(t, sum.Dir, plan, map[uint64]bool{bad: true})
}

// TestNaNVariantIsolated: a variant whose state becomes NaN fails with the
// variable, neuron and time; its batch-mates in the same module instance
// complete without any retry.
func TestNaNVariantIsolated(t *testing.T) {
	plan := faultPlan(t, 8, "populations.P.params.Mode: [3]")
	bad := culpritID(t, plan, "populations.P.params.Mode")
	o := opts(t, t.TempDir())
	o.BatchSize = 9
	sum, err := sweep.Run(context.Background(), plan, o)
	require.Error(t, err)
	assert.Equal(t, 8, sum.Ran)
	assert.Equal(t, 0, sum.Retried)
	db := checkSweep(t, sum.Dir, plan, map[uint64]bool{bad: true})
	rec, err := db.Variant(bad)
	require.NoError(t, err)
	assert.Contains(t, rec.Error, "P.V[3]")
	assert.Contains(t, rec.Error, "NaN")
	assert.Contains(t, rec.Error, "t = 0 ms and t = 20 ms")
	runs, err := db.Runs(bad)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "nonfinite", runs[0].Failure)
	for _, v := range plan.Variants {
		runs, err := db.Runs(v.ID())
		require.NoError(t, err)
		assert.Len(t, runs, 1, "nobody ran twice")
	}
}

// TestHangingVariantTimesOut: a variant that never finishes is killed after
// --variant-timeout per variant of its batch and marked failed as timeout;
// the bisected batch-mates complete.
func TestHangingVariantTimesOut(t *testing.T) {
	plan := faultPlan(t, 3, "populations.P.params.Mode: [4]")
	bad := culpritID(t, plan, "populations.P.params.Mode")
	o := opts(t, t.TempDir())
	o.BatchSize, o.Workers, o.Retries = 4, 2, 1
	o.VariantTimeout = 400 * time.Millisecond
	start := time.Now()
	sum, err := sweep.Run(context.Background(), plan, o)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.Equal(t, 3, sum.Ran)
	db := checkSweep(t, sum.Dir, plan, map[uint64]bool{bad: true})
	rec, err := db.Variant(bad)
	require.NoError(t, err)
	assert.Contains(t, rec.Error, "timeout")
	assert.Contains(t, rec.Error, "--variant-timeout 400ms")
	runs, err := db.Runs(bad)
	require.NoError(t, err)
	assert.Equal(t, "timeout", runs[len(runs)-1].Failure)
}

// slowSweep has six variants of about a second each.
const slowSweep = "sweep: {grid: {populations.P.params.I: [1.0, 1.1, 1.2, 1.3, 1.4, 1.5]}, zip: {populations.P.params.Spin: [10000], simulation.duration: [200]}}\n"

// runningWorker waits until the database shows a running run and returns
// its worker's pid, reading the database while the sweep writes it.
func runningWorker(t *testing.T, dbPath string, done <-chan struct{}) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatal("the sweep ended before a worker was seen running")
		default:
		}
		if _, err := os.Stat(dbPath); err == nil {
			db, err := provenance.Open(dbPath)
			require.NoError(t, err, "a concurrent reader must never see database is locked")
			var pid int
			err = db.SQL().QueryRow(`SELECT worker_pid FROM run WHERE status = 'running' ORDER BY id LIMIT 1`).Scan(&pid)
			db.Close()
			if err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no running worker seen")
	return 0
}

// TestWorkerSIGKILLCostsOneBatch: kill -9 of a worker mid-batch fails only
// that batch (reason: killed); the worker is replaced and the other batches
// complete. With --retries the killed batch runs again and completes too.
func TestWorkerSIGKILLCostsOneBatch(t *testing.T) {
	cache := t.TempDir()
	for _, retries := range []int{0, 1} {
		t.Run(fmt.Sprint("retries=", retries), func(t *testing.T) {
			// Slow variants: ~1 s each.
			plan := planText(t, "faults.yaml", "testdata/faults.yaml",
				slowSweep)
			require.Len(t, plan.Variants, 6)
			o := opts(t, cache)
			o.BatchSize, o.Workers, o.Retries = 2, 2, retries
			dbPath := filepath.Join(o.OutDir, plan.Name, sweep.DBFile)
			done := make(chan struct{})
			var sum *sweep.Summary
			var err error
			go func() {
				defer close(done)
				sum, err = sweep.Run(context.Background(), plan, o)
			}()
			pid := runningWorker(t, dbPath, done)
			require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
			<-done
			db, oerr := provenance.Open(dbPath)
			require.NoError(t, oerr)
			defer db.Close()
			killed, qerr := db.SQL().Query(`SELECT DISTINCT variant_id FROM run WHERE worker_pid = ? AND failure = 'killed'`, pid)
			require.NoError(t, qerr)
			var victims []uint64
			for killed.Next() {
				var id uint64
				require.NoError(t, killed.Scan(&id))
				victims = append(victims, id)
			}
			killed.Close()
			require.NotEmpty(t, victims, "the killed worker's batch is recorded as killed")
			assert.LessOrEqual(t, len(victims), 2, "only the in-flight batch")
			if retries == 0 {
				require.Error(t, err)
				assert.Equal(t, len(victims), sum.Failed)
				assert.Equal(t, 6-len(victims), sum.Ran)
				f := map[uint64]bool{}
				for _, id := range victims {
					f[id] = true
					rec, _ := db.Variant(id)
					assert.Contains(t, rec.Error, "killed")
				}
				checkSweep(t, sum.Dir, plan, f)
			} else {
				require.NoError(t, err)
				assert.Equal(t, 6, sum.Ran)
				checkSweep(t, sum.Dir, plan, nil)
			}
		})
	}
}

// TestInterruptAbandonsAndResumes: cancelling the run (what Ctrl-C does)
// abandons in-flight batches: their runs are recorded as abandoned, their
// variants pending; a rerun completes every variant exactly once.
func TestInterruptAbandonsAndResumes(t *testing.T) {
	plan := planText(t, "faults.yaml", "testdata/faults.yaml",
		slowSweep)
	o := opts(t, t.TempDir())
	o.BatchSize, o.Workers = 1, 2
	ctx, cancel := context.WithCancel(context.Background())
	dbPath := filepath.Join(o.OutDir, plan.Name, sweep.DBFile)
	done := make(chan struct{})
	var err error
	var sum *sweep.Summary
	go func() {
		defer close(done)
		sum, err = sweep.Run(ctx, plan, o)
	}()
	runningWorker(t, dbPath, done)
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return promptly after cancel")
	}
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), err)
	assert.Positive(t, sum.Abandoned)
	db, oerr := provenance.Open(dbPath)
	require.NoError(t, oerr)
	n := 0
	require.NoError(t, db.SQL().QueryRow(`SELECT count(*) FROM run WHERE status = 'abandoned' AND failure = 'interrupted'`).Scan(&n))
	assert.Equal(t, sum.Abandoned, n)
	counts, _ := db.CountsByStatus()
	assert.Zero(t, counts["running"])
	assert.Zero(t, counts["failed"])
	db.Close()
	assert.FileExists(t, filepath.Join(sum.Dir, results.VariantsFile), "state is written on interrupt")

	again := run(t, plan, o)
	assert.Equal(t, 6, again.Ran+again.Skipped)
	checkSweep(t, again.Dir, plan, nil)
}

// TestStaleRunningVariantsRerun: variants left "running" by an orchestrator
// that was killed are run again, and their old runs marked abandoned.
func TestStaleRunningVariantsRerun(t *testing.T) {
	plan := faultPlan(t, 4, "")
	o := opts(t, t.TempDir())
	first := run(t, plan, o)
	db, err := provenance.Open(filepath.Join(first.Dir, sweep.DBFile))
	require.NoError(t, err)
	id := plan.Variants[2].ID()
	require.NoError(t, db.SetVariantStatus(id, "running", ""))
	_, err = db.BeginRun(provenance.Run{VariantID: id, WorkerPID: 1})
	require.NoError(t, err)
	db.Close()
	// The variant's file holds its batch-mates too: they rerun with it, so that no
	// variant's rows stand in two files.
	file := variantFile(t, first.Dir, id, "spikes")
	mates := 0
	for _, v := range plan.Variants {
		if variantFile(t, first.Dir, v.ID(), "spikes") == file {
			mates++
		}
	}
	again := run(t, plan, o)
	assert.Equal(t, mates, again.Ran)
	db = checkSweep(t, again.Dir, plan, nil)
	runs, err := db.Runs(id)
	require.NoError(t, err)
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []string{"done", "abandoned", "done"}, statuses)
}

// TestChangedConfigDiff: the refusal lists what changed; --force-config
// keeps unchanged done variants and runs the new ones; comment-only edits
// are accepted.
func TestChangedConfigDiff(t *testing.T) {
	cache := t.TempDir()
	o := opts(t, cache)
	base := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05]}}\n")
	run(t, base, o)

	changed := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05, 0.06]}}\n# tau\n")
	_, err := sweep.Run(context.Background(), changed, o)
	require.ErrorIs(t, err, sweep.ErrConfigChanged)
	msg := err.Error()
	assert.Contains(t, msg, "sweep.grid.synapses.EE.weight_update.vars.g: [0.04,0.05] -> [0.04,0.05,0.06]")
	assert.Contains(t, msg, "--out")
	assert.Contains(t, msg, "--force-config")

	comment := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05]}}   # a comment\n")
	sum := run(t, comment, o)
	assert.Equal(t, 2, sum.Skipped, "a comment does not invalidate results")

	o.ForceConfig = true
	sum = run(t, changed, o)
	assert.Equal(t, 2, sum.Skipped)
	assert.Equal(t, 1, sum.Ran)
	// The forced config is now the directory's: rerunning it needs no flag,
	// and the old one is refused.
	o.ForceConfig = false
	sum = run(t, changed, o)
	assert.Equal(t, 3, sum.Skipped)
	_, err = sweep.Run(context.Background(), base, o)
	require.ErrorIs(t, err, sweep.ErrConfigChanged)
}

// TestDiffConfigs covers the summary lines.
func TestDiffConfigs(t *testing.T) {
	a := "name: x\npopulations: {E: {size: 10, params: {TauM: 20}}}\nsweep: {repeats: 2}\n"
	b := "name: x   # same\npopulations: {E: {size: 10, params: {TauM: 20.0}}, I: {size: 5}}\nsweep: {repeats: 3}\n"
	d, err := sweep.DiffConfigs([]byte(a), []byte(b))
	require.NoError(t, err)
	sort.Strings(d)
	assert.Equal(t, []string{`populations.I: added ({"size":5})`, "sweep.repeats: 2 -> 3"}, d)
	d, err = sweep.DiffConfigs([]byte(a), []byte(a+"# comment\n"))
	require.NoError(t, err)
	assert.Empty(t, d)
}

// TestSecondOrchestratorRefused: two orchestrators never run one sweep
// directory at once.
func TestSecondOrchestratorRefused(t *testing.T) {
	plan := planText(t, "faults.yaml", "testdata/faults.yaml",
		"sweep: {grid: {populations.P.params.I: [1.0, 1.1]}, zip: {populations.P.params.Spin: [10000], simulation.duration: [200]}}\n")
	o := opts(t, t.TempDir())
	o.Workers = 1
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = sweep.Run(context.Background(), plan, o)
	}()
	runningWorker(t, filepath.Join(o.OutDir, plan.Name, sweep.DBFile), done)
	_, err := sweep.Run(context.Background(), plan, o)
	require.ErrorIs(t, err, sweep.ErrLocked)
	<-done
}

// TestAbortedRunLeavesNothingRunning: a run that stops on an error of its
// own files (here the spikes directory cannot be written, as on a full disk)
// puts the variants it had started back to pending.
func TestAbortedRunLeavesNothingRunning(t *testing.T) {
	plan := faultPlan(t, 4, "")
	o := opts(t, t.TempDir())
	o.BatchSize, o.Workers = 2, 1
	spikes := filepath.Join(o.OutDir, plan.Name, results.SpikesDir)
	o.Progress = func(e sweep.Event) {
		if e.Kind == "plan" { // after the directory is made, before any batch
			require.NoError(t, os.RemoveAll(spikes))
			require.NoError(t, os.WriteFile(spikes, nil, 0o644))
		}
	}
	_, err := sweep.Run(context.Background(), plan, o)
	require.Error(t, err)
	db, err := provenance.Open(filepath.Join(o.OutDir, plan.Name, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()
	counts, err := db.CountsByStatus()
	require.NoError(t, err)
	assert.Zero(t, counts["running"], "%v", counts)
	assert.Equal(t, 4, counts["pending"])
	n := 0
	require.NoError(t, db.SQL().QueryRow(`SELECT count(*) FROM run WHERE status = 'running'`).Scan(&n))
	assert.Zero(t, n)
}

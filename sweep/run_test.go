package sweep_test

import (
	"cmp"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as the worker process: sweep.Run re-executes it
// with GENNCTL_TEST_WORKER=1, as gennctl re-executes itself.
func TestMain(m *testing.M) {
	if os.Getenv("GENNCTL_TEST_WORKER") == "1" {
		if err := gpu.ServeWorker(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// opts returns run options with a fresh output directory and the given
// module cache.
func opts(t *testing.T, cache string) sweep.Options {
	t.Helper()
	return sweep.Options{
		OutDir:     t.TempDir(),
		CacheDir:   cache,
		WorkerArgv: []string{os.Args[0]},
		WorkerEnv:  append(os.Environ(), "GENNCTL_TEST_WORKER=1"),
		Version:    "test",
	}
}

// planText plans a config given as text; with a sweep section appended.
func planText(t *testing.T, file, base, sweepSection string) *sweep.Plan {
	t.Helper()
	data, err := os.ReadFile(base)
	require.NoError(t, err)
	text := string(data) + sweepSection
	plan, err := sweep.NewPlan(file, []byte(text))
	require.NoError(t, err)
	return plan
}

// network decodes variant vi's network again (the plan keeps only its
// group's).
func network(t *testing.T, plan *sweep.Plan, vi int) *modelspec.Network {
	t.Helper()
	net, err := plan.Network(vi)
	require.NoError(t, err)
	return net
}

func run(t *testing.T, plan *sweep.Plan, o sweep.Options) *sweep.Summary {
	t.Helper()
	sum, err := sweep.Run(context.Background(), plan, o)
	require.NoError(t, err)
	return sum
}

// TestCUBAMeanRate runs the Vogels-Abbott CUBA benchmark of configs/ with
// three seeds. Brian2 gives 5.7 Hz on this network; the band 5.0-6.5 Hz
// allows for seed-to-seed variation (about ±0.3 Hz observed) and for the
// difference between GeNN's exact-exponential and Brian2's integration.
func TestCUBAMeanRate(t *testing.T) {
	if testing.Short() {
		t.Skip("4000-neuron network: skipped with -short")
	}
	plan := planText(t, "cuba.yaml", "../configs/cuba.yaml", "sweep: {repeats: 3}\n")
	require.Len(t, plan.Variants, 3)
	o := opts(t, t.TempDir())
	sum := run(t, plan, o)
	assert.Equal(t, 3, sum.Ran)
	cols, _, err := results.ReadTable(filepath.Join(sum.Dir, results.VariantsFile))
	require.NoError(t, err)
	col := func(name string) results.Column {
		for _, c := range cols {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no column %s", name)
		return results.Column{}
	}
	for i := range col("variant_id").Uint64 {
		rate := (col("rate_E").Float64[i]*3200 + col("rate_I").Float64[i]*800) / 4000
		t.Logf("variant %d: mean rate %.2f Hz", col("variant_id").Uint64[i], rate)
		assert.InDelta(t, 5.75, rate, 0.75, "CUBA mean rate outside 5.0-6.5 Hz")
	}
}

// TestSecondRunHitsCache runs one config twice into different directories
// with one module cache: the second run compiles nothing.
func TestSecondRunHitsCache(t *testing.T) {
	cache := t.TempDir()
	plan := planText(t, "small.yaml", "testdata/small.yaml", "")
	first := run(t, plan, opts(t, cache))
	assert.Equal(t, 1, first.Builds)
	assert.Equal(t, 0, first.CacheHits)
	second := run(t, plan, opts(t, cache))
	assert.Equal(t, 0, second.Builds)
	assert.Equal(t, 1, second.CacheHits)

	db, err := provenance.Open(filepath.Join(second.Dir, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()
	builds, err := db.Builds()
	require.NoError(t, err)
	require.Len(t, builds, 1)
	assert.True(t, builds[0].CacheHit)
	assert.NotEmpty(t, builds[0].CompilerVersion)
}

// TestOutputsCrossChecked reads the Arrow files back and checks them against
// the provenance database: row counts, checksums, ids and spike counts.
func TestOutputsCrossChecked(t *testing.T) {
	plan := planText(t, "small.yaml", "testdata/small.yaml",
		"sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.06]}}\n")
	sum := run(t, plan, opts(t, t.TempDir()))
	db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()

	variants, err := db.Variants("done")
	require.NoError(t, err)
	require.Len(t, variants, 2)
	table, meta, err := results.ReadTable(filepath.Join(sum.Dir, results.VariantsFile))
	require.NoError(t, err)
	assert.Equal(t, plan.ConfigDigest, meta["config_digest"])
	byName := map[string]results.Column{}
	for _, c := range table {
		byName[c.Name] = c
	}
	require.Len(t, byName["variant_id"].Uint64, 2)
	for row, id := range byName["variant_id"].Uint64 {
		rec, err := db.Variant(id)
		require.NoError(t, err)
		assert.Equal(t, rec.Seed, byName["seed"].Uint64[row])
		assert.Equal(t, "done", byName["status"].String[row])
		assert.Contains(t, []float64{0.04, 0.06}, byName["synapses.EE.weight_update.vars.g"].Float64[row])

		outs, err := db.Outputs(&id, "spikes")
		require.NoError(t, err)
		require.Len(t, outs, 1)
		path := filepath.Join(sum.Dir, outs[0].Path)
		digest, size, err := results.FileSHA256(path)
		require.NoError(t, err)
		assert.Equal(t, outs[0].SHA256, digest)
		assert.Equal(t, outs[0].Bytes, size)
		spikes, fileMeta, err := results.ReadSpikes(path)
		require.NoError(t, err)
		assert.EqualValues(t, outs[0].Rows, spikes.Len())
		assert.Equal(t, rec.StructureKey, fileMeta["structure_key"])
		perPop := map[string]int64{}
		for i, p := range spikes.Population {
			perPop[p]++
			assert.Equal(t, id, spikes.Variant[i])
			assert.GreaterOrEqual(t, spikes.Time[i], 0.0)
			assert.Less(t, spikes.Time[i], 200.0)
		}
		assert.Equal(t, perPop["E"], byName["spikes_E"].Int64[row])
		assert.Equal(t, perPop["I"], byName["spikes_I"].Int64[row])
		assert.Positive(t, perPop["E"], "the network should be active")
	}
}

// TestRerunSkipsCompleteVariants reruns into the same directory: nothing is
// simulated again, and the definitions are not recorded again (the first run
// digests them in id order while it upserts them, the rerun in plan order);
// a deleted output is rerun.
func TestRerunSkipsCompleteVariants(t *testing.T) {
	plan := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {repeats: 2}\n")
	o := opts(t, t.TempDir())
	first := run(t, plan, o)
	assert.Equal(t, 2, first.Ran)
	variantSets := func() []string {
		db, err := provenance.Open(filepath.Join(first.Dir, sweep.DBFile))
		require.NoError(t, err)
		defer db.Close()
		var sets []string
		rows, err := db.SQL().Query(`SELECT digest || ' ' || variants || ' ' || recorded FROM variant_set`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			sets = append(sets, s)
		}
		return sets
	}
	recorded := variantSets()
	require.Len(t, recorded, 1)
	second := run(t, plan, o)
	assert.Equal(t, 0, second.Ran)
	assert.Equal(t, 2, second.Skipped)
	assert.Equal(t, recorded, variantSets(), "the rerun found the set and upserted nothing")

	// Losing a file reruns exactly the variants it holds.
	lost := variantFile(t, first.Dir, plan.Variants[0].ID(), "spikes")
	held := 0
	for _, v := range plan.Variants {
		if variantFile(t, first.Dir, v.ID(), "spikes") == lost {
			held++
		}
	}
	require.NoError(t, os.Remove(lost))
	third := run(t, plan, o)
	assert.Equal(t, held, third.Ran)
	assert.Equal(t, 2-held, third.Skipped)
}

// TestChangedConfigRefused: another config into the same directory is
// refused and says how to proceed.
func TestChangedConfigRefused(t *testing.T) {
	o := opts(t, t.TempDir())
	run(t, planText(t, "small.yaml", "testdata/small.yaml", ""), o)
	changed := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {repeats: 2}\n")
	_, err := sweep.Run(context.Background(), changed, o)
	require.ErrorIs(t, err, sweep.ErrConfigChanged)
	assert.True(t, strings.Contains(err.Error(), "--out"), err.Error())
}

// variantFile is the path of a variant's result file of kind, as variants.arrow names it.
func variantFile(t *testing.T, dir string, id uint64, kind string) string {
	t.Helper()
	files, err := results.VariantFiles(dir, id)
	require.NoError(t, err)
	require.Contains(t, files, kind, "variant %d has a %s file", id, kind)
	return filepath.Join(dir, files[kind])
}

// spikesOf reads the spikes of a variant from a sweep directory.
func spikesOf(t *testing.T, dir string, id uint64) results.Spikes {
	t.Helper()
	sp, _, err := results.ReadVariantSpikes(variantFile(t, dir, id, "spikes"), id)
	require.NoError(t, err)
	return sp
}

// TestBatchesLargestFirst: batches come in decreasing order of estimated work
// (the largest structure first), a structure's variants in the order of their
// ids (neighbouring rows of the provenance database), and every variant is in
// exactly one batch.
func TestBatchesLargestFirst(t *testing.T) {
	plan := planText(t, "small.yaml", "testdata/small.yaml",
		"sweep: {zip: {populations.E.size: [100, 400, 200]}, grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05]}}\n")
	require.Len(t, plan.Variants, 6)
	require.Len(t, plan.Groups, 3, "each size is a structure")
	all := []int{0, 1, 2, 3, 4, 5}
	batches := plan.Batches(all, 1, 2, 0)
	require.Len(t, batches, 6)
	var sizes []int
	var order []int
	for _, b := range batches {
		require.Len(t, b.Variants, 1)
		sizes = append(sizes, plan.Groups[b.Group].Net.Population("E").Size)
		order = append(order, b.Variants[0])
	}
	assert.Equal(t, []int{400, 400, 200, 200, 100, 100}, sizes, "largest structure first")
	var want []int
	for _, size := range []int{400, 200, 100} {
		var of []int
		for i, v := range plan.Variants {
			if plan.Groups[v.Group].Net.Population("E").Size == size {
				of = append(of, i)
			}
		}
		slices.SortFunc(of, func(a, b int) int { return cmp.Compare(plan.Variants[a].ID(), plan.Variants[b].ID()) })
		want = append(want, of...)
	}
	assert.Equal(t, want, order)
}

// TestBatchesBitIdentical: a variant gives bit-identical spikes run alone
// (its values literals in its own module) and inside batches of 1, 7 and 64
// of a 64-point sweep (its values runtime parameters).
func TestBatchesBitIdentical(t *testing.T) {
	cache := t.TempDir()
	const grid = "sweep: {grid: {synapses.EE.weight_update.vars.g: {linspace: [0.04, 0.07, 64]}, synapses.EE.postsynaptic.params.tau: [5.0]}}\n"
	plan := planText(t, "small.yaml", "testdata/small.yaml", grid)
	require.Len(t, plan.Variants, 64)
	require.Len(t, plan.Groups, 1)
	assert.Equal(t, []string{"synapses.EE.weight_update.vars.g"}, plan.Groups[0].Options.Runtime)

	target := plan.Variants[37]
	g := target.Point.Assign[1].Value.Value
	require.Equal(t, "synapses.EE.weight_update.vars.g", target.Point.Assign[1].Path)
	alonePlan := planText(t, "small.yaml", "testdata/small.yaml",
		"sweep: {grid: {synapses.EE.weight_update.vars.g: ["+g+"], synapses.EE.postsynaptic.params.tau: [5.0]}}\n")
	require.Len(t, alonePlan.Variants, 1)
	require.Equal(t, target.ID(), alonePlan.Variants[0].ID())
	require.Empty(t, alonePlan.Groups[0].Options.Runtime)
	alone := run(t, alonePlan, opts(t, cache))
	want := spikesOf(t, alone.Dir, target.ID())
	require.Positive(t, want.Len())

	for _, size := range []int{1, 7, 64} {
		o := opts(t, cache)
		o.BatchSize = size
		sum := run(t, plan, o)
		got := spikesOf(t, sum.Dir, target.ID())
		assert.Equal(t, want, got, "batch size %d", size)
	}
}

// TestOneCompileForParameterSweep: 24 variants over weights and time
// constants share one module, as provenance records.
func TestOneCompileForParameterSweep(t *testing.T) {
	plan := planText(t, "small.yaml", "testdata/small.yaml",
		"sweep: {grid: {synapses.EE.weight_update.vars.g: [0.03, 0.04, 0.05, 0.06, 0.07, 0.08], populations.E.params.TauM: [10, 15, 20, 25]}}\n")
	require.Len(t, plan.Variants, 24)
	sum := run(t, plan, opts(t, t.TempDir()))
	db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()
	builds, err := db.Builds()
	require.NoError(t, err)
	require.Len(t, builds, 1)
	assert.False(t, builds[0].CacheHit)
	counts, err := db.CountsByStatus()
	require.NoError(t, err)
	assert.Equal(t, 24, counts["done"])
	assert.ElementsMatch(t, []string{"populations.E.derived.ExpTC", "populations.E.derived.Rmembrane", "populations.E.params.TauM",
		"synapses.EE.weight_update.vars.g"}, plan.Groups[0].Options.Runtime)
}

// TestFICurveExample runs configs/fi_curve.yaml through the whole pipeline
// and checks every variant's rate against the LIF closed form
// 1/(TauRefrac + TauM ln((V∞−Vreset)/(V∞−Vthresh))). Tolerance: one spike
// in the 0.5 s window (2 Hz) plus the discretisation of each interval to
// whole steps (at most 2 dt per interval, relative 2 dt / T).
func TestFICurveExample(t *testing.T) {
	plan, err := sweep.Load("../configs/fi_curve.yaml")
	require.NoError(t, err)
	sum := run(t, plan, opts(t, t.TempDir()))
	table, _, err := results.ReadTable(filepath.Join(sum.Dir, results.VariantsFile))
	require.NoError(t, err)
	cols := map[string]results.Column{}
	for _, c := range table {
		cols[c.Name] = c
	}
	amps, rates := cols["current_sources.drive.params.amp"].Float64, cols["rate_N"].Float64
	require.Len(t, amps, 12)
	const tauM, tauRef, vRest, vReset, vThresh, c, dt = 20.0, 2.0, -65.0, -65.0, -50.0, 1.0, 0.1
	for i, amp := range amps {
		vInf := vRest + amp*tauM/c
		want := 0.0
		if vInf > vThresh {
			period := tauRef + tauM*math.Log((vInf-vReset)/(vInf-vThresh))
			want = 1000 / period
			assert.InDelta(t, want, rates[i], 2+want*2*dt/period, "amp %g nA", amp)
		} else {
			assert.Zero(t, rates[i], "amp %g nA is below rheobase", amp)
		}
	}
}

// TestReproduceChecksStateFiles: reproduce reruns a variant that records
// state and compares the state file too; a changed state file is reported.
func TestReproduceChecksStateFiles(t *testing.T) {
	plan, err := sweep.Load("../configs/fi_curve.yaml")
	require.NoError(t, err)
	o := opts(t, t.TempDir())
	sum := run(t, plan, o)
	db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()
	id := plan.Variants[5].ID()
	res, err := sweep.Reproduce(context.Background(), sum.Dir, db, id, t.TempDir(), o)
	require.NoError(t, err)
	require.Len(t, res.State, 1)
	assert.True(t, res.Match)
	assert.True(t, res.State[0].Match)

	// Tamper with the recorded digest of the state file: reproduce must notice.
	_, err = db.SQL().Exec(`UPDATE result_file SET sha256 = ? WHERE kind = 'state' AND EXISTS (SELECT 1 FROM json_each(variants) WHERE value = ?)`,
		strings.Repeat("0", 64), int64(id))
	require.NoError(t, err)
	res, err = sweep.Reproduce(context.Background(), sum.Dir, db, id, t.TempDir(), o)
	require.NoError(t, err)
	assert.False(t, res.Match)
	assert.False(t, res.State[0].Match)
}

// Variants are decoded in parallel; their diagnostics are still reported in
// the order of the sweep's points, each once, with a count.
func TestPlanInvalidVariantsInOrder(t *testing.T) {
	data, err := os.ReadFile("../configs/cuba.yaml")
	require.NoError(t, err)
	text := string(data) + "sweep:\n  grid:\n    simulation.dt: [0.1, -1, -2, 0.05, -3, -4, -5, -6]\n"
	_, err = sweep.NewPlan("inv.yaml", []byte(text))
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 7)
	for i, v := range []string{"-1", "-2", "-3", "-4", "-5", "-6"} {
		assert.Regexp(t, `^inv\.yaml:\d+:\d+: simulation\.dt: time step must be > 0 and ≤ 1000 ms, got `+v+`$`, lines[i])
	}
	assert.Equal(t, "inv.yaml: sweep: 6 of 8 variants are invalid", lines[6])
}

// A swept connectivity probability stays a runtime value of one structure,
// whose row and column strides fit the densest variant (each variant's
// lengths are computed from its own probability, not the first's).
func TestSweptConnectivityWidensStrides(t *testing.T) {
	plan := planText(t, "cuba.yaml", "../configs/cuba.yaml", "sweep:\n  grid:\n    synapses.EE.connectivity.params.prob: [0.02, 0.2, 0.05]\n")
	require.Len(t, plan.Groups, 1)
	g := plan.Groups[0]
	assert.Contains(t, g.Options.Runtime, "synapses.EE.connectivity.params.prob")
	rows, cols := map[float64]int{}, map[float64]int{}
	for i := range plan.Variants {
		s := network(t, plan, i).Synapses[0]
		require.Equal(t, "EE", s.Name)
		var err error
		rows[s.Connectivity.Params["prob"].V], err = codegen.MaxRowLength(s, codegen.BoundTailScale(len(plan.Variants), 8))
		require.NoError(t, err)
		cols[s.Connectivity.Params["prob"].V], err = codegen.MaxColLength(s, codegen.BoundTailScale(len(plan.Variants), 8))
		require.NoError(t, err)
	}
	assert.Less(t, rows[0.02], rows[0.05])
	assert.Less(t, rows[0.05], rows[0.2])
	assert.Less(t, cols[0.02], cols[0.2])
	assert.Equal(t, rows[0.2], g.Options.MaxRowLength["EE"])
	assert.Equal(t, cols[0.2], g.Options.MaxColLength["EE"])
}

// A sweep's threads inside a step reach the module and change no result:
// the same spikes on 1 and on 3 threads. StepThreads gives the CPU slots
// of workers without a batch to the batches.
func TestThreadsBitIdentical(t *testing.T) {
	cache := t.TempDir()
	plan := planText(t, "small.yaml", "testdata/small.yaml", "")
	require.Len(t, plan.Variants, 1)
	var want results.Spikes
	for _, threads := range []int{1, 3} {
		o := opts(t, cache)
		o.Workers, o.Threads = 1, threads
		sum := run(t, plan, o)
		got := spikesOf(t, sum.Dir, plan.Variants[0].ID())
		require.Positive(t, got.Len())
		if threads == 1 {
			want = got
			continue
		}
		assert.Equal(t, want, got, "%d threads", threads)
	}
	for _, c := range []struct{ workers, batches, want int }{{2, 1, 2}, {16, 3, 5}, {2, 2, 1}, {2, 64, 1}, {4, 0, 1}} {
		assert.Equal(t, c.want, sweep.StepThreads(c.workers, c.batches), "%d workers, %d batches", c.workers, c.batches)
	}
}

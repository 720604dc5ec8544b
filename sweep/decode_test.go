package sweep_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
)

// A plan keeps one network per structure group and, per variant, the values
// of its parameter point, shared by the point's repeats; Plan.Network
// decodes a variant's own network again, and it has the values the variant
// runs with.
func TestPlanKeepsValuesNotNetworks(t *testing.T) {
	plan, err := sweep.NewPlan("tiny.yaml", tinySweep(4, 3))
	require.NoError(t, err)
	require.Len(t, plan.Variants, 12)
	require.Len(t, plan.Groups, 1)
	require.Len(t, plan.Profiles, 1)
	g := plan.Groups[0]
	require.Equal(t, []string{"synapses.NN.weight_update.vars.g"}, g.Options.Runtime)
	weights := map[float64]bool{}
	for i, v := range plan.Variants {
		first := plan.Variants[i-i%3] // the point's repeat 0 (Expand lists repeats together)
		assert.Same(t, first.PointValues, v.PointValues, "variant %d shares its point's values", i)
		assert.Equal(t, i%3, v.Point.Repeat)
		net := network(t, plan, i)
		assert.Equal(t, sweep.StructureKey(net, plan.Backend), g.Key)
		assert.Equal(t, net.ValueDigest(), v.ValueDigest())
		var w float64
		for _, val := range net.Values() {
			if val.Path == "synapses.NN.weight_update.vars.g" {
				w = val.V
			}
		}
		assert.Equal(t, []float64{w}, v.Runtime, "variant %d runs with its own weight", i)
		weights[w] = true
	}
	assert.Len(t, weights, 4, "one weight per point")
	assert.Equal(t, network(t, plan, 0), g.Net, "the group's network is its first variant's")
}

// Repeats share their point's network: its diagnostics are reported once,
// and the count is of variants.
func TestPlanInvalidRepeatsCountedOnce(t *testing.T) {
	data, err := os.ReadFile("../configs/cuba.yaml")
	require.NoError(t, err)
	text := string(data) + "sweep:\n  repeats: 3\n  grid:\n    simulation.dt: [0.1, -1, -2]\n"
	_, err = sweep.NewPlan("inv.yaml", []byte(text))
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 3, err.Error())
	assert.Regexp(t, `^inv\.yaml:\d+:\d+: simulation\.dt: time step must be > 0 and ≤ 1000 ms, got -1$`, lines[0])
	assert.Regexp(t, `got -2$`, lines[1])
	assert.Equal(t, "inv.yaml: sweep: 6 of 9 variants are invalid", lines[2])
}

// Automatic batches of cheap variants hold BatchSeconds of forecast work
// (at most MaxAutoBatch variants), not DefaultMaxBatch variants: the
// per-batch costs of 10^4 variants of a 10-neuron, 10 ms network are paid
// ceil(10^4 / MaxAutoBatch) times, not 157.
func TestAutoBatchesOfCheapVariants(t *testing.T) {
	plan, err := sweep.NewPlan("tiny.yaml", tinySweep(1000, 10))
	require.NoError(t, err)
	all := make([]int, len(plan.Variants))
	for i := range all {
		all[i] = i
	}
	batches := plan.Batches(all, 0, 2, 0)
	require.Len(t, batches, (len(all)+sweep.MaxAutoBatch-1)/sweep.MaxAutoBatch)
	require.Greater(t, sweep.MaxAutoBatch, sweep.DefaultMaxBatch)
	n := 0
	for _, b := range batches {
		assert.LessOrEqual(t, len(b.Variants), sweep.MaxAutoBatch)
		n += len(b.Variants)
	}
	assert.Equal(t, len(all), n)
	assert.Len(t, batches[0].Variants, sweep.MaxAutoBatch)

	// Variants of 100 s (10 ms each, forecast) are above BatchSeconds / 64:
	// their batches stay at DefaultMaxBatch.
	long, err := sweep.NewPlan("tiny.yaml", []byte(strings.Replace(string(tinySweep(100, 10)), "duration: 10,", "duration: 100000,", 1)))
	require.NoError(t, err)
	assert.Len(t, long.Batches(all[:1000], 0, 2, 0)[0].Variants, sweep.DefaultMaxBatch)
}

// A rerun that runs nothing keeps the variants table when it is current
// (reading every variant's results again to write the same table is what
// made a no-op rerun of 10^5 variants take 22 s); one that runs anything,
// or finds the table missing, writes it.
func TestNoOpRerunKeepsCurrentTable(t *testing.T) {
	plan, err := sweep.NewPlan("tiny.yaml", tinySweep(3, 2))
	require.NoError(t, err)
	o := opts(t, t.TempDir())
	sum := run(t, plan, o)
	table := filepath.Join(sum.Dir, results.VariantsFile)
	stat := func() os.FileInfo {
		t.Helper()
		fi, err := os.Stat(table)
		require.NoError(t, err)
		return fi
	}
	first := stat()
	sum = run(t, plan, o)
	assert.Equal(t, 6, sum.Skipped)
	assert.True(t, os.SameFile(first, stat()), "kept")

	// The variants whose spike file is gone run again: the table is written.
	lost := variantFile(t, sum.Dir, plan.Variants[1].ID(), "spikes")
	held := 0
	for _, v := range plan.Variants {
		if variantFile(t, sum.Dir, v.ID(), "spikes") == lost {
			held++
		}
	}
	require.NoError(t, os.Remove(lost))
	sum = run(t, plan, o)
	assert.Equal(t, held, sum.Ran)
	second := stat()
	assert.False(t, os.SameFile(first, second), "written")

	// A missing table is written again, with every variant done.
	require.NoError(t, os.Remove(table))
	sum = run(t, plan, o)
	assert.Zero(t, sum.Ran)
	cols, _, err := results.ReadTable(table)
	require.NoError(t, err)
	for _, c := range cols {
		if c.Name == "status" {
			assert.Equal(t, []string{"done", "done", "done", "done", "done", "done"}, c.String)
		}
	}
}

package sweep_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ssaSweep = `name: ssa_sweep
simulation: {dt: 0.5, duration: 12, precision: float, seed: 3, backend: cpu}
populations:
  S:
    size: 2
    model: SpikeSourceArray
    vars: {startSpike: [0, 1], endSpike: [1, 2]}
    extra_global_params: {spikeTimes: [1.0, 2.0]}
    record: {spikes: true}
sweep:
  grid:
    populations.S.extra_global_params.spikeTimes: [[1.0, 2.0], [3.0, 4.5], [6.0, 9.5]]
`

// A sweep over the spike times of a SpikeSourceArray compiles one module:
// extra global parameters are per-variant data (gn_set_egp), not structure;
// each variant spikes at exactly its own times.
func TestSweepOverSpikeTimesCompilesOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ssa.yaml")
	require.NoError(t, os.WriteFile(file, []byte(ssaSweep), 0o644))
	plan, err := sweep.Load(file)
	require.NoError(t, err)
	require.Len(t, plan.Variants, 3)
	require.Len(t, plan.Groups, 1, "one structure")
	assert.Empty(t, plan.Variants[0].EGPs, "the module's own values")
	require.Len(t, plan.Variants[2].EGPs, 1)
	assert.Equal(t, "populations.S.extra_global_params.spikeTimes", plan.Variants[2].EGPs[0].Path)

	o := opts(t, t.TempDir())
	o.BatchSize = 3
	sum := run(t, plan, o)
	db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()
	builds, err := db.Builds()
	require.NoError(t, err)
	assert.Len(t, builds, 1)
	want := [][2]float64{{1, 2}, {3, 4.5}, {6, 9.5}}
	for k, v := range plan.Variants {
		sp := spikesOf(t, sum.Dir, v.ID())
		require.Equal(t, 2, sp.Len(), "variant %d", k)
		got := map[uint32]float64{}
		for i := 0; i < sp.Len(); i++ {
			got[sp.Neuron[i]] = sp.Time[i]
		}
		assert.Equal(t, map[uint32]float64{0: want[k][0], 1: want[k][1]}, got, "variant %d", k)
	}
}

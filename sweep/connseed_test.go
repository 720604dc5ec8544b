package sweep_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const connSeedDoc = `name: connseed
simulation: {dt: 0.1, duration: 50, precision: float, seed: 3, connectivity_seed: 11, backend: cpu}
populations:
  P: {size: 50, model: PoissonNew, params: {rate: 50.0}, vars: {timeStepToSpike: 0.0}, record: {spikes: true}}
  E:
    size: 40
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -65.0, Vreset: -65.0, Vthresh: -55.0, Ioffset: 0.0, TauRefrac: 2.0}
    vars: {V: {init: Uniform, params: {min: -65.0, max: -55.0}}, RefracTime: 0.0}
    record: {spikes: true}
synapses:
  PE:
    source: P
    target: E
    connectivity: {init: FixedProbability, params: {prob: 0.2}}
    weight_update: {model: StaticPulse, vars: {g: 2.0}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
`

// With simulation.connectivity_seed, repeats and weight sweeps keep one
// network realisation per structure group: the plan counts its connectivity
// once per batch; sweeping the connectivity seed makes it a runtime value
// (one realisation per seed). Both run to completion in batches.
func TestConnectivitySeedSweep(t *testing.T) {
	dir := t.TempDir()
	plan := func(sweepSection string) *sweep.Plan {
		file := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(file, []byte(connSeedDoc+sweepSection), 0o644))
		p, err := sweep.Load(file)
		require.NoError(t, err)
		require.Len(t, p.Groups, 1)
		return p
	}
	shared := plan("sweep: {repeats: 2, grid: {synapses.PE.weight_update.vars.g: [1.0, 3.0]}}\n")
	g := shared.Groups[0]
	assert.NotContains(t, g.Options.Runtime, "simulation.connectivity_seed")
	assert.Equal(t, map[string]bool{"PE": true}, g.SharedConn)
	assert.Greater(t, sweep.SharedStateBytes(g), int64(0))

	swept := plan("sweep: {repeats: 2, grid: {simulation.connectivity_seed: [1, 2]}}\n")
	gs := swept.Groups[0]
	assert.Contains(t, gs.Options.Runtime, "simulation.connectivity_seed")
	assert.Empty(t, gs.SharedConn)
	assert.Zero(t, sweep.SharedStateBytes(gs))
	assert.Equal(t, sweep.StateBytes(gs), sweep.StateBytes(g)+sweep.SharedStateBytes(g), "per-variant state without sharing")
	assert.Equal(t, shared.Groups[0].Key, gs.Key, "the connectivity seed's value is not structure")

	plain := strings.Replace(connSeedDoc, "connectivity_seed: 11, ", "", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(plain), 0o644))
	pp, err := sweep.Load(filepath.Join(dir, "p.yaml"))
	require.NoError(t, err)
	assert.NotEqual(t, pp.Groups[0].Key, gs.Key, "giving a connectivity seed is structure")

	for _, p := range []*sweep.Plan{shared, swept} {
		o := opts(t, t.TempDir())
		o.BatchSize = 4
		sum := run(t, p, o)
		assert.Equal(t, 4, sum.Ran)
		for _, v := range p.Variants {
			assert.Greater(t, spikesOf(t, sum.Dir, v.ID()).Len(), 0)
		}
	}
}

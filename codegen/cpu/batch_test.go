package cpu_test

import (
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A CUBA-like network of 400 neurons (320 E, 80 I, 10% connectivity,
// exponential currents) with a noise current source, so that connectivity,
// variable initialisation and neuron-update randomness all depend on the seed.
const batchDoc = `
name: cuba400
simulation: {dt: 0.1, duration: 200, precision: float, seed: 1}
populations:
  E:
    size: 320
    model: LIF
    params: &lif {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: &lifvars
      V: {init: Uniform, params: {min: -60.0, max: -50.0}}
      RefracTime: 0.0
    record: {spikes: true}
  I:
    size: 80
    model: LIF
    params: *lif
    vars: *lifvars
    record: {spikes: true}
synapses:
  EE:
    source: E
    target: E
    delay_steps: 2
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: 0.081}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
  EI:
    source: E
    target: I
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: 0.081}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
  IE:
    source: I
    target: E
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: -0.45}}
    postsynaptic: {model: ExpCurr, params: {tau: 10.0}}
  II:
    source: I
    target: I
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: -0.45}}
    postsynaptic: {model: ExpCurr, params: {tau: 10.0}}
current_sources:
  noise: {model: GaussianNoise, target: E, params: {mean: 0.0, sd: 0.05}}
`

// A variant's output is bit-identical whether it runs alone or in a batch,
// and whether a value is a literal or a runtime slot (DESIGN.md, "Batches
// and reproducibility"). Exact comparisons: the CPU backend is deterministic.
func TestBatchIndependence(t *testing.T) {
	t.Parallel()
	const steps = 2000
	const s, a, b = 1234, 77, 9001
	rtMod := buildModule(t, batchDoc, codegen.Options{Runtime: []string{"synapses.EE.weight_update.vars.g"}})
	litMod := buildModule(t, batchDoc, codegen.Options{})

	run := func(inst *sim) ([]spike, [][]float64) {
		inst.step(steps)
		var state [][]float64
		for v := 0; v < inst.inst.Batch(); v++ {
			var all []float64
			for _, name := range [][2]string{{"E", "V"}, {"I", "V"}, {"EE", "inSyn"}, {"EE", "ind"}, {"IE", "rowLength"}} {
				all = append(all, inst.get(name[0], name[1], v)...)
			}
			state = append(state, all)
		}
		return list(inst.spikes()), state
	}
	singleInst := newInstance(t, rtMod, []uint64{s}, []float64{0.081})
	single, singleState := run(singleInst)
	// Init again and rerun: the same simulation from scratch (rings, inSyn, connectivity, RNG).
	require.NoError(t, singleInst.inst.Init())
	again, againState := run(singleInst)
	assert.True(t, equalSpikes(single, again), "rerun after Init: %d vs %d spikes", len(single), len(again))
	assert.Equal(t, singleState, againState, "state after a rerun")
	batch, batchState := run(newInstance(t, rtMod, []uint64{a, s, b}, []float64{0.05, 0.081, 0.1}))
	literal, literalState := run(newInstance(t, litMod, []uint64{s}, nil))

	require.Greater(t, len(single), 400, "the network is active (%d spikes)", len(single))
	t.Logf("%d spikes in %d steps", len(single), steps)
	sb := ofVariant(batch, 1)
	assert.True(t, equalSpikes(single, sb), "seed %d alone vs as variant 1 of 3: %d vs %d spikes", s, len(single), len(sb))
	assert.Equal(t, singleState[0], batchState[1], "state of seed %d alone vs in the batch", s)
	assert.True(t, equalSpikes(single, literal), "g as a runtime slot vs as a literal: %d vs %d spikes", len(single), len(literal))
	assert.Equal(t, singleState[0], literalState[0], "state with g as a runtime slot vs as a literal")
	// The other variants really are different simulations.
	for _, v := range []uint32{0, 2} {
		assert.False(t, equalSpikes(single, ofVariant(batch, v)), "variant %d differs", v)
	}
}

func equalSpikes(x, y []spike) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

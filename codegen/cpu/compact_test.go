package cpu_test

import (
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The neuron update writes a spike flag per neuron and compacts the flags
// into the spike list in a second pass (32 neurons at a time, over a scratch
// array shared by all populations and sized for the largest). Spike lists
// must come out exactly as a single loop would write them: every spiking
// neuron once, in increasing order, for population sizes that are not
// multiples of 32, with no stale flags of a larger population updated
// before, and for every variant of a batch.
func TestSpikeCompaction(t *testing.T) {
	t.Parallel()
	s := newSim(t, `
simulation: {dt: 1.0, duration: 30, precision: double}
models:
  neurons:
    Pick:
      vars: {C: scalar}
      sim_code: "$(C) += 1.0;"
      threshold_condition_code: "(((int)$(C) + $(id) * 7) % 5 == 0) || ((int)$(C) % 11 == 0)"
populations:
  Big: {size: 70, model: Pick, vars: {C: 0.0}, record: {spikes: true}}
  Small: {size: 33, model: Pick, vars: {C: 0.0}, record: {spikes: true}}
  One: {size: 1, model: Pick, vars: {C: 0.0}, record: {spikes: true}}
  Full: {size: 32, model: Pick, vars: {C: 0.0}, record: {spikes: true}}
`, codegen.Options{}, []uint64{1, 2}, nil)
	const steps = 30
	s.step(steps)
	got := list(s.spikes())
	var want []spike
	sizes := []uint32{70, 33, 1, 32}
	// Custom models are auto-refractory (GeNN's default): a neuron spikes
	// when the condition holds after the sim code but did not before it.
	cond := func(c int, id uint32) bool { return (c+int(id)*7)%5 == 0 || c%11 == 0 }
	for step := uint32(0); step < steps; step++ {
		c := int(step) + 1
		for pop, n := range sizes {
			for v := uint32(0); v < 2; v++ {
				for id := uint32(0); id < n; id++ {
					if cond(c, id) && !cond(c-1, id) {
						want = append(want, spike{uint32(pop), v, id, step})
					}
				}
			}
		}
	}
	require.NotEmpty(t, want)
	require.Len(t, got, len(want))
	assert.Equal(t, want, got)
}

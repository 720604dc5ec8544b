package cpu_test

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

// Weight-update pre (post) variables are kept per delay slot of the source
// (target) when the group has an axonal (back-propagation) delay, as in
// GeNN 4.9: pre_spike_code of a spike in step τ reads the previous step's
// slot and writes step τ's; a neuron that does not spike copies the
// previous slot forward; synapse code delivering the spike in step
// τ+1+delay reads step τ's slot. Here two spikes (steps 2 and 4) are closer
// than the delay (5), so reading a single copy would deliver the second
// spike's time twice.
func TestPrePostVarsPerDelaySlot(t *testing.T) {
	t.Parallel()
	const doc = `
name: slots
simulation: {dt: 0.1, duration: 2, precision: double}
models:
  neurons:
    Rec:
      vars: {first: scalar, last: scalar, n: scalar}
      sim_code: |
        if ($(Isyn) != 0) {
            if ($(n) == 0) { $(first) = $(Isyn); }
            $(last) = $(Isyn);
            $(n) += 1;
        }
  weight_updates:
    PreT:
      pre_vars: {tpre: scalar}
      pre_spike_code: "$(tpre) = $(t) + 0.01 * $(tpre);"
      sim_code: "$(addToInSyn, $(tpre));"
    PostT:
      vars: {first: scalar, last: scalar, n: scalar}
      post_vars: {tpost: scalar}
      post_spike_code: "$(tpost) = $(t);"
      learn_post_code: |
        if ($(n) == 0) { $(first) = $(tpost); }
        $(last) = $(tpost);
        $(n) += 1;
populations:
  Src:
    size: 1
    model: SpikeSourceArray
    vars: {startSpike: [0], endSpike: [2]}
    extra_global_params: {spikeTimes: [0.15, 0.35]}
  T: {size: 1, model: Rec, vars: {first: 0.0, last: 0.0, n: 0.0}}
  Other: {size: 1, model: SpikeSource}
synapses:
  S:
    source: Src
    target: T
    matrix: dense
    delay_steps: 5
    weight_update: {model: PreT, pre_vars: {tpre: 0.0}}
    postsynaptic: {model: DeltaCurr}
  P:
    source: Other
    target: Src
    matrix: dense
    back_prop_delay_steps: 5
    weight_update: {model: PostT, vars: {first: 0.0, last: 0.0, n: 0.0}, post_vars: {tpost: 0.0}}
    postsynaptic: {model: DeltaCurr}
`
	mod := buildModule(t, doc, codegen.Options{})
	for _, seeds := range [][]uint64{{1}, {1, 2, 3}} {
		t.Run(fmt.Sprint(len(seeds)), func(t *testing.T) {
			s := newInstance(t, mod, seeds, nil)
			s.step(20)
			for v := range seeds {
				// Spike 1 (step 2): tpre = 0.2 + 0.01·0; spike 2 (step 4): 0.4 + 0.01·0.2,
				// the value spike 1 left in the slot, copied forward through step 3.
				assert.Equal(t, 2.0, s.get("T", "n", v)[0], "deliveries")
				assert.Equal(t, 2*0.1, s.get("T", "first", v)[0], "first delivery reads step 2's slot")
				assert.Equal(t, 4*0.1+0.01*(2*0.1), s.get("T", "last", v)[0], "second delivery reads step 4's slot")
				assert.Equal(t, 2.0, s.get("P", "n", v)[0], "learn_post runs")
				assert.Equal(t, 2*0.1, s.get("P", "first", v)[0], "first learn_post reads step 2's slot")
				assert.Equal(t, 4*0.1, s.get("P", "last", v)[0], "second learn_post reads step 4's slot")
				// gn_get_var reads the most recently written slot.
				assert.Equal(t, 4*0.1+0.01*(2*0.1), s.get("S", "tpre", v)[0])
				assert.Equal(t, 4*0.1, s.get("P", "tpost", v)[0])
			}
		})
	}
}

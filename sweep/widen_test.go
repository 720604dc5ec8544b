package sweep_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// widenDoc is a 500-neuron network whose EE rows (about 40 synapses) and,
// where a column index is kept (every sparse group on the CUDA backend), EI
// columns (about 40) are bounded by bounds.
func widenDoc(bounds string) string {
	return `name: widen
simulation: {dt: 0.1, duration: 20, precision: float, seed: 7, backend: cpu}
populations:
  E:
    size: 400
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: {init: Uniform, params: {min: -60.0, max: -50.0}}, RefracTime: 0.0}
    record: {spikes: true}
  I:
    size: 100
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: {init: Uniform, params: {min: -60.0, max: -50.0}}, RefracTime: 0.0}
    record: {spikes: true}
synapses:
  EE:
    source: E
    target: E
    connectivity: {init: FixedProbability, params: {prob: 0.1}` + bounds + `}
    weight_update: {model: StaticPulse, vars: {g: 0.25}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
  EI:
    source: E
    target: I
    connectivity: {init: FixedProbability, params: {prob: 0.1}` + strings.ReplaceAll(bounds, "max_row_length", "max_col_length") + `}
    weight_update: {model: StaticPulse, vars: {g: 0.25}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
sweep: {grid: {populations.E.params.Ioffset: [0.5, 0.6]}}
`
}

// A bound fixed in advance that a variant's connectivity exceeds (here a
// max_row_length of 5, and on the CUDA backend a max_col_length of 5, where
// rows and columns have about 40 synapses) fails no variant: the module
// reports the longest row (column) of the batch and the batch runs again in
// a module built with that bound, once per bound exceeded. The spikes are
// those of the run whose bounds fitted from the start.
func TestBoundExceededRunsAgainWithWiderBound(t *testing.T) {
	for _, c := range []struct {
		backend string
		widened int // bounds exceeded: EE's rows, and on CUDA EI's columns
	}{{"cpu", 1}, {"cuda-emu", 2}} {
		t.Run(c.backend, func(t *testing.T) {
			plan, sum := sweepTextOn(t, widenDoc(", max_row_length: 5"), c.backend)
			assert.Zero(t, sum.Failed)
			assert.Equal(t, c.widened, sum.Retried, "one run again per bound exceeded")
			assert.Equal(t, 1+c.widened, sum.Builds+sum.CacheHits, "a module per bound")
			ref, refSum := sweepTextOn(t, widenDoc(""), c.backend)
			assert.Zero(t, refSum.Retried)
			for i, v := range plan.Variants {
				require.Equal(t, ref.Variants[i].ID(), v.ID())
				got, want := spikesOf(t, sum.Dir, v.ID()), spikesOf(t, refSum.Dir, v.ID())
				assert.NotEmpty(t, want.Neuron)
				assert.Equal(t, want, got, "variant %d", v.ID())
			}
		})
	}
}

// procDoc is widenDoc's EE as matrix, with a custom snippet that declares
// every row one synapse long (calc_max_row_len_func: 1) and draws rows of
// about 40, as FixedProbability does.
func procDoc(matrix string) string {
	doc := widenDoc("")
	doc = strings.Replace(doc, "synapses:\n  EE:\n    source: E\n    target: E\n    connectivity: {init: FixedProbability, params: {prob: 0.1}}",
		"synapses:\n  EE:\n    source: E\n    target: E\n    matrix: "+matrix+"\n    connectivity: {init: Short, params: {prob: 0.1}}", 1)
	return strings.Replace(doc, "populations:\n", `models:
  connectivity:
    Short:
      params: [prob]
      derived_params: {probLogRecip: "1.0 / log(1.0 - prob)"}
      row_build_state_vars: {prevJ: {type: int, init: "-1"}}
      row_build_code: |
        const scalar u = $(gennrand_uniform);
        prevJ += (1 + (int)(log(u) * $(probLogRecip)));
        if (prevJ < $(num_post)) {
            $(addSynapse, prevJ);
        } else {
            $(endRow);
        }
      calc_max_row_len_func: "1"
populations:
`, 1)
}

// A procedural matrix stores no rows, so no bound applies to it: with a
// snippet whose declared row length (1) every row exceeds, the procedural
// run needs no second module, the sparse one runs again with a wider bound,
// and both give the same spikes (the procedural rows are the sparse
// realisation).
func TestProceduralRowsHaveNoBound(t *testing.T) {
	for _, backend := range []string{"cpu", "cuda-emu"} {
		t.Run(backend, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(procDoc("procedural"), "matrix: procedural"))
			proc, procSum := sweepTextOn(t, procDoc("procedural"), backend)
			assert.Zero(t, procSum.Failed)
			assert.Zero(t, procSum.Retried, "no bound to exceed")
			_, sparseSum := sweepTextOn(t, procDoc("sparse"), backend)
			assert.Zero(t, sparseSum.Failed)
			assert.Equal(t, 1, sparseSum.Retried, "the declared bound is exceeded and widened once")
			if backend != "cpu" {
				return // procedural sums are atomic on the CUDA backend (order-dependent in the last bits)
			}
			for _, v := range proc.Variants {
				want := spikesOf(t, sparseSum.Dir, v.ID())
				assert.NotEmpty(t, want.Neuron)
				assert.Equal(t, want, spikesOf(t, procSum.Dir, v.ID()), "variant %d", v.ID())
			}
		})
	}
}

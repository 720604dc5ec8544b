package cpu_test

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

// GeNN's pre_vars_in_sim_code feature test, with axonal delays: synapse
// code reads $(x_pre) of a presynaptic neuron whose x is its own time; the
// value seen is x at the step the spike was emitted, delay_steps+1 steps
// before it is processed. Neuron i of the clock population spikes at every
// step s with s % 10 == i; the synapse copies $(x_pre) into its weight.
// Expected exactly: after n steps (time steps 0..n-1 ran), w of row i is
// s·DT for the latest s with s % 10 == i whose delivery step s + 1 + d has
// run (s + 1 + d ≤ n - 1), and 0 before the first delivery.
func TestAcceptancePreVarsUnderDelay(t *testing.T) {
	for _, d := range []int{0, 3, 7} {
		t.Run(fmt.Sprintf("delay%d", d), func(t *testing.T) {
			t.Parallel()
			doc := fmt.Sprintf(`
simulation: {dt: 0.5, duration: 100, precision: double}
models:
  neurons:
    Clock:
      vars: {x: scalar}
      sim_code: "$(x) = $(t);"
      threshold_condition_code: "$(id) == ((int)rint($(t) / DT)) %% 10"
      is_auto_refractory_required: false
    Sink:
      vars: {v: scalar}
      sim_code: "$(v) += $(Isyn);"
  weight_updates:
    CopyPre:
      vars: {w: scalar}
      sim_code: "$(w) = $(x_pre);"
populations:
  Pre: {size: 10, model: Clock, vars: {x: 0.0}}
  Post: {size: 10, model: Sink, vars: {v: 0.0}}
synapses:
  S:
    source: Pre
    target: Post
    delay_steps: %d
    matrix: sparse
    weights: individual
    connectivity: {init: OneToOne}
    weight_update: {model: CopyPre, vars: {w: 0.0}}
    postsynaptic: {model: DeltaCurr}
`, d)
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			const dt = 0.5
			for n := 1; n <= 60; n++ {
				s.step(1)
				w := s.get("S", "w", 0)
				for i := 0; i < 10; i++ {
					want := 0.0
					for st := 0; st+1+d <= n-1; st++ {
						if st%10 == i {
							want = float64(st) * dt
						}
					}
					require.Equal(t, want, w[i], "delay %d, after step %d, row %d", d, n, i)
				}
			}
		})
	}
}

// GeNN's connect_init feature test for FixedNumberPostWithReplacement: every
// row has exactly rowLength synapses, all targets are in range, and over
// many rows the column counts average rowLength·num_pre/num_post.
func TestAcceptanceFixedNumberPostRowCounts(t *testing.T) {
	t.Parallel()
	s := newSim(t, `
simulation: {dt: 0.1, duration: 1}
populations:
  A: {size: 500, model: SpikeSource}
  B: {size: 30, model: SpikeSource}
synapses:
  S:
    source: A
    target: B
    connectivity: {init: FixedNumberPostWithReplacement, params: {rowLength: 7}}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}
    postsynaptic: {model: DeltaCurr}
`, codegen.Options{}, []uint64{5}, nil)
	rows := s.get("S", "rowLength", 0)
	ind := s.get("S", "ind", 0)
	stride := len(ind) / len(rows)
	require.Equal(t, 7, stride, "the row stride is the snippet's maximum row length")
	cols := make([]int, 30)
	for i, n := range rows {
		require.Equal(t, 7.0, n, "row %d", i)
		for k := 0; k < int(n); k++ {
			j := int(ind[i*stride+k])
			require.Less(t, j, 30)
			cols[j]++
		}
	}
	total := 0
	for _, c := range cols {
		total += c
	}
	require.Equal(t, 500*7, total)
	// Column counts are Binomial(3500, 1/30): mean 116.7, sd 10.6; each
	// within 6 sd (a per-column false alarm rate below 1e-8).
	for j, c := range cols {
		require.InDelta(t, 3500.0/30, float64(c), 6*10.6, "column %d", j)
	}
}

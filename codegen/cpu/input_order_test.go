package cpu_test

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

// Synaptic input is summed in the CPU's order on every backend: for each
// target, the spikes in increasing presynaptic order (then row order). The
// weights are random floats, so another order gives other bits. Every
// source neuron below the first `n` spikes in every step and reaches every
// target (a sparse all-to-all matrix): with n = 10 each target receives
// fewer events per step than the CUDA backend's input bins hold (16), with
// n = 40 more, so there the bins overflow and the neuron kernel recomputes
// the input from the columns. With dendritic delays (0 to 3 steps, drawn
// per synapse), the events of a step go to four delay slots, and a slot is
// filled over four steps, largest delay first.
func TestSynapticInputOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n     int
		delay bool
	}{{10, false}, {40, false}, {10, true}, {40, true}} {
		t.Run(fmt.Sprintf("n=%d,delay=%v", c.n, c.delay), func(t *testing.T) {
			t.Parallel()
			wu := `{model: StaticPulse, vars: {g: {init: Uniform, params: {min: 0.0, max: 1.0}}}}`
			delays := ""
			if c.delay {
				wu = `{model: StaticPulseDendriticDelay, vars: {g: {init: Uniform, params: {min: 0.0, max: 1.0}}, d: {init: Uniform, params: {min: 0.0, max: 3.99}}}}`
				delays = "max_dendritic_delay_steps: 4"
			}
			doc := fmt.Sprintf(`
simulation: {dt: 1.0, duration: 10, precision: float}
models:
  neurons:
    Fire:
      params: [n]
      vars: {}
      threshold_condition_code: "$(id) < $(n)"
      is_auto_refractory_required: false
    Acc:
      vars: {V: scalar}
      sim_code: "$(V) += $(Isyn);"
populations:
  Src: {size: 50, model: Fire, params: {n: %d}}
  Tgt: {size: 3, model: Acc, vars: {V: 0.0}}
synapses:
  S:
    source: Src
    target: Tgt
    matrix: sparse
    %s
    connectivity: {init: FixedProbability, params: {prob: 1.0}}
    weight_update: %s
    postsynaptic: {model: DeltaCurr}
`, c.n, delays, wu)
			s := newSim(t, doc, codegen.Options{}, []uint64{7}, nil)
			g := s.get("S", "g", 0)
			rowLength := s.get("S", "rowLength", 0)
			ind := s.get("S", "ind", 0)
			var d []float64
			if c.delay {
				d = s.get("S", "d", 0)
			}
			stride := len(ind) / 50
			const steps = 8
			// slot[k][post]: input due at step k, in the order it is added
			slot := make([][3]float32, steps+4)
			for tau := 1; tau < steps; tau++ { // spikes of step tau-1 arrive in step tau
				for pre := 0; pre < c.n; pre++ {
					for j := 0; j < int(rowLength[pre]); j++ {
						syn := pre*stride + j
						due := tau
						if c.delay {
							due += int(d[syn])
						}
						slot[due][int(ind[syn])] += float32(g[syn])
					}
				}
			}
			var want [3]float32
			for k := 0; k < steps; k++ {
				s.step(1)
				for post := range want {
					want[post] += slot[k][post]
				}
				got := s.get("Tgt", "V", 0)
				for post := range want {
					require.Equal(t, want[post], float32(got[post]), "step %d, target %d", k, post)
				}
			}
		})
	}
}

// With merge_postsynaptic_models, two groups onto one population with the
// same postsynaptic model add into one buffer, S's: every step S's events
// (in increasing presynaptic order, rows in order), then S2's, on every
// backend. The weights are random floats, so summing each group apart
// first would give other bits.
func TestMergedPostsynapticInputOrder(t *testing.T) {
	t.Parallel()
	for _, delay := range []bool{false, true} {
		t.Run(fmt.Sprintf("delay=%v", delay), func(t *testing.T) {
			t.Parallel()
			wu := `{model: StaticPulse, vars: {g: {init: Uniform, params: {min: 0.0, max: 1.0}}}}`
			delays := ""
			if delay {
				wu = `{model: StaticPulseDendriticDelay, vars: {g: {init: Uniform, params: {min: 0.0, max: 1.0}}, d: {init: Uniform, params: {min: 0.0, max: 3.99}}}}`
				delays = "max_dendritic_delay_steps: 4,"
			}
			doc := fmt.Sprintf(`
simulation: {dt: 1.0, duration: 10, precision: float, merge_postsynaptic_models: true}
models:
  neurons:
    Fire:
      params: [n]
      vars: {}
      threshold_condition_code: "$(id) < $(n)"
      is_auto_refractory_required: false
    Acc:
      vars: {V: scalar}
      sim_code: "$(V) += $(Isyn);"
populations:
  Src: {size: 50, model: Fire, params: {n: 30}}
  Tgt: {size: 3, model: Acc, vars: {V: 0.0}}
synapses:
  S: {source: Src, target: Tgt, matrix: sparse, %[1]s connectivity: {init: FixedProbability, params: {prob: 1.0}},
      weight_update: %[2]s, postsynaptic: {model: DeltaCurr}}
  S2: {source: Src, target: Tgt, matrix: sparse, %[1]s connectivity: {init: FixedProbability, params: {prob: 0.5}},
       weight_update: %[2]s, postsynaptic: {model: DeltaCurr}}
`, delays, wu)
			s := newSim(t, doc, codegen.Options{}, []uint64{7}, nil)
			s.varIndex("S", "inSyn") // S keeps its inSyn
			require.Negative(t, s.mod.VarIndex("S2", "inSyn"), "S2's input is in S's inSyn")
			const steps = 8
			slot := make([][3]float32, steps+4) // input due at step k, in the order it is added
			type group struct {
				g, rowLength, ind, d []float64
				stride               int
			}
			var groups []group
			for _, name := range []string{"S", "S2"} {
				gr := group{g: s.get(name, "g", 0), rowLength: s.get(name, "rowLength", 0), ind: s.get(name, "ind", 0)}
				if delay {
					gr.d = s.get(name, "d", 0)
				}
				gr.stride = len(gr.ind) / 50
				groups = append(groups, gr)
			}
			for tau := 1; tau < steps; tau++ { // spikes of step tau-1 arrive in step tau
				for _, gr := range groups {
					for pre := 0; pre < 30; pre++ {
						for j := 0; j < int(gr.rowLength[pre]); j++ {
							syn := pre*gr.stride + j
							due := tau
							if delay {
								due += int(gr.d[syn])
							}
							slot[due][int(gr.ind[syn])] += float32(gr.g[syn])
						}
					}
				}
			}
			var want [3]float32
			for k := 0; k < steps; k++ {
				s.step(1)
				for post := range want {
					want[post] += slot[k][post]
				}
				got := s.get("Tgt", "V", 0)
				for post := range want {
					require.Equal(t, want[post], float32(got[post]), "step %d, target %d", k, post)
				}
			}
		})
	}
}

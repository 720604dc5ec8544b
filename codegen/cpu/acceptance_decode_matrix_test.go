package cpu_test

// Acceptance: GeNN's decode_matrix feature tests (genn-team/genn 4.9.0,
// tests/features/decode_matrix_*, tests/utils/simulation_test_decoder_matrix.h
// and simulation_test_den_delay_decoder_matrix.h).
//
// A one-hot presynaptic population of 10 neurons drives 4 postsynaptic
// neurons through StaticPulse synapses and DeltaCurr; postsynaptic neuron j
// has sim code `$(x) = $(Isyn);`. Presynaptic neuron i is connected to j
// with weight 1 exactly when bit j of i+1 is set, so the postsynaptic x
// values, read as bits, give back i+1: the matrix "decodes" which neuron
// spiked. GeNN pushes a spike of neuron i/10 before each step i of 10 ms at
// DT = 0.1; here the presynaptic model fires neuron k in steps 10k … 10k+9 by
// its threshold condition, and a spike of step s reaches x in step
// s + delay_steps + 1 (docs/config.md), so the expected decoded value in
// step s is (s − delay − 1)/10 + 1 and 0 before the first arrival.
//
// Covered: dense × individual (weights given as a row-major array, as the
// GeNN test's Init does, and by a var-init snippet of id_pre/id_post),
// sparse × global and individual, bitmask × global and procedural × global
// (the connectivity built by GeNN's "Decoder" row-build snippet of
// decode_matrix_conn_gen_*), each without and with an axonal delay; and the
// dendritic-delay variants (StaticPulseDendriticDelay, dense and sparse):
// at DT = 1 neuron i%10 spikes in step i with dendritic delay 9 − i%10, so
// all ten inputs arrive together and x is 10 every tenth step, else 0.

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

const decodeModels = `
models:
  neurons:
    Pre:
      vars: {dummy: scalar}
      threshold_condition_code: "%s"
      is_auto_refractory_required: false
    Neuron:
      vars: {x: scalar}
      sim_code: "$(x)= $(Isyn);"
  connectivity:
    Decoder:
      row_build_code: |
        if(j < $(num_post)) {
           const unsigned int jValue = (1 << j);
           if((($(id_pre) + 1) & jValue) != 0)
           {
               $(addSynapse, j);
           }
        }
        else {
           $(endRow);
        }
        j++;
      row_build_state_vars: {j: {type: unsigned int, init: "0"}}
      max_row_length: 4
    All:
      row_build_code: |
        if(j < $(num_post)) { $(addSynapse, j); } else { $(endRow); }
        j++;
      row_build_state_vars: {j: {type: unsigned int, init: "0"}}
  var_inits:
    DecodeWeight:
      var_init_code: "$(value) = ((($(id_pre) + 1) & (1 << $(id_post))) != 0) ? 1.0 : 0.0;"
    DenDelay:
      var_init_code: "$(value) = 9 - $(id_pre);"
`

// oneHotThreshold fires neuron k in steps 10k … 10k+9.
const oneHotThreshold = `(unsigned int)($(t) / DT + 0.5) / 10 == $(id)`

// everyStepThreshold fires neuron i % 10 in step i (dendritic-delay tests).
const everyStepThreshold = `(unsigned int)($(t) / DT + 0.5) % 10 == $(id)`

// decodeWeights is the GeNN test's dense weight matrix, row-major 10 × 4.
func decodeWeights() string {
	var s []string
	for i := 0; i < 10; i++ {
		for j := 0; j < 4; j++ {
			if (i+1)&(1<<j) != 0 {
				s = append(s, "1.0")
			} else {
				s = append(s, "0.0")
			}
		}
	}
	return "[" + join(s) + "]"
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func decodeDoc(dt float64, threshold string, postSize int, synapse string) string {
	return fmt.Sprintf(`
simulation: {dt: %g, duration: 10, precision: float}
`+decodeModels+`
populations:
  Pre: {size: 10, model: Pre, vars: {dummy: 0.0}}
  Post: {size: %d, model: Neuron, vars: {x: 0.0}}
synapses:
  Syn:
    source: Pre
    target: Post
%s
    postsynaptic: {model: DeltaCurr}
`, dt, threshold, postSize, synapse)
}

func TestAcceptanceDecodeMatrix(t *testing.T) {
	cases := []struct {
		name, syn string
	}{
		{"individualg_dense", `    matrix: dense
    weight_update: {model: StaticPulse, vars: {g: ` + decodeWeights() + `}}`},
		{"individualg_dense_var_init", `    matrix: dense
    weight_update: {model: StaticPulse, vars: {g: {init: DecodeWeight}}}`},
		{"globalg_ragged", `    matrix: sparse
    weights: global
    connectivity: {init: Decoder}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}`},
		{"individualg_ragged", `    matrix: sparse
    weights: individual
    connectivity: {init: All}
    weight_update: {model: StaticPulse, vars: {g: {init: DecodeWeight}}}`},
		{"conn_gen_individualg_ragged", `    matrix: sparse
    weights: individual
    connectivity: {init: Decoder}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}`},
		{"globalg_bitmask", `    matrix: bitmask
    connectivity: {init: Decoder}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}`},
		{"conn_gen_globalg_procedural", `    matrix: procedural
    connectivity: {init: Decoder}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}`},
	}
	for _, c := range cases {
		for _, delay := range []int{0, 3, 15} {
			t.Run(fmt.Sprintf("%s/delay_%d", c.name, delay), func(t *testing.T) {
				syn := c.syn + fmt.Sprintf("\n    delay_steps: %d", delay)
				s := newSim(t, decodeDoc(0.1, oneHotThreshold, 4, syn), codegen.Options{}, []uint64{1}, nil)
				steps := 100 + delay + 1
				for step := 0; step < steps; step++ {
					s.step(1)
					x := s.get("Post", "x", 0)
					out := 0
					for j, v := range x {
						require.True(t, v == 0 || v == 1, "step %d: x[%d] = %g is neither 0 nor 1", step, j, v)
						if v == 1 {
							out += 1 << j
						}
					}
					want := 0
					if arrived := step - delay - 1; arrived >= 0 {
						want = arrived/10 + 1
					}
					require.Equal(t, want, out, "step %d: decoded value", step)
				}
			})
		}
	}
}

func TestAcceptanceDecodeMatrixDendriticDelay(t *testing.T) {
	cases := []struct{ name, syn string }{
		// GeNN's Init sets dSyn[i] = 9 - i over the 10 × 1 dense matrix
		{"den_delay_individualg_dense", `    matrix: dense
    max_dendritic_delay_steps: 10
    weight_update: {model: StaticPulseDendriticDelay, vars: {g: 1.0, d: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]}}`},
		{"den_delay_individualg_ragged", `    matrix: sparse
    max_dendritic_delay_steps: 10
    connectivity: {init: All}
    weight_update: {model: StaticPulseDendriticDelay, vars: {g: 1.0, d: {init: DenDelay}}}`},
	}
	for _, c := range cases {
		for _, delay := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/axonal_delay_%d", c.name, delay), func(t *testing.T) {
				syn := c.syn + fmt.Sprintf("\n    delay_steps: %d", delay)
				s := newSim(t, decodeDoc(1.0, everyStepThreshold, 1, syn), codegen.Options{}, []uint64{1}, nil)
				for step := 0; step < 100; step++ {
					s.step(1)
					x := s.get("Post", "x", 0)[0]
					// neuron k spikes in steps 10m+k and arrives in step
					// 10m+k + delay+1 + 9-k = 10m + 10 + delay
					want := 0.0
					if step >= 10+delay && (step-delay)%10 == 0 {
						want = 10
					}
					require.Equal(t, want, x, "step %d", step)
				}
			})
		}
	}
}

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
// sparse × global and individual (also with span: presynaptic, GeNN's
// *_ragged_pre), bitmask × global, procedural × global and procedural ×
// procedural weights (the connectivity built by GeNN's "Decoder" row-build
// snippet of decode_matrix_conn_gen_*), each without and with an axonal
// delay; and the dendritic-delay variants (StaticPulseDendriticDelay, dense and sparse):
// at DT = 1 neuron i%10 spikes in step i with dendritic delay 9 − i%10, so
// all ten inputs arrive together and x is 10 every tenth step, else 0.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
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
		{"globalg_ragged_pre", `    matrix: sparse
    weights: global
    span: presynaptic
    connectivity: {init: Decoder}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}`},
		{"individualg_ragged_pre", `    matrix: sparse
    weights: individual
    span: presynaptic
    connectivity: {init: All}
    weight_update: {model: StaticPulse, vars: {g: {init: DecodeWeight}}}`},
		{"conn_gen_proceduralg_dense", `    matrix: procedural
    connectivity: {init: All}
    weight_update: {model: StaticPulse, vars: {g: {init: DecodeWeight}}}`},
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
		{"den_delay_individualg_ragged_pre", `    matrix: sparse
    span: presynaptic
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

// countThreshold fires neurons 0 … k-1 in steps 10k … 10k+9 (GeNN's
// decode_matrix_globalg_dense and decode_matrix_merged_* push that many
// spikes).
const countThreshold = `$(id) < (unsigned int)($(t) / DT + 0.5) / 10`

// GeNN's decode_matrix_globalg_dense, decode_matrix_merged_globalg_dense and
// decode_matrix_merged_globalg_ragged: all-to-all weights of 1 (dense, or
// sparse rows of every target) from one or two presynaptic populations
// whose first k neurons spike, so every postsynaptic x is the number of
// spikes that arrived (GeNN's merged tests check that two groups onto one
// target add up).
func TestAcceptanceDecodeMatrixCount(t *testing.T) {
	cases := []struct {
		name, matrix string
		groups       int
	}{
		{"globalg_dense", "dense", 1},
		{"merged_globalg_dense", "dense", 2},
		{"merged_globalg_ragged", "sparse\n    connectivity: {init: All}", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc := fmt.Sprintf(`
simulation: {dt: 0.1, duration: 10, precision: float}
`+decodeModels+`
populations:
  Post: {size: 4, model: Neuron, vars: {x: 0.0}}
`, countThreshold)
			for g := 1; g <= c.groups; g++ {
				doc += fmt.Sprintf("  Pre%d: {size: 10, model: Pre, vars: {dummy: 0.0}}\n", g)
			}
			doc += "synapses:\n"
			for g := 1; g <= c.groups; g++ {
				doc += fmt.Sprintf(`  Syn%d:
    source: Pre%d
    target: Post
    matrix: %s
    weights: global
    weight_update: {model: StaticPulse, vars: {g: 1.0}}
    postsynaptic: {model: DeltaCurr}
`, g, g, c.matrix)
			}
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			for step := 0; step < 100; step++ {
				s.step(1)
				want := 0.0
				if step > 0 {
					want = float64(c.groups * ((step - 1) / 10))
				}
				for j, x := range s.get("Post", "x", 0) {
					require.Equal(t, want, x, "step %d, x[%d]", step, j)
				}
			}
		})
	}
}

// GeNN's decode_matrix_conn_gen_proceduralg_dense_egp: procedural weights
// id_pre · rowWeights[id_post] from a variable-initialisation snippet's
// extra global parameter rowWeights = [1, 2, 3, 4], all-to-all; neuron k
// spikes in steps 10k … 10k+9, so x[j] is k·(j+1) one step later (GeNN's
// bound 2e-2 on the summed error; the products are exact in float).
func TestAcceptanceDecodeMatrixProceduralEGP(t *testing.T) {
	t.Parallel()
	doc := decodeDoc(0.1, oneHotThreshold, 4, `    matrix: procedural
    connectivity: {init: All}
    weight_update:
      model: StaticPulse
      vars: {g: {init: RowWeight, extra_global_params: {rowWeights: [1, 2, 3, 4]}}}`)
	doc = strings.Replace(doc, "  var_inits:\n", `  var_inits:
    RowWeight:
      var_init_code: "$(value) = $(id_pre) * $(rowWeights)[$(id_post)];"
      extra_global_params: [[rowWeights, scalar*]]
`, 1)
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	for step := 0; step < 100; step++ {
		s.step(1)
		for j, x := range s.get("Post", "x", 0) {
			want := 0.0
			if step > 0 {
				want = float64((step - 1) / 10 * (j + 1))
			}
			require.Equal(t, want, x, "step %d, x[%d]", step, j)
		}
	}
}

// GeNN's decode_matrix_merged_conn_gen_globalg_procedural: two procedural
// FixedProbability(0.5) groups from one population onto two of 32 neurons
// each draw different rows (the chance that ten rows of 32 agree by
// accident is 2^-320).
func TestAcceptanceDecodeMatrixTwoProceduralGroupsDiffer(t *testing.T) {
	t.Parallel()
	doc := fmt.Sprintf(`
simulation: {dt: 0.1, duration: 10, precision: float}
`+decodeModels+`
populations:
  Pre: {size: 10, model: Pre, vars: {dummy: 0.0}}
  Post1: {size: 32, model: Neuron, vars: {x: 0.0}}
  Post2: {size: 32, model: Neuron, vars: {x: 0.0}}
synapses:
  Syn1: {source: Pre, target: Post1, matrix: procedural, connectivity: {init: FixedProbability, params: {prob: 0.5}}, weight_update: {model: StaticPulse, vars: {g: 1.0}}, postsynaptic: {model: DeltaCurr}}
  Syn2: {source: Pre, target: Post2, matrix: procedural, connectivity: {init: FixedProbability, params: {prob: 0.5}}, weight_update: {model: StaticPulse, vars: {g: 1.0}}, postsynaptic: {model: DeltaCurr}}
`, oneHotThreshold)
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	same := 0
	for step := 0; step < 101; step++ {
		s.step(1)
		if step%10 != 1 {
			continue
		}
		a, b := s.get("Post1", "x", 0), s.get("Post2", "x", 0)
		if assert.ObjectsAreEqual(a, b) {
			same++
		}
	}
	require.Less(t, same, 10, "every row of the two groups is the same")
}

// contDecodeModels are the models of GeNN's decode_matrix_cont_* tests:
// the presynaptic x is set by the host before every step and synapse
// dynamics add g·x_pre (with a dendritic delay d) to the target.
const contDecodeModels = `
models:
  neurons:
    PreNeuron:
      var_name_types: [[x, scalar]]
    PostNeuron:
      var_name_types: [[x, scalar]]
      sim_code: "$(x)= $(Isyn);"
  weight_updates:
    Continuous:
      var_name_types: [[g, scalar]]
      synapse_dynamics_code: "$(addToInSyn, $(g) * $(x_pre));"
    ContinuousDendriticDelay:
      var_name_types: [[g, scalar], [d, uint8_t]]
      synapse_dynamics_code: "$(addToInSynDelay, $(g) * $(x_pre), $(d));"
  connectivity:
    Decoder:
      row_build_code: |
        if(j < $(num_post)) {
           if((($(id_pre) + 1) & (1 << j)) != 0) {
               $(addSynapse, j);
           }
        }
        else {
           $(endRow);
        }
        j++;
      row_build_state_vars: {j: {type: unsigned int, init: "0"}}
      max_row_length: 4
`

func contDecodeDoc(dt float64, postSize int, synapse string) string {
	return fmt.Sprintf(`
simulation: {dt: %g, duration: 10, precision: float}
`+contDecodeModels+`
populations:
  Pre: {size: 10, model: PreNeuron, vars: {x: 0.0}}
  Post: {size: %d, model: PostNeuron, vars: {x: 0.0}}
synapses:
  Syn:
    source: Pre
    target: Post
%s
    postsynaptic: {model: DeltaCurr}
`, dt, postSize, synapse)
}

// GeNN's decode_matrix_cont_* and decode_matrix_conn_gen_cont_* tests
// (tests/utils/simulation_test_cont_decoder_matrix.h): before step i the
// host sets x of presynaptic neuron i % 10 to 1 and the others' to 0, and
// the postsynaptic x, read as bits, is i % 10 + 1 after the step (the
// synapse dynamics of a step see the state pushed before it).
// decode_matrix_cont_globalg_dense sets the first i / 10 neurons' x to 1
// and every x is their number.
func TestAcceptanceDecodeMatrixCont(t *testing.T) {
	decodeCases := []struct{ name, syn string }{
		{"individualg_dense", `    matrix: dense
    weight_update: {model: Continuous, vars: {g: ` + decodeWeights() + `}}`},
		{"globalg_ragged", `    matrix: sparse
    weights: global
    connectivity: {init: Decoder}
    weight_update: {model: Continuous, vars: {g: 1.0}}`},
		{"individualg_ragged", `    matrix: sparse
    weights: individual
    connectivity: {init: Decoder}
    weight_update: {model: Continuous, vars: {g: 1.0}}`},
	}
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, contDecodeDoc(0.1, 4, c.syn), codegen.Options{}, []uint64{1}, nil)
			for i := 0; i < 100; i++ {
				s.set("Pre", "x", 0, oneHot(10, i%10))
				s.step(1)
				out := 0
				for j, v := range s.get("Post", "x", 0) {
					if v == 1 {
						out += 1 << j
					}
				}
				require.Equal(t, i%10+1, out, "step %d", i)
			}
		})
	}
	t.Run("globalg_dense", func(t *testing.T) {
		t.Parallel()
		s := newSim(t, contDecodeDoc(0.1, 4, `    matrix: dense
    weights: global
    weight_update: {model: Continuous, vars: {g: 1.0}}`), codegen.Options{}, []uint64{1}, nil)
		for i := 0; i < 100; i++ {
			x := make([]float64, 10)
			for j := 0; j < i/10; j++ {
				x[j] = 1
			}
			s.set("Pre", "x", 0, x)
			s.step(1)
			for j, v := range s.get("Post", "x", 0) {
				require.Equal(t, float64(i/10), v, "step %d, x[%d]", i, j)
			}
		}
	})
	// decode_matrix_cont_den_delay_individualg_dense and _ragged: at DT = 1
	// neuron i % 10 is active in step i and its input is delayed by
	// 9 - i % 10 steps, so all ten arrive together in every step with
	// i % 10 == 9 and x is 10 then, else 0.
	for _, c := range []struct{ name, syn string }{
		{"den_delay_individualg_dense", `    matrix: dense
    max_dendritic_delay_steps: 10
    weight_update: {model: ContinuousDendriticDelay, vars: {g: 1.0, d: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]}}`},
		{"den_delay_individualg_ragged", `    matrix: sparse
    max_dendritic_delay_steps: 10
    connectivity: {init: OneToAll}
    weight_update: {model: ContinuousDendriticDelay, vars: {g: 1.0, d: {init: DenDelay}}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(contDecodeDoc(1.0, 1, c.syn), "  connectivity:\n", `  var_inits:
    DenDelay:
      var_init_code: "$(value) = 9 - $(id_pre);"
  connectivity:
    OneToAll:
      row_build_code: "$(addSynapse, 0);\n$(endRow);"
      max_row_length: 1
`, 1)
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			for i := 0; i < 100; i++ {
				s.set("Pre", "x", 0, oneHot(10, i%10))
				s.step(1)
				want := 0.0
				if i%10 == 9 {
					want = 10
				}
				require.Equal(t, want, s.get("Post", "x", 0)[0], "step %d", i)
			}
		})
	}
}

// oneHot is n values, 1 at i and 0 elsewhere.
func oneHot(n, i int) []float64 {
	x := make([]float64, n)
	x[i] = 1
	return x
}

package cpu_test

// Acceptance: GeNN's feature test "num" (tests/features/num, 4.9.0) for the
// code strings this generator has: $(num) in neuron sim code, postsynaptic
// decay code and current-source injection code equals the population size;
// $(num_pre) and $(num_post) in synapse dynamics code equal the source and
// target sizes. Beyond that test, $(id) in neuron, postsynaptic and current
// source code and $(id_pre)/$(id_post) in synapse code have their exact
// values. (GeNN's $(num_batch), custom updates and pre/post dynamics code
// have no counterpart here.)

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

const numDoc = `
simulation: {dt: 1.0, duration: 1, precision: float}
models:
  neurons:
    Neuron:
      vars: {num_test: unsigned int, id_test: unsigned int}
      sim_code: "$(num_test) = $(num); $(id_test) = $(id);"
  postsynaptic:
    PSM:
      vars: {num_psm_test: unsigned int, id_psm_test: unsigned int}
      decay_code: "$(num_psm_test) = $(num); $(id_psm_test) = $(id);"
  current_sources:
    CS:
      vars: {num_cs_test: unsigned int, id_cs_test: unsigned int}
      injection_code: "$(num_cs_test) = $(num); $(id_cs_test) = $(id);"
  weight_updates:
    WUM:
      vars: {num_pre_wum_syn_test: unsigned int, num_post_wum_syn_test: unsigned int, id_pre_test: unsigned int, id_post_test: unsigned int}
      synapse_dynamics_code: |
        $(num_pre_wum_syn_test) = $(num_pre);
        $(num_post_wum_syn_test) = $(num_post);
        $(id_pre_test) = $(id_pre);
        $(id_post_test) = $(id_post);
populations:
  Pre: {size: 2, model: SpikeSource}
  Post:
    size: 4
    model: Neuron
    vars: {num_test: 0, id_test: 99}
synapses:
  Syn:
    source: Pre
    target: Post
    matrix: %s
    weight_update: {model: WUM, vars: {num_pre_wum_syn_test: 0, num_post_wum_syn_test: 0, id_pre_test: 99, id_post_test: 99}}
    postsynaptic: {model: PSM, vars: {num_psm_test: 0, id_psm_test: 99}}
current_sources:
  CurrSource: {model: CS, target: Post, vars: {num_cs_test: 0, id_cs_test: 99}}
`

func TestAcceptanceNumAndID(t *testing.T) {
	for _, matrix := range []string{"dense", "sparse"} {
		t.Run(matrix, func(t *testing.T) {
			doc := sprintf(numDoc, matrix)
			if matrix == "sparse" {
				doc = sprintf(numDoc, "sparse\n    connectivity: {init: FixedProbability, params: {prob: 1.0}}")
			}
			s := newSim(t, doc, codegen.Options{}, []uint64{3}, nil)
			s.step(1)
			ids := []float64{0, 1, 2, 3}
			four := []float64{4, 4, 4, 4}
			assert.Equal(t, four, s.get("Post", "num_test", 0))
			assert.Equal(t, ids, s.get("Post", "id_test", 0))
			assert.Equal(t, four, s.get("Syn", "num_psm_test", 0))
			assert.Equal(t, ids, s.get("Syn", "id_psm_test", 0))
			assert.Equal(t, four, s.get("CurrSource", "num_cs_test", 0))
			assert.Equal(t, ids, s.get("CurrSource", "id_cs_test", 0))
			// 2 × 4 synapses, row-major (dense; sparse rows of 4 here)
			assert.Equal(t, []float64{2, 2, 2, 2, 2, 2, 2, 2}, s.get("Syn", "num_pre_wum_syn_test", 0))
			assert.Equal(t, []float64{4, 4, 4, 4, 4, 4, 4, 4}, s.get("Syn", "num_post_wum_syn_test", 0))
			assert.Equal(t, []float64{0, 0, 0, 0, 1, 1, 1, 1}, s.get("Syn", "id_pre_test", 0))
			assert.Equal(t, []float64{0, 1, 2, 3, 0, 1, 2, 3}, s.get("Syn", "id_post_test", 0))
		})
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

package cpu_test

// Acceptance: GeNN's feature test "num" (tests/features/num, 4.9.0):
// $(num) in neuron sim code, postsynaptic decay code, current-source
// injection code, pre/post dynamics code and neuron custom updates equals
// the population size; $(num_pre) and $(num_post) in synapse dynamics code
// and weight-update custom updates equal the source and target sizes.

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const numDoc = `
simulation: {dt: 1.0, duration: 1, precision: float}
models:
  neurons:
    Neuron:
      vars: {num_test: unsigned int, num_batch_test: unsigned int, id_test: unsigned int}
      sim_code: "$(num_test) = $(num); $(num_batch_test) = $(num_batch); $(id_test) = $(id);"
  postsynaptic:
    PSM:
      vars: {num_psm_test: unsigned int, num_batch_psm_test: unsigned int, id_psm_test: unsigned int}
      decay_code: "$(num_psm_test) = $(num); $(num_batch_psm_test) = $(num_batch); $(id_psm_test) = $(id);"
  current_sources:
    CS:
      vars: {num_cs_test: unsigned int, num_batch_cs_test: unsigned int, id_cs_test: unsigned int}
      injection_code: "$(num_cs_test) = $(num); $(num_batch_cs_test) = $(num_batch); $(id_cs_test) = $(id);"
  weight_updates:
    WUM:
      vars: {num_pre_wum_syn_test: unsigned int, num_post_wum_syn_test: unsigned int, num_batch_wum_syn_test: unsigned int, id_pre_test: unsigned int, id_post_test: unsigned int}
      pre_vars: {num_wum_pre_test: unsigned int, num_batch_wum_pre_test: unsigned int}
      post_vars: {num_wum_post_test: unsigned int, num_batch_wum_post_test: unsigned int}
      synapse_dynamics_code: |
        $(num_pre_wum_syn_test) = $(num_pre);
        $(num_post_wum_syn_test) = $(num_post);
        $(num_batch_wum_syn_test) = $(num_batch);
        $(id_pre_test) = $(id_pre);
        $(id_post_test) = $(id_post);
      pre_dynamics_code: "$(num_wum_pre_test) = $(num); $(num_batch_wum_pre_test) = $(num_batch);"
      post_dynamics_code: "$(num_wum_post_test) = $(num); $(num_batch_wum_post_test) = $(num_batch);"
%s
populations:
  Pre: {size: 2, model: SpikeSource}
  Post:
    size: 4
    model: Neuron
    vars: {num_test: 0, num_batch_test: 0, id_test: 99}
synapses:
  Syn:
    source: Pre
    target: Post
    matrix: %s
    weight_update:
      model: WUM
      vars: {num_pre_wum_syn_test: 0, num_post_wum_syn_test: 0, num_batch_wum_syn_test: 0, id_pre_test: 99, id_post_test: 99}
      pre_vars: {num_wum_pre_test: 0, num_batch_wum_pre_test: 0}
      post_vars: {num_wum_post_test: 0, num_batch_wum_post_test: 0}
    postsynaptic: {model: PSM, vars: {num_psm_test: 0, num_batch_psm_test: 0, id_psm_test: 99}}
current_sources:
  CurrSource: {model: CS, target: Post, vars: {num_cs_test: 0, num_batch_cs_test: 0, id_cs_test: 99}}
%s`

// numCustomUpdates are the num test's custom updates (group Test): $(num)
// of a neuron-variable update is the population's size, $(num_pre) and
// $(num_post) of a weight-update-variable update the group's.
const numCustomUpdates = `  custom_updates:
    CU:
      var_name_types: [[num_test, unsigned int], [num_batch_test, unsigned int]]
      var_refs: [[ref, unsigned int, READ_ONLY]]
      update_code: "$(num_test) = $(num); $(num_batch_test) = $(num_batch);"
    CUWUM:
      var_name_types: [[num_pre_test, unsigned int], [num_post_test, unsigned int], [num_batch_test, unsigned int]]
      var_refs: [[ref, unsigned int, READ_ONLY]]
      update_code: "$(num_pre_test) = $(num_pre); $(num_post_test) = $(num_post); $(num_batch_test) = $(num_batch);"`

const numCustomUpdateGroups = `custom_updates:
  CU: {group: Test, model: CU, vars: {num_test: 0, num_batch_test: 0}, var_refs: {ref: Post.num_test}}
  CUWM: {group: Test, model: CUWUM, vars: {num_pre_test: 0, num_post_test: 0, num_batch_test: 0}, wu_var_refs: {ref: Syn.num_pre_wum_syn_test}}
`

// The num test, and beyond it $(id) in neuron,
// postsynaptic and current source code and $(id_pre)/$(id_post) in
// synapse code have their exact values. $(num_batch) is 1 everywhere (a
// variant is a GeNN model of batch size 1). The custom-update part runs
// where the backend has custom updates.
func TestAcceptanceNumAndID(t *testing.T) {
	for _, matrix := range []string{"dense", "sparse"} {
		t.Run(matrix, func(t *testing.T) {
			mat := matrix
			if matrix == "sparse" {
				mat = "sparse\n    connectivity: {init: FixedProbability, params: {prob: 1.0}}"
			}
			s := newSim(t, sprintf(numDoc, "", mat, ""), codegen.Options{}, []uint64{3}, nil)
			s.step(1)
			ids := []float64{0, 1, 2, 3}
			four := []float64{4, 4, 4, 4}
			ones := func(n int) []float64 {
				o := make([]float64, n)
				for i := range o {
					o[i] = 1
				}
				return o
			}
			assert.Equal(t, four, s.get("Post", "num_test", 0))
			assert.Equal(t, ones(4), s.get("Post", "num_batch_test", 0))
			assert.Equal(t, ids, s.get("Post", "id_test", 0))
			assert.Equal(t, four, s.get("Syn", "num_psm_test", 0))
			assert.Equal(t, ones(4), s.get("Syn", "num_batch_psm_test", 0))
			assert.Equal(t, ids, s.get("Syn", "id_psm_test", 0))
			assert.Equal(t, four, s.get("CurrSource", "num_cs_test", 0))
			assert.Equal(t, ones(4), s.get("CurrSource", "num_batch_cs_test", 0))
			assert.Equal(t, ids, s.get("CurrSource", "id_cs_test", 0))
			assert.Equal(t, []float64{2, 2}, s.get("Syn", "num_wum_pre_test", 0))
			assert.Equal(t, ones(2), s.get("Syn", "num_batch_wum_pre_test", 0))
			assert.Equal(t, four, s.get("Syn", "num_wum_post_test", 0))
			assert.Equal(t, ones(4), s.get("Syn", "num_batch_wum_post_test", 0))
			// 2 × 4 synapses, row-major (dense; sparse rows of 4 here)
			assert.Equal(t, []float64{2, 2, 2, 2, 2, 2, 2, 2}, s.get("Syn", "num_pre_wum_syn_test", 0))
			assert.Equal(t, []float64{4, 4, 4, 4, 4, 4, 4, 4}, s.get("Syn", "num_post_wum_syn_test", 0))
			assert.Equal(t, ones(8), s.get("Syn", "num_batch_wum_syn_test", 0))
			assert.Equal(t, []float64{0, 0, 0, 0, 1, 1, 1, 1}, s.get("Syn", "id_pre_test", 0))
			assert.Equal(t, []float64{0, 1, 2, 3, 0, 1, 2, 3}, s.get("Syn", "id_post_test", 0))
		})
	}
	t.Run("custom_updates", func(t *testing.T) {
		s := newSim(t, sprintf(numDoc, numCustomUpdates, "dense", numCustomUpdateGroups), codegen.Options{}, []uint64{3}, nil)
		s.step(1)
		require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("Test"), 0))
		assert.Equal(t, []float64{4, 4, 4, 4}, s.get("CU", "num_test", 0))
		assert.Equal(t, []float64{1, 1, 1, 1}, s.get("CU", "num_batch_test", 0))
		assert.Equal(t, []float64{2, 2, 2, 2, 2, 2, 2, 2}, s.get("CUWM", "num_pre_test", 0))
		assert.Equal(t, []float64{4, 4, 4, 4, 4, 4, 4, 4}, s.get("CUWM", "num_post_test", 0))
		assert.Equal(t, []float64{1, 1, 1, 1, 1, 1, 1, 1}, s.get("CUWM", "num_batch_test", 0))
	})
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

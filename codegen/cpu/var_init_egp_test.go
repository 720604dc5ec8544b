package cpu_test

import (
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

// GeNN 4.9's var_init_egp: variable-initialisation snippets reading a
// scalar extra global parameter ($(value) = $(val), val = 7) and an array
// one ($(values)[$(id) % 10] or [$(id_post) % 10], values = 0 … 9) set
// neuron, current source, postsynaptic, weight-update pre/post and
// per-synapse variables of a dense (1 × 100) and a sparse one-to-one
// (100 × 100) group; each snippet instance has its own parameter values.
func TestVarInitEGP(t *testing.T) {
	t.Parallel()
	s := newSim(t, `
simulation: {dt: 0.1, duration: 0, precision: float}
models:
  var_inits:
    ScalarEGP: {var_init_code: "$(value) = $(val);", extra_global_params: [[val, scalar]]}
    RepeatVal: {var_init_code: "$(value) = $(values)[$(id) % 10];", extra_global_params: [[values, scalar*]]}
    PostRepeatVal: {var_init_code: "$(value) = $(values)[$(id_post) % 10];", extra_global_params: [[values, scalar*]]}
  neurons:
    Neuron: {var_name_types: [[vconstant, scalar], [vrepeat, scalar]]}
  current_sources:
    CurrentSrc: {var_name_types: [[vconstant, scalar], [vrepeat, scalar]]}
  postsynaptic:
    PostsynapticModel: {var_name_types: [[pvconstant, scalar], [pvrepeat, scalar]]}
  weight_updates:
    WeightUpdateModel:
      var_name_types: [[vconstant, scalar], [vrepeat, scalar]]
      pre_var_name_types: [[pre_vconstant, scalar], [pre_vrepeat, scalar]]
      post_var_name_types: [[post_vconstant, scalar], [post_vrepeat, scalar]]
populations:
  SpikeSource1: {size: 1, model: SpikeSource}
  SpikeSource2: {size: 100, model: SpikeSource}
  Pop: {size: 100, model: Neuron, vars: {vconstant: &c {init: ScalarEGP, extra_global_params: {val: 7.0}}, vrepeat: &r {init: RepeatVal, extra_global_params: {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}}}
current_sources:
  CurrSource: {model: CurrentSrc, target: Pop, vars: {vconstant: *c, vrepeat: *r}}
synapses:
  Dense: &syn
    source: SpikeSource1
    target: Pop
    matrix: dense
    weight_update:
      model: WeightUpdateModel
      vars: {vconstant: *c, vrepeat: {init: PostRepeatVal, extra_global_params: {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}}
      pre_vars: {pre_vconstant: *c, pre_vrepeat: *r}
      post_vars: {post_vconstant: *c, post_vrepeat: *r}
    postsynaptic: {model: PostsynapticModel, vars: {pvconstant: *c, pvrepeat: *r}}
  Sparse:
    <<: *syn
    source: SpikeSource2
    matrix: sparse
    connectivity: {init: OneToOne}
`, codegen.Options{}, []uint64{1}, nil)
	repeat, seven := make([]float64, 100), make([]float64, 100)
	for i := range repeat {
		repeat[i], seven[i] = float64(i%10), 7
	}
	for _, v := range []struct{ owner, name string }{
		{"Pop", "vrepeat"}, {"CurrSource", "vrepeat"}, {"Sparse", "pvrepeat"}, {"Dense", "pvrepeat"},
		{"Sparse", "vrepeat"}, {"Dense", "vrepeat"}, {"Sparse", "pre_vrepeat"}, {"Sparse", "post_vrepeat"}, {"Dense", "post_vrepeat"},
	} {
		assert.Equal(t, repeat, s.get(v.owner, v.name, 0), "%s.%s", v.owner, v.name)
	}
	for _, v := range []struct{ owner, name string }{
		{"Pop", "vconstant"}, {"CurrSource", "vconstant"}, {"Sparse", "pvconstant"}, {"Dense", "pvconstant"},
		{"Sparse", "vconstant"}, {"Dense", "vconstant"}, {"Sparse", "pre_vconstant"}, {"Sparse", "post_vconstant"}, {"Dense", "post_vconstant"},
	} {
		assert.Equal(t, seven, s.get(v.owner, v.name, 0), "%s.%s", v.owner, v.name)
	}
	assert.Equal(t, []float64{0}, s.get("Dense", "pre_vrepeat", 0), "the one presynaptic neuron of Dense")
}

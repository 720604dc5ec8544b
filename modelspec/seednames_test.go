package modelspec_test

import (
	"testing"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seed's argument names of create_custom_*_class (pygenn), in pygenn's
// list-of-pairs forms, with access modes, class_name and custom_body,
// decode to the same definitions as gennctl's short forms.
const seedNamesDoc = `simulation: {dt: 0.5, duration: 10}
models:
  neurons:
    MyLIF:
      class_name: MyLIF
      param_names: [TauM, Vthresh]
      var_name_types: [[V, scalar], [Vmax, scalar, READ_ONLY_SHARED_NEURON], [Count, unsigned int, VarAccess_READ_ONLY]]
      derived_params: [[ExpTC, "exp(-DT / TauM)"]]
      sim_code: "$(V) = $(ExpTC) * $(V) + $(Isyn) + $(Iextra);"
      threshold_condition_code: "$(V) >= $(Vthresh)"
      extra_global_params: [[table, scalar*]]
      additional_input_vars: [[Iextra, scalar, 0.5]]
      custom_body: {reset_code: "$(V) = 0.0;", is_auto_refractory_required: false}
  weight_updates:
    MySTDP:
      param_names: [A]
      var_name_types: {g: [scalar, READ_ONLY]}
      pre_var_name_types: [[preTrace, scalar]]
      post_var_name_types: {postTrace: {type: scalar, access: READ_WRITE}}
      sim_code: "$(addToInSyn, $(g));"
      pre_dynamics_code: "$(preTrace) *= 0.9;"
      post_dynamics_code: "$(postTrace) *= 0.9;"
      synapse_dynamics_suppport_code: "#define MY_SYN 1"
      is_pre_spike_event_time_required: true
      is_prev_pre_spike_time_required: true
      is_prev_post_spike_time_required: true
      is_prev_pre_spike_event_time_required: true
  connectivity:
    Ring:
      param_names: [shift]
      row_build_state_vars: [[done, int, 0]]
      row_build_code: "if ($(done)) { $(endRow); } $(addSynapse, ($(id_pre) + (int)$(shift)) % $(num_post)); done = 1;"
      calc_max_row_len_func: 1
      calc_max_col_len_func: "1"
  custom_updates:
    Scale:
      param_names: [factor]
      var_name_types: [[Total, scalar, REDUCE_NEURON_SUM]]
      var_refs: [[R, scalar, VarAccessMode_READ_WRITE], [S, scalar, READ_ONLY]]
      update_code: "$(R) *= $(factor); $(Total) = $(R);"
populations:
  N: {size: 4, model: MyLIF, params: {TauM: 10, Vthresh: -50}, vars: {V: -60, Vmax: 0, Count: 0}, extra_global_params: {table: [1]}}
`

func TestSeedNames(t *testing.T) {
	n := mustDecode(t, seedNamesDoc)
	m := n.Custom.Neurons["MyLIF"]
	require.NotNil(t, m)
	assert.Equal(t, []string{"TauM", "Vthresh"}, m.Params)
	assert.Equal(t, []modelspec.Var{{Name: "V", Type: "scalar"}, {Name: "Vmax", Type: "scalar", Access: modelspec.AccessReadOnlySharedNeuron},
		{Name: "Count", Type: "unsigned int", Access: modelspec.AccessReadOnly}}, m.Vars)
	assert.Equal(t, []modelspec.DerivedParam{{Name: "ExpTC", Expr: "exp(-DT / TauM)"}}, m.DerivedParams)
	assert.Equal(t, []modelspec.EGP{{Name: "table", Type: "scalar*"}}, m.ExtraGlobalParams)
	assert.Equal(t, []modelspec.AdditionalInput{{Name: "Iextra", Type: "scalar", Init: 0.5}}, m.AdditionalInputVars)
	assert.Equal(t, "$(V) = 0.0;", m.ResetCode, "from custom_body")
	assert.False(t, m.AutoRefractoryRequired, "from custom_body")
	assert.Contains(t, m.CodePos, "reset_code")

	w := n.Custom.WeightUpdates["MySTDP"]
	require.NotNil(t, w)
	assert.Equal(t, []modelspec.Var{{Name: "g", Type: "scalar", Access: modelspec.AccessReadOnly}}, w.Vars)
	assert.Equal(t, []modelspec.Var{{Name: "preTrace", Type: "scalar"}}, w.PreVars)
	assert.Equal(t, []modelspec.Var{{Name: "postTrace", Type: "scalar"}}, w.PostVars, "READ_WRITE is the default")
	assert.Equal(t, "$(preTrace) *= 0.9;", w.PreDynamicsCode)
	assert.Equal(t, "$(postTrace) *= 0.9;", w.PostDynamicsCode)
	assert.Equal(t, "#define MY_SYN 1", w.SynapseDynamicsSupportCode)
	assert.Contains(t, w.CodePos, "synapse_dynamics_support_code", "code positions are keyed by the canonical name")
	assert.True(t, w.PreSpikeEventTimeRequired && w.PrevPreSpikeTimeRequired && w.PrevPostSpikeTimeRequired && w.PrevPreSpikeEventTimeRequired)

	c := n.Custom.Connectivity["Ring"]
	require.NotNil(t, c)
	assert.Equal(t, []modelspec.StateVar{{Name: "done", Type: "int", Init: "0"}}, c.RowBuildStateVars)
	assert.Equal(t, "1", c.MaxRowLength)
	assert.Equal(t, "1", c.MaxColLength)

	cu := n.Custom.CustomUpdates["Scale"]
	require.NotNil(t, cu)
	assert.Equal(t, []modelspec.Var{{Name: "Total", Type: "scalar", Access: modelspec.AccessReduceNeuronSum}}, cu.Vars)
	assert.Equal(t, []modelspec.VarRef{{Name: "R", Type: "scalar"}, {Name: "S", Type: "scalar", Access: modelspec.ModeReadOnly}}, cu.VarRefs)
}

// The short forms decode to the same definitions as the seed's names.
func TestSeedNamesSynonyms(t *testing.T) {
	short := mustDecode(t, `simulation: {dt: 0.5, duration: 10}
models:
  neurons:
    M:
      params: [a]
      vars: {V: scalar, S: {type: scalar, access: READ_ONLY_SHARED_NEURON}}
      derived_params: {b: "2 * a"}
      extra_global_params: {e: scalar}
      additional_input_vars: {I2: {type: scalar, init: 1.0}}
populations:
  N: {size: 1, model: M, params: {a: 1}, vars: {V: 0, S: 0}}
`)
	seed := mustDecode(t, `simulation: {dt: 0.5, duration: 10}
models:
  neurons:
    M:
      param_names: [a]
      var_name_types: [[V, scalar], [S, scalar, READ_ONLY_SHARED_NEURON]]
      derived_params: [[b, "2 * a"]]
      extra_global_params: [[e, scalar]]
      additional_input_vars: [[I2, scalar, 1.0]]
populations:
  N: {size: 1, model: M, params: {a: 1}, vars: {V: 0, S: 0}}
`)
	assert.Equal(t, short.Custom.Neurons["M"], seed.Custom.Neurons["M"])
	assert.Equal(t, short.StructureDigest(), seed.StructureDigest())
}

func TestSeedNamesBad(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"both names", `models: {neurons: {M: {params: [a], param_names: [a]}}}`,
			`t.yaml:2:37: models.neurons.M: "params" and "param_names" are the same field (param_names): give one`},
		{"class_name", `models: {neurons: {M: {class_name: N}}}`,
			`t.yaml:2:36: models.neurons.M.class_name: class_name "N" differs from the model's name "M": a custom model is named by its key under models`},
		{"access", `models: {neurons: {M: {var_name_types: [[V, scalar, REDUCE_SUM]]}}}`,
			`t.yaml:2:53: models.neurons.M.var_name_types.V.access: unknown access mode "REDUCE_SUM" (expected one of READ_WRITE, READ_ONLY, READ_ONLY_DUPLICATE, READ_ONLY_SHARED_NEURON)`},
		{"pair", `models: {neurons: {M: {var_name_types: [[V]]}}}`,
			`t.yaml:2:41: models.neurons.M.var_name_types.V: expected the name and 1 to 2 value(s) (type[, access mode]), got 0 value(s)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := "simulation: {dt: 0.1, duration: 1}\n" + c.doc + "\npopulations: {P: {size: 1, model: SpikeSource}}\n"
			_, err := decodeString("t.yaml", doc)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

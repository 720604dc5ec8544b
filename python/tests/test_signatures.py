"""The seed's functions exist with the seed's signatures and defaults
(pygenn.genn_model 3.3, ../shared/reference), GeNN 4.9's additions after them,
and 4.9's custom update functions with pygenn 4.9.0's."""
import inspect

import pytest

from gennctl import genn_model

# from the seed's function documentation: name -> parameters (None: no default)
SEED = {
    "init_var": "init_var_snippet, param_space",
    "init_connectivity": "init_sparse_connect_snippet, param_space",
    "create_custom_neuron_class": "class_name, param_names=None, var_name_types=None, derived_params=None, "
    "sim_code=None, threshold_condition_code=None, reset_code=None, support_code=None, extra_global_params=None, "
    "additional_input_vars=None, is_auto_refractory_required=None, custom_body=None",
    "create_custom_postsynaptic_class": "class_name, param_names=None, var_name_types=None, derived_params=None, "
    "decay_code=None, apply_input_code=None, support_code=None, custom_body=None",
    "create_custom_weight_update_class": "class_name, param_names=None, var_name_types=None, "
    "pre_var_name_types=None, post_var_name_types=None, derived_params=None, sim_code=None, event_code=None, "
    "learn_post_code=None, synapse_dynamics_code=None, event_threshold_condition_code=None, pre_spike_code=None, "
    "post_spike_code=None, sim_support_code=None, learn_post_support_code=None, "
    "synapse_dynamics_suppport_code=None, extra_global_params=None, is_pre_spike_time_required=None, "
    "is_post_spike_time_required=None, custom_body=None",
    "create_custom_current_source_class": "class_name, param_names=None, var_name_types=None, "
    "derived_params=None, injection_code=None, extra_global_params=None, custom_body=None",
    "create_custom_model_class": "class_name, base, param_names, var_name_types, derived_params, custom_body",
    "create_dpf_class": "dp_func",
    "create_cmlf_class": "cml_func",
    "create_custom_init_var_snippet_class": "class_name, param_names=None, derived_params=None, "
    "var_init_code=None, custom_body=None",
    "create_custom_sparse_connect_init_snippet_class": "class_name, param_names=None, derived_params=None, "
    "row_build_code=None, row_build_state_vars=None, calc_max_row_len_func=None, calc_max_col_len_func=None, "
    "extra_global_params=None, custom_body=None",
}

# GeNN 4.9's functions that the seed lacks, with pygenn 4.9.0's signatures
GENN_49 = {
    "create_custom_custom_update_class": "class_name, param_names=None, var_name_types=None, derived_params=None, "
    "var_refs=None, update_code=None, extra_global_params=None, extra_global_param_refs=None, custom_body=None",
    "create_var_ref": "pop, var_name",
    "create_psm_var_ref": "sg, var_name",
    "create_wu_pre_var_ref": "sg, var_name",
    "create_wu_post_var_ref": "sg, var_name",
    "create_wu_var_ref": "g, var_name, tp_sg=None, tp_var_name=None",
    "create_egp_ref": "pop, egp_name",
    "create_psm_egp_ref": "sg, egp_name",
    "create_wu_egp_ref": "sg, egp_name",
}
SEED.update(GENN_49)


def test_add_custom_update_signature():
    params = inspect.signature(genn_model.GeNNModel.add_custom_update).parameters
    assert list(params) == ["self", "cu_name", "group_name", "custom_update_model", "param_space", "var_space",
                            "var_ref_space", "egp_ref_space"]


@pytest.mark.parametrize("name", sorted(SEED))
def test_seed_signature(name):
    params = list(inspect.signature(getattr(genn_model, name)).parameters.values())
    seed = [p.strip() for p in SEED[name].split(",")]
    got = [p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}" for p in params]
    assert got[:len(seed)] == seed
    # anything beyond the seed (GeNN 4.9's additions) is optional
    assert all(p.default is not inspect.Parameter.empty for p in params[len(seed):])


def test_import_forms():
    from gennctl import genn_model as gm
    from gennctl.genn_model import GeNNModel, create_custom_neuron_class, init_connectivity, init_var  # noqa: F401
    from gennctl.genn_wrapper import NO_DELAY
    assert gm.GeNNModel is GeNNModel and NO_DELAY == 0


def test_model_instances_are_callable_as_in_pygenn3():
    """4.9 returns an instance; 3.x scripts call the returned class: both work."""
    m = genn_model.create_custom_neuron_class("Leak", param_names=["tau"], var_name_types=[("V", "scalar")],
                                              sim_code="$(V) -= $(V) / $(tau) * DT;")
    assert m() is m
    assert m.get_param_names() == ["tau"] and m.get_vars()[0] == ("V", "scalar", None)  # no access mode given
    assert m.get_sim_code() == "$(V) -= $(V) / $(tau) * DT;"
    dpf = genn_model.create_dpf_class(lambda pars, dt: pars[0] * dt)()
    assert dpf([2.0], 0.5) == 1.0
    cmlf = genn_model.create_cmlf_class(lambda num_pre, num_post, pars: num_post // 2)()
    assert cmlf(10, 8, []) == 4


def test_custom_body_overrides_getters():
    from gennctl import genn_wrapper
    m = genn_model.create_custom_model_class("Sum", genn_wrapper.NeuronModels.Custom, ["a"], [("V", "scalar")],
                                             None, {"get_sim_code": lambda self: "$(V) += $(a);"})
    assert m.get_sim_code() == "$(V) += $(a);" and m.kind == "neurons"


def test_unknown_builtin_is_a_value_error():
    model = genn_model.GeNNModel("float", "unknown")
    with pytest.raises(ValueError, match="LIF"):
        model.add_neuron_population("P", 1, "LIFF", {}, {})


def test_abi_version_matches_the_generator():
    """The ctypes binding speaks the ABI that codegen/abi.go generates; a new
    ABI version needs the binding (gennctl/_abi.py) checked and bumped."""
    import os
    import re

    from conftest import REPO
    from gennctl import _abi
    with open(os.path.join(REPO, "codegen", "abi.go")) as f:
        version = int(re.search(r"const ABIVersion = (\d+)", f.read()).group(1))
    assert _abi.ABI_VERSION == version

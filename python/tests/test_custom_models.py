"""Every kind of custom model (neuron, postsynaptic, weight update with pre
and post variables, current source, variable initialisation snippet) in
process and in a sweep, with values that can be counted exactly."""
import numpy as np

from gennctl.genn_model import (GeNNModel, create_custom_current_source_class, create_custom_init_var_snippet_class,
                                create_custom_neuron_class, create_custom_postsynaptic_class,
                                create_custom_weight_update_class, init_var)

STEPS = 50  # 5 ms at dt 0.1
SUM = create_custom_neuron_class("Sum", var_name_types=[("V", "scalar")], sim_code="$(V) += $(Isyn);")
SCALED = create_custom_postsynaptic_class("Scaled", param_names=["scale"],
                                          apply_input_code="$(Isyn) += $(scale) * $(inSyn);\n$(inSyn) = 0;")
PLASTIC = create_custom_weight_update_class(
    "Plastic", param_names=["dg"], var_name_types=[("g", "scalar")], pre_var_name_types=[("preCount", "scalar")],
    post_var_name_types=[("postTrace", "scalar")],
    sim_code="""
        $(addToInSyn, $(g));
        $(g) += $(dg);
        """,
    pre_spike_code="$(preCount) += 1.0;")
LINEAR = create_custom_init_var_snippet_class("Linear", param_names=["step"], var_init_code="$(value) = $(id) * $(step);")
RAMP = create_custom_current_source_class("Ramp", var_name_types=[("amp", "scalar")],
                                          injection_code="$(injectCurrent, $(amp));")


def network(name, matrix, weights):
    """Two spike sources (neuron 0 at 1.05 and 3.05 ms, neuron 1 at 2.05 ms,
    i.e. in steps 11, 31 and 21) onto three summing neurons."""
    model = GeNNModel("double", name)
    pre = model.add_neuron_population("Pre", 2, "SpikeSourceArray", {}, {"startSpike": [0, 2], "endSpike": [2, 3]})
    pre.set_extra_global_param("spikeTimes", [1.05, 3.05, 2.05])
    post = model.add_neuron_population("Post", 3, SUM, {}, {"V": [0.0, 10.0, 20.0]})
    syn = model.add_synapse_population("S", matrix, 0, pre, post, PLASTIC, {"dg": 0.5}, {"g": weights},
                                       {"preCount": 0.0}, {"postTrace": 7.0}, SCALED, {"scale": 2.0}, {})
    cs = model.add_current_source("ramp", RAMP, post, {}, {"amp": init_var(LINEAR, {"step": 0.25})})
    return model, pre, post, syn, cs


def expected_v(g0, scale=2.0):
    """V of the three targets after STEPS steps: initial value, the ramp's
    current j * 0.25 every step, and scale x g at each delivery (g grows by
    0.5 after each)."""
    g0 = np.asarray(g0, dtype=float)
    return np.array([0.0, 10.0, 20.0]) + STEPS * 0.25 * np.arange(3) + \
        scale * (g0[0] + (g0[0] + 0.5) + g0[1])


def test_custom_models_in_process():
    w = np.array([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]])
    model, pre, post, syn, cs = network("custom", "DENSE_INDIVIDUALG", w.flatten())
    model.build()
    model.load()
    np.testing.assert_allclose(cs.vars["amp"].view, [0.0, 0.25, 0.5])
    np.testing.assert_allclose(syn.vars["g"].view, w.flatten())
    for _ in range(STEPS):
        model.step_time()
    model.pull_state_from_device("Post")
    model.pull_state_from_device("S")
    cs.pull_state_from_device()
    np.testing.assert_allclose(post.vars["V"].view, expected_v(w), rtol=1e-12)
    np.testing.assert_allclose(syn.get_var_values("g").reshape(2, 3), w + [[1.0], [0.5]])
    np.testing.assert_allclose(syn.pre_vars["preCount"].view, [2.0, 1.0])
    np.testing.assert_allclose(syn.post_vars["postTrace"].view, [7.0, 7.0, 7.0])
    np.testing.assert_allclose(syn.in_syn, 0.0)
    np.testing.assert_allclose(cs.vars["amp"].view, [0.0, 0.25, 0.5])
    # per-element values given as arrays are written again at reinitialise
    model.reinitialise()
    np.testing.assert_allclose(syn.vars["g"].view, w.flatten())
    np.testing.assert_allclose(post.vars["V"].view, [0.0, 10.0, 20.0])


def test_custom_models_in_a_sweep_with_connections_from_python():
    """Per-element values and set_sparse_connections in a sweep document
    (binary files and extra global parameters), swept over a parameter."""
    model, pre, post, syn, cs = network("customsweep", "SPARSE_INDIVIDUALG", [0.3, 0.1, 0.2])
    syn.set_sparse_connections([1, 0, 0], [1, 2, 0])  # weights follow this order
    res = model.sweep(STEPS * 0.1, grid={"synapses.S.postsynaptic.params.scale": [1.0, 2.0]},
                      record={"Post": {"vars": {"V": {"every": 0.5}}}}, progress=False)
    assert (res.variants.status == "done").all()
    g0 = np.array([[0.2, 0.0, 0.1],     # row 0: synapses 0->2 (0.1) and 0->0 (0.2)
                   [0.0, 0.3, 0.0]])    # row 1: 1->1 (0.3)
    for _, row in res.variants.iterrows():
        scale = row["synapses.S.postsynaptic.params.scale"]
        state = res.state(variant=row.variant_id, var="V", start=STEPS * 0.1)
        assert list(state.neuron) == [0, 1, 2]
        # only existing synapses deliver: mask the missing pairs out of the growth
        exist = g0 != 0
        delivered = scale * ((g0[0] * 2 + 0.5 * exist[0]) + g0[1])
        want = np.array([0.0, 10.0, 20.0]) + STEPS * 0.25 * np.arange(3) + delivered
        np.testing.assert_allclose(state.value.to_numpy(), want, rtol=1e-12)
    with open("out/customsweep.yaml") as f:
        text = f.read()
    assert '"file": "customsweep.data/synapses.S.weight_update.vars.g.bin"' in text
    assert '"init": "gennctl_FromList"' in text


def test_dynamics_code_and_target_variables():
    """GeNN 4.9's pre/post_dynamics_code run every step for every neuron;
    ps_target_var routes the postsynaptic input and pre_target_var
    $(addToPre) into additional input variables."""
    src_model = create_custom_neuron_class(
        "Src", var_name_types=[("V", "scalar"), ("P", "scalar")], additional_input_vars=[("Ipre", "scalar", 0.0)],
        sim_code="$(V) += DT;\n$(P) += $(Ipre);", threshold_condition_code="$(V) > 0.5 && $(V) < 1.5")
    trg_model = create_custom_neuron_class(
        "Trg", var_name_types=[("V", "scalar"), ("W", "scalar")], additional_input_vars=[("Iextra", "scalar", 0.0)],
        sim_code="$(V) += $(Isyn);\n$(W) += $(Iextra);")
    wu = create_custom_weight_update_class(
        "Counting", var_name_types=[("g", "scalar")], pre_var_name_types=[("preCount", "scalar")],
        post_var_name_types=[("postCount", "scalar")], sim_code="$(addToInSyn, $(g));\n$(addToPre, 1.0);",
        pre_dynamics_code="$(preCount) += 1.0;", post_dynamics_code="$(postCount) += 2.0;")
    model = GeNNModel("double", "dynamics_targets", backend="cpu")
    model.dT = 1.0
    src = model.add_neuron_population("S", 1, src_model, {}, {"V": 0.0, "P": 0.0})
    trg = model.add_neuron_population("T", 2, trg_model, {}, {"V": 0.0, "W": 0.0})
    syn = model.add_synapse_population("ST", "DENSE_INDIVIDUALG", 0, src, trg, wu, {}, {"g": [0.25, 0.5]},
                                       {"preCount": 0.0}, {"postCount": 0.0}, SCALED, {"scale": 1.0}, {})
    syn.ps_target_var = "Iextra"
    syn.pre_target_var = "Ipre"
    model.build()
    model.load()
    for _ in range(5):
        model.step_time()
    for g in (src, trg):
        g.pull_state_from_device()
    syn.pull_state_from_device()
    # the source spikes once (step 0); its one spike reaches both targets
    np.testing.assert_array_equal(trg.vars["V"].view, [0.0, 0.0])          # nothing into Isyn
    np.testing.assert_array_equal(trg.vars["W"].view, [0.25, 0.5])         # all into Iextra
    np.testing.assert_array_equal(src.vars["P"].view, [2.0])               # addToPre from both synapses
    np.testing.assert_array_equal(syn.pre_vars["preCount"].view, [5.0])    # every step
    np.testing.assert_array_equal(syn.post_vars["postCount"].view, [10.0, 10.0])

"""Custom updates from Python (GeNN 4.9's add_custom_update): updates over
neurons with reductions, over sparse synapses with their own per-synapse
variables, the built-in Transpose, extra global parameter references, batches,
sweeps with a protocol, and the errors PyGeNN gives or the core reports.
The in-process tests run on the CPU backend and on the CUDA backend's module
with its kernels emulated on the CPU (conftest's backend fixture), which gives
the same bits."""
import numpy as np
import pytest

from common import lif_reference
from gennctl import GeNNError
from gennctl.genn_model import (GeNNModel, create_custom_custom_update_class, create_custom_neuron_class,
                                create_egp_ref, create_var_ref, create_wu_var_ref)
from gennctl.genn_wrapper import NO_DELAY
from gennctl.genn_wrapper.Models import (VarAccess_REDUCE_NEURON_MAX, VarAccess_REDUCE_NEURON_SUM,
                                         VarAccessMode_READ_ONLY)

DT = 0.1
LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.5,
       "TauRefrac": 2.0}
V0 = np.linspace(-70.0, -60.0, 5)

SET_V = create_custom_custom_update_class("SetV", param_names=["v"], var_refs=[("V", "scalar")],
                                          update_code="$(V) = $(v);")
STATS = create_custom_custom_update_class(
    "Stats", var_name_types=[("Mean", "scalar", VarAccess_REDUCE_NEURON_SUM),
                             ("Max", "scalar", VarAccess_REDUCE_NEURON_MAX)],
    var_refs=[("V", "scalar", VarAccessMode_READ_ONLY)],
    update_code="""
    $(Mean) = $(V) / $(num);
    $(Max) = $(V);
    """)


def lif_model(name, backend="cpu"):
    model = GeNNModel("double", name, backend=backend)
    model.dT = DT
    pop = model.add_neuron_population("E", len(V0), "LIF", LIF, {"V": V0, "RefracTime": 0.0})
    return model, pop


def test_updates_over_neurons_reduce_and_write_what_the_steps_continue_from(backend):
    model, pop = lif_model("cu_neurons", backend)
    stats = model.add_custom_update("S", "Stats", STATS, {}, {"Mean": 0.0, "Max": 0.0}, {"V": create_var_ref(pop, "V")})
    model.add_custom_update("R", "Reset", SET_V, {"v": -65.0}, {}, {"V": create_var_ref(pop, "V")})
    model.build()
    model.load()
    assert model._runtime.module.description["backend"] == backend
    for _ in range(10):
        model.step_time()
    model.custom_update("Stats")
    stats.pull_state_from_device()
    ref = np.array([lif_reference(LIF, 10, v, current=0.0)[0][-1] for v in V0])
    # the reductions of GeNN's CPU backend: the sum from 0 in neuron order, the maximum
    np.testing.assert_allclose(stats.vars["Mean"].view, [np.sum(ref / len(V0))], rtol=1e-12)
    np.testing.assert_allclose(stats.vars["Max"].view, [ref.max()], rtol=1e-12)
    # views change only when pulled (as PyGeNN's on a GPU)
    pop.pull_var_from_device("V")
    before = pop.vars["V"].view.copy()
    model.custom_update("Reset")
    np.testing.assert_array_equal(pop.vars["V"].view, before)
    pop.pull_var_from_device("V")
    np.testing.assert_array_equal(pop.vars["V"].view, -65.0)
    # the next steps start from the values the update wrote
    for _ in range(7):
        model.step_time()
    pop.pull_var_from_device("V")
    np.testing.assert_allclose(pop.vars["V"].view, lif_reference(LIF, 7, -65.0)[0][-1], rtol=1e-12)
    # reinitialise: the update's variables start again from their initial values
    model.reinitialise()
    stats.pull_var_from_device("Mean")
    np.testing.assert_array_equal(stats.vars["Mean"].view, [0.0])


def test_updates_over_sparse_synapses_scale_weights_and_keep_their_own_variables(backend):
    model = GeNNModel("double", "cu_synapses", backend=backend)
    model.dT = DT
    pre = model.add_neuron_population("Pre", 3, "SpikeSourceArray", {},
                                      {"startSpike": [0, 1, 2], "endSpike": [1, 2, 3]})
    pre.set_extra_global_param("spikeTimes", [2.0, 2.0, 2.0])
    post = model.add_neuron_population("Post", 4, "LIF", {**LIF, "Ioffset": 0.0}, {"V": -70.0, "RefracTime": 0.0})
    syn = model.add_synapse_population("S", "SPARSE_INDIVIDUALG", NO_DELAY, pre, post, "StaticPulse", {},
                                       {"g": [0.4, 0.1, 0.2, 0.3]}, {}, {}, "ExpCurr", {"tau": 5.0}, {})
    syn.set_sparse_connections([2, 0, 0, 1], [3, 2, 1, 3])
    scale = create_custom_custom_update_class(
        "Scale", param_names=["factor"], var_name_types=[("Count", "scalar")], var_refs=[("G", "scalar")],
        update_code="""
        $(G) *= $(factor);
        $(Count) += 1.0 + $(id_pre);
        """)
    cu = model.add_custom_update("Sc", "Fade", scale, {"factor": 0.5}, {"Count": [10.0, 20.0, 30.0, 40.0]},
                                 {"G": create_wu_var_ref(syn, "g")})
    model.build()
    model.load()
    model.custom_update("Fade")
    model.custom_update("Fade")
    syn.pull_var_from_device("g")
    cu.pull_var_from_device("Count")
    # PyGeNN's order of the synapses: sorted by pre, then post
    np.testing.assert_allclose(syn.get_var_values("g"), np.array([0.2, 0.1, 0.3, 0.4]) * 0.25, rtol=1e-15)
    np.testing.assert_allclose(cu.get_var_values("Count"), np.array([30.0, 20.0, 40.0, 10.0]) + 2 * np.array(
        [1.0, 1.0, 2.0, 3.0]), rtol=1e-15)
    # the spikes at 2 ms (step 20) are delivered in step 21 with the scaled weights, decayed once
    for _ in range(22):
        model.step_time()
    syn.pull_in_syn_from_device()
    np.testing.assert_allclose(syn.in_syn, np.array([0.0, 0.2, 0.1, 0.7]) * 0.25 * np.exp(-DT / 5.0), rtol=1e-12)


def test_transpose_copies_a_dense_matrix_into_the_reverse_group(backend):
    model = GeNNModel("double", "cu_transpose", backend=backend)
    a = model.add_neuron_population("A", 3, "SpikeSource", {}, {})
    b = model.add_neuron_population("B", 2, "SpikeSource", {}, {})
    g = np.arange(6.0) + 1.0
    ab = model.add_synapse_population("AB", "DENSE_INDIVIDUALG", NO_DELAY, a, b, "StaticPulse", {}, {"g": g}, {}, {},
                                      "DeltaCurr", {}, {})
    ba = model.add_synapse_population("BA", "DENSE_INDIVIDUALG", NO_DELAY, b, a, "StaticPulse", {}, {"g": 0.0}, {},
                                      {}, "DeltaCurr", {}, {})
    model.add_custom_update("T", "Transpose", "Transpose", {}, {},
                            {"variable": create_wu_var_ref(ab, "g", ba, "g")})
    model.build()
    model.load()
    model.custom_update("Transpose")
    ba.pull_var_from_device("g")
    np.testing.assert_array_equal(ba.get_var_values("g").reshape(2, 3), g.reshape(3, 2).T)


def test_extra_global_parameter_references_in_a_batch(backend):
    biased = create_custom_neuron_class("Biased", var_name_types=[("V", "scalar")],
                                        extra_global_params=[("bias", "scalar")], sim_code="$(V) += 0.0;")
    add = create_custom_custom_update_class("Add", var_refs=[("V", "scalar")], extra_global_params=[("step", "scalar")],
                                            extra_global_param_refs=[("b", "scalar")],
                                            update_code="$(V) += $(b) + $(step);")
    again = create_custom_custom_update_class("Again", var_refs=[("V", "scalar")],
                                              extra_global_param_refs=[("s", "scalar")], update_code="$(V) -= $(s);")
    model = GeNNModel("double", "cu_egp_refs", backend=backend)
    model.batch_size = 2
    pop = model.add_neuron_population("N", 3, biased, {}, {"V": [1.0, 2.0, 3.0]})
    pop.set_extra_global_param("bias", 3.0)
    first = model.add_custom_update("A", "Add", add, {}, {}, {"V": create_var_ref(pop, "V")},
                                    {"b": create_egp_ref(pop, "bias")})
    first.set_extra_global_param("step", 0.25)
    model.add_custom_update("B", "Back", again, {}, {}, {"V": create_var_ref(pop, "V")},
                            {"s": create_egp_ref(first, "step")})
    model.build()
    model.load()
    model.custom_update("Add")
    pop.pull_var_from_device("V")
    np.testing.assert_array_equal(pop.vars["V"].view, [[4.25, 5.25, 6.25]] * 2)  # every variant of the batch
    pop.set_extra_global_param("bias", 1.0)  # written into the module at once
    first.set_extra_global_param("step", 0.5)
    model.custom_update("Add")
    model.custom_update("Back")
    pop.pull_var_from_device("V")
    np.testing.assert_array_equal(pop.vars["V"].view, [[5.25, 6.25, 7.25]] * 2)


def test_sweep_runs_custom_updates_from_the_protocol():
    model, pop = lif_model("cu_sweep")
    model.add_custom_update("R", "Reset", SET_V, {"v": -65.0}, {}, {"V": create_var_ref(pop, "V")})
    res = model.sweep(2.0, grid={"custom_updates.R.params.v": [-65.0, -55.0]},
                      protocol=[{"at": 1.0, "custom_update": "Reset"}],
                      record={"E": {"vars": {"V": {"every": 1.0}}}}, progress=None)
    v = res.variants
    assert len(v) == 2 and (v.status == "done").all()
    for _, row in v.iterrows():
        state = res.state(variant=int(row.variant_id), var="V")
        reset = row["custom_updates.R.params.v"]
        # at 1 ms the protocol runs Reset before the state is sampled; 10 steps on, the LIF from there
        at1 = state[state.time == 1.0].sort_values("neuron").value.to_numpy()
        at2 = state[state.time == 2.0].sort_values("neuron").value.to_numpy()
        np.testing.assert_array_equal(at1, reset)
        np.testing.assert_allclose(at2, lif_reference(LIF, 10, reset)[0][-1], rtol=1e-12)


def test_errors():
    model, pop = lif_model("cu_errors")
    with pytest.raises(ValueError, match="no variable 'U' to reference"):
        create_var_ref(pop, "U")
    with pytest.raises(ValueError, match="create_wu_var_ref takes a SynapseGroup"):
        create_wu_var_ref(pop, "V")
    with pytest.raises(ValueError, match=r"invalid variable reference initialisers: need \['V'\], got \[\]"):
        model.add_custom_update("R", "Reset", SET_V, {"v": 0.0}, {}, {})
    syn = model.add_synapse_population("EE", "DENSE_INDIVIDUALG", NO_DELAY, pop, pop, "StaticPulse", {}, {"g": 0.0},
                                       {}, {}, "DeltaCurr", {}, {})
    two = create_custom_custom_update_class("Two", var_refs=[("A", "scalar"), ("B", "scalar")], update_code="")
    with pytest.raises(ValueError, match="mixture of weight update and other variables"):
        model.add_custom_update("M", "Mix", two, {}, {},
                                {"A": create_var_ref(pop, "V"), "B": create_wu_var_ref(syn, "g")})
    with pytest.raises(RuntimeError, match="loaded before performing custom update"):
        model.custom_update("Reset")
    # the core's checks come with the config path and the Python line of the call
    read_only = create_custom_custom_update_class("Writes", var_refs=[("V", "scalar", VarAccessMode_READ_ONLY)],
                                                  update_code="$(V) = 0.0;")
    model.add_custom_update("W", "Reset", read_only, {}, {}, {"V": create_var_ref(pop, "V")})
    with pytest.raises(GeNNError) as err:
        model.build()
    assert err.value.exit_status == 2
    assert any("READ_ONLY" in d.message and d.path.startswith("models.custom_updates.Writes") and
               d.origin and "test_custom_updates.py" in d.origin for d in err.value.diagnostics), err.value.diagnostics

    model, pop = lif_model("cu_unknown_group")
    model.add_custom_update("R", "Reset", SET_V, {"v": 0.0}, {}, {"V": create_var_ref(pop, "V")})
    model.load()
    with pytest.raises(ValueError, match=r"no custom update group 'Nope' \(have Reset\)"):
        model.custom_update("Nope")


def test_access_modes_reach_the_core():
    model = GeNNModel("double", "access_modes", backend="cpu")
    ro = create_custom_neuron_class("RO", var_name_types=[("V", "scalar"), ("K", "scalar", "READ_ONLY")],
                                    sim_code="$(V) += $(K);\n$(K) = 1.0;")
    model.add_neuron_population("N", 2, ro, {}, {"V": 0.0, "K": 1.0})
    with pytest.raises(GeNNError) as err:
        model.build()
    assert any("READ_ONLY" in d.message for d in err.value.diagnostics), err.value.diagnostics

"""Synapse groups in process: connections given from Python, connectivity
read back, weights from arrays, ExpCurr input against its exact decay,
delays, extra global parameters and spike recording."""
import numpy as np
import pytest

from gennctl.genn_model import GeNNModel, init_connectivity
from gennctl.genn_wrapper import NO_DELAY

DT = 0.1
LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.0,
       "TauRefrac": 2.0}


def source_target(name, n_pre, n_post, spike_times):
    """A model with a SpikeSourceArray of n_pre neurons (every one spiking at
    spike_times) and a silent LIF population."""
    model = GeNNModel("double", name)
    model.dT = DT
    times = np.tile(spike_times, n_pre)
    k = len(spike_times)
    pre = model.add_neuron_population("Pre", n_pre, "SpikeSourceArray", {},
                                      {"startSpike": np.arange(n_pre) * k, "endSpike": np.arange(1, n_pre + 1) * k})
    pre.set_extra_global_param("spikeTimes", times)
    post = model.add_neuron_population("Post", n_post, "LIF", LIF, {"V": -70.0, "RefracTime": 0.0})
    return model, pre, post


def test_sparse_connections_from_python_weights_and_exp_curr():
    model, pre, post = source_target("fromlist", 3, 4, [1.0])
    pre_ind = [2, 0, 0, 1]
    post_ind = [3, 2, 1, 3]
    g = [0.4, 0.1, 0.2, 0.3]
    syn = model.add_synapse_population("S", "SPARSE_INDIVIDUALG", NO_DELAY, pre, post, "StaticPulse", {},
                                       {"g": g}, {}, {}, "ExpCurr", {"tau": 5.0}, {})
    syn.set_sparse_connections(pre_ind, post_ind)
    model.build()
    model.load()
    # row by row, targets sorted within a row (PyGeNN's lexical order)
    np.testing.assert_array_equal(syn.get_sparse_pre_inds(), [0, 0, 1, 2])
    np.testing.assert_array_equal(syn.get_sparse_post_inds(), [1, 2, 3, 3])
    np.testing.assert_allclose(syn.get_var_values("g"), [0.2, 0.1, 0.3, 0.4])
    syn.pull_connectivity_from_device()
    np.testing.assert_array_equal(syn._row_lengths, [2, 1, 1])
    assert syn.max_row_length == 2 and syn.weight_update_var_size == 6
    # every source spikes at t = 1 ms (step 10); inSyn gets the weights in step 11,
    # then decays by exp(-DT / tau) in each neuron update
    want = np.array([0.0, 0.2, 0.1, 0.3 + 0.4])
    seen = []
    for _ in range(40):
        model.step_time()
        syn.pull_in_syn_from_device()
        seen.append(syn.in_syn.copy())
    seen = np.array(seen)
    assert np.all(seen[:11] == 0.0)
    k = np.arange(11, 40) - 11 + 1
    np.testing.assert_allclose(seen[11:], want * np.exp(-DT / 5.0) ** k[:, None], rtol=1e-12, atol=1e-15)


def test_fixed_probability_connectivity_and_dense_weight_matrix():
    model, pre, post = source_target("conn", 20, 30, [])
    sparse = model.add_synapse_population("Sp", "SPARSE_INDIVIDUALG", NO_DELAY, pre, post, "StaticPulse", {},
                                          {"g": 1.0}, {}, {}, "DeltaCurr", {}, {},
                                          init_connectivity("FixedProbability", {"prob": 0.3}))
    w = np.arange(20 * 30, dtype=float).reshape(20, 30) / 100.0
    dense = model.add_synapse_population("De", "DENSE_INDIVIDUALG", NO_DELAY, pre, post, "StaticPulse", {},
                                         {"g": w.flatten()}, {}, {}, "DeltaCurr", {}, {})
    model.build()
    model.load()
    sparse.pull_connectivity_from_device()
    pre_i, post_i = sparse.get_sparse_pre_inds(), sparse.get_sparse_post_inds()
    assert len(pre_i) == len(post_i) == sparse.num_synapses
    assert 0.15 < len(pre_i) / 600 < 0.45
    assert np.all(np.diff(pre_i) >= 0) and post_i.max() < 30
    pairs = set(zip(pre_i.tolist(), post_i.tolist()))
    assert len(pairs) == len(pre_i), "FixedProbability draws each pair at most once"
    np.testing.assert_array_equal(sparse.get_var_values("g"), np.ones(len(pre_i)))
    np.testing.assert_allclose(dense.get_var_values("g").reshape(20, 30), w)


def test_delay_steps():
    model, pre, post = source_target("delay", 1, 1, [0.55])
    syn = model.add_synapse_population("S", "DENSE_GLOBALG", 7, pre, post, "StaticPulse", {}, {"g": 2.0}, {}, {},
                                       "ExpCurr", {"tau": 2.0}, {})
    model.build()
    model.load()
    spiked = arrived = None
    for _ in range(30):
        model.step_time()
        syn.pull_in_syn_from_device()
        if spiked is None and len(pre.current_spikes):
            spiked = model.timestep - 1
        if arrived is None and syn.in_syn[0] != 0.0:
            arrived = model.timestep - 1
            assert syn.in_syn[0] == pytest.approx(2.0 * np.exp(-DT / 2.0), rel=1e-12)
    # the spike of step 6 (t = 0.6 >= 0.55 ms) reaches inSyn in step 6 + delay_steps + 1
    assert (spiked, arrived) == (6, 14)


def test_extra_global_params_after_load_and_spike_recording():
    model, pre, post = source_target("egp", 2, 1, [])
    pre.spike_recording_enabled = True
    pre.set_extra_global_param("spikeTimes", [1.0, 2.0])
    pre.vars["startSpike"].set_values([0, 1])
    pre.vars["endSpike"].set_values([1, 2])
    model.build()
    model.load(num_recording_timesteps=50)
    np.testing.assert_allclose(pre.extra_global_params["spikeTimes"].view, [1.0, 2.0])
    for _ in range(50):
        model.step_time()
    model.pull_recording_buffers_from_device()
    times, ids = pre.spike_recording_data
    np.testing.assert_allclose(times, [1.0, 2.0])
    np.testing.assert_array_equal(ids, [0, 1])
    # new spike times, effective from the next step; the array changes length
    pre.set_extra_global_param("spikeTimes", [5.5, 6.0, 7.0])
    pre.vars["endSpike"].view[:] = [2, 3]
    pre.vars["startSpike"].view[:] = [0, 2]
    pre.push_state_to_device()
    model.pull_extra_global_param_from_device("Pre", "spikeTimes")
    np.testing.assert_allclose(pre.extra_global_params["spikeTimes"].view, [5.5, 6.0, 7.0])
    spikes = []
    for _ in range(50):
        model.step_time()
        spikes += [(model.t - DT, int(i)) for i in pre.current_spikes]
    model.pull_recording_buffers_from_device()
    times, ids = pre.spike_recording_data
    assert [(round(t, 6), i) for t, i in spikes] == [(5.5, 0), (6.0, 0), (7.0, 1)]
    np.testing.assert_allclose(times, [5.5, 6.0, 7.0])
    np.testing.assert_array_equal(ids, [0, 0, 1])


def test_recording_needs_timesteps_and_a_full_buffer():
    model, pre, post = source_target("rec", 1, 1, [0.0])
    pre.spike_recording_enabled = True
    model.build()
    with pytest.raises(RuntimeError, match="num.* recording timesteps"):
        model.load()
    model.load(num_recording_timesteps=10)
    model.step_time()
    model.pull_recording_buffers_from_device()
    with pytest.raises(RuntimeError, match="once buffer is full"):
        pre.spike_recording_data


def test_spikes_pushed_from_python_and_postsynaptic_extra_global_parameters(backend):
    from gennctl.genn_model import create_custom_postsynaptic_class
    decay = create_custom_postsynaptic_class("EGPDecay", extra_global_params=[("factor", "scalar")],
                                             decay_code="$(inSyn) *= $(factor);",
                                             apply_input_code="$(Isyn) += 0.0 * $(inSyn);")
    model = GeNNModel("double", "pushed_spikes", backend=backend)
    model.dT = DT
    pre = model.add_neuron_population("Pre", 3, "SpikeSource", {}, {})
    post = model.add_neuron_population("Post", 2, "LIF", LIF, {"V": -70.0, "RefracTime": 0.0})
    g = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    syn = model.add_synapse_population("S", "DENSE_INDIVIDUALG", NO_DELAY, pre, post, "StaticPulse", {},
                                       {"g": g.ravel()}, {}, {}, decay, {}, {})
    syn.set_psm_extra_global_param("factor", 0.5)
    model.build()
    model.load()
    for _ in range(3):
        model.step_time()
    assert len(pre.current_spikes) == 0  # a SpikeSource never spikes by itself
    pre.current_spikes = [2, 0]
    np.testing.assert_array_equal(pre.current_spikes, [0, 2])
    pre.push_current_spikes_to_device()
    model.step_time()  # delivers them, then the postsynaptic model decays inSyn once
    syn.pull_in_syn_from_device()
    np.testing.assert_array_equal(syn.in_syn, (g[0] + g[2]) * 0.5)
    assert len(pre.current_spikes) == 0  # the next step has its own spikes
    syn.set_psm_extra_global_param("factor", 0.25)  # written into the module at once
    model.step_time()
    syn.pull_in_syn_from_device()
    np.testing.assert_array_equal(syn.in_syn, (g[0] + g[2]) * 0.5 * 0.25)
    syn.pull_psm_extra_global_param_from_device("factor")
    assert syn.psm_extra_global_params["factor"].view == 0.25
    with pytest.raises(ValueError, match="out of range"):
        pre.current_spikes = [3]


CONV = {"conv_kh": 3, "conv_kw": 3, "conv_ih": 4, "conv_iw": 4, "conv_ic": 1, "conv_oh": 4, "conv_ow": 4, "conv_oc": 1}
KERNEL = np.arange(9.0).reshape(3, 3) + 1.0


def conv_reference(spiking):
    """What a 3x3 'same' convolution (stride 1, padding 1) delivers from the
    spiking pixels of a 4x4 image, as GeNN 4.9's Conv2D snippets connect it:
    input (r, c) reaches output (r + 1 - kr, c + 1 - kc) with KERNEL[kr, kc]."""
    out = np.zeros((4, 4))
    for i in spiking:
        r, c = divmod(i, 4)
        for kr in range(3):
            for kc in range(3):
                if 0 <= r + 1 - kr < 4 and 0 <= c + 1 - kc < 4:
                    out[r + 1 - kr, c + 1 - kc] += KERNEL[kr, kc]
    return out.ravel()


def delivered(name, matrix, connectivity, g, size=16, spiking=(5, 6, 12), kernel=None, backend="cpu"):
    """Post's sums one step after the Python-pushed spikes of Pre (kernel:
    the extra global parameter of g's Kernel initialisation)."""
    from gennctl.genn_model import create_custom_neuron_class
    total = create_custom_neuron_class("Total", var_name_types=[("V", "scalar")], sim_code="$(V) += $(Isyn);")
    model = GeNNModel("double", name, backend=backend)
    pre = model.add_neuron_population("Pre", size, "SpikeSource", {}, {})
    post = model.add_neuron_population("Post", size, total, {}, {"V": 0.0})
    syn = model.add_synapse_population("C", matrix, NO_DELAY, pre, post, "StaticPulse", {}, {"g": g}, {}, {},
                                       "DeltaCurr", {}, {}, connectivity)
    if kernel is not None:
        syn.vars["g"].set_extra_global_init_param("kernel", kernel)
    model.build()
    model.load()
    pre.current_spikes = list(spiking)
    pre.push_current_spikes_to_device()
    model.step_time()
    post.pull_var_from_device("V")
    return post.vars["V"].view


def test_kernel_weights_toeplitz_procedural_and_sparse_agree_with_a_convolution(backend):
    from gennctl.genn_model import init_toeplitz_connectivity, init_var
    want = conv_reference((5, 6, 12))
    sparse_conv = {"conv_kh": 3, "conv_kw": 3, "conv_sh": 1, "conv_sw": 1, "conv_padh": 1, "conv_padw": 1,
                   "conv_ih": 4, "conv_iw": 4, "conv_ic": 1, "conv_oh": 4, "conv_ow": 4, "conv_oc": 1}
    toeplitz = delivered("conv_toeplitz", "TOEPLITZ_KERNELG", init_toeplitz_connectivity("Conv2D", CONV),
                         KERNEL.ravel(), backend=backend)
    procedural = delivered("conv_procedural", "PROCEDURAL_KERNELG", init_connectivity("Conv2D", sparse_conv),
                           KERNEL.ravel(), backend=backend)
    # stored per synapse, copied from the kernel by the Kernel snippet at initialisation
    sparse = delivered("conv_sparse", "SPARSE_INDIVIDUALG", init_connectivity("Conv2D", sparse_conv),
                       init_var("Kernel", {}), kernel=KERNEL.ravel(), backend=backend)
    np.testing.assert_array_equal(toeplitz, want)
    np.testing.assert_array_equal(procedural, want)
    np.testing.assert_array_equal(sparse, want)


def test_custom_toeplitz_snippet_with_python_length_and_kernel_functions():
    from gennctl.genn_model import (create_cksf_class, create_cmlf_class,
                                    create_custom_toeplitz_connect_init_snippet_class, init_toeplitz_connectivity)
    # a 1-D 'valid' correlation of width W: source i reaches target i - d with kernel entry d
    band = create_custom_toeplitz_connect_init_snippet_class(
        "Band", param_names=["W"],
        diagonal_build_code="""
        const int j = (int)$(id_pre) - (int)$(id_diag);
        if (j >= 0) {
            $(addSynapse, j, $(id_diag));
        }
        """,
        calc_max_row_len_func=create_cmlf_class(lambda num_pre, num_post, pars: int(pars[0]))(),
        calc_kernel_size_func=create_cksf_class(lambda pars: [int(pars[0])])())
    for width in (2, 3):
        k = np.arange(1.0, width + 1)
        got = delivered(f"band{width}", "TOEPLITZ_KERNELG", init_toeplitz_connectivity(band, {"W": width}), k,
                        size=8, spiking=(4,))
        want = np.zeros(8)
        want[4 - np.arange(width)] = k
        np.testing.assert_array_equal(got, want)


def test_spike_event_recording_and_current_spike_events(backend):
    from gennctl.genn_model import create_custom_neuron_class, create_custom_weight_update_class
    ramp = create_custom_neuron_class("Ramp", var_name_types=[("V", "scalar")], sim_code="$(V) += DT;",
                                      threshold_condition_code="false")
    graded = create_custom_weight_update_class("Window", event_code="$(addToInSyn, 1.0);",
                                               event_threshold_condition_code="$(V_pre) > 2.5 && $(V_pre) < 5.5")
    model = GeNNModel("double", "spike_events", backend=backend)
    model.dT = 1.0
    pre = model.add_neuron_population("Pre", 2, ramp, {}, {"V": [0.0, 3.0]})
    post = model.add_neuron_population("Post", 1, "SpikeSource", {}, {})
    model.add_synapse_population("S", "DENSE_GLOBALG", NO_DELAY, pre, post, graded, {}, {}, {}, {}, "DeltaCurr",
                                 {}, {})
    pre.spike_event_recording_enabled = True
    model.build()
    model.load(num_recording_timesteps=6)
    seen = []
    for _ in range(6):
        model.step_time()
        seen.append(list(pre.current_spike_events))
    # V after step k is k + 1 (neuron 0) and k + 4 (neuron 1): events while it is in (2.5, 5.5)
    assert seen == [[1], [1], [0], [0], [0], []]
    model.pull_recording_buffers_from_device()
    times, ids = pre.spike_event_recording_data
    np.testing.assert_array_equal(times, [0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(ids, [1, 1, 0, 0, 0])
    with pytest.raises(RuntimeError, match="spike recording is not enabled for Pre"):
        pre.spike_recording_data
    with pytest.raises(RuntimeError, match="needs spike_event_recording_enabled"):
        post.current_spike_events


def test_dense_procedural_weights_reach_every_target_and_repeat_per_source(backend):
    from gennctl.genn_model import create_custom_neuron_class, init_var
    total = create_custom_neuron_class("Total", var_name_types=[("V", "scalar")], sim_code="$(V) += $(Isyn);")
    model = GeNNModel("double", "dense_procedural", backend=backend)
    pre = model.add_neuron_population("Pre", 3, "SpikeSource", {}, {})
    post = model.add_neuron_population("Post", 50, total, {}, {"V": 0.0})
    model.add_synapse_population("D", "DENSE_PROCEDURALG", NO_DELAY, pre, post, "StaticPulse", {},
                                 {"g": init_var("Uniform", {"min": 1.0, "max": 2.0})}, {}, {}, "DeltaCurr", {}, {})
    model.build()
    model.load()

    def kick(ids):
        post.pull_var_from_device("V")
        before = post.vars["V"].view.copy()
        pre.current_spikes = ids
        pre.push_current_spikes_to_device()
        model.step_time()
        post.pull_var_from_device("V")
        return post.vars["V"].view - before
    first = kick([1])
    model.step_time()
    again = kick([1])
    other = kick([2])
    # every target gets a weight from the snippet's range; nothing stored, yet the row's weights are
    # regenerated the same at the source's next spike, and another source's differ
    assert np.all((first >= 1.0) & (first < 2.0)) and len(np.unique(first)) == 50
    np.testing.assert_array_equal(again, first)
    assert not np.array_equal(other, first)
    assert ("D", "synapse", "g") not in model._runtime.vars
    both = kick([1, 2])
    # the sum of two weights, read back as a difference of V: equal up to double rounding
    np.testing.assert_allclose(both, first + other, rtol=1e-15)

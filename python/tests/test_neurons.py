"""Neuron populations stepped in process: LIF against its exact solution,
custom models with Python derived parameters, views, push, batches."""
import numpy as np
import pytest

from gennctl.genn_model import GeNNModel, init_var
from common import lif_reference, my_lif

LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 1.5,
       "TauRefrac": 2.0}
DT = 0.1


def run_lif(model, pop, steps):
    vs, spikes = [], []
    for _ in range(steps):
        model.step_time()
        pop.pull_var_from_device("V")
        vs.append(pop.vars["V"].view[0])
        if len(pop.current_spikes):
            spikes.append(model.timestep - 1)
    return np.array(vs), spikes


def lif_model(name, neuron="LIF", precision="double"):
    model = GeNNModel(precision, name)
    model.dT = DT
    pop = model.add_neuron_population("E", 1, neuron, LIF, {"V": -70.0, "RefracTime": 0.0})
    model.build()
    model.load()
    return model, pop


def test_lif_matches_exact_solution():
    model, pop = lif_model("lif")
    steps = 1000
    vs, spikes = run_lif(model, pop, steps)
    ref_v, ref_spikes = lif_reference(LIF, steps, -70.0)
    # below threshold V(t) = Vrest + I R (1 - exp(-t / TauM)), the integrator being exact
    t = DT * np.arange(1, spikes[0] + 1)
    analytic = LIF["Vrest"] + LIF["Ioffset"] * LIF["TauM"] / LIF["C"] * (1 - np.exp(-t / LIF["TauM"]))
    np.testing.assert_allclose(vs[:spikes[0]], analytic, rtol=0, atol=1e-9)
    assert spikes == ref_spikes
    # first crossing at TauM ln(I R / (I R - (Vthresh - Vrest))) = 20 ln 3 ms
    assert abs(spikes[0] * DT - 20 * np.log(3)) <= DT
    np.testing.assert_allclose(vs, ref_v, rtol=0, atol=1e-9)
    assert model.timestep == steps and model.t == pytest.approx(steps * DT)


def test_custom_lif_with_python_derived_parameters_equals_builtin():
    """create_dpf_class functions are evaluated in Python (pars in param_names
    order and dt) and give the built-in model's values."""
    custom, cpop = lif_model("mylif", my_lif())
    builtin, bpop = lif_model("lif")
    cv, cs = run_lif(custom, cpop, 600)
    bv, bs = run_lif(builtin, bpop, 600)
    assert cs == bs and len(cs) >= 2
    np.testing.assert_array_equal(cv, bv)


def test_push_view_reinitialise_and_float_views():
    model, pop = lif_model("lifpush", precision="float")
    v = pop.vars["V"].view
    assert v.dtype == np.float32 and v.shape == (1,) and v[0] == -70.0
    model.step_time()
    v[:] = -55.0
    pop.push_var_to_device("V")
    model.step_time()
    pop.pull_var_from_device("V")
    alpha = LIF["Ioffset"] * LIF["TauM"] / LIF["C"] + LIF["Vrest"]
    assert v[0] == pytest.approx(alpha - np.exp(-DT / LIF["TauM"]) * (alpha + 55.0), abs=1e-4)
    assert pop.vars["V"].view is v, "pull fills the same array"
    first, _ = run_lif(model, pop, 300)
    model.reinitialise()
    assert model.timestep == 0 and model.t == 0.0 and v[0] == -70.0
    model.step_time()
    model.step_time()
    again, _ = run_lif(model, pop, 300)
    assert not np.array_equal(first, again)  # the pushed -55 mV changed the first run
    model.reinitialise()
    ref, _ = lif_reference(LIF, 302, -70.0)
    replay, _ = run_lif(model, pop, 302)
    np.testing.assert_allclose(replay, ref, atol=2e-4)


def test_batch_views_and_current_spikes():
    """batch_size variants run at once, each with its own random stream."""
    model = GeNNModel("float", "batch")
    model.batch_size = 3
    pop = model.add_neuron_population("E", 50, "LIF", {**LIF, "Ioffset": 0.0},
                                      {"V": init_var("Uniform", {"min": -70.0, "max": -50.0}), "RefracTime": 0.0})
    model.add_current_source("noise", "GaussianNoise", pop, {"mean": 1.2, "sd": 2.0}, {})
    model.build()
    model.load()
    v0 = pop.vars["V"].view.copy()
    assert v0.shape == (3, 50)
    assert (v0 >= -70).all() and (v0 <= -50).all()
    assert not np.array_equal(v0[0], v0[1]), "each variant draws its own initial values"
    counts = np.zeros((3, 50), dtype=int)
    for _ in range(500):
        model.step_time()
        spikes = pop.current_spikes
        assert isinstance(spikes, list) and len(spikes) == 3
        for b, ids in enumerate(spikes):
            counts[b, ids] += 1
    assert counts.sum(axis=1).min() > 0
    assert not np.array_equal(counts[0], counts[1])

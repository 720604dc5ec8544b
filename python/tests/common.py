"""Shared by the tests: independent float64 implementations to compare
gennctl with, and GeNN 4.9's LIF as a custom model."""
import numpy as np

from gennctl.genn_model import create_custom_neuron_class, create_dpf_class


def lif_reference(params, steps, v0, dt=0.1, current=0.0):
    """GeNN 4.9's LIF update (exact exponential integration of a constant
    input, threshold, reset, refractory period), as a numpy loop: V after
    each step and the steps with a spike."""
    exp_tc, r = np.exp(-dt / params["TauM"]), params["TauM"] / params["C"]
    v, refrac, vs, spikes = v0, 0.0, [], []
    for step in range(steps):
        if refrac <= 0.0:
            alpha = (current + params["Ioffset"]) * r + params["Vrest"]
            v = alpha - exp_tc * (alpha - v)
        else:
            refrac -= dt
        if refrac <= 0.0 and v >= params["Vthresh"]:
            spikes.append(step)
            v, refrac = params["Vreset"], params["TauRefrac"]
        vs.append(v)
    return np.array(vs), spikes


def my_lif():
    """GeNN 4.9's LIF as a custom model whose derived parameters are Python
    functions (create_dpf_class), as PyGeNN scripts write them."""
    return create_custom_neuron_class(
        "MyLIF", param_names=["C", "TauM", "Vrest", "Vreset", "Vthresh", "Ioffset", "TauRefrac"],
        var_name_types=[("V", "scalar"), ("RefracTime", "scalar")],
        derived_params=[("ExpTC", create_dpf_class(lambda pars, dt: np.exp(-dt / pars[1]))()),
                        ("Rmembrane", create_dpf_class(lambda pars, dt: pars[1] / pars[0])())],
        sim_code="""
        if ($(RefracTime) <= 0.0) {
            scalar alpha = (($(Isyn) + $(Ioffset)) * $(Rmembrane)) + $(Vrest);
            $(V) = alpha - ($(ExpTC) * (alpha - $(V)));
        }
        else {
            $(RefracTime) -= DT;
        }
        """,
        threshold_condition_code="$(RefracTime) <= 0.0 && $(V) >= $(Vthresh)",
        reset_code="""
        $(V) = $(Vreset);
        $(RefracTime) = $(TauRefrac);
        """)

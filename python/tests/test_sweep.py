"""Sweeps from Python: model.sweep and gennctl.sweep(config) run `gennctl
sweep`; variants, spikes() and state() read its real Arrow output."""
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import gennctl
from common import lif_reference, my_lif
from conftest import REPO
from gennctl.genn_model import GeNNModel, create_custom_neuron_class

LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -65.0, "Vthresh": -50.0, "Ioffset": 0.0,
       "TauRefrac": 2.0}
DURATION, DT = 200.0, 0.1


def fi_model(name, neuron="LIF"):
    model = GeNNModel("double", name)
    pop = model.add_neuron_population("N", 2, neuron, LIF, {"V": -65.0, "RefracTime": 0.0})
    model.add_current_source("drive", "DC", pop, {"amp": 1.0}, {})
    return model


GRID = {"current_sources.drive.params.amp": [1.0, 2.0, 3.0], "populations.N.params.TauM": [10.0, 20.0]}


def expected_spikes(amp, tau_m):
    return lif_reference({**LIF, "TauM": tau_m}, int(DURATION / DT), -65.0, current=amp)


def test_model_sweep_two_parameters():
    events = []
    res = fi_model("fi").sweep(DURATION, grid=GRID, record={"N": {"spikes": True, "vars": {"V": {"every": 0.5,
                               "neurons": [0]}}}}, progress=events.append)
    assert isinstance(res, gennctl.SweepResult) and res.dir == os.path.join("out", "fi")
    assert [e["event"] for e in events][:2] == ["plan", "build"] and events[-1]["event"] == "done"
    v = res.variants
    assert isinstance(v, pd.DataFrame) and len(v) == 6 and (v.status == "done").all()
    assert res.axes == list(GRID)
    assert sorted(zip(v["current_sources.drive.params.amp"], v["populations.N.params.TauM"])) == \
        sorted((a, t) for a in GRID["current_sources.drive.params.amp"] for t in GRID["populations.N.params.TauM"])
    for _, row in v.iterrows():
        _, ref = expected_spikes(row["current_sources.drive.params.amp"], row["populations.N.params.TauM"])
        assert row.spikes_N == 2 * len(ref)
        assert row.rate_N == pytest.approx(len(ref) / (DURATION / 1000.0))

    vid = int(v.variant_id[v["current_sources.drive.params.amp"].eq(2.0) & v["populations.N.params.TauM"].eq(10.0)]
              .iloc[0])
    spikes = res.spikes(variant=vid)
    assert set(spikes.columns) >= {"variant_id", "population", "neuron", "time"}
    # dataset layout 2: a file holds a batch of variants; a read of one variant gets only its rows
    assert res.metadata["layout"] == "2"
    assert v.spikes_file.nunique() < len(v) and (v.spikes_file.astype(str) != "").all()
    assert spikes.variant_id.eq(vid).all() and len(spikes) == int(v.spikes_N[v.variant_id == vid].iloc[0])
    _, ref = expected_spikes(2.0, 10.0)
    np.testing.assert_allclose(np.sort(spikes.time[spikes.neuron == 0].to_numpy()), np.array(ref) * DT)
    window = res.spikes(variant=[vid], population="N", start=50.0, stop=100.0)
    inside = spikes[(spikes.time >= 50.0) & (spikes.time < 100.0)]
    assert len(window) == len(inside) > 0 and window.time.between(50.0, 100.0, inclusive="left").all()
    assert len(res.spikes(population="nope")) == 0
    assert res.spikes(neuron=1).neuron.eq(1).all()

    state = res.state(variant=vid, var="V")
    assert list(state.time[:3]) == [0.0, 0.5, 1.0] and len(state) == int(DURATION / 0.5) + 1
    ref_v, _ = expected_spikes(2.0, 10.0)
    steps = (state.time.to_numpy() / DT).round().astype(int)
    np.testing.assert_allclose(state.value.to_numpy()[1:], ref_v[steps[1:] - 1], atol=1e-9)
    assert set(res.state(start=10.0, stop=20.0).time) == set(np.arange(10.0, 20.0, 0.5))

    # a rerun finds everything done; the module comes from the cache
    again = fi_model("fi").sweep(DURATION, grid=GRID, record={"N": {"spikes": True, "vars": {"V": {"every": 0.5,
                                 "neurons": [0]}}}}, progress=events.append)
    assert events[-1]["event"] == "done"
    pd.testing.assert_frame_equal(again.variants, v)


def test_python_derived_parameters_are_evaluated_per_variant():
    """A create_dpf_class function depending on a swept parameter is computed
    in Python for each variant (the sweep becomes a zip with the computed
    values): the results equal the built-in LIF's, whose derived parameters
    the core computes."""
    custom = fi_model("fidpf", my_lif()).sweep(DURATION, grid=GRID, progress=False)
    builtin = fi_model("fibuiltin").sweep(DURATION, grid=GRID, progress=False)
    cv, bv = custom.variants, builtin.variants
    assert "populations.N.params.ExpTC" in cv.columns and "populations.N.params.Rmembrane" in cv.columns
    np.testing.assert_allclose(cv["populations.N.params.ExpTC"], np.exp(-DT / cv["populations.N.params.TauM"]))
    keys = list(GRID)
    merged = cv.merge(bv, on=keys, suffixes=("_custom", "_builtin"))
    assert len(merged) == 6
    assert (merged.spikes_N_custom == merged.spikes_N_builtin).all() and merged.spikes_N_custom.nunique() == 6


def test_random_axes_cannot_feed_python_derived_parameters():
    with pytest.raises(ValueError, match="random axis populations.N.params.TauM"):
        fi_model("firandom", my_lif()).sweep(DURATION, random={"samples": 3, "params": {
            "populations.N.params.TauM": {"uniform": [10.0, 20.0]}}}, progress=False)


def test_sweep_of_a_config_file():
    """gennctl.sweep runs an experiment file: the f-I curve example."""
    shutil.copy(os.path.join(REPO, "configs", "fi_curve.yaml"), "fi_curve.yaml")
    res = gennctl.sweep("fi_curve.yaml", out="results", progress=False)
    v = res.variants
    assert len(v) == 12 and (v.status == "done").all()
    params = {"C": 1.0, "TauM": 20.0, "Vrest": -65.0, "Vreset": -65.0, "Vthresh": -50.0, "Ioffset": 0.0,
              "TauRefrac": 2.0}
    for _, row in v.iterrows():
        _, ref = lif_reference(params, 5000, -65.0, current=row["current_sources.drive.params.amp"])
        assert row.spikes_N == 10 * len(ref)
    assert gennctl.open_sweep(res.dir).variants.equals(v)


def test_failed_variants_warn_and_return_the_result():
    div = create_custom_neuron_class("Div", param_names=["a"], var_name_types=[("V", "scalar")],
                                     sim_code="$(V) = ($(V) + 1.0) / $(a) - 1.0 / $(a);")
    model = GeNNModel("float", "fails")
    model.add_neuron_population("P", 3, div, {"a": 1.0}, {"V": 0.0})
    with pytest.warns(RuntimeWarning, match="1 variant"):
        res = model.sweep(5.0, grid={"populations.P.params.a": [1.0, 0.0]}, progress=False)
    status = dict(zip(res.variants["populations.P.params.a"], res.variants.status))
    assert status == {1.0: "done", 0.0: "failed"}

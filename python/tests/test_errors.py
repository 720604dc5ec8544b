"""Errors of the gennctl core arrive as GeNNError with file, line, column and
config path, and the Python line that added the part of the model."""
import os

import pytest

from gennctl import GeNNError
from gennctl.genn_model import GeNNModel, create_custom_neuron_class

LIF = {"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0, "Vthresh": -50.0, "Ioffset": 0.0,
       "TauRefrac": 2.0}


def line_of(text):
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_missing_parameter():
    model = GeNNModel("float", "missing")
    params = {k: v for k, v in LIF.items() if k != "TauM"}
    model.add_neuron_population("E", 10, "LIF", params, {"V": -70.0, "RefracTime": 0.0})  # the add
    with pytest.raises(GeNNError) as info:
        model.build()
    err = info.value
    assert err.exit_status == 2
    assert err.file == os.path.join(".", "missing_CODE", "missing.yaml") and err.line > 0 and err.col > 0
    assert err.path == "populations.E.params"
    assert 'missing parameter "TauM" for model LIF' in err.diagnostics[0].message
    assert err.diagnostics[0].origin == f"{__file__}:{line_of('# the add')}"
    assert "populations.E.params" in str(err) and "missing_CODE" in str(err)
    # the line names the params mapping of E in the written document
    with open(err.file) as f:
        lines = f.read().splitlines()
    assert '"params"' in lines[err.line - 1] or "TauRefrac" in lines[err.line - 1]


def test_unknown_token_in_custom_code():
    leaky = create_custom_neuron_class("Leaky", param_names=["tau"], var_name_types=[("V", "scalar")],
                                       sim_code="$(V) += DT * (-$(V) / $(tau)) + $(Iext);",
                                       threshold_condition_code="$(V) > 1.0")
    model = GeNNModel("float", "token")
    model.add_neuron_population("P", 4, leaky, {"tau": 10.0}, {"V": 0.0})
    with pytest.raises(GeNNError) as info:
        model.build()
    d = info.value.diagnostics[0]
    assert d.path == "populations.P" and "unknown token $(Iext)" in d.message and d.line > 0
    assert d.origin.startswith(__file__ + ":")


def test_c_compile_error_is_reported_at_the_document_line():
    broken = create_custom_neuron_class("Broken", var_name_types=[("V", "scalar")], sim_code="$(V) += 1.0\n$(V) *= 0.5;")
    model = GeNNModel("float", "cerror")
    model.add_neuron_population("P", 4, broken, {}, {"V": 0.0})
    with pytest.raises(GeNNError) as info:
        model.build()
    err = info.value
    assert err.exit_status == 2 and err.diagnostics
    assert err.file.endswith("cerror.yaml") and err.line > 0
    with open(os.path.join("cerror_CODE", "cerror.yaml")) as f:
        assert "sim_code" in f.read().splitlines()[err.line - 1]
    assert "error" in err.message


def test_bad_sweep_axis():
    model = GeNNModel("float", "badaxis")
    model.add_neuron_population("E", 10, "LIF", LIF, {"V": -70.0, "RefracTime": 0.0})
    with pytest.raises(GeNNError) as info:
        model.sweep(10.0, grid={"populations.E.params.TauMM": [10.0, 20.0]}, progress=False)
    d = info.value.diagnostics[0]
    assert d.path == "sweep.grid.populations.E.params.TauMM" and 'did you mean "TauM"' in d.message
    assert d.file == os.path.join("out", "badaxis.yaml") and d.line > 0


def test_missing_binary(monkeypatch, tmp_path):
    monkeypatch.setenv("GENNCTL", str(tmp_path / "nope"))
    with pytest.raises(GeNNError, match="GENNCTL=.*nope is not an executable"):
        GeNNModel("float", "x").add_neuron_population("E", 1, "LIF", LIF, {"V": 0.0, "RefracTime": 0.0})

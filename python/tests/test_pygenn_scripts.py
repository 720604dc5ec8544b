"""GeNN 4.9's PyGeNN examples (the documentation's PyGeNN page and Python
tutorials 1 and 2) run with one change: pygenn -> gennctl in the import
lines (pygenn_scripts/ holds them so). Each is checked against what its
documentation states or against an independent numpy implementation of the
same GeNN 4.9 model code."""
import os
import runpy
import shutil
import subprocess
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pygenn_scripts")


def run_script(name):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non-interactive.*")  # plt.show() under Agg
        return runpy.run_path(os.path.join(SCRIPTS, name), run_name="__main__")


def upward_crossings(v, threshold):
    """(step, neuron) of each crossing of threshold from below, in time order."""
    steps, neurons = np.nonzero((v[1:] >= threshold) & (v[:-1] < threshold))
    return list(zip(steps + 1, neurons))


def test_tutorial1_prints_the_documented_state(capsys):
    run_script("tenHH.py")
    # "The output you obtain should look like" (12_Tutorial_Python.dox)
    assert capsys.readouterr().out == "-63.305061 0.020786 0.993780 0.049409\n" * 10


def test_tutorial1_on_the_cuda_backend(capsys, monkeypatch):
    """The same script on the CUDA backend (GENNCTL_BACKEND overrides the
    backend of `gennctl build`): on a GPU when one is visible, else with the
    CUDA runtime emulated on the CPU. The module is loaded into Python the
    same way and gives the documented state."""
    if shutil.which("nvcc") is None:
        pytest.skip("the CUDA backend is not tested: nvcc is not installed")
    monkeypatch.setenv("GENNCTL_BACKEND", "cuda")
    gpus = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True) if shutil.which("nvidia-smi") else None
    if gpus is None or gpus.returncode != 0 or "GPU " not in gpus.stdout:
        monkeypatch.setenv("GENNCTL_CUDA_EMULATION", "1")
    g = run_script("tenHH.py")
    assert g["model"]._runtime.module.description["backend"] == "cuda"
    assert capsys.readouterr().out == "-63.305061 0.020786 0.993780 0.049409\n" * 10


def test_tutorial1_voltages_drift_to_rest():
    g = run_script("tenHH_voltages.py")
    v = g["v"]
    assert v.shape == (2000, 10) and g["model"].timestep == 2000
    # unconnected and without input: all ten drift from -60 mV to rest, silent;
    # the tutorial's figure (tenHHexample.png) dips to about -71.8 mV within
    # the first millisecond, then relaxes to the resting potential
    assert np.all(v == v[:, :1])
    trace = v[:, 0]
    low = int(np.argmin(trace))
    assert low * 0.1 < 2.0 and -72.0 < trace[low] < -71.5
    assert np.all(np.diff(trace[low:]) >= -1e-4) and trace.max() < -60.0
    assert f"{trace[-1]:f}" == "-63.305061"


TRAUB = dict(gNa=7.15, ENa=50.0, gK=1.43, EK=-95.0, gl=0.02672, El=-63.563, C=0.143)


def ring_reference(steps=2000, n=10, dt=0.1, delay=10, g=-0.2, tau=1.0, e_rev=-80.0):
    """Tutorial 2's network in float64 numpy, in GeNN 4.9's order: synapses
    (spikes of step s arrive in step s + delay + 1), then neurons (ExpCond
    input, TraubMiles' 25 substeps, threshold V >= 0 with auto-refractoriness)."""
    p = TRAUB
    v, m = np.full(n, -60.0), np.full(n, 0.0529324)
    h, nn = np.full(n, 0.3176767), np.full(n, 0.5961207)
    ring, stim = np.zeros(n), np.zeros(n)
    decay = np.exp(-dt / tau)
    fired, spikes = [], []
    for step in range(steps):
        if step == 1:
            stim[0] += g  # the SpikeSourceArray's spike at t = 0, NO_DELAY, one-to-one onto neuron 0
        if step - 1 - delay >= 0:
            for i in fired[step - 1 - delay]:
                ring[(i + 1) % n] += g
        isyn = (ring + stim) * (e_rev - v)
        ring *= decay
        stim *= decay
        old = v >= 0.0
        mdt = dt / 25.0
        for _ in range(25):
            imem = -(m ** 3 * h * p["gNa"] * (v - p["ENa"]) + nn ** 4 * p["gK"] * (v - p["EK"])
                     + p["gl"] * (v - p["El"]) - isyn)
            a, b = 0.32 * (-52.0 - v) / (np.exp((-52.0 - v) / 4.0) - 1.0), 0.28 * (v + 25.0) / (np.exp((v + 25.0) / 5.0) - 1.0)
            m = m + (a * (1.0 - m) - b * m) * mdt
            a, b = 0.128 * np.exp((-48.0 - v) / 18.0), 4.0 / (np.exp((-25.0 - v) / 5.0) + 1.0)
            h = h + (a * (1.0 - h) - b * h) * mdt
            a, b = 0.032 * (-50.0 - v) / (np.exp((-50.0 - v) / 5.0) - 1.0), 0.5 * np.exp((-55.0 - v) / 40.0)
            nn = nn + (a * (1.0 - nn) - b * nn) * mdt
            v = v + imem / p["C"] * mdt
        fired.append(np.nonzero((v >= 0.0) & ~old)[0])
        spikes += [(step, i) for i in fired[-1]]
    return spikes


def test_tutorial2_spikes_travel_around_the_ring():
    g = run_script("tenHHRing.py")
    v = g["v"]
    assert v.shape == (2000, 10)
    # v[k] is the state after step k: a spike registered in step s shows as V >= 0 in v[s]
    got = upward_crossings(v, 0.0)
    want = ring_reference()
    assert len(got) == len(want) and len(got) > 50
    assert [n for _, n in got] == [n for _, n in want] == [i % 10 for i in range(len(got))]
    np.testing.assert_allclose([s for s, _ in got], [s for s, _ in want], atol=1)


def izhikevich_reference(a, b, c, d, steps=2000, dt=0.1, current=10.0):
    """GeNN 4.9's Izhikevich sim code with a DC input, float32 like the script's model."""
    f = np.float32
    a, b, c, d = (np.asarray(x, f) for x in (a, b, c, d))
    v, u, out = np.full(4, -65.0, f), np.full(4, -20.0, f), []
    for _ in range(steps):
        reset = v >= f(30.0)
        v, u = np.where(reset, c, v), np.where(reset, u + d, u)
        for _ in range(2):
            v = (v + f(0.5) * (f(0.04) * v * v + f(5.0) * v + f(140.0) - u + f(current)) * f(dt)).astype(f)
        u = (u + a * (b * v - u) * f(dt)).astype(f)
        v = np.minimum(v, f(30.0))
        out.append(v)
    return np.array(out)


def test_izhikevich_four_regimes():
    g = run_script("izhikevich.py")
    v = g["v"]
    assert v.shape == (2000, 4)
    init = g["izk_init"]
    ref = izhikevich_reference(init["a"], init["b"], init["c"], init["d"])
    got, want = upward_crossings(v, 29.99), upward_crossings(ref, 29.99)
    assert [n for _, n in got] == [n for _, n in want]
    np.testing.assert_allclose([s for s, _ in got], [s for s, _ in want], atol=1)
    isi = {name: np.diff([s for s, n in got if n == i]) * 0.1 for i, name in enumerate(["RS", "FS", "CH", "IB"])}
    # regular spiking: a few evenly spaced spikes once adapted; fast spiking: many more
    assert len(isi["FS"]) > 3 * len(isi["RS"])
    assert np.ptp(isi["RS"][2:]) < 1.0
    # chattering: bursts (ISIs of a few ms) separated by long pauses
    assert (isi["CH"] < 5).sum() >= 4 and (isi["CH"] > 30).sum() >= 2
    # intrinsically bursting: an initial burst, then regular single spikes
    assert isi["IB"][:3].max() < 5 and isi["IB"][3:].min() > 25

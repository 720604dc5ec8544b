"""The pandas (and R) path on real sweep output: every python snippet of the
README, scripts/analyze.py and scripts/analyze.R run against a real run of
configs/cuba_sweep.yaml (24 variants; the only change is a 100 ms duration
instead of 500 ms, to keep the test short)."""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

import gennctl
from conftest import REPO

SWEEP_G = "synapses.EE.weight_update.vars.g"
DURATION_S = 0.1


@pytest.fixture(scope="module")
def cuba_dir(tmp_path_factory):
    """A directory holding out/cuba_sweep, as the README's commands leave it."""
    d = tmp_path_factory.mktemp("cuba")
    with open(os.path.join(REPO, "configs", "cuba_sweep.yaml")) as f:
        text = f.read()
    short, n = re.subn(r"duration: 500\b", "duration: 100", text)
    assert n == 1, "configs/cuba_sweep.yaml no longer has the duration line this test shortens"
    (d / "configs").mkdir()
    (d / "configs" / "cuba_sweep.yaml").write_text(short)
    cwd = os.getcwd()
    os.chdir(d)
    try:
        res = gennctl.sweep("configs/cuba_sweep.yaml", progress=False)
    finally:
        os.chdir(cwd)
    assert res.dir == os.path.join("out", "cuba_sweep")
    return d


def spike_counts(sweep_dir):
    """(variant_id, population) -> spikes, counted with pyarrow alone."""
    t = ds.dataset(os.path.join(sweep_dir, "spikes"), format="ipc").to_table(columns=["variant_id", "population"])
    df = t.to_pandas()
    df["population"] = df["population"].astype(str)
    return df.groupby(["variant_id", "population"]).size()


def readme_snippets():
    with open(os.path.join(REPO, "README.md")) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_readme_python_snippets(cuba_dir, monkeypatch):
    snippets = readme_snippets()
    assert snippets, "the README has python snippets"
    monkeypatch.chdir(cuba_dir)
    ns = {}
    for code in snippets:
        exec(compile(code, "README.md", "exec"), ns)
    variants, spikes, rates = ns["variants"], ns["spikes"], ns["rates"]
    assert len(variants) == 24 and (variants.status == "done").all()
    # the spikes table holds every spike of every variant, as variants counts them
    counts = spikes.groupby(["variant_id", spikes.population.astype(str)]).size()
    for pop in ("E", "I"):
        by_variant = counts.xs(pop, level=1).reindex(variants.variant_id, fill_value=0)
        np.testing.assert_array_equal(by_variant.to_numpy(), variants["spikes_" + pop].to_numpy())
    # rates: mean excitatory rate per swept EE weight, 6 variants each
    assert list(rates.index) == pytest.approx([0.06, 0.08, 0.10, 0.12])
    expect = (variants.spikes_E / 3200 / DURATION_S).groupby(variants[SWEEP_G]).mean()
    np.testing.assert_allclose(rates.to_numpy(), expect.to_numpy(), rtol=1e-12)
    assert rates.iloc[-1] > rates.iloc[0], "stronger excitation, higher rate"


def test_analyze_py(cuba_dir, monkeypatch):
    monkeypatch.chdir(cuba_dir)
    # the README's command
    proc = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "analyze.py"), "out/cuba_sweep", "--x",
                           SWEEP_G, "--population", "E", "-o", "rates.png", "--csv", "rates.csv"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "wrote rates.png: 24 variant-population rates, 12 points"
    with open("rates.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv("rates.csv")
    variants = pd.read_feather("out/cuba_sweep/variants.arrow")
    assert len(csv) == 24 and set(csv.population) == {"E"}
    merged = csv.merge(variants, on="variant_id")
    # its rates come from the spike files: equal to the core's per-variant figures and to a direct count
    np.testing.assert_allclose(merged.rate_hz, merged.rate_E, rtol=1e-12)
    direct = spike_counts("out/cuba_sweep").xs("E", level=1)
    np.testing.assert_array_equal(merged.spikes, direct.reindex(merged.variant_id).to_numpy())
    assert (merged["size"] == 3200).all()
    np.testing.assert_allclose(merged.rate_hz, merged.spikes / 3200 / DURATION_S)


def test_analyze_py_library_use(cuba_dir):
    """analyze.load on the sweep: one row per variant and population."""
    sys.path.insert(0, os.path.join(REPO, "scripts"))
    try:
        import analyze
    finally:
        sys.path.pop(0)
    rates, axes = analyze.load(os.path.join(cuba_dir, "out", "cuba_sweep"))
    assert axes == [SWEEP_G, "synapses.IE.weight_update.vars.g"]
    assert len(rates) == 48 and set(rates.population) == {"E", "I"}
    assert dict(rates.groupby("population")["size"].first()) == {"E": 3200, "I": 800}


def r_packages_missing():
    if shutil.which("Rscript") is None:
        return "Rscript is not installed"
    probe = subprocess.run(["Rscript", "-e", "suppressPackageStartupMessages({library(arrow); library(dplyr); "
                            "library(ggplot2)})"], capture_output=True, text=True)
    return None if probe.returncode == 0 else "R's arrow, dplyr and ggplot2 packages are not installed"


def test_analyze_r(cuba_dir, monkeypatch):
    """scripts/analyze.R runs only where R's arrow package (and dplyr, ggplot2) is installed."""
    missing = r_packages_missing()
    if missing:
        pytest.skip(f"scripts/analyze.R not tested: {missing}")
    monkeypatch.chdir(cuba_dir)
    proc = subprocess.run(["Rscript", os.path.join(REPO, "scripts", "analyze.R"), "out/cuba_sweep", SWEEP_G, "E",
                           "rates_r.png"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "wrote rates_r.png: 24 variant-population rates, 12 points"
    with open("rates_r.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

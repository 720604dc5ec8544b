"""docs/python.md's worked example runs as written: its python code blocks,
in order, in one namespace (matplotlib optional, as on the page)."""
import os
import re

import numpy as np
import pytest

from conftest import REPO


def test_python_md_worked_example():
    with open(os.path.join(REPO, "docs", "python.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 5
    ns = {}
    for code in blocks:
        exec(compile(code, "docs/python.md", "exec"), ns)
    model, v, rates = ns["model"], ns["v"], ns["rates"]
    assert model.timestep == 1000 and v.shape == (1000, 3)
    assert (v <= -50.0).all() and (v >= -90.0).all()
    assert ns["spikes"] > 0
    # the page's claims: zero rate below rheobase without noise, growing with noise there,
    # growing with the mean above it
    assert rates.loc[0.6, 0.0] == 0.0 and 0 < rates.loc[0.6, 2.0] < rates.loc[0.6, 4.0]
    assert np.all(np.diff(rates[0.0].to_numpy()) >= 0) and rates.loc[1.2, 0.0] > 0
    first = ns["first"]
    assert len(first) > 0 and first.time.max() < 100.0 and (first.variant_id == ns["vid"]).all()
    # the custom update section's numbers, as the page gives them
    assert ns["per_trial"] == [5737, 2679, 1051, 664]
    mean_at_end = ns["mean_at_end"]
    assert mean_at_end[0] == pytest.approx(-59.6, abs=0.05) and mean_at_end[-1] == pytest.approx(-54.5, abs=0.05)
    table = ns["per_trial_sweep"]
    assert table.loc[1.0].tolist() == [5704, 7139, 7145, 7155] and table.loc[0.6].tolist() == [5822, 2786, 1054, 644]

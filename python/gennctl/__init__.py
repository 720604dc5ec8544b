"""gennctl from Python: PyGeNN's genn_model API over the gennctl core, and
parameter sweeps with pandas results.

    from gennctl import genn_model                  # PyGeNN scripts: pygenn -> gennctl
    from gennctl.genn_model import GeNNModel
    import gennctl
    result = gennctl.sweep("configs/cuba_sweep.yaml")   # or model.sweep(...)
    result.variants                                    # pandas DataFrame

The gennctl binary is $GENNCTL or gennctl on PATH (see docs/python.md).
"""
from . import genn_model, genn_wrapper  # noqa: F401
from ._cli import Diagnostic, GeNNError  # noqa: F401
from .genn_model import GeNNModel  # noqa: F401
from ._sweep import SweepResult, open_sweep, run  # noqa: F401

sweep = run

__all__ = ["genn_model", "genn_wrapper", "GeNNModel", "GeNNError", "Diagnostic", "sweep", "open_sweep",
           "SweepResult"]

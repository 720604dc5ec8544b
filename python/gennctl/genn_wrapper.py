"""The names PyGeNN scripts import from pygenn.genn_wrapper.

Model families (for create_custom_model_class's base), the derived-parameter
and length function bases, variable access modes (Models.VarAccess_*,
Models.VarAccessMode_*), NO_DELAY, the matrix types as strings, span types,
and variable locations (accepted and ignored: state lives in the module).
"""
import sys
from types import ModuleType, SimpleNamespace

from . import _models
from .genn_groups import MATRIX_TYPES

NO_DELAY = 0

NeuronModels = SimpleNamespace(Custom=_models.NeuronModel)
PostsynapticModels = SimpleNamespace(Custom=_models.PostsynapticModel)
WeightUpdateModels = SimpleNamespace(Custom=_models.WeightUpdateModel)
CurrentSourceModels = SimpleNamespace(Custom=_models.CurrentSourceModel)
InitVarSnippet = SimpleNamespace(Custom=_models.InitVarSnippet)
InitSparseConnectivitySnippet = SimpleNamespace(Custom=_models.InitSparseConnectivitySnippet,
                                                CalcMaxLengthFunc=_models.CalcMaxLengthFunc,
                                                CalcKernelSizeFunc=_models.CalcKernelSizeFunc)
InitToeplitzConnectivitySnippet = SimpleNamespace(Custom=_models.InitToeplitzConnectivitySnippet)
CustomUpdateModels = SimpleNamespace(Custom=_models.CustomUpdateModel)
Snippet = SimpleNamespace(DerivedParamFunc=_models.DerivedParamFunc)

#: GeNN 4.9's variable access modes, pygenn.genn_wrapper.Models (a module, so
#: that `from gennctl.genn_wrapper.Models import VarAccess_READ_ONLY` works):
#: the third element of a var_name_types entry (VarAccess_*) or of a custom
#: update's var_refs entry (VarAccessMode_*); gennctl takes them by name
Models = ModuleType(__name__ + ".Models")
Models.__dict__.update({"VarAccess_" + a: a for a in (
    "READ_WRITE", "READ_ONLY", "READ_ONLY_DUPLICATE", "READ_ONLY_SHARED_NEURON", "REDUCE_BATCH_SUM",
    "REDUCE_BATCH_MAX", "REDUCE_NEURON_SUM", "REDUCE_NEURON_MAX")})
Models.__dict__.update({"VarAccessMode_" + a: a for a in ("READ_WRITE", "READ_ONLY", "REDUCE_SUM", "REDUCE_MAX")})
sys.modules[Models.__name__] = Models

globals().update({"SynapseMatrixType_" + name: name for name in MATRIX_TYPES})

SpanType_POSTSYNAPTIC = "POSTSYNAPTIC"
SpanType_PRESYNAPTIC = "PRESYNAPTIC"

VarLocation_HOST = 1
VarLocation_DEVICE = 2
VarLocation_HOST_DEVICE = 3
VarLocation_HOST_DEVICE_ZERO_COPY = 7

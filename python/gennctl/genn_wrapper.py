"""The names PyGeNN scripts import from pygenn.genn_wrapper.

Model families (for create_custom_model_class's base), the derived-parameter
and length function bases, NO_DELAY, the matrix types as strings, span types,
and variable locations (accepted and ignored: state lives in the module).
"""
from types import SimpleNamespace

from . import _models
from .genn_groups import MATRIX_TYPES

NO_DELAY = 0

NeuronModels = SimpleNamespace(Custom=_models.NeuronModel)
PostsynapticModels = SimpleNamespace(Custom=_models.PostsynapticModel)
WeightUpdateModels = SimpleNamespace(Custom=_models.WeightUpdateModel)
CurrentSourceModels = SimpleNamespace(Custom=_models.CurrentSourceModel)
InitVarSnippet = SimpleNamespace(Custom=_models.InitVarSnippet)
InitSparseConnectivitySnippet = SimpleNamespace(Custom=_models.InitSparseConnectivitySnippet,
                                                CalcMaxLengthFunc=_models.CalcMaxLengthFunc)
Snippet = SimpleNamespace(DerivedParamFunc=_models.DerivedParamFunc)

globals().update({"SynapseMatrixType_" + name: name for name in MATRIX_TYPES})

SpanType_POSTSYNAPTIC = "POSTSYNAPTIC"
SpanType_PRESYNAPTIC = "PRESYNAPTIC"

VarLocation_HOST = 1
VarLocation_DEVICE = 2
VarLocation_HOST_DEVICE = 3
VarLocation_HOST_DEVICE_ZERO_COPY = 7

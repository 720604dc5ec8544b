"""Model definitions: built-in models by name and custom models.

A model or snippet is an object with PyGeNN's getters (get_param_names,
get_vars, get_sim_code, ...); create_custom_*_class in genn_model build them.
As in PyGeNN 4.9 the create functions return an instance; calling it returns
itself, so PyGeNN 3 scripts that instantiate the returned "class" work too.
Built-in models are looked up in the catalogue of the gennctl binary
(``gennctl models --json``), which lists GeNN 4.9's models.
"""
import os
import sys
from collections import namedtuple
from textwrap import dedent

from . import _cli

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def call_site():
    """file:line of the first caller outside this package."""
    f = sys._getframe(1)
    while f is not None and os.path.dirname(os.path.abspath(f.f_code.co_filename)) == _PACKAGE_DIR:
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else None

#: a variable of a model: name, C type and GeNN 4.9's access mode (None:
#: READ_WRITE; genn_wrapper.Models.VarAccess_* or the mode's name)
Var = namedtuple("Var", ["name", "type", "access"], defaults=[None])
#: a custom update's reference to a variable: name, C type, access mode
#: (None: READ_WRITE; genn_wrapper.Models.VarAccessMode_* or the mode's name)
VarRef = namedtuple("VarRef", ["name", "type", "access"], defaults=[None])
#: an extra global parameter: name, C type ("scalar*" for an array)
EGP = namedtuple("EGP", ["name", "type"])
#: a derived parameter: name and a callable f(pars, dt) or a C-like expression string
DerivedParam = namedtuple("DerivedParam", ["name", "func"])
#: an additional input variable or a row/column build state variable
ParamVal = namedtuple("ParamVal", ["name", "type", "value"])


def _pairs(items, cls):
    out = []
    for it in items or []:
        if isinstance(it, cls):
            out.append(it)
        elif isinstance(it, str):
            raise ValueError(f"expected (name, type) pairs, got the string {it!r}")
        else:
            out.append(cls(*list(it)[:len(cls._fields)]))
    return out


class _Model:
    """Base of every model family (PyGeNN's <Family>.Custom)."""
    #: section of the gennctl document's `models:` (neurons, postsynaptic, ...)
    kind = None
    #: the family's name in messages
    family = None
    builtin = False

    def get_param_names(self):
        return []

    def get_vars(self):
        return []

    def get_derived_params(self):
        return []

    def get_extra_global_params(self):
        return []

    @property
    def name(self):
        return type(self).__name__

    def __call__(self):
        return self


class NeuronModel(_Model):
    kind, family = "neurons", "NeuronModels"

    def get_sim_code(self):
        return ""

    def get_threshold_condition_code(self):
        return ""

    def get_reset_code(self):
        return ""

    def get_support_code(self):
        return ""

    def get_additional_input_vars(self):
        return []

    def is_auto_refractory_required(self):
        return True


class PostsynapticModel(_Model):
    kind, family = "postsynaptic", "PostsynapticModels"

    def get_decay_code(self):
        return ""

    def get_apply_input_code(self):
        return ""

    def get_support_code(self):
        return ""


class WeightUpdateModel(_Model):
    kind, family = "weight_updates", "WeightUpdateModels"

    def get_pre_vars(self):
        return []

    def get_post_vars(self):
        return []

    def is_pre_spike_time_required(self):
        return False

    def is_post_spike_time_required(self):
        return False


#: code getters of weight-update models and their document fields
WU_CODE = ["sim_code", "event_code", "event_threshold_condition_code", "learn_post_code", "synapse_dynamics_code",
           "pre_spike_code", "post_spike_code", "pre_dynamics_code", "post_dynamics_code", "sim_support_code",
           "learn_post_support_code"]
for _f in WU_CODE + ["synapse_dynamics_suppport_code"]:
    setattr(WeightUpdateModel, "get_" + _f, lambda self: "")


class CurrentSourceModel(_Model):
    kind, family = "current_sources", "CurrentSourceModels"

    def get_injection_code(self):
        return ""


class InitVarSnippet(_Model):
    kind, family = "var_inits", "InitVarSnippet"

    def get_code(self):
        return ""


class InitSparseConnectivitySnippet(_Model):
    kind, family = "connectivity", "InitSparseConnectivitySnippet"

    def get_row_build_code(self):
        return ""

    def get_row_build_state_vars(self):
        return []

    def get_col_build_code(self):
        return ""

    def get_col_build_state_vars(self):
        return []

    def get_calc_max_row_length_func(self):
        return None

    def get_calc_max_col_length_func(self):
        return None

    def get_calc_kernel_size_func(self):
        return None

    def get_host_init_code(self):
        return ""


class InitToeplitzConnectivitySnippet(_Model):
    kind, family = "toeplitz", "InitToeplitzConnectivitySnippet"

    def get_diagonal_build_code(self):
        return ""

    def get_diagonal_build_state_vars(self):
        return []

    def get_calc_max_row_length_func(self):
        return None

    def get_calc_kernel_size_func(self):
        return None


class CustomUpdateModel(_Model):
    kind, family = "custom_updates", "CustomUpdateModels"

    def get_update_code(self):
        return ""

    def get_var_refs(self):
        return []

    def get_extra_global_param_refs(self):
        return []


FAMILIES = [NeuronModel, PostsynapticModel, WeightUpdateModel, CurrentSourceModel, InitVarSnippet,
            InitSparseConnectivitySnippet, InitToeplitzConnectivitySnippet, CustomUpdateModel]


class _Builtin:
    """A built-in model of the catalogue: parameters, variables, EGPs."""
    builtin = True

    def __init__(self, entry, family):
        self.name, self.kind, self.family = entry["name"], family.kind, family.family

        def split(items, cls):
            return [cls(*s.split(":", 1)) for s in items or []]
        self._params = list(entry.get("params") or [])
        self._vars = split(entry.get("vars"), Var)
        self._egps = split(entry.get("extra_global_params"), EGP)
        self._var_refs = [VarRef(*r.split(":", 2)) for r in entry.get("var_refs") or []]

    def get_param_names(self):
        return list(self._params)

    def get_vars(self):
        return list(self._vars)

    def get_pre_vars(self):
        return []

    def get_post_vars(self):
        return []

    def get_extra_global_params(self):
        return list(self._egps)

    def get_derived_params(self):
        return []  # computed by the gennctl core

    def get_var_refs(self):
        return list(self._var_refs)

    def get_extra_global_param_refs(self):
        return []


_catalogues = {}


def catalogue():
    """Built-in models by (kind, name), from the gennctl binary."""
    exe = _cli.binary()
    if exe not in _catalogues:
        fams = {f.kind: f for f in FAMILIES}
        _catalogues[exe] = {(e["kind"], e["name"]): _Builtin(e, fams[e["kind"]])
                            for e in _cli.run_json(["models"]) if e["kind"] in fams}
    return _catalogues[exe]


def resolve(model, family):
    """The model object of a built-in name or a custom model of family."""
    if isinstance(model, str):
        found = catalogue().get((family.kind, model))
        if found is None:
            have = sorted(n for k, n in catalogue() if k == family.kind)
            raise ValueError(f"model '{model}' is not supported: no built-in {family.family} model of that name "
                             f"(have {', '.join(have)})")
        return found
    if isinstance(model, type) and issubclass(model, family):
        model = model()
    if not isinstance(model, family):
        raise ValueError(f"expected a {family.family} model name or a custom model made by "
                         f"create_custom_*_class, got {model!r}")
    return model


class DerivedParamFunc:
    """Base of create_dpf_class's classes: call(pars, dt) computes the value."""

    def __call__(self, pars, dt):
        raise NotImplementedError


class CalcMaxLengthFunc:
    """Base of create_cmlf_class's classes: call(num_pre, num_post, pars)."""

    def __call__(self, num_pre, num_post, pars):
        raise NotImplementedError


class CalcKernelSizeFunc:
    """Base of create_cksf_class's classes: call(pars) gives the kernel's
    dimensions."""

    def __call__(self, pars):
        raise NotImplementedError


def as_function(f, base):
    """An instance of a create_dpf_class / create_cmlf_class /
    create_cksf_class class (the class itself is accepted too), a plain
    callable or an expression string (a list of them for a kernel size)."""
    if base is CalcKernelSizeFunc and isinstance(f, (list, tuple)):
        return [str(e) for e in f]
    if isinstance(f, type) and issubclass(f, base):
        return f()
    if isinstance(f, str) or callable(f):
        return f
    raise ValueError(f"expected a function made by create_dpf_class/create_cmlf_class, a callable or an "
                     f"expression string, got {f!r}")


class VarInit:
    """A variable initialised by a snippet (init_var)."""

    def __init__(self, snippet, params):
        self.snippet = resolve(snippet, InitVarSnippet)
        self.params = dict(params or {})
        self.extra_global_params = {}

    def get_snippet(self):
        return self.snippet


class ConnectivityInit:
    """Sparse connectivity initialised by a snippet (init_connectivity), or
    Toeplitz connectivity (init_toeplitz_connectivity)."""
    family = InitSparseConnectivitySnippet

    def __init__(self, snippet, params):
        self.snippet = resolve(snippet, self.family)
        self.params = dict(params or {})

    def get_snippet(self):
        return self.snippet


class ToeplitzInit(ConnectivityInit):
    """Toeplitz connectivity initialised by a snippet (Conv2D, AvgPoolConv2D
    or create_custom_toeplitz_connect_init_snippet_class's)."""
    family = InitToeplitzConnectivitySnippet


# ---- the seed's create functions (signatures of pygenn.genn_model 3.3, with
# GeNN 4.9's additions as trailing keywords) ----

def _code(body, **codes):
    for field, code in codes.items():
        if code is not None:
            text = dedent(code)
            body["get_" + field] = lambda self, text=text: text


def _flag(body, name, value):
    if value is not None:
        body[name] = lambda self, value=bool(value): value


def _check_body(custom_body):
    if custom_body is not None and not isinstance(custom_body, dict):
        raise ValueError("custom_body must be an instance of dict or None")
    return dict(custom_body or {})


def create_custom_model_class(class_name, base, param_names, var_name_types, derived_params, custom_body,
                              extra_global_params=None):
    """A custom model of the family base (e.g. genn_wrapper.NeuronModels.Custom)."""
    if base not in FAMILIES:
        raise ValueError(f"base must be one of genn_wrapper's <Family>.Custom classes, got {base!r}")
    body = {"_origin": call_site()}
    if param_names is not None:
        names = list(param_names)
        body["get_param_names"] = lambda self: list(names)
    if var_name_types is not None:
        vs = _pairs(var_name_types, Var)
        body["get_vars"] = lambda self: list(vs)
    if derived_params is not None:
        dps = [DerivedParam(d[0], as_function(d[1], DerivedParamFunc)) for d in derived_params]
        body["get_derived_params"] = lambda self: list(dps)
    if extra_global_params is not None:
        egps = _pairs(extra_global_params, EGP)
        body["get_extra_global_params"] = lambda self: list(egps)
    body.update(custom_body or {})
    return type(class_name, (base,), body)()


def create_custom_neuron_class(class_name, param_names=None, var_name_types=None, derived_params=None,
                               sim_code=None, threshold_condition_code=None, reset_code=None, support_code=None,
                               extra_global_params=None, additional_input_vars=None,
                               is_auto_refractory_required=None, custom_body=None):
    """A custom neuron model (see docs/python.md for the document it becomes)."""
    body = {}
    _code(body, sim_code=sim_code, threshold_condition_code=threshold_condition_code, reset_code=reset_code,
          support_code=support_code)
    if additional_input_vars:
        aiv = _pairs(additional_input_vars, ParamVal)
        body["get_additional_input_vars"] = lambda self: list(aiv)
    _flag(body, "is_auto_refractory_required", is_auto_refractory_required)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, NeuronModel, param_names, var_name_types, derived_params, body,
                                     extra_global_params)


def create_custom_postsynaptic_class(class_name, param_names=None, var_name_types=None, derived_params=None,
                                     decay_code=None, apply_input_code=None, support_code=None, custom_body=None,
                                     extra_global_params=None):
    """A custom postsynaptic model."""
    body = {}
    _code(body, decay_code=decay_code, apply_input_code=apply_input_code, support_code=support_code)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, PostsynapticModel, param_names, var_name_types, derived_params,
                                     body, extra_global_params)


def create_custom_weight_update_class(class_name, param_names=None, var_name_types=None, pre_var_name_types=None,
                                      post_var_name_types=None, derived_params=None, sim_code=None,
                                      event_code=None, learn_post_code=None, synapse_dynamics_code=None,
                                      event_threshold_condition_code=None, pre_spike_code=None,
                                      post_spike_code=None, sim_support_code=None, learn_post_support_code=None,
                                      synapse_dynamics_suppport_code=None, extra_global_params=None,
                                      is_pre_spike_time_required=None, is_post_spike_time_required=None,
                                      custom_body=None, pre_dynamics_code=None, post_dynamics_code=None,
                                      is_pre_spike_event_time_required=None, is_prev_pre_spike_time_required=None,
                                      is_prev_post_spike_time_required=None,
                                      is_prev_pre_spike_event_time_required=None):
    """A custom weight update model. gennctl tracks spike times wherever code
    uses them, so the is_*_time_required flags beyond the seed's two change
    nothing."""
    body = {}
    _code(body, sim_code=sim_code, event_code=event_code, learn_post_code=learn_post_code,
          synapse_dynamics_code=synapse_dynamics_code, event_threshold_condition_code=event_threshold_condition_code,
          pre_spike_code=pre_spike_code, post_spike_code=post_spike_code, sim_support_code=sim_support_code,
          learn_post_support_code=learn_post_support_code,
          synapse_dynamics_suppport_code=synapse_dynamics_suppport_code,
          pre_dynamics_code=pre_dynamics_code, post_dynamics_code=post_dynamics_code)
    if pre_var_name_types is not None:
        pre = _pairs(pre_var_name_types, Var)
        body["get_pre_vars"] = lambda self: list(pre)
    if post_var_name_types is not None:
        post = _pairs(post_var_name_types, Var)
        body["get_post_vars"] = lambda self: list(post)
    _flag(body, "is_pre_spike_time_required", is_pre_spike_time_required)
    _flag(body, "is_post_spike_time_required", is_post_spike_time_required)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, WeightUpdateModel, param_names, var_name_types, derived_params,
                                     body, extra_global_params)


def create_custom_current_source_class(class_name, param_names=None, var_name_types=None, derived_params=None,
                                       injection_code=None, extra_global_params=None, custom_body=None):
    """A custom current source model."""
    body = {}
    _code(body, injection_code=injection_code)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, CurrentSourceModel, param_names, var_name_types, derived_params,
                                     body, extra_global_params)


def create_custom_init_var_snippet_class(class_name, param_names=None, derived_params=None, var_init_code=None,
                                         custom_body=None, extra_global_params=None):
    """A custom variable initialisation snippet ($(value) = ...)."""
    body = {}
    _code(body, code=var_init_code)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, InitVarSnippet, param_names, None, derived_params, body,
                                     extra_global_params)


def create_custom_sparse_connect_init_snippet_class(class_name, param_names=None, derived_params=None,
                                                    row_build_code=None, row_build_state_vars=None,
                                                    calc_max_row_len_func=None, calc_max_col_len_func=None,
                                                    extra_global_params=None, custom_body=None,
                                                    col_build_code=None, col_build_state_vars=None,
                                                    calc_kernel_size_func=None):
    """A custom sparse connectivity snippet. calc_max_row_len_func and
    calc_max_col_len_func are create_cmlf_class functions (evaluated in
    Python for each synapse group and each variant of a sweep) or expression
    strings of num_pre, num_post and the parameters."""
    body = {}
    _code(body, row_build_code=row_build_code, col_build_code=col_build_code)
    for getter, svars in (("get_row_build_state_vars", row_build_state_vars),
                          ("get_col_build_state_vars", col_build_state_vars)):
        if svars is not None:
            vs = _pairs(svars, ParamVal)
            body[getter] = lambda self, vs=vs: list(vs)
    _length_funcs(body, calc_max_row_len_func, calc_max_col_len_func, calc_kernel_size_func)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, InitSparseConnectivitySnippet, param_names, None,
                                     derived_params, body, extra_global_params)


def _length_funcs(body, max_row=None, max_col=None, kernel_size=None):
    for getter, f, base in (("get_calc_max_row_length_func", max_row, CalcMaxLengthFunc),
                            ("get_calc_max_col_length_func", max_col, CalcMaxLengthFunc),
                            ("get_calc_kernel_size_func", kernel_size, CalcKernelSizeFunc)):
        if f is not None:
            fn = as_function(f, base)
            body[getter] = lambda self, fn=fn: fn


def create_custom_toeplitz_connect_init_snippet_class(class_name, param_names=None, derived_params=None,
                                                      diagonal_build_code=None, diagonal_build_state_vars=None,
                                                      calc_max_row_len_func=None, calc_kernel_size_func=None,
                                                      extra_global_params=None, custom_body=None):
    """A custom Toeplitz connectivity snippet (GeNN 4.9, for TOEPLITZ_KERNELG
    matrices): diagonal_build_code runs per spike and diagonal; the number of
    diagonals (calc_max_row_len_func) and the kernel's dimensions
    (calc_kernel_size_func, a create_cksf_class function or a list of
    expression strings) as for sparse snippets."""
    body = {}
    _code(body, diagonal_build_code=diagonal_build_code)
    if diagonal_build_state_vars is not None:
        vs = _pairs(diagonal_build_state_vars, ParamVal)
        body["get_diagonal_build_state_vars"] = lambda self: list(vs)
    _length_funcs(body, calc_max_row_len_func, None, calc_kernel_size_func)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, InitToeplitzConnectivitySnippet, param_names, None,
                                     derived_params, body, extra_global_params)


def create_custom_custom_update_class(class_name, param_names=None, var_name_types=None, derived_params=None,
                                      var_refs=None, update_code=None, extra_global_params=None,
                                      extra_global_param_refs=None, custom_body=None):
    """A custom update model (GeNN 4.9): update_code runs once per element
    of the variables it references (var_refs: (name, type[, access mode])
    triples) whenever its update group is run (GeNNModel.custom_update)."""
    body = {}
    _code(body, update_code=update_code)
    if var_refs is not None:
        refs = _pairs(var_refs, VarRef)
        body["get_var_refs"] = lambda self: list(refs)
    if extra_global_param_refs is not None:
        egp_refs = _pairs(extra_global_param_refs, EGP)
        body["get_extra_global_param_refs"] = lambda self: list(egp_refs)
    body.update(_check_body(custom_body))
    return create_custom_model_class(class_name, CustomUpdateModel, param_names, var_name_types, derived_params,
                                     body, extra_global_params)


def create_dpf_class(dp_func):
    """A derived-parameter function class: instances compute dp_func(pars, dt),
    pars being the model's parameter values in param_names order."""
    return type("", (DerivedParamFunc,), {"__call__": lambda self, pars, dt: dp_func(pars, dt)})


def create_cmlf_class(cml_func):
    """A maximum row/column length function class: instances compute
    cml_func(num_pre, num_post, pars)."""
    return type("", (CalcMaxLengthFunc,), {"__call__": lambda self, num_pre, num_post, pars:
                                           cml_func(num_pre, num_post, pars)})


def create_cksf_class(cks_func):
    """A kernel size function class: instances compute cks_func(pars), the
    kernel's dimensions."""
    return type("", (CalcKernelSizeFunc,), {"__call__": lambda self, pars: cks_func(pars)})


def init_toeplitz_connectivity(init_toeplitz_connect_snippet, param_space):
    """Toeplitz connectivity from a snippet: Conv2D, AvgPoolConv2D or a custom
    one, with its parameters (for TOEPLITZ_KERNELG matrices)."""
    return ToeplitzInit(init_toeplitz_connect_snippet, param_space)


def init_var(init_var_snippet, param_space):
    """A variable initialised by a snippet: a built-in name (Uniform, Normal,
    ...) or a custom one, with its parameters."""
    return VarInit(init_var_snippet, param_space)


def init_connectivity(init_sparse_connect_snippet, param_space):
    """Sparse connectivity from a snippet: a built-in name (FixedProbability,
    OneToOne, ...) or a custom one, with its parameters."""
    return ConnectivityInit(init_sparse_connect_snippet, param_space)


#: the connectivity set_sparse_connections gives a synapse group: row i holds
#: postInd[rowStart[i] .. rowStart[i+1]) (extra global parameters of the
#: module, so other connections need no new compile)
FROM_LIST = create_custom_sparse_connect_init_snippet_class(
    "gennctl_FromList", param_names=["maxRowLength"],
    row_build_state_vars=[("k", "unsigned int", "$(rowStart)[$(id_pre)]")],
    row_build_code="""
        if ($(k) >= $(rowStart)[$(id_pre) + 1]) {
            $(endRow);
        }
        $(addSynapse, $(postInd)[$(k)]);
        $(k)++;
        """,
    calc_max_row_len_func="maxRowLength",
    extra_global_params=[("rowStart", "unsigned int*"), ("postInd", "unsigned int*")])

#: the connectivity of a DENSE_PROCEDURALG synapse group: every source to
#: every target, regenerated at each spike (a procedural matrix), so that its
#: weights are procedural too (regenerated from their snippet, never stored)
ALL_TO_ALL = create_custom_sparse_connect_init_snippet_class(
    "gennctl_AllToAll",
    row_build_state_vars=[("j", "unsigned int", 0)],
    row_build_code="""
        if ($(j) >= $(num_post)) {
            $(endRow);
        }
        $(addSynapse, $(j));
        $(j)++;
        """,
    calc_max_row_len_func="num_post")

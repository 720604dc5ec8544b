"""Neuron populations, synapse groups, current sources and custom updates of
a GeNNModel (PyGeNN's pygenn.genn_groups), and the references of custom
updates to other groups' variables and extra global parameters.

State lives in the loaded module. ``vars[name].view`` is a numpy array owned
by Python, filled at load and by ``pull_*_from_device``, written back by
``push_*_to_device``: always a copy, as with PyGeNN's CUDA backend, because
the module ABI copies values in and out (there is no pointer to share). Its
shape is (count,) or, with ``batch_size > 1``, (batch_size, count).
"""
import numpy as np

from . import _models
from ._models import ALL_TO_ALL, FROM_LIST, ConnectivityInit, ToeplitzInit, VarInit, call_site

#: numpy types of the module's C types ("scalar" comes resolved)
DTYPES = {
    "float": np.float32, "double": np.float64, "bool": np.bool_,
    "int": np.int32, "unsigned int": np.uint32, "short": np.int16, "unsigned short": np.uint16,
    "char": np.int8, "signed char": np.int8, "unsigned char": np.uint8,
    "int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "uint16_t": np.uint16,
    "int32_t": np.int32, "uint32_t": np.uint32, "int64_t": np.int64, "uint64_t": np.uint64,
}


def dtype_of(ctype, precision):
    t = ctype.strip().rstrip("*").strip()
    if t == "scalar":
        t = precision
    if t not in DTYPES:
        raise ValueError(f"unsupported variable type {ctype!r}")
    return DTYPES[t]


class Variable:
    """A state variable: its initialisation and, once loaded, its view."""

    def __init__(self, name, vtype, values, group):
        self.name, self.type, self.group = name, vtype, group
        self.view = None
        self.extra_global_params = {}
        self.init = None    # a number, a VarInit or None (uninitialised: 0)
        self.values = None  # explicit per-element values (float64), pushed after initialisation
        self.set_values(values)

    def set_values(self, values):
        """Initial value: a number, init_var(...), one value per element, or None."""
        if self.group._model._built:
            # the module was generated for this kind of initial value; only
            # per-element values, written after initialisation, may change
            if self.values is None or np.ndim(values) == 0:
                raise RuntimeError(f"{self.group.name}.{self.name}: after build only per-element values given "
                                   "before build can be changed (they are written at the next load or reinitialise)")
        if isinstance(values, VarInit):
            self.init, self.values = values, None
            self.extra_global_params = {e.name: ExtraGlobalParameter(e.name, e.type, self.group)
                                        for e in values.snippet.get_extra_global_params()}
        elif values is None or np.ndim(values) == 0:
            self.init, self.values = (None if values is None else float(values)), None
        else:
            self.init, self.values = None, np.asarray(values, dtype=np.float64).ravel()

    def set_extra_global_init_param(self, param_name, param_values):
        """Extra global parameter of the variable's initialisation snippet."""
        self.extra_global_params[param_name].set_values(param_values)


class ExtraGlobalParameter:
    """An extra global parameter: values given before build (the ones every
    variant starts with); once loaded, ``view`` holds the module's values."""

    def __init__(self, name, etype, group, values=None):
        self.name, self.group = name, group
        self.is_scalar = not etype.strip().endswith("*")
        self.type = etype.strip().rstrip("*").strip()
        self.view = None
        self.values = None
        self.set_values(values)

    def set_values(self, values):
        if values is None:
            self.values = None
            return
        vals = np.asarray(values, dtype=np.float64).ravel()
        if self.is_scalar and len(vals) != 1:
            raise ValueError(f"extra global parameter {self.name} is a scalar ({self.type}); got {len(vals)} values")
        self.values = vals


class Group:
    """Common part of neuron, synapse and current-source groups."""
    section = None  # document section: populations, synapses, current_sources

    def __init__(self, name, model):
        self.name = name
        self._model = model
        self.vars = {}
        self.extra_global_params = {}
        self._origin = call_site()

    @property
    def path(self):
        return f"{self.section}.{self.name}"

    def _make_vars(self, declared, var_space, what):
        names = [v.name for v in declared]
        if set(var_space or {}) != set(names):
            raise ValueError(f"{self.name}: invalid {what} initialisers: need {sorted(names)}, got {sorted(var_space or {})}")
        return {v.name: Variable(v.name, v.type, var_space[v.name], self) for v in declared}

    def _referenceable(self, kind, wu):
        """Names of the variables of part kind a custom update may
        reference (wu: per-synapse ones)."""
        return [] if wu else list(self.vars)

    def _make_egps(self, model):
        return {e.name: ExtraGlobalParameter(e.name, e.type, self) for e in model.get_extra_global_params()}

    def set_var(self, var_name, values):
        self.vars[var_name].set_values(values)

    def set_extra_global_param(self, param_name, param_values):
        """Value of an extra global parameter; after load it is written to the
        module at once (model code sees it from the next time step)."""
        self._set_egp(self.extra_global_params, param_name, param_values)

    def _set_egp(self, egps, param_name, param_values):
        if param_name not in egps:
            raise ValueError(f"{self.name} has no extra global parameter {param_name!r} (have {sorted(egps)})")
        egp = egps[param_name]
        egp.set_values(param_values)
        if self._model._loaded:
            egp.view = np.asarray(egp.values, dtype=dtype_of(egp.type, self._model._scalar))
            path = next(p for p, e in self._egp_paths() if e is egp)
            self._model._runtime.push_egp(path, egp)

    add_extra_global_param = set_extra_global_param

    def pull_state_from_device(self):
        self._model.pull_state_from_device(self.name)

    def push_state_to_device(self):
        self._model.push_state_to_device(self.name)

    def pull_var_from_device(self, var_name):
        self._model.pull_var_from_device(self.name, var_name)

    def push_var_to_device(self, var_name):
        self._model.push_var_to_device(self.name, var_name)

    def pull_extra_global_param_from_device(self, egp_name, size=None):
        self._model.pull_extra_global_param_from_device(self.name, egp_name, size)

    def push_extra_global_param_to_device(self, egp_name, size=None):
        self._model.push_extra_global_param_to_device(self.name, egp_name, size)

    def _state_vars(self):
        """(Variable, ABI kind) of every state variable of the group."""
        return [(v, self.var_kind) for v in self.vars.values()]

    def _storage_values(self, var, kind):
        """var's per-element values in the module's storage order."""
        return var.values

    def _egp_paths(self):
        """(config path, ExtraGlobalParameter) of the group's parameters and
        of its variables' initialisation snippets."""
        out = [(f"{self.path}{self.egp_section}.extra_global_params.{e.name}", e)
               for e in self.extra_global_params.values()]
        for v, kind in self._state_vars():
            for e in v.extra_global_params.values():
                out.append((f"{self.path}{self.var_sections[kind]}.{v.name}.extra_global_params.{e.name}", e))
        return out


def _set_before_build(name, default, convert):
    """A property of a group that the document holds, so it is set before
    build: name's value (default until set), converted by convert."""
    def set_value(self, value):
        if self._model._built:
            raise RuntimeError(f"{name} must be set before build")
        setattr(self, "_" + name, convert(value))
    return property(lambda self: getattr(self, "_" + name, default), set_value)


class NeuronGroup(Group):
    section = "populations"
    var_kind = "neuron"
    egp_section = ""
    var_sections = {"neuron": ".vars"}

    def __init__(self, name, model, num_neurons, neuron, param_space, var_space):
        super().__init__(name, model)
        self.size = int(num_neurons)
        self.neuron = _models.resolve(neuron, _models.NeuronModel)
        self.params = dict(param_space or {})
        self.vars = self._make_vars(self.neuron.get_vars(), var_space, "variable")
        self.extra_global_params = self._make_egps(self.neuron)

    spike_recording_enabled = _set_before_build("spike_recording_enabled", False, bool)
    spike_event_recording_enabled = _set_before_build("spike_event_recording_enabled", False, bool)

    @property
    def current_spike_events(self):
        """Indices of the neurons with a spike-like event in the last time
        step (needs spike_event_recording_enabled)."""
        return self._model._need_loaded("reading current spike events").current_spikes(self, events=True)

    @property
    def spike_event_recording_data(self):
        """(times, ids) of the spike-like events of the last
        num_recording_timesteps steps, as spike_recording_data."""
        return self._model._runtime.recording_data(self, events=True)

    @property
    def current_spikes(self):
        """Indices of the neurons that spiked in the last time step (a list of
        arrays, one per variant, with batch_size > 1). Always current: the
        module records every population's spikes for it. Setting it (then
        push_current_spikes_to_device) replaces them: the next step's synapse
        updates deliver the spikes set, as in PyGeNN."""
        return self._model._need_loaded("reading current spikes").current_spikes(self)

    @current_spikes.setter
    def current_spikes(self, spikes):
        self._model._need_loaded("setting current spikes").set_current_spikes(self, spikes)

    @property
    def spike_recording_data(self):
        """(times, ids) of the spikes of the last num_recording_timesteps steps
        as of the last pull_recording_buffers_from_device (a list of tuples,
        one per variant, with batch_size > 1)."""
        return self._model._runtime.recording_data(self)

    def pull_spikes_from_device(self):
        self._model.pull_spikes_from_device(self.name)

    def pull_current_spikes_from_device(self):
        self._model.pull_current_spikes_from_device(self.name)

    def push_spikes_to_device(self):
        self._model.push_spikes_to_device(self.name)

    def push_current_spikes_to_device(self):
        self._model.push_current_spikes_to_device(self.name)


#: PyGeNN matrix types -> (gennctl matrix, weights)
MATRIX_TYPES = {
    "DENSE_INDIVIDUALG": ("dense", "individual"), "DENSE_GLOBALG": ("dense", "global"),
    "SPARSE_INDIVIDUALG": ("sparse", "individual"), "SPARSE_GLOBALG": ("sparse", "global"),
    "BITMASK_GLOBALG": ("bitmask", "global"),
    "PROCEDURAL_GLOBALG": ("procedural", "global"), "PROCEDURAL_PROCEDURALG": ("procedural", None),
    "SPARSE_INDIVIDUALG_PSM": ("sparse", "individual"), "DENSE_INDIVIDUALG_PSM": ("dense", "individual"),
    "SPARSE_GLOBALG_INDIVIDUAL_PSM": ("sparse", "global"), "DENSE_GLOBALG_INDIVIDUAL_PSM": ("dense", "global"),
    "BITMASK_GLOBALG_INDIVIDUAL_PSM": ("bitmask", "global"),
    "PROCEDURAL_KERNELG": ("procedural", "kernel"), "TOEPLITZ_KERNELG": ("toeplitz", "kernel"),
    # all to all, regenerated at each spike (connectivity ALL_TO_ALL), with procedural weights
    "DENSE_PROCEDURALG": ("procedural", None),
}


def matrix_type_of(matrix_type):
    name = str(matrix_type)
    if name.startswith("SynapseMatrixType_"):
        name = name[len("SynapseMatrixType_"):]
    if name in MATRIX_TYPES:
        return MATRIX_TYPES[name]
    if name in ("dense", "sparse", "bitmask", "procedural", "toeplitz"):
        return name, None
    raise ValueError(f"matrix type {matrix_type!r} is not supported (supported: {', '.join(MATRIX_TYPES)})")


class SynapseGroup(Group):
    section = "synapses"
    var_kind = "synapse"
    egp_section = ".weight_update"
    var_sections = {"synapse": ".weight_update.vars", "pre": ".weight_update.pre_vars",
                    "post": ".weight_update.post_vars", "postsynaptic": ".postsynaptic.vars"}

    def __init__(self, name, model, matrix_type, delay_steps, source, target, w_update_model, wu_param_space,
                 wu_var_space, wu_pre_var_space, wu_post_var_space, postsyn_model, ps_param_space, ps_var_space,
                 connectivity_initialiser):
        super().__init__(name, model)
        self.matrix_type = matrix_type
        self.matrix, self.weights = matrix_type_of(matrix_type)
        self.delay_steps = int(delay_steps)
        self.back_prop_delay_steps = 0
        self.max_dendritic_delay_timesteps = 0
        self.span_type = None  # "PRESYNAPTIC" or "POSTSYNAPTIC" (the CUDA backend's parallelisation)
        self.src, self.trg = source, target
        self.w_update = _models.resolve(w_update_model, _models.WeightUpdateModel)
        self.wu_params = dict(wu_param_space or {})
        self.vars = self._make_vars(self.w_update.get_vars(), wu_var_space, "weight update variable")
        self.pre_vars = self._make_vars(self.w_update.get_pre_vars(), wu_pre_var_space, "presynaptic variable")
        self.post_vars = self._make_vars(self.w_update.get_post_vars(), wu_post_var_space, "postsynaptic variable")
        self.extra_global_params = self._make_egps(self.w_update)
        self.postsyn = _models.resolve(postsyn_model, _models.PostsynapticModel)
        self.ps_params = dict(ps_param_space or {})
        self.psm_vars = self._make_vars(self.postsyn.get_vars(), ps_var_space, "postsynaptic model variable")
        self.psm_extra_global_params = self._make_egps(self.postsyn)
        self._in_syn = Variable("inSyn", "scalar", 0.0, self)
        if str(matrix_type).endswith("DENSE_PROCEDURALG"):
            if connectivity_initialiser is not None:
                raise ValueError(f"{name}: a DENSE_PROCEDURALG matrix connects every pair; it takes no "
                                 "connectivity_initialiser")
            connectivity_initialiser = ConnectivityInit(ALL_TO_ALL, {})
        if connectivity_initialiser is not None and not isinstance(connectivity_initialiser, ConnectivityInit):
            raise ValueError(f"{name}: connectivity_initialiser must come from init_connectivity or "
                             "init_toeplitz_connectivity")
        if (self.matrix == "toeplitz") != isinstance(connectivity_initialiser, ToeplitzInit):
            raise ValueError(f"{name}: a TOEPLITZ_KERNELG matrix takes init_toeplitz_connectivity, other matrices "
                             "init_connectivity")
        self.connectivity_initialiser = connectivity_initialiser
        self.connectivity_extra_global_params = {} if connectivity_initialiser is None else \
            self._make_egps(connectivity_initialiser.snippet)
        self._connections = None  # (pre, post, order) given with set_sparse_connections
        self._row_lengths = self._ind = None  # pulled connectivity

    # GeNN 4.9's ps_target_var / pre_target_var: the input of the target
    # (source) that the postsynaptic model's $(Isyn) (weight update code's
    # $(addToPre)) adds to, Isyn or an additional input variable
    ps_target_var = _set_before_build("ps_target_var", "Isyn", str)
    pre_target_var = _set_before_build("pre_target_var", "Isyn", str)

    @property
    def in_syn(self):
        """The summed synaptic input of each target neuron (a view, see vars)."""
        return self._in_syn.view

    @property
    def max_row_length(self):
        return self._model._runtime.max_row_length(self) if self._model._loaded else None

    @property
    def weight_update_var_size(self):
        """Elements of each per-synapse variable: pre x post (dense) or
        pre x max_row_length (sparse)."""
        if self.matrix == "dense":
            return self.src.size * self.trg.size
        return self.src.size * self.max_row_length

    @property
    def num_synapses(self):
        if self.matrix == "dense":
            return self.src.size * self.trg.size
        return int(np.sum(self._lengths()))

    def set_psm_var(self, var_name, values):
        self.psm_vars[var_name].set_values(values)

    def set_pre_var(self, var_name, values):
        self.pre_vars[var_name].set_values(values)

    def set_post_var(self, var_name, values):
        self.post_vars[var_name].set_values(values)

    def set_connectivity_extra_global_param(self, param_name, param_values):
        self.connectivity_extra_global_params[param_name].set_values(param_values)

    def set_psm_extra_global_param(self, param_name, param_values):
        """Value of an extra global parameter of the postsynaptic model (as
        set_extra_global_param)."""
        self._set_egp(self.psm_extra_global_params, param_name, param_values)

    def _psm_egp_path(self, egp_name):
        if egp_name not in self.psm_extra_global_params:
            raise ValueError(f"{self.name}'s postsynaptic model has no extra global parameter {egp_name!r}")
        return f"{self.path}.postsynaptic.extra_global_params.{egp_name}", self.psm_extra_global_params[egp_name]

    def pull_psm_extra_global_param_from_device(self, egp_name, size=None):
        self._model._need_loaded("pulling").pull_egp(*self._psm_egp_path(egp_name))

    def push_psm_extra_global_param_to_device(self, egp_name, size=None):
        self._model._need_loaded("pushing").push_egp(*self._psm_egp_path(egp_name), size=size)

    def _referenceable(self, kind, wu):
        parts = {"synapse": self.vars, "pre": self.pre_vars, "post": self.post_vars, "postsynaptic": self.psm_vars}
        return list(parts[kind]) if wu == (kind == "synapse") else []

    def _state_vars(self):
        return ([(v, "synapse") for v in self.vars.values()] + [(v, "pre") for v in self.pre_vars.values()]
                + [(v, "post") for v in self.post_vars.values()]
                + [(v, "postsynaptic") for v in self.psm_vars.values()] + [(self._in_syn, "postsynaptic")])

    def _storage_values(self, var, kind):
        if kind == "synapse" and self.matrix == "sparse":
            if self._connections is None:
                raise ValueError(f"{self.name}.{var.name}: per-synapse values of a sparse group need "
                                 "set_sparse_connections (its synapses are only known after initialisation)")
            return self.slot_values(var.values)
        return var.values

    def _egp_paths(self):
        return super()._egp_paths() + [(f"{self.path}.connectivity.extra_global_params.{e.name}", e)
                                       for e in self.connectivity_extra_global_params.values()] + \
            [self._psm_egp_path(name) for name in self.psm_extra_global_params]

    def set_sparse_connections(self, pre_indices, post_indices):
        """Connections of a sparse group, as PyGeNN: synapse k connects
        pre_indices[k] to post_indices[k]; per-synapse values given as arrays
        follow the same order."""
        if self._model._built:
            raise RuntimeError("set_sparse_connections must be called before build")
        if self.matrix != "sparse":
            raise ValueError("set_sparse_connections only supports sparse matrices")
        pre = np.asarray(pre_indices, dtype=np.int64).ravel()
        post = np.asarray(post_indices, dtype=np.int64).ravel()
        if len(pre) != len(post):
            raise ValueError(f"{len(pre)} presynaptic and {len(post)} postsynaptic indices")
        if len(pre) and (pre.min() < 0 or pre.max() >= self.src.size or post.min() < 0 or post.max() >= self.trg.size):
            raise ValueError("connection indices out of range of the source or target population")
        order = np.lexsort((post, pre))
        self._connections = (pre, post, order)
        rows = np.bincount(pre, minlength=self.src.size)
        starts = np.concatenate([[0], np.cumsum(rows)])
        self.connectivity_initialiser = ConnectivityInit(FROM_LIST, {"maxRowLength": max(1, int(rows.max(initial=0)))})
        self.connectivity_extra_global_params = self._make_egps(FROM_LIST)
        self.connectivity_extra_global_params["rowStart"].set_values(starts)
        self.connectivity_extra_global_params["postInd"].set_values(post[order])

    def _lengths(self):
        if self._connections is not None:
            return np.bincount(self._connections[0], minlength=self.src.size)
        if self._row_lengths is None:
            raise RuntimeError(f"{self.name}: pull_connectivity_from_device first")
        return self._row_lengths

    def get_sparse_pre_inds(self):
        """Presynaptic index of every synapse, row by row."""
        if self.matrix != "sparse":
            raise ValueError("get_sparse_pre_inds only supports sparse matrices")
        rl = self._lengths()
        return np.repeat(np.arange(len(rl)), rl)

    def get_sparse_post_inds(self):
        """Postsynaptic index of every synapse, row by row."""
        if self.matrix != "sparse":
            raise ValueError("get_sparse_post_inds only supports sparse matrices")
        if self._connections is not None:
            pre, post, order = self._connections
            return post[order]
        rl = self._lengths()
        return self._ind.reshape(len(rl), -1)[np.arange(self._ind.size // len(rl)) < rl[:, None]]

    def get_var_values(self, var_name):
        """Values of a per-synapse variable: the dense matrix, or for a sparse
        group one per synapse in the order of get_sparse_pre_inds."""
        return self._synapse_values(self.vars[var_name])

    def _synapse_values(self, var):
        """The values of a per-synapse variable of this group (or of a custom
        update over its synapses), as get_var_values gives them."""
        view = var.view
        if view is None:
            raise RuntimeError(f"{var.group.name}.{var.name} has no values to read (not loaded, or a global weight)")
        if self.matrix == "dense":
            return np.copy(view)
        rl = self._lengths()
        stride = self.max_row_length
        used = np.arange(stride) < rl[:, None]
        if view.ndim == 1:
            return view.reshape(len(rl), stride)[used]
        return np.stack([v.reshape(len(rl), stride)[used] for v in view])

    def slot_values(self, values):
        """Per-synapse values in storage order (pre x max_row_length slots)
        from values in set_sparse_connections order."""
        pre, post, order = self._connections
        rows = np.bincount(pre, minlength=self.src.size)
        stride = max(1, int(rows.max(initial=0)))
        starts = np.concatenate([[0], np.cumsum(rows)])[:-1]
        sorted_pre = pre[order]
        slots = sorted_pre * stride + (np.arange(len(pre)) - starts[sorted_pre])
        out = np.zeros(self.src.size * stride)
        out[slots] = np.asarray(values, dtype=np.float64)[order]
        return out

    def pull_connectivity_from_device(self):
        self._model.pull_connectivity_from_device(self.name)

    def push_connectivity_to_device(self):
        self._model.push_connectivity_to_device(self.name)

    def pull_in_syn_from_device(self):
        self._model.pull_var_from_device(self.name, "inSyn")

    def push_in_syn_to_device(self):
        self._model.push_var_to_device(self.name, "inSyn")


class CurrentSource(Group):
    section = "current_sources"
    var_kind = "current_source"
    egp_section = ""
    var_sections = {"current_source": ".vars"}

    def __init__(self, name, model, current_source_model, pop, param_space, var_space):
        super().__init__(name, model)
        self.current_source_model = _models.resolve(current_source_model, _models.CurrentSourceModel)
        self.pop = pop
        self.params = dict(param_space or {})
        self.vars = self._make_vars(self.current_source_model.get_vars(), var_space, "variable")
        self.extra_global_params = self._make_egps(self.current_source_model)

    @property
    def size(self):
        return self.pop.size


class VarReference:
    """A custom update's reference to variable var_name of group (made by
    genn_model's create_var_ref, create_psm_var_ref, create_wu_pre_var_ref,
    create_wu_post_var_ref, create_wu_var_ref). kind is the group's part that
    holds it (neuron, current_source, postsynaptic, pre, post, synapse,
    custom_update); wu: a per-synapse variable; transpose: the reference to
    the per-synapse variable of the transposed group the update also writes."""

    def __init__(self, group, var_name, kind, wu=False, transpose=None):
        declared = group._referenceable(kind, wu)
        if var_name not in declared:
            what = "per-synapse variable" if wu else "variable"
            raise ValueError(f"{group.name} has no {what} {var_name!r} to reference "
                             f"(has {', '.join(declared) or 'none'})")
        self.group, self.var_name, self.kind, self.wu, self.transpose = group, var_name, kind, wu, transpose

    @property
    def synapse_group(self):
        """The synapse group whose synapses a per-synapse reference runs over."""
        g = self.group
        return g._synapse_group if isinstance(g, CustomUpdate) else g

    def node(self):
        n = {"owner": self.group.name, "var": self.var_name, "kind": self.kind}
        if self.transpose is not None:
            n["transpose"] = {"owner": self.transpose.group.name, "var": self.transpose.var_name}
        return n


class EGPReference:
    """A custom update's reference to an extra global parameter of another
    group (create_egp_ref, create_psm_egp_ref, create_wu_egp_ref): its
    config path."""

    def __init__(self, group, egps, path, egp_name):
        if egp_name not in egps:
            raise ValueError(f"{group.name} has no extra global parameter {egp_name!r} to reference "
                             f"(has {', '.join(egps) or 'none'})")
        self.path = f"{path}.extra_global_params.{egp_name}"


class CustomUpdate(Group):
    """A custom update (GeNN 4.9's add_custom_update): its model's code runs
    over the elements of the variables it references, every time its update
    group is run (GeNNModel.custom_update)."""
    section = "custom_updates"
    var_kind = "custom_update"
    egp_section = ""
    var_sections = {"custom_update": ".vars"}

    def __init__(self, name, model, group_name, custom_update_model, param_space, var_space, var_ref_space,
                 egp_ref_space):
        super().__init__(name, model)
        self.group_name = str(group_name)
        self.custom_update_model = _models.resolve(custom_update_model, _models.CustomUpdateModel)
        self.params = dict(param_space or {})
        self.vars = self._make_vars(self.custom_update_model.get_vars(), var_space, "variable")
        self.extra_global_params = self._make_egps(self.custom_update_model)
        refs = self._references(var_ref_space, self.custom_update_model.get_var_refs(), VarReference,
                                "variable reference", "create_var_ref, create_wu_var_ref, ...")
        wu = sum(r.wu for r in refs.values())
        if wu not in (0, len(refs)):
            raise ValueError(f"{name}: custom updates cannot be created with references pointing to a mixture of "
                             "weight update and other variables")
        self.var_refs = refs
        self.custom_wu_update = wu > 0
        self.egp_refs = self._references(egp_ref_space, self.custom_update_model.get_extra_global_param_refs(),
                                         EGPReference, "extra global parameter reference",
                                         "create_egp_ref, create_psm_egp_ref or create_wu_egp_ref")

    def _references(self, space, declared, cls, what, makers):
        """The references given (name -> cls), one for each declared."""
        refs = dict(space or {})
        names = [r.name for r in declared]
        if set(refs) != set(names):
            raise ValueError(f"{self.name}: invalid {what} initialisers: need {sorted(names)}, got {sorted(refs)}")
        for k, r in refs.items():
            if not isinstance(r, cls):
                raise ValueError(f"{self.name}: {what} {k} must come from {makers}, got {r!r}")
        return refs

    @property
    def _synapse_group(self):
        """The synapse group a custom update over synapses runs over (None
        for one over neurons)."""
        if not self.custom_wu_update:
            return None
        return next(iter(self.var_refs.values())).synapse_group

    def _referenceable(self, kind, wu):
        return list(self.vars) if wu == self.custom_wu_update else []

    def _storage_values(self, var, kind):
        sg = self._synapse_group
        if sg is not None and sg.matrix == "sparse":
            return sg._storage_values(var, "synapse")
        return var.values

    def get_var_values(self, var_name):
        """Values of a variable of a custom update over synapses, as the
        synapse group's get_var_values gives its own."""
        sg = self._synapse_group
        if sg is None:
            raise ValueError(f"{self.name} is a custom update over neurons: read vars[{var_name!r}].view")
        return sg._synapse_values(self.vars[var_name])

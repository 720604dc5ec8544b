"""PyGeNN's genn_model API over the gennctl core.

    from gennctl.genn_model import GeNNModel     # was: from pygenn.genn_model import GeNNModel

GeNNModel.build turns the model into a gennctl experiment document (written to
``<path_to_model>/<model_name>_CODE/<model_name>.yaml``) and runs
``gennctl build`` on it: the module is generated, compiled and cached exactly
as for ``gennctl sweep``. GeNNModel.load loads the module into this process
with ctypes; step_time, the views and pull/push work on it. GeNNModel.sweep
runs a parameter sweep of the model with ``gennctl sweep``. See
docs/python.md for what differs from PyGeNN.
"""
import os

import numpy as np

from . import _abi, _cli, _document
from . import _sweep
from ._cli import GeNNError
from ._models import (create_cmlf_class, create_custom_current_source_class,  # noqa: F401 (the seed's API)
                      create_custom_custom_update_class, create_custom_init_var_snippet_class,
                      create_custom_model_class, create_custom_neuron_class, create_custom_postsynaptic_class,
                      create_custom_sparse_connect_init_snippet_class,
                      create_custom_toeplitz_connect_init_snippet_class, create_custom_weight_update_class,
                      create_cksf_class, create_dpf_class, init_connectivity, init_toeplitz_connectivity, init_var)
from .genn_groups import (CurrentSource, CustomUpdate, EGPReference, NeuronGroup, SynapseGroup, VarReference,
                          dtype_of)

__all__ = ["GeNNModel", "GeNNError", "init_var", "init_connectivity", "create_custom_neuron_class",
           "create_custom_postsynaptic_class", "create_custom_weight_update_class",
           "create_custom_current_source_class", "create_custom_init_var_snippet_class",
           "create_custom_sparse_connect_init_snippet_class", "create_custom_custom_update_class",
           "create_custom_toeplitz_connect_init_snippet_class", "init_toeplitz_connectivity", "create_cksf_class",
           "create_custom_model_class", "create_dpf_class", "create_cmlf_class", "create_var_ref",
           "create_psm_var_ref", "create_wu_pre_var_ref", "create_wu_post_var_ref", "create_wu_var_ref",
           "create_egp_ref", "create_psm_egp_ref", "create_wu_egp_ref"]

#: PyGeNN backend names -> gennctl backends
BACKENDS = {None: "auto", "auto": "auto", "CUDA": "cuda", "cuda": "cuda", "SingleThreadedCPU": "cpu", "cpu": "cpu"}

#: spikes the module may hold before step_time drains them
_DRAIN_AT = 1 << 20


class GeNNModel:
    """A GeNN model: define it, build it, load it, step it, or sweep it."""

    def __init__(self, precision="float", model_name="GeNNModel", backend=None, time_precision=None,
                 **preference_kwargs):
        if precision not in ("float", "double"):
            raise ValueError(f"Supported precisions are float and double, but '{precision}' was given")
        if time_precision not in (None, "float", "double"):
            raise ValueError(f"Supported time precisions are float and double, but '{time_precision}' was given")
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r} is not available (gennctl has {', '.join(map(str, BACKENDS))})")
        self._scalar = precision
        self._time_precision = time_precision or precision
        self._backend = BACKENDS[backend]
        #: accepted for PyGeNN compatibility: gennctl has no backend preferences or log levels
        self.preferences = preference_kwargs
        self._built = self._loaded = False
        self._model_name = model_name
        self._dt = 0.1
        self._batch_size = 1
        #: base seed: variant b of the batch gets seed + b (gennctl extension)
        self.seed = 0
        self.neuron_populations = {}
        self.synapse_populations = {}
        self.current_sources = {}
        self.custom_updates = {}
        self._document = None
        self._module_path = None
        self._runtime = None

    def _unbuilt(self, what):
        if self._built:
            raise RuntimeError(f"GeNN model already built: {what} must be set before build")

    @property
    def model_name(self):
        return self._model_name

    @model_name.setter
    def model_name(self, name):
        self._unbuilt("model_name")
        self._model_name = name

    @property
    def dT(self):
        """Time step (ms)."""
        return self._dt

    @dT.setter
    def dT(self, dt):
        self._unbuilt("dT")
        self._dt = float(dt)

    @property
    def batch_size(self):
        """Number of variants simulated at once (each with its own seed; they
        share connectivity, as GeNN's batches do)."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, n):
        self._unbuilt("batch_size")
        if int(n) < 1:
            raise ValueError("batch_size must be at least 1")
        self._batch_size = int(n)

    @property
    def use_backend(self):
        return self._backend

    @property
    def default_var_location(self):
        """Accepted and ignored: every variable lives in the module, read and
        written through pull/push."""
        return None

    @default_var_location.setter
    def default_var_location(self, _):
        pass

    default_sparse_connectivity_location = default_var_location
    timing_enabled = False

    # ---- the network ----

    def _name_free(self, name):
        for kind, d in (("neuron population", self.neuron_populations), ("synapse population", self.synapse_populations),
                        ("current source", self.current_sources), ("custom update", self.custom_updates)):
            if name in d:
                raise ValueError(f"{kind} '{name}' already exists")

    def _neuron_group(self, group, context):
        if isinstance(group, str):
            if group not in self.neuron_populations:
                raise ValueError(f"'{context}' neuron group '{group}' not found")
            return self.neuron_populations[group]
        if isinstance(group, NeuronGroup):
            return group
        raise ValueError(f"'{context}' must be a NeuronGroup or string")

    def add_neuron_population(self, pop_name, num_neurons, neuron, param_space, var_space):
        """Add a population of num_neurons neurons of a built-in model (by
        name) or a custom one (create_custom_neuron_class)."""
        self._unbuilt("populations")
        self._name_free(pop_name)
        group = NeuronGroup(pop_name, self, num_neurons, neuron, param_space, var_space)
        self.neuron_populations[pop_name] = group
        return group

    def add_synapse_population(self, pop_name, matrix_type, delay_steps, source, target, w_update_model,
                               wu_param_space, wu_var_space, wu_pre_var_space, wu_post_var_space, postsyn_model,
                               ps_param_space, ps_var_space, connectivity_initialiser=None):
        """Add a synapse group from source to target (NeuronGroups or names)."""
        self._unbuilt("synapse populations")
        self._name_free(pop_name)
        group = SynapseGroup(pop_name, self, matrix_type, delay_steps, self._neuron_group(source, "source"),
                             self._neuron_group(target, "target"), w_update_model, wu_param_space, wu_var_space,
                             wu_pre_var_space, wu_post_var_space, postsyn_model, ps_param_space, ps_var_space,
                             connectivity_initialiser)
        self.synapse_populations[pop_name] = group
        return group

    def add_current_source(self, cs_name, current_source_model, pop, param_space, var_space):
        """Add a current source injecting into pop (a NeuronGroup or name)."""
        self._unbuilt("current sources")
        self._name_free(cs_name)
        group = CurrentSource(cs_name, self, current_source_model, self._neuron_group(pop, "pop"), param_space,
                              var_space)
        self.current_sources[cs_name] = group
        return group

    def add_custom_update(self, cu_name, group_name, custom_update_model, param_space, var_space, var_ref_space,
                          egp_ref_space=None):
        """Add custom update cu_name to update group group_name: a built-in
        model (Transpose) or one made by create_custom_custom_update_class,
        its parameters, initial variable values, variable references
        (create_var_ref, create_wu_var_ref, ...) and extra global parameter
        references (create_egp_ref, ...). custom_update(group_name) runs it."""
        self._unbuilt("custom updates")
        self._name_free(cu_name)
        group = CustomUpdate(cu_name, self, group_name, custom_update_model, param_space, var_space, var_ref_space,
                             egp_ref_space)
        self.custom_updates[cu_name] = group
        return group

    # ---- build, load, step ----

    def _annotated(self, err, document):
        """err with the Python place (file:line) where each problem's model
        part was added."""
        diags = [d._replace(origin=document.origin(d.path)) if d.path else d for d in err.diagnostics]
        return GeNNError(err.message, diags, err.exit_status, err.config)

    def build(self, path_to_model="./", force_rebuild=False):
        """Write the model's gennctl document to <path_to_model>/<model_name>_CODE/
        and compile its module with `gennctl build` (the module cache makes an
        unchanged model's rebuild a cache hit, so force_rebuild changes nothing)."""
        if self._built:
            raise RuntimeError("GeNN model already built")
        code_dir = os.path.join(path_to_model, self.model_name + "_CODE")
        os.makedirs(code_dir, exist_ok=True)
        document = _document.Builder(self, interactive=True).build(0.0, self._backend)
        config = os.path.join(code_dir, self.model_name + ".yaml")
        with open(config, "w") as f:
            f.write(_document.text(document.doc))
        try:
            built = _cli.run_json(["build", config], config=config)
        except GeNNError as e:
            raise self._annotated(e, document) from None
        self._module_path = built[0]["module"]
        self._document = document
        self._built = True

    def load(self, path_to_model="./", num_recording_timesteps=None):
        """Load the built module into this process and initialise the model
        (builds first if build was not called)."""
        if self._loaded:
            raise RuntimeError("GeNN model already loaded")
        if not self._built:
            self.build(path_to_model)
        recording = any(p.spike_recording_enabled or p.spike_event_recording_enabled
                        for p in self.neuron_populations.values())
        if recording and num_recording_timesteps is None:
            raise RuntimeError("Cannot use recording system without passing number of recording timesteps "
                               "to GeNNModel.load")
        self._runtime = _Runtime(self, num_recording_timesteps)
        self._loaded = True

    def unload(self):
        if self._runtime is not None:
            self._runtime.close()
        self._runtime = None
        self._loaded = False

    end = unload

    def _need_loaded(self, what):
        if not self._loaded:
            raise RuntimeError(f"GeNN model has to be loaded before {what}")
        return self._runtime

    def reinitialise(self):
        """Initialise every variable and the connectivity again; time 0."""
        self._need_loaded("reinitialising").reinitialise()

    def step_time(self):
        """Advance one time step."""
        self._need_loaded("stepping").step()

    def custom_update(self, name):
        """Run every custom update of update group name, GeNN's order
        (updates over neurons, then over synapses, then those writing
        transposes). As with PyGeNN on a GPU, views change only when pulled."""
        self._need_loaded("performing custom update").custom_update(name)

    @property
    def timestep(self):
        """Time steps simulated since load (or reinitialise)."""
        return self._runtime.inst.timestep() if self._loaded else 0

    @timestep.setter
    def timestep(self, timestep):
        if timestep != self.timestep:
            raise RuntimeError("gennctl modules cannot jump in time: reinitialise() returns to time step 0")

    @property
    def t(self):
        """Simulation time in ms: timestep x dT, in the time precision."""
        if self._time_precision == "float":
            return float(np.float32(self.timestep) * np.float32(self.dT))
        return self.timestep * self.dT

    @t.setter
    def t(self, t):
        if t != self.t:
            raise RuntimeError("gennctl modules cannot jump in time: reinitialise() returns to time 0")

    # ---- pull and push (copies between the views and the module) ----

    def _group(self, name):
        for d in (self.neuron_populations, self.synapse_populations, self.current_sources, self.custom_updates):
            if name in d:
                return d[name]
        raise ValueError(f"no population, synapse group, current source or custom update called '{name}'")

    def _state_var(self, group, var_name):
        for v, kind in group._state_vars():
            if v.name == var_name:
                return v, kind
        raise ValueError(f"{group.name} has no variable {var_name!r} "
                         f"(has {', '.join(v.name for v, _ in group._state_vars())})")

    def pull_state_from_device(self, pop_name):
        rt, g = self._need_loaded("pulling"), self._group(pop_name)
        for v, kind in g._state_vars():
            if rt.stored(g, v, kind):
                rt.pull(g, v, kind)

    def push_state_to_device(self, pop_name):
        rt, g = self._need_loaded("pushing"), self._group(pop_name)
        for v, kind in g._state_vars():
            if rt.stored(g, v, kind):
                rt.push(g, v, kind)

    def pull_var_from_device(self, pop_name, var_name):
        rt, g = self._need_loaded("pulling"), self._group(pop_name)
        rt.pull(g, *self._state_var(g, var_name))

    def push_var_to_device(self, pop_name, var_name):
        rt, g = self._need_loaded("pushing"), self._group(pop_name)
        rt.push(g, *self._state_var(g, var_name))

    def pull_spikes_from_device(self, pop_name):
        """Spikes are always current (see NeuronGroup.current_spikes)."""
        self._need_loaded("pulling")
        self._neuron_group(pop_name, "pop_name")

    pull_current_spikes_from_device = pull_spikes_from_device

    def push_spikes_to_device(self, pop_name):
        """Write the population's current_spikes (as set from Python) into the
        module: the synapse updates of the next step deliver them."""
        self._need_loaded("pushing").push_current_spikes(self._neuron_group(pop_name, "pop_name"))

    push_current_spikes_to_device = push_spikes_to_device

    def pull_connectivity_from_device(self, pop_name):
        self._need_loaded("pulling").pull_connectivity(self.synapse_populations[pop_name])

    def push_connectivity_to_device(self, pop_name):
        raise GeNNError("gennctl builds connectivity at initialisation; give it with init_connectivity or "
                        "set_sparse_connections before build")

    def _egp(self, group, egp_name):
        for path, e in group._egp_paths():
            if e.name == egp_name:
                return path, e
        raise ValueError(f"{group.name} has no extra global parameter {egp_name!r}")

    def pull_extra_global_param_from_device(self, pop_name, egp_name, size=None):
        g = self._group(pop_name)
        self._need_loaded("pulling").pull_egp(*self._egp(g, egp_name))

    def push_extra_global_param_to_device(self, pop_name, egp_name, size=None):
        g = self._group(pop_name)
        self._need_loaded("pushing").push_egp(*self._egp(g, egp_name), size=size)

    def pull_recording_buffers_from_device(self):
        """Take the spikes (spike-like events) of the last
        num_recording_timesteps steps of every population with
        spike_recording_enabled (spike_event_recording_enabled): see
        spike_recording_data and spike_event_recording_data."""
        rt = self._need_loaded("pulling recording buffers")
        if not rt.recording:
            raise RuntimeError("Cannot pull recording buffer if recording system is not in use")
        rt.pull_recording()

    # ---- the gennctl side ----

    def write_config(self, path, duration, grid=None, zip=None, random=None, repeats=None, seed=None, record=None,
                     name=None, protocol=None):
        """Write the model as a gennctl experiment file for `gennctl sweep`:
        duration in ms; grid, zip and random as in the file's sweep section
        (dicts of config path -> values, e.g. {"populations.E.params.TauM":
        [10, 20]}); record maps group names to record sections (default:
        spikes of the populations with spike_recording_enabled, or of all);
        protocol is the file's protocol section, what a script does between
        steps (e.g. [{"every": 100.0, "custom_update": "Plasticity"}]).
        Per-element values go to binary files in <path without .yaml>.data/."""
        if record is None:
            pops = [n for n, p in self.neuron_populations.items() if p.spike_recording_enabled]
            record = {n: {"spikes": True} for n in pops or self.neuron_populations}
            for n, p in self.neuron_populations.items():
                if p.spike_event_recording_enabled:
                    record.setdefault(n, {})["spike_events"] = True
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        builder = _document.Builder(self, interactive=False, data_dir=os.path.splitext(path)[0] + ".data",
                                    doc_dir=directory)
        document = builder.build(duration, self._backend, record)
        doc = document.doc
        if name is not None:
            doc["name"] = name
        if protocol is not None:
            doc["protocol"] = list(protocol)
        block = _document.sweep_block(document, grid, zip, random)
        if repeats is not None:
            block["repeats"] = int(repeats)
        if seed is not None:
            block["seed"] = int(seed)
        if block:
            doc["sweep"] = block
        with open(path, "w") as f:
            f.write(_document.text(doc))
        return path, document

    def sweep(self, duration, grid=None, zip=None, random=None, repeats=None, seed=None, record=None, out="out",
              name=None, protocol=None, **options):
        """Run a parameter sweep of the model with `gennctl sweep` and return a
        gennctl.SweepResult (variants, spikes(...), state(...)).

        duration: simulated ms per variant; grid, zip, random, repeats, seed:
        the sweep block, record and protocol (see write_config and
        docs/config.md); out: the output
        directory (results in <out>/<name>/, the experiment file written as
        <out>/<name>.yaml); options: those of gennctl.sweep (workers,
        batch_size, backend, progress, ...)."""
        name = name or self.model_name
        config, document = self.write_config(os.path.join(out, name + ".yaml"), duration, grid, zip, random,
                                             repeats, seed, record, name, protocol)
        try:
            return _sweep.run(config, out=out, **options)
        except GeNNError as e:
            raise self._annotated(e, document) from None


class _Runtime:
    """A loaded model: the module instance, the views and the spikes."""

    def __init__(self, model, num_recording_timesteps):
        self.model = model
        self.module = _abi.Module(model._module_path)
        d = self.module.description
        self.batch = model.batch_size
        self.inst = self.module.create(self.batch, [model.seed + b for b in range(self.batch)])
        self.vars = {(v["owner"], v["kind"], v["name"]): (i, v) for i, v in enumerate(d["vars"] or [])}
        self.egps = {e["path"]: (i, e) for i, e in enumerate(d["egps"] or [])}
        self.pops = [p["name"] for p in d["populations"]]
        self.synapses = {s["name"]: s for s in d["synapses"] or []}
        self.buf = np.empty(max([v["count"] for v in d["vars"] or []] + [1]))
        # recorded windows, keyed (population, spike-like events?)
        self.recording = {(p.name, events): int(num_recording_timesteps) for p in model.neuron_populations.values()
                          for events, on in ((False, p.spike_recording_enabled), (True, p.spike_event_recording_enabled))
                          if on}
        for g in self._groups():
            for v, kind in g._state_vars():
                if self.stored(g, v, kind):
                    count = self.vars[(g.name, kind, v.name)][1]["count"]
                    v.view = np.zeros(count if self.batch == 1 else (self.batch, count),
                                      dtype=dtype_of(self.vars[(g.name, kind, v.name)][1]["type"], model._scalar))
        self._initialised()

    def _groups(self):
        m = self.model
        return list(m.neuron_populations.values()) + list(m.synapse_populations.values()) + \
            list(m.current_sources.values()) + list(m.custom_updates.values())

    def _initialised(self):
        """After gn_init: write per-element values, fill every view, forget spikes."""
        for g, v, kind in self.model._document.pushes:
            i, desc = self.vars[(g.name, kind, v.name)]
            values = g._storage_values(v, kind)
            if len(values) != desc["count"]:
                raise ValueError(f"{g.name}.{v.name}: {len(values)} values for {desc['count']} elements")
            for b in range(self.batch):
                self.inst.set_var(i, b, values)
        for g in self._groups():
            for v, kind in g._state_vars():
                if self.stored(g, v, kind):
                    self.pull(g, v, kind)
            for path, e in g._egp_paths():
                if path in self.egps:
                    self.pull_egp(path, e)
        self.drained_at = -1
        self.current = {}
        self.recorded = {p: [] for p in self.recording}
        self.snapshot = {}

    def stored(self, group, var, kind):
        return (group.name, kind, var.name) in self.vars

    def _index(self, group, var, kind):
        if not self.stored(group, var, kind):
            raise GeNNError(f"{group.name}.{var.name} is not stored in the module (variables of global weights "
                            "are constants of the generated code)")
        return self.vars[(group.name, kind, var.name)]

    def pull(self, group, var, kind):
        i, desc = self._index(group, var, kind)
        buf = self.buf[:desc["count"]]
        for b in range(self.batch):
            self.inst.get_var(i, b, buf)
            if self.batch == 1:
                var.view[:] = buf
            else:
                var.view[b] = buf

    def push(self, group, var, kind):
        i, desc = self._index(group, var, kind)
        for b in range(self.batch):
            self.inst.set_var(i, b, var.view if self.batch == 1 else var.view[b])

    def pull_egp(self, path, egp):
        i, _ = self.egps[path]
        egp.view = self.inst.get_egp(i, 0).astype(dtype_of(egp.type, self.model._scalar))

    def push_egp(self, path, egp, size=None):
        if path not in self.egps:
            raise GeNNError(f"{path} is not in the module")
        i, _ = self.egps[path]
        values = egp.view if size is None else egp.view[:size]
        for b in range(self.batch):
            self.inst.set_egp(i, b, values)

    def max_row_length(self, group):
        return self.synapses[group.name]["max_row_length"]

    def pull_connectivity(self, group):
        if group.matrix != "sparse":
            return  # dense and bitmask connectivity is fixed; procedural stores none
        out = []
        for name in ("rowLength", "ind"):
            i, desc = self.vars[(group.name, "connectivity", name)]
            buf = np.empty(desc["count"])
            self.inst.get_var(i, 0, buf)
            out.append(buf.astype(np.int64))
        group._row_lengths, group._ind = out

    def reinitialise(self):
        self.inst.init()
        self._initialised()

    def custom_update(self, name):
        groups = self.module.description.get("custom_update_groups") or []
        if name not in groups:
            raise ValueError(f"no custom update group {name!r} (have {', '.join(groups) or 'none'})")
        self.inst.custom_update(groups.index(name))

    def step(self):
        self.inst.step(1)
        if self.inst.spikes_pending() >= _DRAIN_AT:
            self.drain()

    def _drain_index(self, key):
        """gn_drain_spikes's pop of (population, events): spike-like events
        come after the populations."""
        name, events = key
        return self.pops.index(name) + (len(self.pops) if events else 0)

    def drain(self):
        """Move the module's recorded spikes and spike-like events here: the
        last step's of every population (spikes) or of those recording them
        (events), and the recording windows."""
        pop, variant, neuron, step = self.inst.drain_spikes()
        now = self.inst.timestep()
        last = step == now - 1
        if now != self.drained_at:
            self.current = {}
        for p in np.unique(pop[last]):
            sel = last & (pop == p)
            key = (self.pops[p % len(self.pops)], bool(p >= len(self.pops)))
            self.current.setdefault(key, []).append((variant[sel], neuron[sel]))
        for key, n in self.recording.items():
            sel = (pop == self._drain_index(key)) & (step.astype(np.int64) >= now - n)
            rec = [r for r in self.recorded[key] if len(r[0]) and r[0].max() >= now - n]
            rec.append((step[sel], variant[sel], neuron[sel]))
            self.recorded[key] = rec
        self.drained_at = now

    def set_current_spikes(self, group, spikes):
        """Replace what current_spikes gives for group until the next step
        (push_current_spikes writes it into the module)."""
        per = [spikes] if self.batch == 1 else list(spikes)
        if len(per) != self.batch:
            raise ValueError(f"a batch of {self.batch}: set current spikes as a list of one array per variant")
        variant, neuron = [], []
        for b, ids in enumerate(per):
            ids = np.unique(np.asarray(ids, dtype=np.int64))
            if len(ids) and (ids[0] < 0 or ids[-1] >= group.size):
                raise ValueError(f"{group.name}: neuron index out of range [0, {group.size})")
            variant.append(np.full(len(ids), b, np.uint32))
            neuron.append(ids.astype(np.uint32))
        self.drain()
        self.current[(group.name, False)] = [(np.concatenate(variant), np.concatenate(neuron))]

    def push_current_spikes(self, group):
        if not self.module.description.get("current_spikes"):
            raise GeNNError(f"the {self.module.description['backend']} backend's modules cannot take spikes")
        pop = self.pops.index(group.name)
        spikes = self.current_spikes(group)
        for b in range(self.batch):
            self.inst.set_current_spikes(pop, b, spikes if self.batch == 1 else spikes[b])

    def current_spikes(self, group, events=False):
        if events and (group.name, True) not in self.recording:
            raise RuntimeError(f"{group.name}: current_spike_events needs spike_event_recording_enabled = True "
                               "(gennctl reads them from the recording)")
        self.drain()
        chunks = self.current.get((group.name, events), [])
        variant = np.concatenate([c[0] for c in chunks]) if chunks else np.empty(0, np.uint32)
        neuron = np.concatenate([c[1] for c in chunks]) if chunks else np.empty(0, np.uint32)
        per = [np.sort(neuron[variant == b]) for b in range(self.batch)]
        return per[0] if self.batch == 1 else per

    def pull_recording(self):
        self.drain()
        now = self.inst.timestep()
        for key, n in self.recording.items():
            chunks = self.recorded[key]
            step, variant, neuron = (np.concatenate([c[k] for c in chunks]).astype(np.int64) for k in range(3))
            keep = step >= now - n
            self.snapshot[key] = (now, step[keep], variant[keep], neuron[keep])

    def recording_data(self, group, events=False):
        key, what = (group.name, events), "spike event" if events else "spike"
        if key not in self.recording:
            raise RuntimeError(f"{what} recording is not enabled for {group.name}")
        if key not in self.snapshot:
            raise RuntimeError("call pull_recording_buffers_from_device first")
        now, step, variant, neuron = self.snapshot[key]
        if now < self.recording[key]:
            raise RuntimeError(f"{what.replace(' ', '_')}_recording_data can only be accessed once buffer is full.")
        out = []
        for b in range(self.batch):
            sel = variant == b
            order = np.lexsort((neuron[sel], step[sel]))
            out.append((step[sel][order] * self.model.dT, neuron[sel][order]))
        return out[0] if self.batch == 1 else out

    def close(self):
        self.inst.close()
        for g in self._groups():
            for v, _ in g._state_vars():
                v.view = None


# ---- references of custom updates (GeNN 4.9's create_*_ref) ----

def create_var_ref(pop, var_name):
    """A reference to a variable of a neuron population, a current source or
    a custom update over neurons."""
    kind = {NeuronGroup: "neuron", CurrentSource: "current_source", CustomUpdate: "custom_update"}.get(type(pop))
    if kind is None:
        raise ValueError(f"create_var_ref takes a NeuronGroup, CurrentSource or CustomUpdate, got {pop!r} "
                         "(synapse groups: create_psm_var_ref, create_wu_pre_var_ref, create_wu_post_var_ref, "
                         "create_wu_var_ref)")
    return VarReference(pop, var_name, kind)


def _synapse_group(sg, fn):
    if not isinstance(sg, SynapseGroup):
        raise ValueError(f"{fn} takes a SynapseGroup, got {sg!r}")
    return sg


def create_psm_var_ref(sg, var_name):
    """A reference to a postsynaptic model variable of a synapse group."""
    return VarReference(_synapse_group(sg, "create_psm_var_ref"), var_name, "postsynaptic")


def create_wu_pre_var_ref(sg, var_name):
    """A reference to a presynaptic weight update variable of a synapse group."""
    return VarReference(_synapse_group(sg, "create_wu_pre_var_ref"), var_name, "pre")


def create_wu_post_var_ref(sg, var_name):
    """A reference to a postsynaptic weight update variable of a synapse group."""
    return VarReference(_synapse_group(sg, "create_wu_post_var_ref"), var_name, "post")


def create_wu_var_ref(g, var_name, tp_sg=None, tp_var_name=None):
    """A reference to a per-synapse variable of a synapse group or of a custom
    update over synapses; with tp_sg and tp_var_name the update also writes
    the value into that variable of tp_sg, the transposed group (target to
    source; both dense, as in GeNN)."""
    if not isinstance(g, (SynapseGroup, CustomUpdate)):
        raise ValueError(f"create_wu_var_ref takes a SynapseGroup or CustomUpdate, got {g!r}")
    transpose = None
    if tp_sg is not None:
        transpose = VarReference(_synapse_group(tp_sg, "create_wu_var_ref's tp_sg"), tp_var_name, "synapse", wu=True)
    return VarReference(g, var_name, "custom_update" if isinstance(g, CustomUpdate) else "synapse", wu=True,
                        transpose=transpose)


def create_egp_ref(pop, egp_name):
    """A reference to an extra global parameter of a neuron population, a
    current source or a custom update."""
    if not isinstance(pop, (NeuronGroup, CurrentSource, CustomUpdate)):
        raise ValueError(f"create_egp_ref takes a NeuronGroup, CurrentSource or CustomUpdate, got {pop!r}")
    return EGPReference(pop, pop.extra_global_params, pop.path, egp_name)


def create_psm_egp_ref(sg, egp_name):
    """A reference to an extra global parameter of a synapse group's
    postsynaptic model."""
    sg = _synapse_group(sg, "create_psm_egp_ref")
    return EGPReference(sg, sg.psm_extra_global_params, sg.path + ".postsynaptic", egp_name)


def create_wu_egp_ref(sg, egp_name):
    """A reference to an extra global parameter of a synapse group's weight
    update model."""
    sg = _synapse_group(sg, "create_wu_egp_ref")
    return EGPReference(sg, sg.extra_global_params, sg.path + ".weight_update", egp_name)

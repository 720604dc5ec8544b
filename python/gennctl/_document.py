"""A GeNNModel as a gennctl experiment document (docs/config.md).

The document is written as JSON, which is YAML, so ``gennctl`` reads it like
any experiment file. Custom models go under ``models:`` with the field names
of the create_custom_*_class arguments.

Derived parameters given as Python functions (create_dpf_class) and maximum
row/column lengths given as functions (create_cmlf_class) cannot be written
as expressions; each becomes an extra *parameter* of the custom model in the
document, and its value is computed here, in Python, for every group that uses
the model (and, in a sweep, for every variant: see sweep_block).
"""
import json
import math
import os

import numpy as np

from . import _models

MAX_ROW = "gennctl_max_row_length"
MAX_COL = "gennctl_max_col_length"
KERNEL = "gennctl_kernel_size"  # + _<dimension>


def get(doc, path):
    node = doc
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def put(doc, path, value):
    keys = path.split(".")
    node = get(doc, ".".join(keys[:-1])) if len(keys) > 1 else doc
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value


def overlaps(a, b):
    """Whether config path a is b, inside b or contains b."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


class PyValue:
    """A number of the document computed in Python from others: value(doc)
    reads the paths in inputs (and those below them)."""

    def __init__(self, path, inputs, value):
        self.path, self.inputs, self._value = path, inputs, value

    def value(self, doc):
        try:
            return self._value(doc)
        except KeyError:
            return None  # an input is missing: the core reports it

    def depends_on(self, path):
        return any(overlaps(path, i) for i in self.inputs)


class Document:
    """The document of a model: ``doc`` (nested dicts), the Python-computed
    values, the per-element values to write after initialisation (interactive
    builds) and where each part of the model was defined in Python."""

    def __init__(self):
        self.doc = {}
        self.pyvalues = []
        self.pushes = []   # (group, Variable, ABI kind) with per-element values, written after initialisation
        self.origins = {}  # config path prefix -> "file:line"

    def evaluate(self, doc):
        for pv in self.pyvalues:
            v = pv.value(doc)
            if v is not None:
                put(doc, pv.path, v)
        return doc

    def origin(self, path):
        inside = [p for p in self.origins if path == p or path.startswith(p + ".")]
        return self.origins[max(inside, key=len)] if inside else None


def text(doc):
    """JSON (hence YAML) text of a document; infinities and NaN as YAML's
    .inf and .nan."""
    marks = {math.inf: ".inf", -math.inf: "-.inf"}

    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, float) and not math.isfinite(x):
            return "\0" + (marks.get(x) or ".nan") + "\0"
        return x
    out = json.dumps(clean(doc), indent=1)
    for mark in (".inf", "-.inf", ".nan"):
        out = out.replace(json.dumps("\0" + mark + "\0"), mark)
    return out + "\n"


def _number(v, where):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: non-numeric parameters are not supported (got {v!r})")
    return float(v)


class Builder:
    """Writes the document of a GeNNModel.

    interactive: the module is loaded in this process (GeNNModel.load): every
    population records spikes (for current_spikes) and per-element values are
    written after initialisation instead of into the document. Otherwise
    (sweeps) per-element values go to binary files in data_dir, named
    relative to doc_dir where the document is written.
    """

    def __init__(self, model, interactive, data_dir=None, doc_dir=None):
        self.model, self.interactive = model, interactive
        self.data_dir, self.doc_dir = data_dir, doc_dir
        self.out = Document()
        self.custom = {}  # (kind, name) -> (model, definition)
        self.kernel_dims = {}  # (kind, name) -> dimensions of a kernel size given as a Python function

    def build(self, duration, backend, record=None):
        m, out = self.model, self.out
        sim = {"dt": float(m.dT), "duration": float(duration), "precision": m._scalar, "seed": int(m.seed),
               "backend": backend}
        if self.interactive and m.batch_size > 1:
            sim["connectivity_seed"] = int(m.seed)  # GeNN's batches share connectivity
        sections = {"populations": {n: self.population(p) for n, p in m.neuron_populations.items()}}
        if m.synapse_populations:
            sections["synapses"] = {n: self.synapses(s) for n, s in m.synapse_populations.items()}
        if m.current_sources:
            sections["current_sources"] = {n: self.current_source(c) for n, c in m.current_sources.items()}
        if m.custom_updates:
            sections["custom_updates"] = {n: self.custom_update(c) for n, c in m.custom_updates.items()}
        for name, rec in (record or {}).items():
            owner = next((sec[name] for sec in sections.values() if name in sec), None)
            if owner is None:
                raise ValueError(f"record: no population, synapse group or current source called {name!r}")
            owner["record"] = rec
        doc = {"name": m.model_name, "simulation": sim}
        if self.custom:  # custom models first, as a reader expects
            doc["models"] = {}
            for (kind, name), (_, definition) in self.custom.items():
                doc["models"].setdefault(kind, {})[name] = definition
        doc.update(sections)
        out.doc = out.evaluate(doc)
        return out

    # ---- groups ----

    def population(self, p):
        path = p.path
        self.out.origins[path] = p._origin
        n = {"size": p.size, "model": self.model_ref(p.neuron, path + ".model")}
        n.update(self.params(p.neuron, p.params, path + ".params", path + ".model"))
        n["vars"] = {v.name: self.var(p, v, "neuron", f"{path}.vars.{v.name}") for v in p.vars.values()}
        n.update(self.egps(p.extra_global_params))
        if self.interactive:
            n["record"] = {"spikes": True}
            if p.spike_event_recording_enabled:
                n["record"]["spike_events"] = True
        return n

    def synapses(self, s):
        path = s.path
        self.out.origins[path] = s._origin
        n = {"source": s.src.name, "target": s.trg.name, "matrix": s.matrix}
        if s.weights:
            n["weights"] = s.weights
        for key, v in (("delay_steps", s.delay_steps), ("back_prop_delay_steps", s.back_prop_delay_steps),
                       ("max_dendritic_delay_steps", s.max_dendritic_delay_timesteps)):
            if v:
                n[key] = int(v)
        for key, target in (("ps_target_var", s.ps_target_var), ("pre_target_var", s.pre_target_var)):
            if target != "Isyn":
                n[key] = target
        if s.span_type:
            n["span"] = str(s.span_type).rsplit("_", 1)[-1].lower()
        if s.connectivity_initialiser is not None:
            n["connectivity"] = self.connectivity(s, path + ".connectivity")
        wp = path + ".weight_update"
        wu = {"model": self.model_ref(s.w_update, wp + ".model")}
        wu.update(self.params(s.w_update, s.wu_params, wp + ".params", wp + ".model"))
        for key, vs, kind in (("vars", s.vars, "synapse"), ("pre_vars", s.pre_vars, "pre"),
                              ("post_vars", s.post_vars, "post")):
            if vs:
                wu[key] = {v.name: self.var(s, v, kind, f"{wp}.{key}.{v.name}") for v in vs.values()}
        wu.update(self.egps(s.extra_global_params))
        n["weight_update"] = wu
        pp = path + ".postsynaptic"
        ps = {"model": self.model_ref(s.postsyn, pp + ".model")}
        ps.update(self.params(s.postsyn, s.ps_params, pp + ".params", pp + ".model"))
        if s.psm_vars:
            ps["vars"] = {v.name: self.var(s, v, "postsynaptic", f"{pp}.vars.{v.name}") for v in s.psm_vars.values()}
        ps.update(self.egps(s.psm_extra_global_params))
        n["postsynaptic"] = ps
        return n

    def current_source(self, c):
        path = c.path
        self.out.origins[path] = c._origin
        n = {"model": self.model_ref(c.current_source_model, path + ".model"), "target": c.pop.name}
        n.update(self.params(c.current_source_model, c.params, path + ".params", path + ".model"))
        if c.vars:
            n["vars"] = {v.name: self.var(c, v, "current_source", f"{path}.vars.{v.name}") for v in c.vars.values()}
        n.update(self.egps(c.extra_global_params))
        return n

    def custom_update(self, c):
        path = c.path
        self.out.origins[path] = c._origin
        n = {"group": c.group_name, "model": self.model_ref(c.custom_update_model, path + ".model")}
        n.update(self.params(c.custom_update_model, c.params, path + ".params", path + ".model"))
        if c.vars:
            n["vars"] = {v.name: self.var(c, v, "custom_update", f"{path}.vars.{v.name}") for v in c.vars.values()}
        n["wu_var_refs" if c.custom_wu_update else "var_refs"] = {k: r.node() for k, r in c.var_refs.items()}
        if c.egp_refs:
            n["extra_global_param_refs"] = {k: r.path for k, r in c.egp_refs.items()}
        n.update(self.egps(c.extra_global_params))
        return n

    def connectivity(self, s, path):
        ci = s.connectivity_initialiser
        kernel = getattr(ci.snippet, "get_calc_kernel_size_func", lambda: None)()
        if callable(kernel):
            # the definition names one parameter per dimension (computed per group and variant below)
            missing = [k for k in ci.snippet.get_param_names() if k not in ci.params]
            if missing:
                raise ValueError(f"{path}.params: missing {', '.join(missing)} (the kernel size function's inputs)")
            dims = len(kernel([float(ci.params[k]) for k in ci.snippet.get_param_names()]))
            self.kernel_dims[(ci.snippet.kind, ci.snippet.name)] = dims
        n = {"init": self.model_ref(ci.snippet, path + ".init")}
        n.update(self.params(ci.snippet, ci.params, path + ".params", path + ".init"))
        for func, hidden in (("get_calc_max_row_length_func", MAX_ROW), ("get_calc_max_col_length_func", MAX_COL)):
            f = getattr(ci.snippet, func, lambda: None)()
            if callable(f):
                self.out.pyvalues.append(self._length_value(s, path, ci.snippet, hidden, f))
                n.setdefault("params", {})
        if callable(kernel):
            for i in range(dims):
                self.out.pyvalues.append(self._kernel_value(path, ci.snippet, i, kernel))
        n.update(self.egps(s.connectivity_extra_global_params))
        return n

    @staticmethod
    def _kernel_value(path, snippet, i, f):
        names = snippet.get_param_names()

        def value(doc):
            return int(f([get(doc, path + ".params." + k) for k in names])[i])
        return PyValue(f"{path}.params.{KERNEL}_{i}", [path], value)

    def _length_value(self, s, path, snippet, hidden, f):
        names = snippet.get_param_names()
        syn = f"synapses.{s.name}"

        def size(doc, role):
            return int(get(doc, f"populations.{get(doc, f'{syn}.{role}')}.size"))

        def value(doc):
            pars = [get(doc, path + ".params." + k) for k in names]
            return int(f(size(doc, "source"), size(doc, "target"), pars))
        return PyValue(f"{path}.params.{hidden}", [path, f"{syn}.source", f"{syn}.target",
                                                   f"populations.{s.src.name}.size",
                                                   f"populations.{s.trg.name}.size"], value)

    def params(self, model, values, path, model_path):
        """{"params": ...} of a use of model, with a PyValue for each derived
        parameter that is a Python function."""
        out = {k: _number(v, f"{path}.{k}") for k, v in values.items()}
        names = model.get_param_names()
        computed = [dp for dp in model.get_derived_params() if callable(dp.func)]
        for dp in computed:
            self.out.pyvalues.append(self._derived_value(path, model_path, names, dp))
        return {"params": out} if out or names or computed else {}

    @staticmethod
    def _derived_value(path, model_path, names, dp):
        def value(doc):
            pars = [get(doc, path + "." + k) for k in names]
            return float(dp.func(pars, get(doc, "simulation.dt")))
        return PyValue(f"{path}.{dp.name}", [path, model_path, "simulation.dt"], value)

    def var(self, group, v, kind, path):
        if isinstance(v.init, _models.VarInit):
            n = {"init": self.model_ref(v.init.snippet, path + ".init")}
            n.update(self.params(v.init.snippet, v.init.params, path + ".params", path + ".init"))
            n.update(self.egps(v.extra_global_params))
            return n
        if v.values is None:
            return 0.0 if v.init is None else v.init
        values = group._storage_values(v, kind)
        if self.interactive:
            self.out.pushes.append((group, v, kind))
            return 0.0
        os.makedirs(self.data_dir, exist_ok=True)
        file = os.path.join(self.data_dir, path + ".bin")
        np.asarray(values, dtype="<f8").tofile(file)
        return {"file": os.path.relpath(file, self.doc_dir)}

    @staticmethod
    def egps(egps):
        out = {}
        for e in egps.values():
            if e.values is None:
                out[e.name] = 0.0 if e.is_scalar else []
            else:
                out[e.name] = float(e.values[0]) if e.is_scalar else [float(x) for x in e.values]
        return {"extra_global_params": out} if out else {}

    # ---- custom models ----

    def model_ref(self, model, path):
        if model.builtin:
            return model.name
        definition = self.definition(model, path)
        key = (model.kind, model.name)
        if key in self.custom and self.custom[key][0] is not model and self.custom[key][1] != definition:
            raise ValueError(f"{path}: two different custom {model.family} models are called {model.name!r}")
        self.custom[key] = (model, definition)
        self.out.origins[f"models.{model.kind}.{model.name}"] = getattr(model, "_origin", None)
        return model.name

    def definition(self, m, path):
        d = {}
        params = list(m.get_param_names())
        derived = {}
        for dp in m.get_derived_params():
            if callable(dp.func):
                params.append(dp.name)  # computed in Python for each use (PyValue)
            else:
                derived[dp.name] = dp.func
        kind = m.kind
        state = []  # (field, build state variables) of a connectivity snippet

        def code(field, getter=None):
            c = getattr(m, "get_" + (getter or field))()
            if c:
                d[field] = c
        if kind in ("connectivity", "toeplitz"):
            lengths = [("get_calc_max_row_length_func", "max_row_length", MAX_ROW)]
            if kind == "connectivity":
                lengths.append(("get_calc_max_col_length_func", "max_col_length", MAX_COL))
            for func, key, hidden in lengths:
                f = getattr(m, func)()
                if callable(f):
                    params.append(hidden)
                    d[key] = hidden
                elif f is not None:
                    d[key] = str(f)
            kernel = m.get_calc_kernel_size_func()
            if callable(kernel):
                hidden = [f"{KERNEL}_{i}" for i in range(self.kernel_dims[(kind, m.name)])]
                params.extend(hidden)
                d["kernel_size"] = hidden
            elif kernel is not None:
                d["kernel_size"] = list(kernel)
        d["params"] = params
        if kind not in ("var_inits", "connectivity", "toeplitz"):
            d["vars"] = var_types(m.get_vars())
        if derived:
            d["derived_params"] = derived
        if kind == "neurons":
            for f in ("sim_code", "threshold_condition_code", "reset_code", "support_code"):
                code(f)
            aiv = m.get_additional_input_vars()
            if aiv:
                d["additional_input_vars"] = {a.name: {"type": a.type, "init": float(a.value)} for a in aiv}
            d["is_auto_refractory_required"] = bool(m.is_auto_refractory_required())
        elif kind == "postsynaptic":
            for f in ("decay_code", "apply_input_code", "support_code"):
                code(f)
        elif kind == "weight_updates":
            for key, vs in (("pre_vars", m.get_pre_vars()), ("post_vars", m.get_post_vars())):
                if vs:
                    d[key] = var_types(vs)
            for f in _models.WU_CODE:
                code(f)
            code("synapse_dynamics_support_code", "synapse_dynamics_suppport_code")
            for flag in ("is_pre_spike_time_required", "is_post_spike_time_required"):
                if getattr(m, flag)():
                    d[flag] = True
        elif kind == "current_sources":
            code("injection_code")
        elif kind == "custom_updates":
            code("update_code")
            d["var_refs"] = var_types(m.get_var_refs())
            refs = m.get_extra_global_param_refs()
            if refs:
                d["extra_global_param_refs"] = {e.name: e.type for e in refs}
        elif kind == "var_inits":
            code("var_init_code", "code")
        elif kind == "toeplitz":
            code("diagonal_build_code")
            state = [("diagonal_build_state_vars", m.get_diagonal_build_state_vars())]
        elif kind == "connectivity":
            code("row_build_code")
            code("col_build_code")
            code("host_init_code")
            state = [("row_build_state_vars", m.get_row_build_state_vars()),
                     ("col_build_state_vars", m.get_col_build_state_vars())]
        for key, vs in state:
            if vs:
                d[key] = {v.name: {"type": v.type, "init": v.value if isinstance(v.value, str) else float(v.value)}
                          for v in vs}
        egps = m.get_extra_global_params()
        if egps:
            d["extra_global_params"] = {e.name: e.type for e in egps}
        return d


def var_types(vs):
    """Variables (or variable references) of a definition: {name: type}, or
    {name: [type, access mode]} where the model gives a mode."""
    return {v.name: v.type if v.access is None else [v.type, str(v.access)] for v in vs}


def sweep_block(document, grid=None, zip_axes=None, random=None):
    """The sweep block for grid, zip and random axes of a document whose
    Python-computed values may depend on them.

    Where no Python-computed value depends on a grid or zip axis, the axes go
    to gennctl as given. Otherwise the points are expanded here, as gennctl
    does (grid: cartesian product, first axis outermost; zip: advancing
    together, after the grid), the values are computed for each point and the
    block becomes one zip of the swept and the computed paths. Random axes
    must not be inputs of computed values (gennctl draws them).
    """
    grid, zip_axes, random = dict(grid or {}), dict(zip_axes or {}), dict(random or {})
    for path in (random.get("params") or {}):
        for pv in document.pyvalues:
            if pv.depends_on(path):
                raise ValueError(f"random axis {path}: {pv.path} is computed in Python from it (a create_dpf_class or "
                                 "create_cmlf_class function); random axes cannot feed it, use grid or zip axes, or "
                                 "give the derived parameter as an expression string")
    axes = list(grid) + list(zip_axes)
    if not any(pv.depends_on(a) for pv in document.pyvalues for a in axes):
        block = {}
        if grid:
            block["grid"] = grid
        if zip_axes:
            block["zip"] = zip_axes
        if random:
            block["random"] = random
        return block
    columns = {p: [] for p in axes}
    computed = {pv.path: [] for pv in document.pyvalues}
    for point in expand(grid, zip_axes):
        doc = json.loads(json.dumps(document.doc))
        for path, v in point.items():
            put(doc, path, v)
        document.evaluate(doc)
        for path, v in point.items():
            columns[path].append(v)
        for path in computed:
            computed[path].append(get(doc, path))
    for path, vals in computed.items():
        if len(set(map(repr, vals))) > 1 and path not in columns:
            columns[path] = vals
    block = {"zip": columns}
    if random:
        block["random"] = random
    return block


def expand(grid, zip_axes):
    """Points (dicts path -> value) of grid x zip, in gennctl's order."""
    grid_vals = [(p, values(v, p)) for p, v in grid.items()]
    zip_vals = [(p, values(v, p)) for p, v in zip_axes.items()]
    lengths = {len(v) for _, v in zip_vals}
    if len(lengths) > 1:
        raise ValueError(f"zip axes have different lengths: {sorted(lengths)}")
    zipped = [dict((p, v[i]) for p, v in zip_vals) for i in range(lengths.pop())] if zip_vals else [{}]
    points = [{}]
    for p, vals in grid_vals:
        points = [{**pt, p: v} for pt in points for v in vals]
    return [{**pt, **z} for pt in points for z in zipped]


def values(spec, path):
    """The values of an axis: a list, a single value, or {linspace|logspace|range: [...]},
    evaluated like gennctl (exact arithmetic on the decimal literals, rounded once)."""
    from fractions import Fraction
    if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("linspace", "logspace", "range"):
        gen, args = next(iter(spec.items()))
        if len(args) != 3:
            raise ValueError(f"{path}.{gen}: needs 3 values, got {len(args)}")
        start, stop, third = (Fraction(repr(float(a))) if not isinstance(a, int) else Fraction(a) for a in args)
        if gen == "range":
            if third == 0:
                raise ValueError(f"{path}.range: step must not be 0")
            n = math.ceil((stop - start) / third)
            return [float(start + i * third) for i in range(max(n, 0))]
        n = int(third)
        xs = [start if i == 0 else stop if i == n - 1 else start + (stop - start) * Fraction(i, n - 1) for i in range(n)]
        if gen == "linspace":
            return [float(x) for x in xs]
        return [float(f"1e{x.numerator}") if x.denominator == 1 and abs(x.numerator) <= 400 else 10.0 ** float(x)
                for x in xs]
    if isinstance(spec, (list, tuple, np.ndarray)):
        return [v.item() if isinstance(v, np.generic) else v for v in spec]
    return [spec]

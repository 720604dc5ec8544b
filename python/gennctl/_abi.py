"""ctypes binding of the gennctl module C ABI (codegen/abi.go, version 4).

A module is a shared library compiled by ``gennctl build``; a context (gn_ctx)
simulates a batch of variants. Variables and extra global parameters are
copied in and out as float64 (gn_get_var/gn_set_var, gn_get_egp/gn_set_egp):
the ABI gives no pointers into the module's state, so numpy arrays never
share memory with it.
"""
import ctypes
import json

import numpy as np

from ._cli import GeNNError

ABI_VERSION = 5
#: gn_custom_update's variant for every variant of the context
ALL_VARIANTS = 0xFFFFFFFF

_f64 = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
_u32 = np.ctypeslib.ndpointer(np.uint32, flags="C_CONTIGUOUS")
_u64 = np.ctypeslib.ndpointer(np.uint64, flags="C_CONTIGUOUS")
_ctx = ctypes.c_void_p

_SIGNATURES = {
    "gn_describe": (ctypes.c_char_p, []),
    "gn_create": (_ctx, [ctypes.c_uint32, _u64, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]),
    "gn_init": (ctypes.c_int, [_ctx]),
    "gn_step": (ctypes.c_int, [_ctx, ctypes.c_uint32]),
    "gn_set_threads": (ctypes.c_int, [_ctx, ctypes.c_uint32]),
    "gn_timestep": (ctypes.c_uint64, [_ctx]),
    "gn_spikes_pending": (ctypes.c_size_t, [_ctx]),
    "gn_drain_spikes": (ctypes.c_size_t, [_ctx, _u32, _u32, _u32, _u32, ctypes.c_size_t]),
    "gn_get_var": (ctypes.c_int, [_ctx, ctypes.c_uint32, ctypes.c_uint32, _f64]),
    "gn_set_var": (ctypes.c_int, [_ctx, ctypes.c_uint32, ctypes.c_uint32, _f64]),
    "gn_set_egp": (ctypes.c_int, [_ctx, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]),
    "gn_get_egp": (ctypes.c_int, [_ctx, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t,
                                  ctypes.POINTER(ctypes.c_size_t)]),
    "gn_custom_update": (ctypes.c_int, [_ctx, ctypes.c_uint32, ctypes.c_uint32]),
    "gn_set_current_spikes": (ctypes.c_int, [_ctx, ctypes.c_uint32, ctypes.c_uint32, _u32, ctypes.c_size_t]),
    "gn_error": (ctypes.c_char_p, [_ctx]),
    "gn_destroy": (None, [_ctx]),
}


class Module:
    """A compiled module loaded into this process."""

    def __init__(self, path):
        self.path = path
        try:
            self._lib = ctypes.CDLL(path)
        except OSError as e:
            raise GeNNError(f"loading module {path}: {e}") from None
        for name, (res, args) in _SIGNATURES.items():
            f = getattr(self._lib, name)
            f.restype, f.argtypes = res, args
        self.description = json.loads(self._lib.gn_describe().decode())
        if self.description.get("abi") != ABI_VERSION:
            raise GeNNError(f"module {path} has ABI version {self.description.get('abi')}; this gennctl package "
                            f"speaks version {ABI_VERSION} (use the gennctl of the same checkout)")

    def create(self, batch, seeds, runtime=None):
        """A new context of batch variants, initialised (time step 0)."""
        seeds = np.ascontiguousarray(seeds, dtype=np.uint64)
        if len(seeds) != batch:
            raise ValueError(f"{len(seeds)} seeds for a batch of {batch}")
        rt = None
        if runtime is not None and len(runtime):
            rt = np.ascontiguousarray(runtime, dtype=np.float64)
        err = ctypes.create_string_buffer(1024)
        ctx = self._lib.gn_create(batch, seeds, rt.ctypes.data if rt is not None else None, err, len(err))
        if not ctx:
            raise GeNNError(f"creating the model: {err.value.decode(errors='replace')}")
        inst = Instance(self, ctx, batch)
        inst.init()
        return inst


class Instance:
    """One context: batch variants of a module."""

    def __init__(self, module, ctx, batch):
        self.module, self._lib, self._ctx, self.batch = module, module._lib, ctx, batch

    def _check(self, rc, what):
        if rc != 0:
            raise GeNNError(f"{what}: {self._lib.gn_error(self._ctx).decode(errors='replace')}")

    def init(self):
        """Initialise every variable and the connectivity again; time step 0."""
        self._check(self._lib.gn_init(self._ctx), "initialising")

    def step(self, n=1):
        self._check(self._lib.gn_step(self._ctx, n), "stepping")

    def timestep(self):
        return self._lib.gn_timestep(self._ctx)

    def spikes_pending(self):
        return self._lib.gn_spikes_pending(self._ctx)

    def drain_spikes(self):
        """Every recorded spike not yet drained, oldest first, as arrays
        (population index, variant, neuron, time step)."""
        n = self._lib.gn_spikes_pending(self._ctx)
        out = [np.empty(n, dtype=np.uint32) for _ in range(4)]
        got = self._lib.gn_drain_spikes(self._ctx, *out, n)
        return [a[:got] for a in out]

    def get_var(self, index, variant, out):
        """Copy variable index of one variant into out (float64, Count values)."""
        self._check(self._lib.gn_get_var(self._ctx, index, variant, out), "reading a variable")

    def set_var(self, index, variant, values):
        values = np.ascontiguousarray(values, dtype=np.float64)
        self._check(self._lib.gn_set_var(self._ctx, index, variant, values), "writing a variable")

    def custom_update(self, group):
        """Run custom update group number group for every variant."""
        self._check(self._lib.gn_custom_update(self._ctx, group, ALL_VARIANTS), "running a custom update")

    def set_current_spikes(self, pop, variant, neurons):
        """Replace the last step's spikes of population pop (the next step's
        synapse updates deliver them)."""
        neurons = np.ascontiguousarray(neurons, dtype=np.uint32)
        self._check(self._lib.gn_set_current_spikes(self._ctx, pop, variant, neurons, len(neurons)),
                    "setting the current spikes")

    def get_egp(self, index, variant):
        n = ctypes.c_size_t(0)
        self._check(self._lib.gn_get_egp(self._ctx, index, variant, None, 0, ctypes.byref(n)),
                    "reading an extra global parameter")
        out = np.empty(n.value, dtype=np.float64)
        self._check(self._lib.gn_get_egp(self._ctx, index, variant, out.ctypes.data, n.value, ctypes.byref(n)),
                    "reading an extra global parameter")
        return out

    def set_egp(self, index, variant, values):
        values = np.ascontiguousarray(np.atleast_1d(values), dtype=np.float64)
        self._check(self._lib.gn_set_egp(self._ctx, index, variant, values.ctypes.data, len(values)),
                    "writing an extra global parameter")

    def close(self):
        if self._ctx:
            self._lib.gn_destroy(self._ctx)
            self._ctx = None

    def __del__(self):
        self.close()

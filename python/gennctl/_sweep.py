"""Running `gennctl sweep` from Python and reading its results with pandas.

    import gennctl
    res = gennctl.sweep("configs/cuba_sweep.yaml", out="out")
    res.variants                                   # one row per variant (pandas)
    res.spikes(variant=res.variants.variant_id[0], population="E", start=0, stop=100)
    res.state(population="E", var="V")

spikes() and state() read the Arrow files with pyarrow.dataset: only the files
of the variants asked for are opened, and population, time and neuron filters
are applied while reading.
"""
import os
import sys
import warnings

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.ipc as ipc

from . import _cli


def run(config, out="out", *, cache=None, workers=None, batch_size=None, backend=None, cuda_arch=None,
        retries=None, variant_timeout=None, force_config=False, compress=None, shard=None, progress=True):
    """Run `gennctl sweep CONFIG` and return its SweepResult.

    The options are the command's flags (see `gennctl sweep --help`).
    progress: True prints the command's progress on stderr, a callable gets
    each event (a dict: plan, build, batch, variant, retry, done), False
    prints nothing. Bad input raises GeNNError with the problems' file,
    line, column and config path. A sweep in which some variants failed
    returns its result with a warning (their status is "failed" in
    variants).
    """
    args = ["sweep", str(config), "--out", str(out)]
    for flag, value in (("--cache", cache), ("--workers", workers), ("--batch-size", batch_size),
                        ("--backend", backend), ("--retries", retries), ("--variant-timeout", variant_timeout),
                        ("--compress", compress), ("--shard", shard)):
        if value is not None:
            args += [flag, str(value)]
    if cuda_arch is not None:
        args += ["--cuda-arch", cuda_arch if isinstance(cuda_arch, str) else ",".join(map(str, cuda_arch))]
    if force_config:
        args.append("--force-config")
    show = Progress(sys.stderr) if progress is True else (progress or (lambda event: None))
    seen = {}

    def on_event(event):
        if event.get("event") == "plan":
            seen["dir"] = event.get("dir")
        if event.get("event") == "done":
            seen["done"] = event
        show(event)
    status, lines, stderr = _cli.stream_json(args, on_event)
    result_dir = seen.get("dir")
    if status == 0:
        return SweepResult(result_dir)
    if status == 1 and result_dir and os.path.exists(os.path.join(result_dir, "variants.arrow")):
        failed = seen.get("done", {}).get("failed")
        warnings.warn(f"gennctl sweep {config}: {failed or 'some'} variant(s) failed; see the status and error "
                      f"columns of .variants or `gennctl status {result_dir}`", RuntimeWarning, stacklevel=2)
        return SweepResult(result_dir)
    raise _cli.error_from(lines, stderr, status, str(config))


class Progress:
    """Prints sweep events for a person: plan and build lines, then the
    variants done (redrawn in place on a terminal)."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, e):
        kind = e.get("event")
        if kind == "plan":
            self._line(f"plan: {e.get('variants', 0)} variant(s), {e.get('groups', 0)} structure(s), "
                       f"{e.get('skipped', 0)} already complete, backend {e.get('backend')} -> {e.get('dir')}")
        elif kind == "build":
            how = "cache hit" if e.get("cache_hit") else f"compiled ({e.get('seconds', 0):.2f} s)"
            self._line(f"build: structure {e.get('structure', '')[:12]} {how}")
        elif kind == "batch":
            text = f"run: {e.get('done', 0)}/{e.get('total', 0)} variants done, {e.get('failed', 0)} failed"
            if self.tty:
                self.stream.write("\r\033[K" + text)
                self.stream.flush()
            else:
                self._line(text)
        elif kind == "variant" and e.get("status") == "failed":
            self._line(f"variant {e.get('variant_id')} failed ({e.get('failure')}): {e.get('error')}")
        elif kind == "done" and self.tty:
            self.stream.write("\n")

    def _line(self, text):
        if self.tty:
            text = "\r\033[K" + text
        self.stream.write(text + "\n")
        self.stream.flush()


def open_sweep(directory):
    """The SweepResult of an existing sweep directory (<out>/<name>)."""
    return SweepResult(directory)


class SweepResult:
    """The results of one sweep directory: variants, spikes and state."""

    def __init__(self, directory):
        if not directory or not os.path.isdir(directory):
            raise _cli.GeNNError(f"no sweep directory {directory!r}")
        self.dir = directory
        self._variants = None

    def __repr__(self):
        return f"SweepResult({self.dir!r})"

    @property
    def variants(self):
        """One row per variant: variant_id, repeat, seed, structure_key,
        status, the swept values (one column per config path), per
        population spikes_<pop> and rate_<pop> (Hz), and the config's
        summaries (summaries.<pop>.rate, summaries.<pop>.V.mean, ...;
        per-neuron columns summaries.<pop>.rate[<i>]), NaN where a variant
        is not done."""
        if self._variants is None:
            self._variants = pd.read_feather(os.path.join(self.dir, "variants.arrow"))
        return self._variants

    @property
    def metadata(self):
        """Schema metadata of variants.arrow (name, axes, dt, duration, ...)."""
        meta = ipc.open_file(os.path.join(self.dir, "variants.arrow")).schema.metadata or {}
        return {k.decode(): v.decode() for k, v in meta.items()}

    @property
    def axes(self):
        """The swept config paths."""
        return [a for a in self.metadata.get("axes", "").split("\n") if a]

    def _read(self, sub, variant, filters, columns):
        files = self._files(sub, variant)
        if not files:
            return None
        dataset = ds.dataset(files, format="ipc")
        expr = None
        if variant is not None:
            # a file holds many variants (dataset layout 2)
            ids = [variant] if pd.api.types.is_scalar(variant) else list(variant)
            expr = ds.field("variant_id").isin(pa.array([int(i) for i in ids], pa.uint64()))
        for f in filters:
            expr = f if expr is None else expr & f
        table = dataset.to_table(columns=columns, filter=expr)
        return table.to_pandas()

    def _files(self, sub, variant):
        """The files of kind directory sub holding the variants (all when variant is None)."""
        directory = os.path.join(self.dir, sub)
        if variant is None:
            if not os.path.isdir(directory):
                return []
            return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                          if f.endswith(".arrow") and not f.startswith("."))
        ids = [variant] if pd.api.types.is_scalar(variant) else list(variant)
        layout = int(self.metadata.get("layout", "1"))
        if layout > 2:
            raise _cli.GeNNError(f"{self.dir}: dataset layout {layout} is newer than this gennctl package reads (2)")
        if layout == 1:  # one file per variant
            files = [os.path.join(directory, f"variant-{int(i)}.arrow") for i in ids]
            return [f for f in files if os.path.exists(f)]
        column = f"{sub}_file"
        v = self.variants
        if column not in v.columns:
            return []
        names = v.loc[v["variant_id"].isin([int(i) for i in ids]), column].astype(str)
        return sorted({os.path.join(self.dir, n) for n in names if n})

    @staticmethod
    def _filters(population=None, start=None, stop=None, neuron=None):
        out = []
        if population is not None:
            pops = [population] if isinstance(population, str) else list(population)
            out.append(ds.field("population").cast(pa.string()).isin(pops))
        if start is not None:
            out.append(ds.field("time") >= float(start))
        if stop is not None:
            out.append(ds.field("time") < float(stop))
        if neuron is not None:
            ns = [neuron] if pd.api.types.is_scalar(neuron) else list(neuron)
            out.append(ds.field("neuron").isin(pa.array(ns, pa.uint32())))
        return out

    def spikes(self, variant=None, population=None, start=None, stop=None, neuron=None, columns=None):
        """Spikes as a DataFrame (variant_id, population, neuron, time in ms):
        of one variant id or a list of them (default all), of one population
        or a list, with start <= time < stop."""
        df = self._read("spikes", variant, self._filters(population, start, stop, neuron), columns)
        if df is None:
            return pd.DataFrame({"variant_id": pd.Series(dtype="uint64"), "population": pd.Series(dtype="category"),
                                 "neuron": pd.Series(dtype="uint32"), "time": pd.Series(dtype="float64")})
        return df

    def state(self, variant=None, population=None, var=None, neuron=None, start=None, stop=None, columns=None):
        """Sampled state in long form (variant_id, population, var, neuron,
        time, value) with the same filters as spikes() plus var (a name or a
        list). Pivot to wide form with
        df.pivot_table(index="time", columns=["var", "neuron"], values="value")."""
        filters = self._filters(population, start, stop, neuron)
        if var is not None:
            names = [var] if isinstance(var, str) else list(var)
            filters.append(ds.field("var").cast(pa.string()).isin(names))
        df = self._read("state", variant, filters, columns)
        if df is None:
            raise _cli.GeNNError(f"{self.dir}: no state files for these variants (record variables with "
                                 "record={'<group>': {'vars': {...}}} or record.vars in the config)")
        return df

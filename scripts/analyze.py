#!/usr/bin/env python3
"""Firing rates of a gennctl sweep, from its spike files, against a swept parameter.

Reads a sweep directory (out/<name>/) with pandas and pyarrow only:

  * spikes/*.arrow, as one dataset: counts spikes per variant and population
    (streamed batch by batch, so large sweeps need little memory);
  * variants.arrow: the swept values of each variant, joined on variant_id.

The rate of a population in a variant is spikes / neurons / duration. The duration comes
from the spike files' metadata; population sizes from their `population_sizes` metadata,
from --sizes E=3200,I=800, or else from the variants table (spikes_<pop> / rate_<pop>).

It writes a PNG of the mean rate over repeats against --x, one line per population and
per combination of the other swept parameters, and optionally the per-variant table as CSV.

    pip install pandas pyarrow matplotlib
    python3 scripts/analyze.py out/cuba_sweep --x synapses.EE.weight_update.vars.g \
        --population E -o rates.png --csv rates.csv
"""
import argparse
import os
import sys

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.ipc as ipc


def swept_axes(variants, meta):
    """Swept config paths: the "axes" metadata if present, else dotted column names."""
    axes = meta.get(b"axes", b"").decode()
    if axes.strip():
        return axes.split("\n")
    return [c for c in variants.columns if "." in c]


def parse_sizes(text):
    sizes = {}
    for part in filter(None, (text or "").split(",")):
        name, _, n = part.partition("=")
        sizes[name] = int(n)
    return sizes


def load(sweep_dir, sizes_arg=None):
    """Return (per-variant rates in long form, swept axes)."""
    variants_path = os.path.join(sweep_dir, "variants.arrow")
    variants = pd.read_feather(variants_path)
    vmeta = ipc.open_file(variants_path).schema.metadata or {}  # read_feather drops it
    axes = swept_axes(variants, vmeta)
    done = variants[variants["status"] == "done"] if "status" in variants.columns else variants

    spikes_dir = os.path.join(sweep_dir, "spikes")
    spikes = ds.dataset(spikes_dir, format="ipc")
    if not spikes.files:
        sys.exit(f"analyze.py: no spike files in {spikes_dir}")
    # dt, duration, units, ...: the same in every spike file of a sweep
    meta = ipc.open_file(sorted(spikes.files)[0]).schema.metadata or {}
    duration_ms = float(meta[b"duration"])
    # Count spikes per (variant, population) one record batch at a time.
    parts = []
    for batch in spikes.to_batches(columns=["variant_id", "population"]):
        df = batch.to_pandas()
        df["population"] = df["population"].astype(str)
        parts.append(df.groupby(["variant_id", "population"]).size())
    if parts:
        counts = pd.concat(parts).groupby(level=[0, 1]).sum().rename("spikes").reset_index()
    else:
        counts = pd.DataFrame({"variant_id": pd.Series(dtype="uint64"),
                               "population": pd.Series(dtype=object),
                               "spikes": pd.Series(dtype="int64")})

    sizes = parse_sizes(meta.get(b"population_sizes", b"").decode()) or parse_sizes(sizes_arg)
    pops = sorted(c[len("rate_"):] for c in variants.columns if c.startswith("rate_"))
    pops = pops or sorted(counts["population"].unique())
    for p in pops:
        if p not in sizes:
            # size = spikes / (rate * seconds) from any variant of the table that spiked
            row = done[done["rate_" + p] > 0] if "rate_" + p in done.columns else done.iloc[0:0]
            if row.empty:
                sys.exit(f"analyze.py: size of population {p} unknown: pass --sizes {p}=N")
            r = row.iloc[0]
            sizes[p] = round(r["spikes_" + p] / (r["rate_" + p] * duration_ms / 1000))

    # Every completed variant × population, 0 spikes where none were recorded.
    grid = done[["variant_id"] + axes].merge(pd.DataFrame({"population": pops}), how="cross")
    rates = grid.merge(counts, on=["variant_id", "population"], how="left")
    rates["spikes"] = rates["spikes"].fillna(0).astype("int64")
    rates["size"] = rates["population"].map(sizes)
    rates["rate_hz"] = rates["spikes"] / rates["size"] / (duration_ms / 1000)
    return rates, axes


def plot(rates, axes, x, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [a for a in axes if a != x]
    keys = ["population"] + others
    summary = rates.groupby(keys + [x])["rate_hz"].agg(["mean", "sem", "count"]).reset_index()
    fig, ax = plt.subplots(figsize=(8, 5))
    for key, g in summary.groupby(keys):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join([str(key[0])] + [f"{a.split('.')[-1]}={v}" for a, v in zip(others, key[1:])])
        g = g.sort_values(x)
        ax.errorbar(g[x], g["mean"], yerr=g["sem"].fillna(0), marker="o", capsize=3, label=label)
    ax.set_xlabel(x)
    ax.set_ylabel("rate (Hz)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sweep_dir", help="sweep output directory, e.g. out/cuba_sweep")
    ap.add_argument("--x", required=True, help="swept config path for the x axis")
    ap.add_argument("--population", help="only this population")
    ap.add_argument("--sizes", help="population sizes, e.g. E=3200,I=800 (if not in the files)")
    ap.add_argument("-o", "--output", default="rates.png", help="PNG to write")
    ap.add_argument("--csv", help="also write the per-variant rates as CSV")
    args = ap.parse_args(argv)

    rates, axes = load(args.sweep_dir, args.sizes)
    if args.x not in axes:
        sys.exit(f"analyze.py: {args.x} is not a swept parameter (swept: {', '.join(axes)})")
    if args.population:
        rates = rates[rates["population"] == args.population]
        if rates.empty:
            sys.exit(f"analyze.py: no population {args.population}")
    if args.csv:
        rates.to_csv(args.csv, index=False)
    summary = plot(rates, axes, args.x, args.output)
    print(f"wrote {args.output}: {len(rates)} variant-population rates, {len(summary)} points")


if __name__ == "__main__":
    main()

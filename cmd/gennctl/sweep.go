package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newSweepCmd(v *viper.Viper, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep CONFIG",
		Short: "Expand, build and run every variant of an experiment",
		Long: `sweep expands the experiment's sweep section into variants (a config without
one is a single variant), compiles one module per network structure into the
module cache, runs the variants in batches on worker processes and writes

  <out>/<name>/spikes/variant-<id>.arrow   spikes (variant_id, population, neuron, time)
  <out>/<name>/state/variant-<id>.arrow    sampled variables, when the config records any
  <out>/<name>/synapses/variant-<id>.arrow sampled per-synapse variables (pre, post, synapse)
  <out>/<name>/spike_events/variant-<id>.arrow  spike-like events, when recorded
  <out>/<name>/variants.arrow              one row per variant: swept values, seed, status, rates
  <out>/<name>/provenance.db               SQLite: config, variants, builds, runs, outputs

With --shard I/N (or inside a Slurm array task) only that part of the variants
runs, recording into <out>/<name>/shards/; gennctl merge folds shards together.

Rerunning the same command skips variants whose outputs are recorded and
verify, and runs the rest (variants left running by a killed gennctl run
again). A config that differs from the one that created the directory is
refused with a summary of what changed and of the variants that would run
again; --force-config continues anyway. A result stands only for the exact
network that produced it: a done variant is kept when its point, seed,
structure and every value of its network (fixed ones too) are unchanged.

Two runs that could write the same variants exclude each other, whatever
their --shard arguments; the shards of one partition (same N) run together.
A variant that cannot fit this machine's memory is refused before anything
is compiled.

Fault isolation: a variant whose code crashes the worker (segfault, abort),
whose batch runs longer than --variant-timeout per variant, or whose neuron
state becomes NaN or infinite is marked failed with its reason (see gennctl
status and gennctl show); every other variant completes. With --retries N a
failed batch is split in halves that run again, so the culprit ends up alone
and its batch-mates complete; a variant failing alone is retried until it has
failed N times.

Ctrl-C (or SIGTERM) abandons the batches in flight, records their variants
as pending and exits with status 130; rerun the same command to finish.
Exit status: 0 success, 1 failure (some variant failed), 2 bad input,
130 interrupted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			archs, err := cudaArchs(v)
			if err != nil {
				return err
			}
			ver, rev, dirty := buildInfo()
			threads := v.GetInt("threads")
			switch {
			case threads < 0:
				return badInput{fmt.Errorf("--threads must not be negative")}
			case threads == 0:
				threads = sweep.AutoThreads
			}
			o := sweepOptions{
				config:  args[0],
				backend: v.GetString("backend"),
				json:    v.GetBool("json"), quiet: v.GetBool("quiet"),
				shard: v.GetString("shard"), compress: v.GetString("compress"),
				run: sweep.Options{
					OutDir:    v.GetString("out"),
					CacheDir:  v.GetString("cache"),
					BatchSize: v.GetInt("batch-size"),
					Workers:   v.GetInt("workers"),
					Threads:   threads,
					CUDAArchs: archs,
					Version:   ver, Commit: rev, Dirty: dirty,
					Retries:        v.GetInt("retries"),
					VariantTimeout: v.GetDuration("variant-timeout"),
					ForceConfig:    v.GetBool("force-config"),
					NoFiniteCheck:  v.GetBool("no-finite-check"),
				},
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSweep(ctx, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.String("out", "out", "directory under which <name>/ holds the results")
	f.String("cache", gpu.DefaultCacheDir(), "module cache directory (env GENNCTL_CACHE)")
	f.Int("batch-size", 0, "variants per module instance (0: automatic)")
	f.Int("workers", 0, "worker processes (0: one per CPU slot, or per GPU with the cuda backend)")
	f.Int("threads", 1, "threads inside a time step of each CPU batch (0: the CPU slots of workers that have no batch, shared among the batches; results are the same bits)")
	backendFlags(f, true)
	f.Bool("json", false, "print progress as one JSON event per line on stdout")
	f.Bool("quiet", false, "print nothing but errors")
	f.Int("retries", 0, "run failed batches again up to N times, splitting them to isolate the failing variant")
	f.Duration("variant-timeout", 0, "kill a batch of B variants that runs longer than B times this (e.g. 10m; 0: no limit)")
	f.Bool("force-config", false, "continue a sweep directory created by a different config (keeps unchanged done variants)")
	f.Bool("no-finite-check", false, "do not check neuron state for NaN and infinity")
	f.String("compress", "none", "compress result files: none, lz4 or zstd (not every Arrow reader supports compression)")
	f.String("shard", "", "run only shard I/N of the variants (default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT or _MIN/_MAX in a Slurm array task)")
	return cmd
}

// sweepOptions are the settings of one sweep command.
type sweepOptions struct {
	config      string
	backend     string // overrides the config's simulation.backend ("": keep)
	json, quiet bool
	shard       string // I/N ("": the Slurm array task's, else the whole sweep)
	compress    string
	run         sweep.Options // everything but Progress, Shard and Compression
}

// runSweep plans the config and runs it; cancelling ctx (Ctrl-C) stops it
// with exit status 130.
func runSweep(ctx context.Context, o sweepOptions, stdout, stderr io.Writer) error {
	opts := o.run
	shard, err := shardOf(o.shard)
	if err != nil {
		return badInput{err}
	}
	// The database of a sweep run before is checked while the plan is made.
	opts.Precheck = sweep.StartPrecheck(o.config, opts.OutDir, shard)
	defer opts.Precheck.Wait()
	plan, err := loadPlanFor(o.backend, o.config)
	if err != nil {
		return err
	}
	opts.Shard = shard
	opts.Progress = progressPrinter(stdout, stderr, o.json, o.quiet)
	if opts.Retries < 0 || opts.VariantTimeout < 0 {
		return badInput{fmt.Errorf("--retries and --variant-timeout must not be negative")}
	}
	if opts.Compression, err = results.ParseCompression(o.compress); err != nil {
		return badInput{err}
	}
	sum, err := sweep.Run(ctx, plan, opts)
	if errors.Is(err, context.Canceled) {
		return exitStatus{exitInterrupted, fmt.Errorf("%v\ncompleted variants are recorded; to finish the rest, rerun the same command: %s",
			err, resumeCommand())}
	}
	var ce *gpu.CompileError
	if errors.As(err, &ce) || errors.Is(err, sweep.ErrConfigChanged) || errors.Is(err, sweep.ErrTooLarge) {
		return badInput{err}
	}
	if err != nil {
		return err
	}
	if !o.json && !o.quiet {
		fmt.Fprintf(stdout, "%s: %d variant(s): %d run, %d already complete; %d module(s) compiled, %d from cache; %.2f s\n",
			sum.Dir, sum.Variants, sum.Ran, sum.Skipped, sum.Builds, sum.CacheHits, sum.Wall.Seconds())
	}
	return nil
}

// exitInterrupted is the exit status after Ctrl-C (128 + SIGINT).
const exitInterrupted = 130

// resumeCommand is this process's command line, quoted for a shell.
func resumeCommand() string {
	parts := make([]string, len(os.Args))
	for i, a := range os.Args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>*?()[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	if len(parts) > 0 {
		parts[0] = "gennctl"
	}
	return strings.Join(parts, " ")
}

// shardOf is the shard to run: --shard I/N, else the Slurm array task's,
// else the whole sweep.
func shardOf(flag string) (sweep.Shard, error) {
	if flag != "" {
		return sweep.ParseShard(flag)
	}
	s, ok, err := sweep.ShardFromSlurm(os.Getenv)
	if err != nil || !ok {
		return sweep.Whole, err
	}
	return s, nil
}

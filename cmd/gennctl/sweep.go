package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gennctl/gennctl/gpu"
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
  <out>/<name>/variants.arrow              one row per variant: swept values, seed, status, rates
  <out>/<name>/provenance.db               SQLite: config, variants, builds, runs, outputs

Rerunning the same command skips variants whose outputs are recorded and
verify, and runs the rest. Exit status: 0 success, 1 failure, 2 bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			plan, err := loadPlan(args[0])
			if err != nil {
				return err
			}
			ver, rev, dirty := buildInfo()
			jsonOut, quiet := v.GetBool("json"), v.GetBool("quiet")
			opts := sweep.Options{
				OutDir:    v.GetString("out"),
				CacheDir:  v.GetString("cache"),
				BatchSize: v.GetInt("batch-size"),
				Workers:   v.GetInt("workers"),
				Version:   ver, Commit: rev, Dirty: dirty,
				Progress: progressPrinter(stdout, stderr, jsonOut, quiet),
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sum, err := sweep.Run(ctx, plan, opts)
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted: completed variants are recorded; rerun the same command to finish the rest")
			}
			var ce *gpu.CompileError
			if errors.As(err, &ce) || errors.Is(err, sweep.ErrConfigChanged) {
				return badInput{err}
			}
			if err != nil {
				return err
			}
			if !jsonOut && !quiet {
				fmt.Fprintf(stdout, "%s: %d variant(s): %d run, %d already complete; %d module(s) compiled, %d from cache; %.2f s\n",
					sum.Dir, sum.Variants, sum.Ran, sum.Skipped, sum.Builds, sum.CacheHits, sum.Wall.Seconds())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("out", "out", "directory under which <name>/ holds the results")
	f.String("cache", gpu.DefaultCacheDir(), "module cache directory (env GENNCTL_CACHE)")
	f.Int("batch-size", 0, "variants per module instance (0: automatic)")
	f.Int("workers", 0, "worker processes (0: one per CPU slot)")
	f.Bool("json", false, "print progress as one JSON event per line on stdout")
	f.Bool("quiet", false, "print nothing but errors")
	return cmd
}

// progressPrinter turns run events into JSON lines (stdout) or short
// human-readable lines (stderr).
func progressPrinter(stdout, stderr io.Writer, jsonOut, quiet bool) func(sweep.Event) {
	enc := json.NewEncoder(stdout)
	return func(e sweep.Event) {
		switch {
		case jsonOut:
			_ = enc.Encode(e)
		case quiet:
		case e.Kind == "plan":
			fmt.Fprintf(stderr, "plan: %d variant(s), %d structure(s), %d already complete -> %s\n", e.Variants, e.Groups, e.Skipped, e.Dir)
		case e.Kind == "build":
			how := "compiled"
			if e.CacheHit {
				how = "cache hit"
			}
			fmt.Fprintf(stderr, "build: structure %s %s (%.2f s)\n", e.Structure, how, e.Seconds)
		case e.Kind == "batch":
			fmt.Fprintf(stderr, "run: %d/%d variants done, %d failed\n", e.Done, e.Total, e.Failed)
		case e.Kind == "variant" && e.Status == "failed":
			fmt.Fprintf(stderr, "variant %d failed: %s\n", e.VariantID, e.Error)
		}
	}
}

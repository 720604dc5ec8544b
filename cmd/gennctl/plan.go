package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newPlanCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan CONFIG",
		Short: "Show variants, structures, modules to compile, batches, memory and output size, without running",
		Long: `plan expands and validates the sweep and reports: the number of variants,
the structure groups (each compiles to one module; the values that differ
within a group become runtime parameters), which modules are already in the
module cache, the batches, the estimated peak memory of simulation state and
the estimated output size (assuming every recorded neuron fires at 10 Hz).`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			plan, err := loadPlanFor(v.GetString("backend"), args[0])
			if err != nil {
				return err
			}
			rep, err := sweep.Describe(plan, v.GetString("cache"), v.GetInt("batch-size"), v.GetInt("workers"), 0)
			if err != nil {
				return err
			}
			if v.GetBool("json") {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
				return fitsError(rep)
			}
			fmt.Fprintf(stdout, "variants:        %d\n", rep.Variants)
			fmt.Fprintf(stdout, "structures:      %d (%d to compile, %d in cache), backend %s (%s)\n", rep.Structures, rep.ModulesToBuild, rep.ModulesCached, rep.Backend, plan.BackendReason)
			fmt.Fprintf(stdout, "batches:         %d on %d worker(s)\n", rep.Batches, rep.Workers)
			fmt.Fprintf(stdout, "peak state:      %s\n", sweep.HumanBytes(rep.PeakStateBytes))
			fmt.Fprintf(stdout, "output (approx): %s at %g Hz\n", sweep.HumanBytes(rep.OutputBytes), rep.AssumedRateHz)
			for _, g := range rep.StructureGroups {
				cached := "compile"
				if g.Cached {
					cached = "cached"
				}
				rt := "none"
				if len(g.RuntimeParams) > 0 {
					rt = strings.Join(g.RuntimeParams, ", ")
				}
				fmt.Fprintf(stdout, "  structure %.12s: %d variant(s), %d batch(es) of up to %d, %s/variant, %s; runtime params: %s\n",
					g.Key, g.Variants, g.Batches, g.BatchSize, sweep.HumanBytes(g.StateBytesPerVar), cached, rt)
			}
			return fitsError(rep)
		},
	}
	f := cmd.Flags()
	f.String("cache", gpu.DefaultCacheDir(), "module cache directory (env GENNCTL_CACHE)")
	f.Int("batch-size", 0, "variants per module instance (0: automatic)")
	f.Int("workers", 0, "worker processes (0: one per CPU slot)")
	f.Bool("json", false, "print the report as JSON")
	backendFlags(f, false)
	return cmd
}

func newBuildCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build CONFIG",
		Short: "Generate and compile every structure's module into the module cache, without running",
		Long: `build compiles one module per structure group of the sweep into the module
cache, so that later runs (e.g. the tasks of a cluster job array sharing the
cache directory) only load modules. Modules already in the cache are not
rebuilt. --backend cuda builds CUDA modules with nvcc, which needs no GPU:
a login node can prebuild for GPU nodes (--cuda-arch 80,90 names their
architectures; without it, those of the visible GPUs, else 60 to 120 as far as
the installed nvcc builds them).`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			plan, err := loadPlanFor(v.GetString("backend"), args[0])
			if err != nil {
				return err
			}
			archs, err := cudaArchs(v)
			if err != nil {
				return err
			}
			tc, err := sweep.Toolchain(plan.Backend, archs)
			if err != nil {
				return err
			}
			res, err := sweep.BuildAll(plan, v.GetString("cache"), tc)
			var ce *gpu.CompileError
			if errors.As(err, &ce) {
				return badInput{err}
			}
			if err != nil {
				return err
			}
			type built struct {
				Structure string  `json:"structure_key"`
				Module    string  `json:"module"`
				CacheHit  bool    `json:"cache_hit"`
				Seconds   float64 `json:"seconds"`
			}
			var out []built
			for i, r := range res {
				out = append(out, built{plan.Groups[i].Key, r.ModulePath, r.Hit, r.Duration.Seconds()})
			}
			if v.GetBool("json") {
				return json.NewEncoder(stdout).Encode(out)
			}
			for _, b := range out {
				how := "compiled"
				if b.CacheHit {
					how = "cached"
				}
				fmt.Fprintf(stdout, "structure %.12s: %s %s (%.2f s)\n", b.Structure, how, b.Module, b.Seconds)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("cache", gpu.DefaultCacheDir(), "module cache directory (env GENNCTL_CACHE)")
	backendFlags(f, true)
	f.Bool("json", false, "print the modules as JSON")
	return cmd
}

// fitsError is the plan's refusal when a variant cannot fit this machine:
// the sweep would refuse to start, so the plan is bad input too.
func fitsError(rep *sweep.Report) error {
	if rep.DoesNotFit == "" {
		return nil
	}
	return badInput{errors.New(rep.DoesNotFit)}
}

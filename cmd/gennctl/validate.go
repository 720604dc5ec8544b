package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

func newValidateCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate CONFIG",
		Short: "Check an experiment file and every variant of its sweep, without running anything",
		Long: `validate decodes the experiment file, expands its sweep and validates every
variant: unknown models, parameters and variables, missing values, bad sizes,
synapses naming missing populations, bad dt, bad sweep specs, unknown tokens in
code strings; then it runs the C compiler's syntax check (-fsyntax-only) over
every structure's generated module, so that C errors in code strings are found
as building would find them. Every problem is reported as
file:line:col: config.path: message. Exit status 2 on bad input.
With --json the result is one JSON line on stdout: {"event":"ok",...} with
the counts, or {"event":"error",...} with every problem's file, line,
column, config path and message.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(validateOptions{config: args[0], json: jsonRequested(cmd)}, stdout)
		},
	}
	cmd.Flags().Bool("json", false, "print the result, or the problems, as JSON")
	return cmd
}

// validateOptions are the settings of one validate command.
type validateOptions struct {
	config string
	json   bool // the result as one JSON line
}

// runValidate loads and plans the config (every variant) and runs the C
// compiler's syntax check over every structure's module.
func runValidate(o validateOptions, stdout io.Writer) error {
	plan, err := loadPlan(o.config)
	if err != nil {
		return err
	}
	if err := plan.CheckSteps(); err != nil {
		return badInput{err}
	}
	if err := sweep.CheckSyntax(plan); err != nil {
		var ce *gpu.CompileError
		if errors.As(err, &ce) {
			return badInput{err}
		}
		return err
	}
	if o.json {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"event": "ok", "file": o.config, "variants": len(plan.Variants), "structures": len(plan.Groups)})
	}
	fmt.Fprintf(stdout, "%s: ok: %d variant(s), %d structure(s)\n", o.config, len(plan.Variants), len(plan.Groups))
	return nil
}

// loadPlan loads and validates a config; every failure is bad input.
func loadPlan(file string) (*sweep.Plan, error) {
	plan, err := sweep.Load(file)
	if err != nil {
		return nil, badInput{err}
	}
	return plan, nil
}

// loadPlanFor loads a config for a command with a --backend flag, which
// overrides the config's simulation.backend when given.
func loadPlanFor(b, file string) (*sweep.Plan, error) {
	plan, err := loadPlan(file)
	if err != nil {
		return nil, err
	}
	if b != "" {
		if err := plan.UseBackend(b); err != nil {
			return nil, badInput{fmt.Errorf("--backend %s: %w", b, err)}
		}
	}
	return plan, nil
}

// cudaArchs parses --cuda-arch: nvcc architectures such as 80,90 (or
// sm_80), or gpu.DefaultArchs alone.
func cudaArchs(v *viper.Viper) ([]string, error) {
	var out []string
	given := v.GetStringSlice("cuda-arch")
	if len(given) == 1 && given[0] == gpu.DefaultArchs {
		return given, nil
	}
	for _, a := range given {
		if strings.TrimSpace(a) == gpu.DefaultArchs {
			return nil, badInput{fmt.Errorf("--cuda-arch %s names the default architectures and stands alone, not in a list with %q", gpu.DefaultArchs, strings.Join(given, ","))}
		}
		a = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(a), "sm_"), "compute_")
		if _, err := strconv.Atoi(a); err != nil || len(a) < 2 {
			return nil, badInput{fmt.Errorf("--cuda-arch %q: want compute capabilities without the dot, e.g. 80,90, or %s", a, gpu.DefaultArchs)}
		}
		out = append(out, a)
	}
	return out, nil
}

// backendFlags adds --backend (and, where code is compiled, --cuda-arch).
func backendFlags(f *pflag.FlagSet, compiles bool) {
	f.String("backend", "", "cpu, cuda or auto (cuda when a GPU and nvcc are present); default: the config's simulation.backend")
	if compiles {
		f.StringSlice("cuda-arch", nil, "GPU architectures of CUDA modules, e.g. 80,90 (default: the visible GPUs', else 60 to 120 as far as nvcc supports them, which \"default\" names)")
	}
}

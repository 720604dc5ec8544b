package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitBadInput = 2
)

// Version information, set at build time with
// -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "0.1.0-dev"
	commit  = ""
)

// buildInfo returns the version, VCS commit and dirty flag of this binary.
func buildInfo() (ver, rev string, dirty bool) {
	ver, rev = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	return ver, rev, dirty
}

// badInput marks errors that are the user's input (exit 2).
type badInput struct{ err error }

func (b badInput) Error() string { return b.err.Error() }
func (b badInput) Unwrap() error { return b.err }

// exitStatus is an error with its own exit status (e.g. 130 after Ctrl-C).
type exitStatus struct {
	code int
	err  error
}

func (e exitStatus) Error() string { return e.err.Error() }
func (e exitStatus) Unwrap() error { return e.err }

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var es exitStatus
	if errors.As(err, &es) {
		return es.code
	}
	var ds modelspec.Diagnostics
	var d modelspec.Diagnostic
	var bi badInput
	if errors.As(err, &ds) || errors.As(err, &d) || errors.As(err, &bi) {
		return exitBadInput
	}
	return exitFailure
}

// execute runs the CLI and returns the exit status.
func execute(args []string, stdout, stderr io.Writer) int {
	v := viper.New()
	v.SetEnvPrefix("GENNCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	root := newRoot(v, stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	code := exitCode(err)
	if err != nil {
		if jsonRequested(cmd) {
			writeJSONError(stdout, err, code)
		}
		fmt.Fprintln(stderr, "gennctl: "+strings.ReplaceAll(err.Error(), "\n", "\ngennctl: "))
	}
	return code
}

func newRoot(v *viper.Viper, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gennctl",
		Short: "Run spiking neural network parameter sweeps (GeNN models) in batches",
		Long: `gennctl runs GeNN-style spiking network models described in one YAML file.

It expands the file's parameter sweep into variants, generates C code once per
distinct network structure, compiles it into a cached module, runs the variants
in batches on worker processes, writes spikes and sampled state as Apache Arrow
files and records provenance in SQLite (with the VCS commit of this binary when it
was built with -buildvcs=true, as the README's install command does).

Settings come from flags, GENNCTL_* environment variables (GENNCTL_CACHE,
GENNCTL_WORKERS, ...) and an optional settings file (--settings).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("settings", "", "settings file (YAML/TOML/JSON) with defaults for flags, e.g. cache: /scratch/gennctl")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if f, _ := cmd.Flags().GetString("settings"); f != "" {
			v.SetConfigFile(f)
			if err := v.ReadInConfig(); err != nil {
				return badInput{fmt.Errorf("settings file: %w", err)}
			}
			if err := checkSettings(f, v.AllKeys(), cmd.Root()); err != nil {
				return badInput{err}
			}
		}
		return v.BindPFlags(cmd.Flags())
	}
	root.AddCommand(newSweepCmd(v, stdout, stderr), newValidateCmd(stdout), newPlotCmd(stdout), newPlanCmd(v, stdout), newBuildCmd(v, stdout),
		newSlurmCmd(v, stdout), newMergeCmd(v, stdout), newStateCmd(stdout), newVersionCmd(stdout), newWorkerCmd(), newModelsCmd(stdout),
		newStatusCmd(v, stdout), newVariantsCmd(v, stdout), newShowCmd(v, stdout), newReproduceCmd(v, stdout))
	return root
}

// checkSettings refuses keys of a settings file that name no flag of any
// command: a typo (wrokers: 2) would otherwise be ignored. One file serves
// every command, so a key of another command's flag is allowed.
func checkSettings(file string, keys []string, root *cobra.Command) error {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	delete(known, "settings")
	delete(known, "help")
	var bad []string
	for _, k := range keys {
		if !known[k] {
			bad = append(bad, fmt.Sprintf("%s: unknown key %q", settingsPos(file, k), k))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Errorf("%s\nsettings are named like the flags: %s", strings.Join(bad, "\n"), strings.Join(names, ", "))
}

// settingsPos is file:line of a key in a settings file (viper keeps no
// positions), or the file alone when the key is not found on a line.
func settingsPos(file, key string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return file
	}
	leaf := key[strings.LastIndexByte(key, '.')+1:]
	re := regexp.MustCompile(`(?i)^\s*"?` + regexp.QuoteMeta(leaf) + `"?\s*[:=]`)
	for i, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return fmt.Sprintf("%s:%d", file, i+1)
		}
	}
	return file
}

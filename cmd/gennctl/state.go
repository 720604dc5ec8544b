package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
)

func newStateCmd(stdout io.Writer) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "state DIR VARIANT -o FILE",
		Short: "Write one variant's sampled state as a wide table (one row per time, one column per neuron)",
		Long: `state reads DIR/state/variant-<VARIANT>.arrow (the long table of recorded
variables: variant_id, population, var, neuron, time, value) and writes it in
wide form to FILE: a time column (ms) and one column per recorded element
named <population>.<var>[<neuron>], missing where an element has no sample at
that time. The format follows FILE's extension: .arrow (or .feather, .ipc) an
Arrow IPC file (NaN where missing; pandas.read_feather, R arrow), .csv CSV
(empty where missing). Useful for a few recorded neurons; the long table is
better for many.`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return runState(stateOptions{dir: args[0], variant: args[1], out: out}, stdout)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the file to write: .arrow (.feather, .ipc) or .csv")
	return cmd
}

// stateOptions are the settings of one state command.
type stateOptions struct {
	dir, variant, out string
}

// stateFormats are the formats of the wide table, by file extension.
var stateFormats = map[string]string{".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow", ".csv": "csv"}

func runState(o stateOptions, stdout io.Writer) error {
	if o.out == "" {
		return badInput{fmt.Errorf("-o FILE is required")}
	}
	format, ok := stateFormats[strings.ToLower(filepath.Ext(o.out))]
	if !ok {
		return badInput{fmt.Errorf("-o %s: unknown extension %q: write .arrow (Arrow IPC; also .feather, .ipc) or .csv", o.out, filepath.Ext(o.out))}
	}
	id, err := strconv.ParseUint(o.variant, 10, 64)
	if err != nil {
		return badInput{fmt.Errorf("VARIANT must be a variant id (a decimal integer; gennctl variants DIR lists them), got %q", o.variant)}
	}
	dir, db, err := sweep.OpenDir(o.dir)
	if err != nil {
		return badInput{err}
	}
	db.Close()
	files, err := results.VariantFiles(dir, id)
	if err != nil {
		return badInput{err}
	}
	if files["state"] == "" {
		return badInput{fmt.Errorf("variant %d has no state file (is it done? does the config record variables?)", id)}
	}
	st, meta, err := results.ReadVariantState(filepath.Join(dir, files["state"]), id)
	if err != nil {
		return badInput{fmt.Errorf("variant %d has no readable state file (does the config record variables?): %w", id, err)}
	}
	cols, err := results.WideState(st)
	if err != nil {
		return err
	}
	var info results.FileInfo
	if format == "csv" {
		info, err = results.WriteCSV(o.out, cols)
	} else {
		info, err = results.WriteTable(o.out, cols, meta)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d time(s) x %d element(s)\n", info.Path, info.Rows, len(cols)-1)
	return nil
}

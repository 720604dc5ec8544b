package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"

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
wide form to FILE as an Arrow IPC file: a time column (ms) and one column per
recorded element named <population>.<var>[<neuron>], NaN where an element has
no sample at that time. Useful for a few recorded neurons; the long table is
better for many.`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			if out == "" {
				return badInput{fmt.Errorf("-o FILE is required")}
			}
			id, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return badInput{fmt.Errorf("VARIANT must be a variant id (a decimal integer), got %q", args[1])}
			}
			dir, db, err := sweep.OpenDir(args[0])
			if err != nil {
				return badInput{err}
			}
			db.Close()
			st, meta, err := results.ReadState(filepath.Join(dir, results.StateFile(id)))
			if err != nil {
				return badInput{fmt.Errorf("variant %d has no readable state file (does the config record variables?): %w", id, err)}
			}
			cols, err := results.WideState(st)
			if err != nil {
				return err
			}
			info, err := results.WriteTable(out, cols, meta)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s: %d time(s) x %d element(s)\n", info.Path, info.Rows, len(cols)-1)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the wide Arrow file to write")
	return cmd
}

package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newVariantsCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "variants DIR [--status S] [--json|--csv]",
		Short: "List a sweep directory's variants: id, status, repeat, seed, swept values, failure",
		Long: `variants lists the variants of the sweep in DIR (<out>/<name>, or <out>
holding one sweep), by id: status (done, failed, running, pending, or
abandoned: recorded running while no gennctl sweep runs here), repeat, seed,
one column per swept config path, and for a failed variant its failure kind
and error. --status keeps the variants of one status. --json prints a list of
objects, --csv a table for a spreadsheet or pandas. Ids are what gennctl show,
plot and state take.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runVariants(variantsOptions{dir: args[0], status: v.GetString("status"), json: v.GetBool("json"), csv: v.GetBool("csv")}, stdout)
		},
	}
	cmd.Flags().String("status", "", "list only variants of this status: done, failed, running, pending or abandoned")
	cmd.Flags().Bool("json", false, "print the variants as a JSON list")
	cmd.Flags().Bool("csv", false, "print the variants as CSV")
	return cmd
}

// variantsOptions are the settings of one variants command.
type variantsOptions struct {
	dir       string
	status    string
	json, csv bool
}

func runVariants(o variantsOptions, stdout io.Writer) error {
	if o.json && o.csv {
		return badInput{errors.New("--json and --csv exclude each other")}
	}
	dir, db, err := sweep.OpenDir(o.dir)
	if err != nil {
		return badInput{err}
	}
	defer db.Close()
	rows, axes, err := sweep.Variants(dir, db, o.status)
	if errors.Is(err, sweep.ErrBadFilter) {
		return badInput{err}
	}
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	header := append(append([]string{"variant_id", "status", "repeat", "seed"}, axes...), "failure", "error")
	record := func(r sweep.VariantRow) []string {
		rec := []string{strconv.FormatUint(r.ID, 10), r.Status, strconv.Itoa(r.Repeat), strconv.FormatUint(r.Seed, 10)}
		for _, a := range axes {
			rec = append(rec, cell(r.Point[a]))
		}
		return append(rec, r.Failure, sweep.FirstLine(r.Error))
	}
	if o.csv {
		w := csv.NewWriter(stdout)
		_ = w.Write(header)
		for _, r := range rows {
			_ = w.Write(record(r))
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for i, h := range header {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		for i, c := range record(r) {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 && o.status != "" {
		fmt.Fprintf(stdout, "(no variant is %s)\n", o.status)
	}
	return nil
}

// cell is a swept value as text: strings as they are, numbers and other
// values as JSON ("" where the variant does not set the path).
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

package main

import (
	"fmt"
	"io"

	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
)

func newValidateCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "validate CONFIG",
		Short: "Check an experiment file and every variant of its sweep, without running anything",
		Long: `validate decodes the experiment file, expands its sweep and validates every
variant: unknown models, parameters and variables, missing values, bad sizes,
synapses naming missing populations, bad dt, bad sweep specs. Every problem is
reported as file:line:col: config.path: message. Exit status 2 on bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			plan, err := loadPlan(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: ok: %d variant(s), %d structure(s)\n", args[0], len(plan.Variants), len(plan.Groups))
			return nil
		},
	}
}

// loadPlan loads and validates a config; every failure is bad input.
func loadPlan(file string) (*sweep.Plan, error) {
	plan, err := sweep.Load(file)
	if err != nil {
		return nil, badInput{err}
	}
	return plan, nil
}

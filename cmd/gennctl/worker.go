package main

import (
	"os"

	"github.com/gennctl/gennctl/gpu"
	"github.com/spf13/cobra"
)

// newWorkerCmd is the hidden command the orchestrator starts once per CPU
// slot: it loads modules and runs batches, so a crash in user code costs a
// batch, not the sweep.
func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "worker",
		Short:  "Run batches for an orchestrator (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return gpu.ServeWorker(os.Stdin, os.Stdout)
		},
	}
}

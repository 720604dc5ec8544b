package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newStatusCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status DIR",
		Short: "Show a sweep directory's progress: variants by status, failures with reasons, time used, builds",
		Long: `status reads DIR/provenance.db (DIR is <out>/<name>, or <out> holding one
sweep) and prints the number of variants by status, each failed variant with
its failure kind and reason, the attempts and worker time used, and the
module builds. It only reads, so it may run while the sweep runs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			shards, err := sweep.ShardsStatus(args[0])
			if err != nil {
				return err
			}
			dir, db, err := sweep.OpenDir(args[0])
			if err != nil && len(shards) > 0 {
				// Shards still running, nothing merged yet: per-shard progress.
				return printShards(stdout, v.GetBool("json"), shards)
			}
			if err != nil {
				return badInput{err}
			}
			defer db.Close()
			rep, err := sweep.Status(dir, db)
			if err != nil {
				return err
			}
			if v.GetBool("json") {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					*sweep.StatusReport
					Shards []sweep.ShardStatus `json:"shards,omitempty"`
				}{rep, shards})
			}
			defer printShards(stdout, false, shards)
			fmt.Fprintf(stdout, "sweep:     %s (%s, config %.12s, created %s)\n", rep.Dir, rep.Name, rep.ConfigDigest, rep.Created.Local().Format(time.DateTime))
			var parts []string
			for _, s := range []string{"done", "failed", "running", "pending"} {
				parts = append(parts, fmt.Sprintf("%d %s", rep.Counts[s], s))
			}
			fmt.Fprintf(stdout, "variants:  %d: %s\n", rep.Variants, strings.Join(parts, ", "))
			if rep.EarlierConfigs > 0 {
				fmt.Fprintf(stdout, "           (%d more recorded for an earlier config only)\n", rep.EarlierConfigs)
			}
			span := 0.0
			if !rep.LastEnd.IsZero() {
				span = rep.LastEnd.Sub(rep.FirstStart).Seconds()
			}
			fmt.Fprintf(stdout, "runs:      %d attempt(s), %.2f worker-seconds, %.2f s from first start to last end, peak worker memory %s\n",
				rep.Runs, rep.WorkerSeconds, span, bytesHuman(rep.PeakRSSBytes))
			fmt.Fprintf(stdout, "builds:    %d (%d compiled in %.2f s, %d from cache)\n", rep.Builds, rep.Compiled, rep.CompileSeconds, rep.CacheHits)
			if len(rep.Failures) > 0 {
				fmt.Fprintf(stdout, "failures:\n")
				sort.Slice(rep.Failures, func(i, j int) bool { return rep.Failures[i].VariantID < rep.Failures[j].VariantID })
				for _, f := range rep.Failures {
					fmt.Fprintf(stdout, "  %d (%s, %d attempt(s)): %s\n", f.VariantID, f.Failure, f.Attempts, sweep.FirstLine(f.Error))
				}
				fmt.Fprintf(stdout, "details: gennctl show %s VARIANT\n", rep.Dir)
			}
			return nil
		},
	}
	cmd.Flags().Bool("json", false, "print the report as JSON")
	return cmd
}

// printShards prints the progress of each shard of a sweep directory.
func printShards(stdout io.Writer, jsonOut bool, shards []sweep.ShardStatus) error {
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Shards []sweep.ShardStatus `json:"shards"`
		}{shards})
	}
	if len(shards) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "shards (not yet merged results: gennctl merge DIR):\n")
	for _, s := range shards {
		fmt.Fprintf(stdout, "  %s: %d variant(s): %d done, %d failed, %d running, %d pending\n",
			s.Shard, s.Variants, s.Counts["done"], s.Counts["failed"], s.Counts["running"], s.Counts["pending"])
	}
	return nil
}

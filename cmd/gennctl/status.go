package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/gennctl/gennctl/provenance"
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
its point, failure kind and reason, the attempts and worker time used, and the
module builds. Variants recorded running while no gennctl sweep holds the
directory's lock are shown as abandoned (a killed sweep left them; the next
run runs them). It only reads, so it may run while the sweep runs.

Plain status trusts the records. --verify also checks them as a rerun would:
SQLite's integrity check of the database and every recorded output file's
size and sha256; it lists what is wrong and exits 1 when anything is.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runStatus(statusOptions{dir: args[0], json: v.GetBool("json"), verify: v.GetBool("verify")}, stdout)
		},
	}
	cmd.Flags().Bool("json", false, "print the report as JSON")
	cmd.Flags().Bool("verify", false, "check the database's integrity and every recorded file's sha256 (reads every file)")
	return cmd
}

// statusOptions are the settings of one status command.
type statusOptions struct {
	dir    string
	json   bool
	verify bool
}

// errVerify is status --verify finding something wrong (exit 1; the
// findings are printed).
var errVerify = errors.New("verification failed")

func runStatus(o statusOptions, stdout io.Writer) error {
	dir, db, err := sweep.OpenDir(o.dir)
	if err != nil && !errors.Is(err, sweep.ErrNotMerged) {
		var de *provenance.DamagedError
		if errors.As(err, &de) {
			return err
		}
		return badInput{err}
	}
	var rep *sweep.StatusReport
	var ver *sweep.VerifyReport
	if db != nil {
		defer db.Close()
		if o.verify {
			if ver, err = sweep.Verify(dir, db); err != nil {
				return err
			}
		}
		if ver == nil || !ver.Damaged {
			if rep, err = sweep.Status(dir, db, sweep.Whole); err != nil {
				return err
			}
		}
	} else {
		dir = o.dir // shards only: nothing merged yet
	}
	shards, err := sweep.ShardsStatus(dir, db)
	if err != nil {
		return err
	}
	failed := ver != nil && len(ver.Problems) > 0
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			*sweep.StatusReport
			Shards []sweep.ShardStatus `json:"shards,omitempty"`
			Verify *sweep.VerifyReport `json:"verify,omitempty"`
		}{rep, shards, ver}); err != nil {
			return err
		}
	} else {
		if rep != nil {
			printStatus(stdout, rep)
		}
		printShards(stdout, shards, db != nil)
		printVerify(stdout, dir, ver)
	}
	if failed {
		return errVerify
	}
	return nil
}

func printStatus(w io.Writer, rep *sweep.StatusReport) {
	fmt.Fprintf(w, "sweep:     %s (%s, config %.12s, created %s)\n", rep.Dir, rep.Name, rep.ConfigDigest, rep.Created.Local().Format(time.DateTime))
	var parts []string
	for _, s := range []string{"done", "failed", "running", "pending"} {
		parts = append(parts, fmt.Sprintf("%d %s", rep.Counts[s], s))
	}
	if n := rep.Counts[sweep.StatusAbandoned]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d abandoned (recorded running, but no gennctl sweep runs here: rerun the sweep to run them)", n))
	}
	fmt.Fprintf(w, "variants:  %d: %s\n", rep.Variants, strings.Join(parts, ", "))
	if rep.EarlierConfigs > 0 {
		fmt.Fprintf(w, "           (%d more recorded for an earlier config only)\n", rep.EarlierConfigs)
	}
	span := 0.0
	if !rep.LastEnd.IsZero() {
		span = rep.LastEnd.Sub(rep.FirstStart).Seconds()
	}
	fmt.Fprintf(w, "runs:      %d attempt(s), %.2f worker-seconds, %.2f s from first start to last end, peak worker memory %s\n",
		rep.Runs, rep.WorkerSeconds, span, sweep.HumanBytes(rep.PeakRSSBytes))
	fmt.Fprintf(w, "builds:    %d (%d compiled in %.2f s, %d from cache)\n", rep.Builds, rep.Compiled, rep.CompileSeconds, rep.CacheHits)
	if len(rep.Failures) > 0 {
		fmt.Fprintf(w, "failures:\n")
		sort.Slice(rep.Failures, func(i, j int) bool { return rep.Failures[i].VariantID < rep.Failures[j].VariantID })
		for _, f := range rep.Failures {
			fmt.Fprintf(w, "  %d %s repeat %d (%s, %d attempt(s)): %s\n", f.VariantID, f.Point, f.Repeat, f.Failure, f.Attempts, sweep.FirstLine(f.Error))
		}
		fmt.Fprintf(w, "details: gennctl show %s VARIANT\n", rep.Dir)
	}
}

// printShards prints the progress of each shard of a sweep directory;
// merged says whether the sweep has its own database yet.
func printShards(w io.Writer, shards []sweep.ShardStatus, merged bool) {
	if len(shards) == 0 {
		return
	}
	unmerged := 0
	for _, s := range shards {
		unmerged += s.Unmerged
	}
	switch {
	case !merged:
		fmt.Fprintf(w, "shards (nothing merged yet: gennctl merge DIR):\n")
	case unmerged > 0:
		fmt.Fprintf(w, "shards (%d done variant(s) not yet merged: gennctl merge DIR):\n", unmerged)
	default:
		fmt.Fprintf(w, "shards (all merged):\n")
	}
	for _, s := range shards {
		running := ""
		if s.Orchestrator {
			running = " (running now)"
		}
		fmt.Fprintf(w, "  %s: %d variant(s): %d done, %d failed, %d running, %d pending%s\n",
			s.Shard, s.Variants, s.Counts["done"], s.Counts["failed"], s.Counts["running"], s.Counts["pending"], running)
	}
}

// printVerify prints what --verify found, or says that the records were not
// checked.
func printVerify(w io.Writer, dir string, ver *sweep.VerifyReport) {
	switch {
	case ver == nil:
		fmt.Fprintf(w, "verified:  no (the records are trusted; gennctl status --verify %s checks the database and every file's sha256)\n", dir)
	case len(ver.Problems) == 0:
		fmt.Fprintf(w, "verified:  the database and %d recorded file(s): all intact\n", ver.Files)
	default:
		fmt.Fprintf(w, "verified:  %d problem(s) in the database and %d recorded file(s); rerun the sweep to repair the files:\n", len(ver.Problems), ver.Files)
		for _, p := range ver.Problems {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(p, "\n", "\n  "))
		}
	}
}

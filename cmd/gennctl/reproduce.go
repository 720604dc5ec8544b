package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// errNotReproduced is a reproduce whose output differs (exit 1).
var errNotReproduced = errors.New("not reproduced")

func newReproduceCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reproduce DIR VARIANT",
		Short: "Re-run one variant alone from its recorded config and seed and check its output checksum",
		Long: `reproduce takes the config text recorded in DIR/provenance.db (not the file
on disk) that produced VARIANT's output, re-runs that variant alone with its
recorded seed into a temporary directory, and compares the sha256 of the new
spike file with the recorded one, and the stored spike counts and summaries
(a variant that keeps only summaries has no spike file). It prints both
digests; exit status 0 if they are identical, 1 if not (with what differs),
2 if the variant is unknown or has no output.`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			dir, db, id, err := openVariant(args[0], args[1])
			if err != nil {
				return err
			}
			defer db.Close()
			tmp, err := os.MkdirTemp("", "gennctl-reproduce-")
			if err != nil {
				return err
			}
			if !v.GetBool("keep") {
				defer os.RemoveAll(tmp)
			}
			ver, rev, dirty := buildInfo()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := sweep.Reproduce(ctx, dir, db, id, tmp, sweep.Options{CacheDir: v.GetString("cache"), Workers: 1,
				Version: ver, Commit: rev, Dirty: dirty})
			if err != nil {
				var ce *gpu.CompileError
				if errors.As(err, &ce) {
					return err
				}
				return badInput{err}
			}
			fmt.Fprintf(stdout, "variant %d (config %.12s)\n", res.VariantID, res.ConfigDigest)
			if res.RecordedPath != "" {
				fmt.Fprintf(stdout, "recorded:   %s  %s\n", res.Recorded, res.RecordedPath)
				fmt.Fprintf(stdout, "reproduced: %s  %s\n", res.Reproduced, res.ReproducedPath)
			}
			if sm := res.Summary; sm != nil {
				same := "identical"
				if !sm.Match {
					same = fmt.Sprintf("DIFFERS: recorded %s %s, reproduced %s %s", sm.Recorded.SpikeCounts, sm.Recorded.Values,
						sm.Reproduced.SpikeCounts, sm.Reproduced.Values)
				}
				fmt.Fprintf(stdout, "summaries:  spike counts and summary values %s\n", same)
			}
			for _, st := range res.State {
				same := "identical"
				if !st.Match {
					same = "DIFFERS"
				}
				fmt.Fprintf(stdout, "state:      %s  %s (recorded %s): %s\n", st.Reproduced, st.Path, st.Recorded, same)
			}
			if res.Match {
				fmt.Fprintln(stdout, "identical")
				return nil
			}
			for _, d := range res.Differences {
				fmt.Fprintln(stdout, "differs: "+d)
			}
			return errNotReproduced
		},
	}
	f := cmd.Flags()
	f.String("cache", gpu.DefaultCacheDir(), "module cache directory (env GENNCTL_CACHE)")
	f.Bool("keep", false, "keep the temporary directory with the reproduced output")
	return cmd
}

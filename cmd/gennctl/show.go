package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newShowCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show DIR VARIANT",
		Short: "Show the full provenance of one variant: point, seed, structure, runs, outputs, builds",
		Long: `show prints everything recorded about one variant of the sweep in DIR: its
parameter point, repeat, seed and structure key, its status, attempts and
error, the config that ran it, each run attempt (batch, worker pid, host,
device, start, end, status, exit status, failure kind, error, peak memory),
its output files with their checksums (verified against the files now), its
spike counts and summaries as stored with its completion, and the builds of
its module.`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return runShow(showOptions{dir: args[0], variant: args[1], json: v.GetBool("json")}, stdout)
		},
	}
	cmd.Flags().Bool("json", false, "print the provenance as JSON")
	return cmd
}

// showOptions are the settings of one show command.
type showOptions struct {
	dir, variant string
	json         bool
}

func runShow(o showOptions, stdout io.Writer) error {
	dir, db, id, err := openVariant(o.dir, o.variant)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := sweep.ShowVariant(dir, db, id)
	if err != nil {
		return badInput{err}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := stdout
	vr := rep.Variant
	fmt.Fprintf(w, "variant:    %d\n", vr.ID)
	fmt.Fprintf(w, "point:      %s (repeat %d)\n", vr.Point, vr.Repeat)
	fmt.Fprintf(w, "seed:       %d\n", vr.Seed)
	fmt.Fprintf(w, "structure:  %s\n", vr.StructureKey)
	fmt.Fprintf(w, "status:     %s after %d attempt(s)\n", vr.Status, vr.Attempts)
	if vr.Error != "" {
		fmt.Fprintf(w, "error:      %s\n", indent(vr.Error))
	}
	s := rep.Sweep
	fmt.Fprintf(w, "config:     %s, digest %s (gennctl %s %s)\n", s.Name, s.ConfigDigest, s.Version, s.Commit)
	for i, r := range rep.Runs {
		end := "-"
		if !r.Ended.IsZero() {
			end = fmt.Sprintf("%s (%.3f s)", r.Ended.Local().Format(time.RFC3339), r.Ended.Sub(r.Started).Seconds())
		}
		fmt.Fprintf(w, "run %d:      %s; batch %s, worker pid %d on %s (%s); started %s, ended %s; exit %d; peak memory %s\n",
			i+1, r.Status, r.BatchID, r.WorkerPID, r.Host, r.Device, r.Started.Local().Format(time.RFC3339), end, r.ExitStatus, sweep.HumanBytes(r.PeakRSSBytes))
		if r.Failure != "" || r.Error != "" {
			fmt.Fprintf(w, "            %s: %s\n", r.Failure, indent(r.Error))
		}
	}
	for _, o := range rep.Outputs {
		ok := "verified"
		if !o.Verified {
			ok = "NOT VERIFIED: " + o.Problem
		}
		fmt.Fprintf(w, "output:     %s (%s): %d rows, %d bytes, sha256 %s, %s\n", o.Path, o.Kind, o.Rows, o.Bytes, o.SHA256, ok)
	}
	if rep.SpikeCounts != nil {
		fmt.Fprintf(w, "spikes:     %s\n", rep.SpikeCounts)
		fmt.Fprintf(w, "summaries:  %s\n", rep.Summaries)
	}
	for _, b := range rep.Builds {
		how := "compiled"
		if b.CacheHit {
			how = "cache hit"
		}
		fmt.Fprintf(w, "build:      %s %s; source %.12s; %s %s; flags %s; %s; %.2f s\n",
			b.Backend, how, b.SourceDigest, b.Compiler, b.CompilerVersion, b.Flags, b.TargetArch, b.Duration.Seconds())
	}
	return nil
}

// indent continues a multi-line message under a label.
func indent(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == '\n' {
			out = append(out, "            "...)
		}
	}
	return string(out)
}

// openVariant opens a sweep directory and parses the variant id of the show
// and reproduce commands.
func openVariant(dirArg, variant string) (string, *provenance.DB, uint64, error) {
	id, err := strconv.ParseUint(variant, 10, 64)
	if err != nil {
		return "", nil, 0, badInput{fmt.Errorf("VARIANT must be a variant id (a decimal integer; gennctl variants DIR lists them), got %q", variant)}
	}
	dir, db, err := sweep.OpenDir(dirArg)
	if err != nil {
		return "", nil, 0, badInput{err}
	}
	return dir, db, id, nil
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newSlurmCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slurm CONFIG",
		Short: "Write (and optionally submit) Slurm job scripts that run the sweep as a job array",
		Long: `slurm writes three batch scripts under <out>/<name>/slurm/:

  build.sbatch   compiles every structure's module into the shared module cache
  array.sbatch   a job array (--array=0-(N-1)%K); task I runs shard I/N of the sweep
  merge.sbatch   folds the shard databases into one and writes variants.arrow

Variants are packed into tasks from the plan's cost estimates: --tasks N fixes
the number of tasks, --task-minutes M aims at tasks of about M minutes. The
output directory and the module cache must be on a file system that every node
sees. With --submit the three jobs are submitted with sbatch (the array after the
build succeeds, the merge after the array ends) and gennctl exits at once,
printing the job ids; nothing needs to stay running.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			plan, err := loadPlan(args[0])
			if err != nil {
				return err
			}
			archs, err := cudaArchs(v)
			if err != nil {
				return err
			}
			abs := func(p string) string {
				a, err := filepath.Abs(p)
				if err != nil {
					return p
				}
				return a
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			o := sweep.SlurmOptions{
				Gennctl: abs(exe), Config: abs(args[0]), OutDir: abs(v.GetString("out")), CacheDir: abs(v.GetString("cache")),
				Tasks: v.GetInt("tasks"), TaskMinutes: v.GetFloat64("task-minutes"), Throttle: v.GetInt("throttle"),
				GPUsPerTask: v.GetInt("gpus-per-task"), CPUsPerTask: v.GetInt("cpus-per-task"), CUDAArchs: archs,
				Partition: v.GetString("partition"), Time: v.GetString("time"), CPUTarget: os.Getenv("GENNCTL_CPU_TARGET"),
			}
			job, err := sweep.Slurm(plan, o)
			if err != nil {
				return badInput{err}
			}
			dir := filepath.Join(o.OutDir, plan.Name, "slurm")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			files := map[string]string{"build.sbatch": job.Build, "array.sbatch": job.Array, "merge.sbatch": job.Merge}
			for name, text := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
					return err
				}
			}
			out := map[string]any{"tasks": job.Tasks, "task_seconds": job.TaskSeconds, "scripts": dir}
			if v.GetBool("submit") {
				build, err := sbatch(filepath.Join(dir, "build.sbatch"))
				if err != nil {
					return err
				}
				array, err := sbatch("--dependency=afterok:"+build, filepath.Join(dir, "array.sbatch"))
				if err != nil {
					return err
				}
				merge, err := sbatch("--dependency=afterany:"+array, filepath.Join(dir, "merge.sbatch"))
				if err != nil {
					return err
				}
				out["jobs"] = map[string]string{"build": build, "array": array, "merge": merge}
			}
			if v.GetBool("json") {
				return json.NewEncoder(stdout).Encode(out)
			}
			fmt.Fprintf(stdout, "%d variants in %d array task(s), longest about %.0f s; scripts in %s\n", len(plan.Variants), job.Tasks, job.TaskSeconds, dir)
			if jobs, ok := out["jobs"].(map[string]string); ok {
				fmt.Fprintf(stdout, "submitted: build %s, array %s, merge %s\n", jobs["build"], jobs["array"], jobs["merge"])
			} else {
				fmt.Fprintf(stdout, "submit with: jid=$(sbatch --parsable %s/build.sbatch) && aid=$(sbatch --parsable --dependency=afterok:$jid %s/array.sbatch) && sbatch --dependency=afterany:$aid %s/merge.sbatch\n", dir, dir, dir)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("out", "out", "directory under which <name>/ holds the results (shared file system)")
	f.String("cache", gpu.DefaultCacheDir(), "module cache directory (shared file system; env GENNCTL_CACHE)")
	f.Int("tasks", 0, "number of array tasks (0: from --task-minutes)")
	f.Float64("task-minutes", 30, "target minutes per array task when --tasks is 0")
	f.Int("throttle", 0, "run at most K tasks at once (--array=...%K)")
	f.Int("gpus-per-task", 0, "request G GPUs per task (--gres=gpu:G; default 1 with the cuda backend)")
	f.StringSlice("cuda-arch", nil, "GPU architectures of the cluster's CUDA modules, e.g. 80,90 (default: 60 to 120 as far as nvcc supports them)")
	f.Int("cpus-per-task", 1, "CPUs (and gennctl workers) per task")
	f.String("partition", "", "Slurm partition")
	f.String("time", "", "time limit of an array task (default: twice the estimate, at least 10 minutes)")
	f.Bool("submit", false, "submit the jobs with sbatch and print their ids")
	f.Bool("json", false, "print the result as JSON")
	return cmd
}

// sbatch submits a script and returns the job id.
func sbatch(args ...string) (string, error) {
	out, err := exec.Command("sbatch", append([]string{"--parsable"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	return id, nil
}

func newMergeCmd(v *viper.Viper, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge DIR",
		Short: "Fold the shard databases of a sweep directory into one and write its variants table",
		Long: `merge folds DIR/shards/shard-III-of-NNN.db (written by sweep --shard I/N or
Slurm array tasks; III and NNN zero-padded to three digits) into
DIR/provenance.db and writes DIR/variants.arrow for the whole sweep. It is
idempotent and safe while shards still run: it merges what is recorded, and
names the shards that have not started and those whose variants are not all
done. Exit status 1 when some variants are missing or failed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runMerge(mergeOptions{dir: args[0], json: v.GetBool("json")}, stdout)
		},
	}
	cmd.Flags().Bool("json", false, "print the summary as JSON")
	return cmd
}

// mergeOptions are the settings of one merge command.
type mergeOptions struct {
	dir  string
	json bool
}

func runMerge(o mergeOptions, stdout io.Writer) error {
	sum, err := sweep.Merge(o.dir)
	if err != nil {
		return err
	}
	if o.json {
		if err := json.NewEncoder(stdout).Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s: merged %d shard(s): %d of %d variants done, %d failed, %d missing\n",
			o.dir, len(sum.Shards), sum.Done, sum.Variants, sum.Failed, len(sum.Missing))
		if len(sum.ShardsMissing) > 0 {
			fmt.Fprintf(stdout, "shards not started (no database): %s\n", strings.Join(sum.ShardsMissing, ", "))
		}
		if len(sum.ShardsIncomplete) > 0 {
			fmt.Fprintf(stdout, "shards not complete: %s\n", strings.Join(sum.ShardsIncomplete, ", "))
		}
	}
	if len(sum.Missing) > 0 || sum.Failed > 0 {
		return fmt.Errorf("%d variant(s) missing and %d failed: rerun the missing shards (or the sweep) and merge again", len(sum.Missing), sum.Failed)
	}
	return nil
}

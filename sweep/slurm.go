package sweep

import (
	"fmt"
	"math"
	"strings"

	"github.com/gennctl/gennctl/gpu"
)

// SlurmOptions shape the job array that runs a sweep on a Slurm cluster.
type SlurmOptions struct {
	Gennctl     string  // absolute path of the gennctl binary on the cluster
	Config      string  // absolute path of the experiment file
	OutDir      string  // absolute --out directory (shared file system)
	CacheDir    string  // absolute module cache (shared file system)
	Tasks       int     // array tasks; 0: from TaskMinutes
	TaskMinutes float64 // target run time of one task when Tasks is 0 (default 30)
	Throttle    int     // at most this many tasks at once (%K); 0: no limit
	GPUsPerTask int     // --gres=gpu:G when > 0 (default 1 with the cuda backend: one worker per GPU)
	CPUsPerTask int     // --cpus-per-task (default 1; the cpu backend runs one worker per CPU)
	// CUDAArchs are the GPU architectures CUDA modules are built for, by
	// the prebuild and the tasks alike (default gpu.DefaultArchs, which
	// each resolves with the same nvcc: the prebuild may run where no GPU
	// is visible, the tasks where one is, and the module cache must give
	// both the same module).
	CUDAArchs []string
	Partition string
	Time      string // --time of an array task, e.g. 01:00:00; default from TaskMinutes
	// CPUTarget is exported as GENNCTL_CPU_TARGET to every job (e.g.
	// x86-64-v3), so that modules prebuilt on one node are the ones the
	// array tasks load on nodes with other CPUs; empty: -march=native.
	CPUTarget string
	MaxArray  int // largest array the cluster accepts (default 1000)
	// NsPerNeuronStep converts VariantCost to seconds (default 5 ns, a
	// conservative figure for the CPU backend; see BENCHMARKS.md).
	NsPerNeuronStep float64
}

// SlurmJob is the three batch scripts of a sweep: prebuild, the array and
// a merge that runs after the array whatever its outcome.
type SlurmJob struct {
	Tasks       int
	TaskSeconds float64 // estimated run time of the longest task
	Build       string
	Array       string
	Merge       string
}

// Slurm writes the job scripts for plan. Variants are packed into tasks by
// the plan's cost estimates (ShardVariants), so many short variants share a
// task and the array stays under the cluster's size limit.
func Slurm(plan *Plan, o SlurmOptions) (*SlurmJob, error) {
	if o.TaskMinutes <= 0 {
		o.TaskMinutes = 30
	}
	if o.MaxArray <= 0 {
		o.MaxArray = 1000
	}
	if o.CPUsPerTask <= 0 {
		o.CPUsPerTask = 1
	}
	// A task runs one worker per CPU, or with the CUDA backend one per GPU.
	workers := o.CPUsPerTask
	backend := "--backend " + plan.Backend
	if plan.Backend == "cuda" {
		if o.GPUsPerTask <= 0 {
			o.GPUsPerTask = 1
		}
		workers = o.GPUsPerTask
		if len(o.CUDAArchs) == 0 {
			o.CUDAArchs = []string{gpu.DefaultArchs}
		}
		backend += " --cuda-arch " + strings.Join(o.CUDAArchs, ",")
	}
	if o.NsPerNeuronStep <= 0 {
		o.NsPerNeuronStep = 5
	}
	for name, p := range map[string]string{"gennctl": o.Gennctl, "config": o.Config, "out": o.OutDir, "cache": o.CacheDir} {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("slurm: the %s path must be absolute (array tasks start in other directories), got %q", name, p)
		}
	}
	seconds := func(cost float64) float64 { return cost * o.NsPerNeuronStep * 1e-9 / float64(o.CPUsPerTask) }
	var total float64
	for _, v := range plan.Variants {
		total += seconds(VariantCost(plan.Groups[v.Group]))
	}
	tasks := o.Tasks
	if tasks <= 0 {
		tasks = int(math.Ceil(total / (o.TaskMinutes * 60)))
	}
	if tasks > len(plan.Variants) {
		tasks = len(plan.Variants)
	}
	if tasks > o.MaxArray {
		tasks = o.MaxArray
	}
	if tasks < 1 {
		tasks = 1
	}
	job := &SlurmJob{Tasks: tasks}
	for i := 0; i < tasks; i++ {
		var t float64
		for _, vi := range plan.ShardVariants(Shard{Index: i, Count: tasks}) {
			t += seconds(VariantCost(plan.Groups[plan.Variants[vi].Group]))
		}
		job.TaskSeconds = math.Max(job.TaskSeconds, t)
	}
	limit := o.Time
	if limit == "" {
		// Twice the estimate plus start-up, at least ten minutes.
		limit = slurmDuration(math.Max(600, 2*job.TaskSeconds+120))
	}
	env := fmt.Sprintf("export GENNCTL_CACHE=%s\n", shellQuote(o.CacheDir))
	if o.CPUTarget != "" {
		env += fmt.Sprintf("export GENNCTL_CPU_TARGET=%s\n", shellQuote(o.CPUTarget))
	} else {
		env += "# Modules are built for the CPU of the node that compiles them (-march=native). If the build\n" +
			"# job's node differs from the array's nodes, set GENNCTL_CPU_TARGET (e.g. x86-64-v3) when\n" +
			"# running gennctl slurm, or each task compiles its own module.\n"
	}
	sweepDir := strings.TrimRight(o.OutDir, "/") + "/" + plan.Name
	head := func(name, time string, extra ...string) string {
		var b strings.Builder
		b.WriteString("#!/bin/bash\n")
		fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
		if o.Partition != "" {
			fmt.Fprintf(&b, "#SBATCH --partition=%s\n", o.Partition)
		}
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", time)
		for _, e := range extra {
			fmt.Fprintf(&b, "#SBATCH %s\n", e)
		}
		return b.String()
	}
	logs := sweepDir + "/slurm"
	job.Build = head("gennctl-build-"+plan.Name, "00:30:00", "--ntasks=1", "--cpus-per-task=1",
		"--output="+logs+"/build-%j.log") +
		"# Compile every structure's module into the shared cache before the array starts.\n" + env +
		fmt.Sprintf("exec %s build %s %s\n", shellQuote(o.Gennctl), backend, shellQuote(o.Config))
	array := fmt.Sprintf("--array=0-%d", tasks-1)
	if o.Throttle > 0 {
		array += fmt.Sprintf("%%%d", o.Throttle)
	}
	extra := []string{array, "--ntasks=1", fmt.Sprintf("--cpus-per-task=%d", o.CPUsPerTask), "--output=" + logs + "/task-%A_%a.log"}
	if o.GPUsPerTask > 0 {
		extra = append(extra, fmt.Sprintf("--gres=gpu:%d", o.GPUsPerTask))
	}
	job.Array = head("gennctl-"+plan.Name, limit, extra...) +
		fmt.Sprintf("# %d variants in %d tasks; the longest task is estimated at %.0f s.\n", len(plan.Variants), tasks, job.TaskSeconds) +
		"# gennctl reads SLURM_ARRAY_TASK_ID/COUNT and runs its shard; a rerun of a task skips what it finished.\n" + env +
		fmt.Sprintf("exec %s sweep --quiet %s --workers %d --out %s %s\n", shellQuote(o.Gennctl), backend, workers, shellQuote(o.OutDir), shellQuote(o.Config))
	job.Merge = head("gennctl-merge-"+plan.Name, "00:30:00", "--ntasks=1", "--cpus-per-task=1",
		"--output="+logs+"/merge-%j.log") +
		"# Fold the shard databases into one and write the variants table.\n" +
		fmt.Sprintf("exec %s merge %s\n", shellQuote(o.Gennctl), shellQuote(sweepDir))
	return job, nil
}

// slurmDuration formats seconds as Slurm's D-HH:MM:SS.
func slurmDuration(s float64) string {
	t := int(math.Ceil(s))
	d, h, m, sec := t/86400, t%86400/3600, t%3600/60, t%60
	if d > 0 {
		return fmt.Sprintf("%d-%02d:%02d:%02d", d, h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r == ':' || r == '=' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package sweep_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CUDA backend, run through the whole orchestrator with its kernels
// emulated on the host (GENNCTL_CUDA_EMULATION=1) and, where there is a GPU,
// on the GPU, gives the CPU backend's results bit for bit: both initialise on the host with the same code, and
// the postsynaptic-span kernels add synaptic input in the CPU's order. The
// models' code is pure arithmetic, so nothing depends on the math library.
// CUBA: spikes of 100 ms, three weights in one batch; the f-I curve: spikes
// and the sampled membrane potential (read back from the device through
// gn_get_var) of twelve currents; the Potjans-Diesmann microcircuit at 10 %
// of its neurons: 20 ms of spikes (about 700).
func TestCUDABackendMatchesCPU(t *testing.T) {
	for _, c := range []struct {
		config, section string
		variants        int
		state           bool
	}{
		{"../configs/cuba.yaml", "sweep:\n  grid:\n    simulation.duration: [100]\n    synapses.EE.weight_update.vars.g: [0.07, 0.081, 0.09]\n", 3, false},
		{"../configs/fi_curve.yaml", "", 12, true},
		// custom updates every 250 ms, on the device on the cuda backend
		{"../configs/trials.yaml", "", 3, false},
		// 29.9 M synapses, dendritic delays, Poisson current sources, 20 ms
		{"../configs/potjans_microcircuit.yaml", "sweep:\n  grid:\n    simulation.duration: [20]\n", 1, false},
	} {
		t.Run(filepath.Base(c.config), func(t *testing.T) {
			if testing.Short() && c.variants == 1 {
				t.Skip("the microcircuit takes half a minute emulated: skipped with -short")
			}
			type result struct {
				spikes results.Spikes
				state  results.State
			}
			got := map[string]map[uint64]result{}
			backends := []string{"cpu", "cuda-emu"}
			if gpus, _ := gpu.DiscoverGPUs(); len(gpus) > 0 {
				backends = append(backends, "cuda") // the real thing
			}
			for _, backend := range backends {
				if backend == "cuda-emu" {
					t.Setenv(gpu.CUDAEmulationEnv, "1")
				} else {
					t.Setenv(gpu.CUDAEmulationEnv, "")
				}
				plan := planText(t, filepath.Base(c.config), c.config, c.section)
				require.NoError(t, plan.UseBackend(strings.TrimSuffix(backend, "-emu")))
				sum := run(t, plan, opts(t, t.TempDir()))
				require.Equal(t, c.variants, sum.Ran)
				db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBPath(sweep.Shard{})))
				require.NoError(t, err)
				builds, err := db.Builds()
				require.NoError(t, err)
				require.Len(t, builds, 1)
				assert.Equal(t, plan.Backend, builds[0].Backend)
				// Issue 18, item 9: the runs name their device.
				runs, err := db.AllRuns()
				require.NoError(t, err)
				wantDevice := "cpu"
				if plan.Backend == "cuda" {
					wantDevice = "cuda "
				}
				for _, r := range runs {
					assert.True(t, strings.HasPrefix(r.Device, wantDevice), "device %q on backend %s", r.Device, backend)
				}
				require.NoError(t, db.Close())
				got[backend] = map[uint64]result{}
				for _, v := range plan.Variants {
					var r result
					r.spikes, _, err = results.ReadVariantSpikes(variantFile(t, sum.Dir, v.ID(), "spikes"), v.ID())
					require.NoError(t, err)
					if c.state {
						r.state, _, err = results.ReadVariantState(variantFile(t, sum.Dir, v.ID(), "state"), v.ID())
						require.NoError(t, err)
					}
					got[backend][v.ID()] = r
				}
			}
			spikes := 0
			for id, cpu := range got["cpu"] {
				spikes += cpu.spikes.Len()
				for _, b := range backends[1:] {
					// a compact report: testify's diff of two large tables takes minutes
					if other := got[b][id]; !assert.ObjectsAreEqual(cpu, other) {
						t.Errorf("variant %d on %s: %s", id, b, spikeDivergence(cpu.spikes, other.spikes))
						if !assert.ObjectsAreEqual(cpu.state, other.state) {
							t.Errorf("variant %d on %s: the sampled state differs", id, b)
						}
					}
				}
			}
			assert.Greater(t, spikes, 100*c.variants, "enough spikes to compare")
		})
	}
}

// spikeDivergence describes where two spike tables part: their lengths and
// the first spike that differs.
func spikeDivergence(want, got results.Spikes) string {
	n := min(want.Len(), got.Len())
	i := 0
	for i < n && want.Population[i] == got.Population[i] && want.Neuron[i] == got.Neuron[i] && want.Time[i] == got.Time[i] {
		i++
	}
	msg := fmt.Sprintf("%d spikes, want %d; the first %d agree", got.Len(), want.Len(), i)
	if i < n {
		msg += fmt.Sprintf("; then %s[%d] at %g ms, want %s[%d] at %g ms",
			got.Population[i], got.Neuron[i], got.Time[i], want.Population[i], want.Neuron[i], want.Time[i])
	}
	return msg
}

// Every example config builds on the cuda backend with nvcc (for one
// architecture, to keep the test short; gennctl build defaults to a fat
// binary), on a machine with no GPU as well.
func TestCUDABuildsEveryConfig(t *testing.T) {
	tc, err := sweep.Toolchain("cuda", []string{"75"})
	if err != nil {
		t.Skipf("no nvcc: %v", err)
	}
	configs, err := filepath.Glob("../configs/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, configs)
	cache := t.TempDir()
	for _, file := range configs {
		t.Run(filepath.Base(file), func(t *testing.T) {
			plan, err := sweep.Load(file)
			require.NoError(t, err)
			require.NoError(t, plan.UseBackend("cuda"))
			res, err := sweep.BuildAll(plan, cache, tc)
			require.NoError(t, err)
			require.Len(t, res, len(plan.Groups))
			for _, r := range res {
				assert.FileExists(t, r.ModulePath)
				assert.Contains(t, r.Arch, "cuda-sm_75")
			}
		})
	}
}

// CUDA batches fit the memory budget with the column indices counted:
// `gennctl plan` (Describe) sizes them as Run does, from the (here
// emulated, 1 GiB) GPU's free memory or the budget given.
func TestCUDABatchSizeFromMemory(t *testing.T) {
	t.Setenv(gpu.CUDAEmulationEnv, "1")
	plan := planText(t, "cuba.yaml", "../configs/cuba.yaml", "sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.10, 64]}\n")
	require.NoError(t, plan.UseBackend("cuda"))
	per := sweep.StateBytes(plan.Groups[0])
	cache := t.TempDir()
	rep, err := sweep.Describe(plan, cache, 0, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Workers, "one worker per GPU")
	assert.Equal(t, 1, rep.Batches, "64 CUBA variants fit in 1 GiB")
	assert.Equal(t, 64, rep.StructureGroups[0].BatchSize)
	for _, budget := range []int64{40 * per, 10 * per} {
		rep, err := sweep.Describe(plan, cache, 0, 0, budget)
		require.NoError(t, err)
		b := int64(rep.StructureGroups[0].BatchSize)
		assert.GreaterOrEqual(t, b, int64(1))
		assert.LessOrEqual(t, b*per*2, budget, "budget %d: CUBA's column indices at least double its state", budget)
	}
}

// Slurm scripts of a CUDA sweep ask for a GPU per task unless told
// otherwise, run one worker per GPU, and name the backend and the GPU
// architectures in the prebuild and the tasks (so that both build the same
// modules whatever auto, or the GPUs visible, would give on each node).
func TestSlurmScriptsCUDA(t *testing.T) {
	plan := planText(t, "cuba.yaml", "../configs/cuba.yaml", "sweep: {repeats: 4}\n")
	require.NoError(t, plan.UseBackend("cuda"))
	o := sweep.SlurmOptions{Gennctl: "/bin/gennctl", Config: "/c/cuba.yaml", OutDir: "/o", CacheDir: "/cache", Tasks: 2}
	job, err := sweep.Slurm(plan, o)
	require.NoError(t, err)
	assert.Contains(t, job.Array, "#SBATCH --gres=gpu:1\n")
	// the same architectures in the prebuild (maybe on a node without a
	// GPU) and the tasks, so that both name the same cached module
	assert.Contains(t, job.Array, " sweep --quiet --backend cuda --cuda-arch default --workers 1 ")
	assert.Contains(t, job.Build, " build --backend cuda --cuda-arch default ")
	o.GPUsPerTask, o.CUDAArchs = 2, []string{"80", "90"}
	job, err = sweep.Slurm(plan, o)
	require.NoError(t, err)
	assert.Contains(t, job.Array, "#SBATCH --gres=gpu:2\n")
	assert.Contains(t, job.Array, " --cuda-arch 80,90 --workers 2 ")
	assert.Contains(t, job.Build, " --cuda-arch 80,90 ")
}

package sweep_test

import (
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CUDA backend, run through the whole orchestrator with its kernels
// emulated on the host (GENNCTL_CUDA_EMULATION=1), gives the CPU backend's
// spikes bit for bit on CUBA: both initialise on the host with the same
// code, and the postsynaptic-span kernels add synaptic input in the CPU's
// order. CUBA's neuron code is pure arithmetic, so nothing depends on the
// math library. 100 ms, three weights in one batch.
func TestCUDABackendMatchesCPU(t *testing.T) {
	section := "sweep:\n  grid:\n    simulation.duration: [100]\n    synapses.EE.weight_update.vars.g: [0.07, 0.081, 0.09]\n"
	spikes := map[string]map[uint64]results.Spikes{}
	for _, backend := range []string{"cpu", "cuda"} {
		if backend == "cuda" {
			t.Setenv(sweep.CUDAEmulationEnv, "1")
		}
		plan := planText(t, "cuba.yaml", "../configs/cuba.yaml", section)
		require.NoError(t, plan.UseBackend(backend))
		o := opts(t, t.TempDir())
		sum := run(t, plan, o)
		require.Equal(t, 3, sum.Ran)
		db, err := provenance.Open(filepath.Join(sum.Dir, sweep.DBPath(sweep.Shard{})))
		require.NoError(t, err)
		builds, err := db.Builds()
		require.NoError(t, err)
		require.Len(t, builds, 1)
		assert.Equal(t, backend, builds[0].Backend)
		require.NoError(t, db.Close())
		spikes[backend] = map[uint64]results.Spikes{}
		for _, v := range plan.Variants {
			sp, _, err := results.ReadSpikes(filepath.Join(sum.Dir, results.SpikeFile(v.ID())))
			require.NoError(t, err)
			spikes[backend][v.ID()] = sp
		}
	}
	for id, cpu := range spikes["cpu"] {
		require.Greater(t, len(cpu.Neuron), 500, "variant %d: CUBA fires about 2000 spikes in 100 ms", id)
		assert.Equal(t, cpu, spikes["cuda"][id], "variant %d", id)
	}
}

// Every example config builds on the cuda backend with nvcc (for one
// architecture, to keep the test short; gennctl build defaults to a fat
// binary), on a machine with no GPU as well.
func TestCUDABuildsEveryConfig(t *testing.T) {
	tc, err := sweep.Toolchain("cuda", []string{"70"})
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
				assert.Contains(t, r.Arch, "cuda-sm_70")
			}
		})
	}
}

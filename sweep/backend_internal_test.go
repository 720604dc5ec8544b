package sweep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeNvidiaSMI puts an nvidia-smi on PATH that reports two GPUs with 8 and
// 4 GiB free, as the real one answers DiscoverGPUs' query.
func fakeNvidiaSMI(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\n" +
		"echo '0, GPU-aaaa, Fake A100, 40960, 8192, 8.0, 550.1'\n" +
		"echo '1, GPU-bbbb, Fake H100, 81920, 4096, 9.0, 550.1'\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("CUDA_VISIBLE_DEVICES", "") // restored after the test; unset during it:
	os.Unsetenv("CUDA_VISIBLE_DEVICES")
}

// A CUDA run uses one worker per GPU, each seeing only its GPU, and a
// memory budget of 3/4 of the smallest GPU's free memory.
func TestUseGPUs(t *testing.T) {
	fakeNvidiaSMI(t)
	plan, err := Load("testdata/small.yaml")
	require.NoError(t, err)
	var o Options
	gpus, err := useGPUs(plan, &o)
	require.NoError(t, err)
	require.Len(t, gpus, 2)
	assert.Equal(t, 2, o.Workers)
	assert.Equal(t, int64(4096)<<20*3/4, o.MemBudget)
	assert.Equal(t, 1, o.BatchSize, "one variant over two workers")

	r := &runner{opts: Options{WorkerEnv: []string{"A=1"}}, gpus: gpus}
	for w, want := range []string{"GPU-aaaa", "GPU-bbbb", "GPU-aaaa"} {
		assert.Equal(t, []string{"A=1", "CUDA_VISIBLE_DEVICES=" + want}, r.workerEnv(w), "worker %d", w)
	}
	assert.Equal(t, []string{"A=1"}, (&runner{opts: r.opts}).workerEnv(0), "a CPU run leaves the environment alone")

	o = Options{Workers: 3, MemBudget: 1 << 20, BatchSize: 7}
	_, err = useGPUs(plan, &o)
	require.NoError(t, err)
	assert.Equal(t, Options{Workers: 3, MemBudget: 1 << 20, BatchSize: 7}, o, "settings given are kept")
}

// auto, with no GPU visible, is cpu and says why.
func TestResolveAuto(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi, no nvcc
	b, _, err := ResolveBackend("auto")
	require.NoError(t, err)
	assert.Equal(t, "auto", b, "chosen once the plan has its groups")
	plan, err := Load("../configs/cuba.yaml")
	require.NoError(t, err)
	require.NoError(t, plan.UseBackend("auto"))
	assert.Equal(t, "cpu", plan.Backend)
	assert.Contains(t, plan.BackendReason, "no CUDA GPU visible")
}

// auto on a GPU node chooses by cost: one CUBA variant stays on the CPU, a
// 1024-variant weight sweep of one network goes to the GPUs, and the
// structure keys follow the backend.
func TestResolveAutoWithGPU(t *testing.T) {
	nvcc, err := exec.LookPath("nvcc")
	if err != nil {
		t.Skip("no nvcc")
	}
	fakeNvidiaSMI(t)
	t.Setenv("NVCC", nvcc)
	one, err := Load("../configs/cuba.yaml")
	require.NoError(t, err)
	require.NoError(t, one.UseBackend("auto"))
	assert.Equal(t, "cpu", one.Backend, one.BackendReason)
	assert.Contains(t, one.BackendReason, "cuda ", "the reason compares both estimates")
	assert.Equal(t, StructureKey(one.Groups[0].Net, "cpu"), one.Groups[0].Key)

	data, err := os.ReadFile("../configs/cuba.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(data), "  backend: cpu\n", "  backend: auto\n  connectivity_seed: 7\n", 1)
	many, err := NewPlan("cuba_sweep.yaml", []byte(text+"sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.1, 1024]}\n"))
	require.NoError(t, err)
	assert.Equal(t, "cuda", many.Backend, many.BackendReason)
	assert.Equal(t, StructureKey(many.Groups[0].Net, "cuda"), many.Groups[0].Key)
}

package sweep

import (
	"os"
	"os/exec"
	"path/filepath"
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

// auto picks cuda where a GPU is visible and nvcc is installed, cpu where
// none is, and says why.
func TestResolveAuto(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi, no nvcc
	b, why, err := ResolveBackend("auto")
	require.NoError(t, err)
	assert.Equal(t, "cpu", b)
	assert.Contains(t, why, "no CUDA GPU visible")
}

func TestResolveAutoWithGPU(t *testing.T) {
	nvcc, err := exec.LookPath("nvcc")
	if err != nil {
		t.Skip("no nvcc")
	}
	fakeNvidiaSMI(t)
	t.Setenv("NVCC", nvcc)
	b, why, err := ResolveBackend("auto")
	require.NoError(t, err)
	assert.Equal(t, "cuda", b)
	assert.Contains(t, why, "2 GPU(s) visible (Fake A100)")
}

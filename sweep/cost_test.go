package sweep_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cost model on a GPU node (16 cores, one H200 with nvcc): one CUBA
// variant stays on the CPU (a CUDA context and a launch floor per step
// cost more than the whole run on a core), a weight sweep of 1024 variants
// of one network goes to the GPU (a core simulates 64 of them in turn,
// the GPU all at once), and so does one of a network per variant (the GPU
// builds them, as it initialises every variant), and without a GPU or nvcc the CPU is the only
// choice, saying why.
func TestAutoChoosesByCost(t *testing.T) {
	node := sweep.Machine{CPUSlots: 16, GPUs: []gpu.GPU{{Name: "NVIDIA H200", FreeMiB: 140000}}, CUDAArchs: 1}
	one := planText(t, "cuba.yaml", "../configs/cuba.yaml", "")
	require.Len(t, one.Groups, 1)
	g := one.Groups[0]
	cpu, cuda := sweep.EstimateCPU(g, 1, node, true), sweep.EstimateCUDA(g, 1, 0, node, true)
	b, why := sweep.Choose(cpu, cuda)
	assert.Equal(t, "cpu", b, why)
	assert.Contains(t, why, "cuda")

	data, err := os.ReadFile("../configs/cuba.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(data), "  backend: cpu\n", "  backend: cpu\n  connectivity_seed: 7\n", 1)
	require.Contains(t, text, "connectivity_seed")
	many, err := sweep.NewPlan("cuba_sweep.yaml", []byte(text+"sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.1, 1024]}\n"))
	require.NoError(t, err)
	require.Len(t, many.Groups, 1)
	g = many.Groups[0]
	cpu, cuda = sweep.EstimateCPU(g, 1024, node, true), sweep.EstimateCUDA(g, 1024, 0, node, true)
	b, why = sweep.Choose(cpu, cuda)
	assert.Equal(t, "cuda", b, why)
	assert.Equal(t, 1024, cuda.BatchSize, "one batch holds them all")

	// A network per variant: the device builds the 1024 networks (its
	// initialisation kernels), so the sweep goes to the GPU as well.
	own, err := sweep.NewPlan("cuba_own.yaml", []byte(string(data)+"sweep:\n  grid:\n    synapses.EE.weight_update.vars.g: {linspace: [0.06, 0.1, 1024]}\n"))
	require.NoError(t, err)
	require.Len(t, own.Groups, 1)
	cpuOwn, cudaOwn := sweep.EstimateCPU(own.Groups[0], 1024, node, true), sweep.EstimateCUDA(own.Groups[0], 1024, 0, node, true)
	b, why = sweep.Choose(cpuOwn, cudaOwn)
	assert.Equal(t, "cuda", b, why)
	assert.Greater(t, cudaOwn.Setup, cuda.Setup, "building 1024 networks takes longer than one")

	for _, m := range []sweep.Machine{{CPUSlots: 16}, {CPUSlots: 16, GPUs: node.GPUs, NVCC: assert.AnError}} {
		b, why = sweep.Choose(sweep.EstimateCPU(g, 1024, m, false), sweep.EstimateCUDA(g, 1024, 0, m, false))
		assert.Equal(t, "cpu", b)
		assert.Regexp(t, "no CUDA GPU|no nvcc", why)
	}
}

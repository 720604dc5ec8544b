package gpu

import (
	"os"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const smiFixture = `0, GPU-5b1c1e2a-aaaa-bbbb-cccc-000000000000, NVIDIA H100 80GB HBM3, 81559, 81000, 9.0, 550.54.15
1, GPU-7d2e0f11-aaaa-bbbb-cccc-111111111111, NVIDIA A100-SXM4-40GB, 40960, 40000, 8.0, 550.54.15
`

func TestParseNvidiaSMI(t *testing.T) {
	gpus, err := parseNvidiaSMI(smiFixture)
	require.NoError(t, err)
	require.Len(t, gpus, 2)
	assert.Equal(t, GPU{Index: 0, UUID: "GPU-5b1c1e2a-aaaa-bbbb-cccc-000000000000", Name: "NVIDIA H100 80GB HBM3",
		MemoryMiB: 81559, FreeMiB: 81000, ComputeCapability: "9.0", Driver: "550.54.15"}, gpus[0])
	assert.Equal(t, []string{"80", "90"}, CUDAArchs(gpus))
	_, err = parseNvidiaSMI("garbage line\n")
	assert.Error(t, err)
}

// CUDA_VISIBLE_DEVICES: order kept, UUID prefixes accepted, the list ends at
// the first entry naming no device, an empty value hides all.
func TestVisibleGPUs(t *testing.T) {
	gpus, err := parseNvidiaSMI(smiFixture)
	require.NoError(t, err)
	names := func(gs []GPU) []int {
		var out []int
		for _, g := range gs {
			out = append(out, g.Index)
		}
		return out
	}
	assert.Equal(t, []int{0, 1}, names(VisibleGPUs(gpus, "", false)))
	assert.Empty(t, VisibleGPUs(gpus, "", true))
	assert.Equal(t, []int{1, 0}, names(VisibleGPUs(gpus, "1,0", true)))
	assert.Equal(t, []int{1}, names(VisibleGPUs(gpus, "GPU-7d2e", true)))
	assert.Equal(t, []int{0}, names(VisibleGPUs(gpus, "0,7,1", true)))
	assert.Empty(t, VisibleGPUs(gpus, "-1", true))
}

// nvcc builds a CUDA module through the same cache as the C compiler; on a
// machine with a GPU the module also runs and gives the toy's spikes.
func TestCUDAToyModule(t *testing.T) {
	tc, err := DetectNVCC([]string{"80", "90"})
	if err != nil {
		t.Skipf("no nvcc here: %v", err)
	}
	assert.Contains(t, tc.Arch, "cuda-sm_80,90")
	src, err := os.ReadFile("testdata/toy_cuda.cu")
	require.NoError(t, err)
	c, err := OpenCache(t.TempDir())
	require.NoError(t, err)
	res, err := c.Build(map[string]string{"gn_abi.h": codegen.ABIHeader, "module.cu": string(src)}, tc)
	require.NoError(t, err, "nvcc must compile the CUDA toy module")
	assert.FileExists(t, res.ModulePath)
	again, err := c.Build(map[string]string{"gn_abi.h": codegen.ABIHeader, "module.cu": string(src)}, tc)
	require.NoError(t, err)
	assert.True(t, again.Hit)

	gpus, err := DiscoverGPUs()
	require.NoError(t, err)
	if len(gpus) == 0 {
		t.Skip("compiled with nvcc; no CUDA GPU here to run it")
	}
	m, err := Load(res.ModulePath)
	require.NoError(t, err)
	defer m.Close()
	offsets := []int{0, 2, 5}
	in, err := m.Create(len(offsets), seedsFor(len(offsets)), toyRuntime(offsets, 0, 0))
	require.NoError(t, err)
	defer in.Close()
	require.NoError(t, in.Init())
	require.NoError(t, in.Step(50))
	var got SpikeBuffer
	_, err = in.DrainSpikes(&got)
	require.NoError(t, err)
	assert.Equal(t, expectedSpikes(offsets, 50), got)
}

// Without --cuda-arch or a GPU, nvcc builds for DefaultCUDAArchs less those
// it cannot build (CUDA 13 dropped Pascal and Volta), sorted by number.
func TestDefaultCUDAArchsFollowNVCC(t *testing.T) {
	dir := t.TempDir()
	fake := dir + "/nvcc"
	require.NoError(t, os.WriteFile(fake, []byte(`#!/bin/sh
case "$1" in
--version) echo "Cuda compilation tools, release 13.0, V13.0.88" ;;
--list-gpu-code) printf 'sm_75\nsm_80\nsm_86\nsm_87\nsm_88\nsm_89\nsm_90\nsm_100\nsm_110\nsm_120\n' ;;
esac
`), 0o755))
	t.Setenv("NVCC", fake)
	for _, archs := range [][]string{nil, {DefaultArchs}} {
		tc, err := DetectNVCC(archs)
		require.NoError(t, err)
		assert.Contains(t, tc.Version, "release 13.0")
		assert.Equal(t, HostArch()+"/cuda-sm_75,80,86,89,90,100,120", tc.Arch)
		assert.Contains(t, tc.Flags, "arch=compute_120,code=compute_120", "PTX for the newest")
		assert.NotContains(t, tc.Flags, "arch=compute_70,code=sm_70")
	}
	tc, err := DetectNVCC([]string{"90", "100", "80"})
	require.NoError(t, err)
	assert.Equal(t, HostArch()+"/cuda-sm_80,90,100", tc.Arch, "explicit architectures, sorted by number")
}

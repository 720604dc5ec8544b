package gpu

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// DefaultCUDAArchs are the architectures a CUDA module is built for when
// neither --cuda-arch nor a visible GPU says otherwise (or --cuda-arch
// says DefaultArchs): Pascal to Blackwell, less those the nvcc at hand
// cannot build (CUDA 11.8 stops at 90, CUDA 13 starts at 75).
var DefaultCUDAArchs = []string{"60", "70", "75", "80", "86", "89", "90", "100", "120"}

// DefaultArchs, as the only --cuda-arch, names DefaultCUDAArchs: a Slurm
// prebuild on a node without a GPU and the tasks on GPU nodes then build
// the same module with the same nvcc.
const DefaultArchs = "default"

// sortArchs sorts architectures by number ("90" before "100").
func sortArchs(archs []string) []string {
	out := slices.Clone(archs)
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return slices.Compact(out)
}

// nvccDefaultArchs is DefaultCUDAArchs less the architectures that
// `nvcc --list-gpu-code` does not list (all of them when it fails).
func nvccDefaultArchs(nvcc string) []string {
	out, err := exec.Command(nvcc, "--list-gpu-code").Output()
	if err != nil {
		return DefaultCUDAArchs
	}
	supported := strings.Fields(string(out))
	var archs []string
	for _, a := range DefaultCUDAArchs {
		if slices.Contains(supported, "sm_"+a) {
			archs = append(archs, a)
		}
	}
	if len(archs) == 0 {
		return DefaultCUDAArchs
	}
	return archs
}

// CUDAArchs returns the distinct architectures of gpus (e.g. "80", "90"),
// sorted; a cluster with mixed GPUs gets one fat binary for all of them.
func CUDAArchs(gpus []GPU) []string {
	var out []string
	for _, g := range gpus {
		if a := g.SMArch(); a != "" {
			out = append(out, a)
		}
	}
	return sortArchs(out)
}

// DetectNVCC finds nvcc ($NVCC, else nvcc on PATH) and returns a toolchain
// that builds a shared library for the given architectures (SASS for each,
// plus PTX for the newest so later GPUs can JIT it). The architectures are
// part of Arch and therefore of the module cache key.
func DetectNVCC(archs []string) (Toolchain, error) {
	cc := os.Getenv("NVCC")
	if cc == "" {
		cc = "nvcc"
	}
	path, err := exec.LookPath(cc)
	if err != nil {
		return Toolchain{}, fmt.Errorf("gpu: nvcc not found (install the CUDA toolkit or set $NVCC): %w", err)
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		return Toolchain{}, fmt.Errorf("gpu: %s --version failed: %v: %s", cc, err, strings.TrimSpace(string(out)))
	}
	if len(archs) == 0 || (len(archs) == 1 && archs[0] == DefaultArchs) {
		archs = nvccDefaultArchs(path)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	version := strings.TrimSpace(lines[len(lines)-1])
	for _, l := range lines {
		if strings.Contains(l, "release") {
			version = strings.TrimSpace(l)
		}
	}
	// -fmad=false and the host flags keep floating point as the CPU
	// backend computes it (no contraction into FMA; see DefaultCFlags).
	flags := []string{"-O3", "-shared", "-fmad=false", "-Xcompiler", "-fPIC,-ffp-contract=off,-fno-math-errno,-fno-trapping-math", "-std=c++14"}
	sorted := sortArchs(archs)
	for _, a := range sorted {
		flags = append(flags, "-gencode", "arch=compute_"+a+",code=sm_"+a)
	}
	newest := sorted[len(sorted)-1]
	flags = append(flags, "-gencode", "arch=compute_"+newest+",code=compute_"+newest)
	return Toolchain{CC: cc, Path: path, Version: version, Flags: flags, Libs: []string{"-lm"},
		Arch: HostArch() + "/cuda-sm_" + strings.Join(sorted, ",")}, nil
}

// CUDAEmulationToolchain builds a CUDA module with the host compiler ($CC,
// else cc) instead of nvcc: module.c as C, module.cu as C++ with
// -DGN_CUDA_EMULATION, which replaces the CUDA runtime by
// codegen/cuda.EmulationHeader (kernels run thread by thread on the host).
// Tests use it to run the CUDA generator's output without a GPU.
func CUDAEmulationToolchain() (Toolchain, error) {
	tc, err := DetectCC()
	if err != nil {
		return Toolchain{}, err
	}
	tc.Flags = []string{"-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-DGN_CUDA_EMULATION"}
	tc.Libs = []string{"-lstdc++", "-lm"}
	tc.CUDAEmulation = true
	tc.Arch = HostArch() + "/cuda-emulation"
	return tc, nil
}

// CUDAEmulationEnv, set to 1, runs CUDA modules without a GPU: CUDAToolchain
// compiles them with CUDAEmulationToolchain and ComputeGPUs reports one
// emulated device. Kernels then run thread by thread on the CPU, much
// slower than the cpu backend: it is for testing the CUDA code path, and a
// model's CUDA code, on machines without a GPU.
const CUDAEmulationEnv = "GENNCTL_CUDA_EMULATION"

// EmulatingCUDA reports whether CUDAEmulationEnv is set to 1.
func EmulatingCUDA() bool { return os.Getenv(CUDAEmulationEnv) == "1" }

// EmulatedGPU is the one device of an emulated CUDA run.
var EmulatedGPU = GPU{UUID: "emulated", Name: "CUDA emulation on the host CPU", MemoryMiB: 1024, FreeMiB: 1024}

// ComputeGPUs are the devices CUDA modules run on: DiscoverGPUs, or
// EmulatedGPU when emulating.
func ComputeGPUs() ([]GPU, error) {
	if EmulatingCUDA() {
		return []GPU{EmulatedGPU}, nil
	}
	return DiscoverGPUs()
}

// CUDAToolchain builds CUDA modules: nvcc for archs (default: the visible
// GPUs' architectures, else DefaultCUDAArchs), or the host compiler when
// emulating.
func CUDAToolchain(archs []string) (Toolchain, error) {
	if EmulatingCUDA() {
		return CUDAEmulationToolchain()
	}
	if len(archs) == 0 {
		gpus, err := DiscoverGPUs()
		if err != nil {
			return Toolchain{}, err
		}
		archs = CUDAArchs(gpus)
	}
	return DetectNVCC(archs)
}

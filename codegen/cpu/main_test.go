package cpu_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/gennctl/gennctl/gpu"
)

// TestMain runs this package's feature tests on the CPU backend and then,
// in a child process of this test binary with the same arguments, on each
// other backend available here: cuda-emu always (the CUDA generator's
// output with kernels emulated on the host), and with nvcc cuda (built and
// run on the GPU) or, without a GPU, cuda-build (built only). Set
// GENNCTL_TEST_BACKEND to run one backend only.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv("GENNCTL_TEST_BACKEND") != "" {
		os.Exit(code)
	}
	backends := []string{"cuda-emu"}
	if _, err := gpu.DetectNVCC(nil); err == nil {
		if gpus, _ := gpu.DiscoverGPUs(); len(gpus) > 0 {
			backends = append(backends, "cuda")
		} else {
			backends = append(backends, "cuda-build")
		}
	}
	for _, b := range backends {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GENNCTL_TEST_BACKEND="+b)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		fmt.Printf("=== the same tests on the %s backend\n", b)
		if err := cmd.Run(); err != nil {
			fmt.Printf("--- FAIL: the %s backend: %v\n", b, err)
			code = 1
		}
	}
	os.Exit(code)
}

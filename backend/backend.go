// Package backend is the registry of gennctl's backends: for each its name,
// code generator and compiler, and whether modules of it can run here. The
// sweep, the build command and the Go API look backends up here instead of
// switching on their names.
package backend

import (
	"fmt"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/codegen/cuda"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// Backend is one backend.
type Backend struct {
	Name string
	// Generate is the backend's code generator: a pure function from a
	// network and the planner's options to the module's files.
	Generate func(*modelspec.Network, codegen.Options) (codegen.Files, error)
	// Toolchain finds the compiler of the backend's modules; cudaArchs
	// names the GPU architectures of a CUDA fat binary (nil: those of the
	// visible GPUs, else gpu.DefaultCUDAArchs as far as nvcc builds them).
	Toolchain func(cudaArchs []string) (gpu.Toolchain, error)
	// Runnable says why the backend's modules cannot run here (nil: they
	// can). Building needs only the toolchain.
	Runnable func() error
}

var registry = []Backend{
	{Name: "cpu", Generate: cpu.Generate,
		Toolchain: func([]string) (gpu.Toolchain, error) { return gpu.DetectCC() },
		Runnable:  func() error { return nil }},
	{Name: "cuda", Generate: cuda.Generate, Toolchain: gpu.CUDAToolchain, Runnable: cudaRunnable},
}

// cudaRunnable: a CUDA module runs where a GPU is visible, or in emulation.
func cudaRunnable() error {
	gpus, err := gpu.ComputeGPUs()
	if err != nil {
		return err
	}
	if len(gpus) == 0 {
		return fmt.Errorf("backend cuda: no CUDA GPU is visible here (nvidia-smi finds none, or CUDA_VISIBLE_DEVICES hides them; set %s=1 to emulate one)", gpu.CUDAEmulationEnv)
	}
	return nil
}

// Lookup returns the backend of a name.
func Lookup(name string) (Backend, error) {
	for _, b := range registry {
		if b.Name == name {
			return b, nil
		}
	}
	return Backend{}, fmt.Errorf("unknown backend %q (want %s)", name, strings.Join(Names(), " or "))
}

// Names lists the backends, in the registry's order.
func Names() []string {
	var out []string
	for _, b := range registry {
		out = append(out, b.Name)
	}
	return out
}

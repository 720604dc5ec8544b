// Package cuda is the CUDA backend's code generator: the module of a
// network as CUDA C++ with the same ABI as the CPU backend's, so that
// workers and the orchestrator do not care which backend ran.
//
// It is the C generator of package cpu (the same validated model, the same
// substitution of code strings, the same per-element code) with the time
// step moved into kernels: see the comment at the top of codegen/cpu/cuda.go
// for the layout (host part in module.c, kernels in module.cu), the
// postsynaptic-span synapse kernels that keep sums in the CPU's order, and
// where the two backends can differ (device math functions, procedural
// connectivity's atomics).
//
// Build the files with nvcc (gpu.DetectNVCC: a fat binary for the given
// architectures) or, to run the generated code without a GPU, with the host
// compiler (gpu.CUDAEmulationToolchain).
package cuda

import (
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/modelspec"
)

// File names of a generated CUDA module.
const (
	ModuleFile = cpu.CUDAModuleFile // kernels and device memory (CUDA C++)
	HostFile   = cpu.ModuleFile     // host part (C)
	HeaderFile = cpu.CUDAHeaderFile // the context, shared by both
)

// Generate returns the files of the CUDA module of net; it is pure and
// deterministic, like cpu.Generate.
func Generate(net *modelspec.Network, opts codegen.Options) (codegen.Files, error) {
	return cpu.GenerateCUDA(net, opts)
}

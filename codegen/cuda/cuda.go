// Package cuda is the CUDA backend's code generator: the module of a
// network as CUDA C++ with the same ABI as the CPU backend's, so that
// workers and the orchestrator do not care which backend ran. The shared
// parts (layout, per-element code, initialisation, the ABI's host
// functions) come from the generator core, package codegen; this package
// writes the kernels, their launches, the device memory and the step loop.
//
// The files:
//
//   - gn_module.h: the context (struct gn_ctx), shared by both other files.
//   - module.c: the host part, compiled as C exactly as in a CPU module:
//     gn_create, the initialisation the device does not do (tables of
//     values, a custom snippet's host_init_code, the connectivity of a
//     group with such a variable; see init.go and connectivity.go),
//     gn_get_var/gn_set_var, extra global
//     parameters, the spike queue. It calls the gn_dev_* functions of
//     module.cu to mirror state on the device.
//   - module.cu: the kernels and the device side of the context. The
//     device holds a copy of every state array and arrays of its own
//     (spike bits, input bins, the recording buffer); the host copy is
//     refreshed only when gn_get_var asks for it. Its initialisation
//     kernels build sparse and bitmask connectivity and initialise
//     variables from the host's random streams, so a variant starts from
//     the same state on either backend.
//
// A time step is at most four launches, whatever the size of the network:
// synapse dynamics, presynaptic update, postsynaptic learning (each only if
// some group has such code) and the neuron update. Each kernel is fused
// over the groups of its kind: its blocks are split into one range per
// population or synapse group (a start table computed when the context is
// created, from block sizes chosen by the occupancy calculator), and a
// block runs the code of its group. blockIdx.y is the variant.
//
// Spikes of every population are a bitmask per delay slot (a ring of
// delay slots + 2, so that the neuron kernel can clear the next step's
// slot while any step's reader is done with it). The presynaptic update of
// a group reads the source's bitmask for the step delay_steps+1 ago and
// stages the spiking neurons in shared memory, in increasing order, then
// runs one of three strategies (the presynaptic types of presynaptic.go):
//
//   - rowScatter (sparse groups whose sim code only adds input): threads
//     take the row elements of the staged spikes, and each synaptic event
//     goes into a per-target bin (an integer atomic counts it). The neuron
//     kernel sorts a neuron's bin by synapse and adds it in that order,
//     which is the CPU's order; a bin that overflowed is recomputed from the
//     column index instead. Work is in proportion to the synaptic events,
//     and results are the CPU's bit for bit, run after run.
//   - targetPull (dense and bitmask matrices, and sparse groups whose code
//     does more than add input, e.g. plasticity): one thread per target
//     neuron runs the code for the synapses from each staged spike in
//     order (sparse: found by bisection of the target's column), so sums
//     come in the CPU's order and per-synapse state has one writer.
//   - rowPerSpike (procedural matrices, which have no columns, and span:
//     presynaptic): one thread per presynaptic neuron walks (or
//     regenerates) its row if it spiked and adds with atomicAdd; these sums
//     depend on thread order in the last bits.
//
// Presynaptic output ($(addToPre, x)) is an atomicAdd into the source's
// revInSyn in every strategy and kernel, as in GeNN, so its float sums
// depend on thread order in the last bits too. Spike-like events are a
// bitmask ring per group like the spikes'; a population whose events of
// the previous step $(prev_seT_pre) needs keeps the neurons with any of
// them in one more ring (evAnyBits). gn_current_spikes and
// gn_set_current_spikes copy the last step's slot of a spike ring.
//
// Custom updates whose elements are independent run as kernels of a thread
// per element (customupdate.go); the others in module.c, on the host's copy
// of the arrays they touch.
//
// Nothing in the step loop waits for the device: recorded spikes (and
// spike-like events) are set as bits in a device buffer of a window of
// steps, which a drain compacts on the device into the CPU's order (step,
// population, variant, neuron) and copies out; the NaN/inf check is a kernel whose result is read when the
// worker asks (gn_find_nonfinite).
//
// Three step modes (GENNCTL_CUDA_STEP; by default persistent when the
// batch has at least two variants per multiprocessor, else graphs): graphs
// runs chunks of GENNCTL_CUDA_GRAPH_STEPS steps (default 64) as one CUDA
// graph; launches enqueues every kernel of every step; persistent runs up
// to a recording window of steps as one kernel of one block per variant
// (gn_persistent), which makes no launch per step.
//
// Random numbers come from the same Philox streams (counter-based, so the
// order threads draw in does not matter). Math functions of a float are the
// float functions on both (CUDA's C++ overloads; tgmath.h in module.c), but
// device math functions (libdevice) may differ from glibc's in the last
// bit: models whose code calls such functions agree with the CPU
// statistically, pure arithmetic exactly (nvcc is run with -fmad=false,
// like -ffp-contract=off on the CPU). Connectivity code's log, exp and pow
// (codegen.ConnMath) and the float models' normal and exponential draws use
// the runtime's own functions, the same bits on both.
//
// Build the files with nvcc (gpu.DetectNVCC: a fat binary for the given
// architectures) or, to run the generated code without a GPU, with the host
// compiler (gpu.CUDAEmulationToolchain).
package cuda

import (
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// File names of a CUDA module.
const (
	ModuleFile = "module.cu"        // kernels and device memory (CUDA C++)
	HostFile   = codegen.ModuleFile // host part (C)
	HeaderFile = "gn_module.h"      // the context, shared by both
	EmuFile    = "gn_cuda_emu.h"    // the CUDA runtime's emulation (GN_CUDA_EMULATION)
)

// Limits of the generated kernels.
const (
	maxBlock     = 256  // threads per block at most (shared arrays are sized for it)
	stageWords   = 1024 // bitmask words staged in shared memory at once (32768 neurons)
	stageSpikes  = 1024 // spikes staged at once
	scatterWords = 8    // bitmask words (256 neurons) per block of a rowScatter group
	maxBin       = 16   // synaptic events per target neuron and step a bin holds
)

// gen is the CUDA backend of one generation.
type gen struct {
	*codegen.Generator
	// pre is the presynaptic strategy of each group with sim or event code.
	pre map[*modelspec.SynapseGroup]presynaptic
	// kernels of the time step, in order (see stepKernels).
	kernels []*kernel
	// onDevice: the groups whose connectivity the device builds (see
	// ConnectivityOnDevice), decided once.
	onDevice map[*modelspec.SynapseGroup]bool
}

// Generate returns the files of the CUDA module of net; it is pure and
// deterministic, like cpu.Generate.
func Generate(net *modelspec.Network, opts codegen.Options) (codegen.Files, error) {
	c := &gen{pre: map[*modelspec.SynapseGroup]presynaptic{}}
	for _, s := range net.Synapses {
		if p := choosePresynaptic(s); p != nil {
			c.pre[s] = p
		}
	}
	if _, err := codegen.New(net, opts, func(g *codegen.Generator) codegen.Backend {
		c.Generator = g
		return c
	}); err != nil {
		return nil, err
	}
	files := codegen.Files{"gn_abi.h": codegen.ABIHeader, "gn_runtime.h": codegen.RuntimeHeader, EmuFile: EmulationHeader}
	if err := c.emit(files); err != nil {
		return nil, err
	}
	return files, nil
}

// emit writes the three generated files of a CUDA module.
func (g *gen) emit(files codegen.Files) error {
	comment := func(part string) {
		// The network's name is left out, as from the whole module, so
		// that sweeps that differ only in name share the cached module.
		g.W.Line("/* Generated by gennctl (%s): CUDA backend, %s precision; %s.", codegen.Version, g.Prec, part)
		g.W.Line("   Do not edit: regenerate from the experiment file instead. */")
	}
	if err := g.planKernels(); err != nil {
		return err
	}

	// gn_module.h
	g.W, g.File = &codegen.Writer{}, HeaderFile
	w := g.W
	comment("the context, shared by module.c and module.cu")
	w.Line("#ifndef GN_MODULE_H")
	w.Line("#define GN_MODULE_H")
	w.Line("#ifdef __cplusplus")
	w.Line("extern \"C\" {")
	w.Line("#endif")
	w.Line("#include \"gn_abi.h\"")
	g.EmitTypes(true)
	w.Line("")
	g.EmitContext()
	w.Line("/* module.cu: the device side of a context */")
	w.Line("int gn_dev_create(gn_ctx *ctx);")
	w.Line("void gn_dev_destroy(gn_ctx *ctx);")
	w.Line("int gn_dev_upload(gn_ctx *ctx);                 /* every array to the device (gn_init) */")
	w.Line("int gn_dev_get(gn_ctx *ctx, uint32_t array);     /* one array from the device */")
	w.Line("int gn_dev_put(gn_ctx *ctx, uint32_t array);     /* one array to the device */")
	w.Line("int gn_dev_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant);")
	w.Line("int gn_dev_step(gn_ctx *ctx, uint32_t n);")
	w.Line("int gn_dev_fetch_spikes(gn_ctx *ctx);            /* recorded spikes into the host queue */")
	w.Line("int gn_dev_spike_words(gn_ctx *ctx, uint32_t pop, size_t first, size_t n, uint32_t *words, int put); /* part of a spike bit ring */")
	w.Line("int gn_dev_find_nonfinite(gn_ctx *ctx, uint32_t *first);")
	w.Line("int gn_dev_custom_update(gn_ctx *ctx, uint32_t group, uint32_t lo, uint32_t hi); /* an update group's custom updates */")
	w.Line("#ifdef __cplusplus")
	w.Line("}")
	w.Line("#endif")
	w.Line("#endif")
	files[HeaderFile] = w.String()

	// module.c
	g.W, g.File = &codegen.Writer{}, HostFile
	w = g.W
	comment("host part")
	for _, h := range []string{"<math.h>", "<stdbool.h> /* GeNN code is C++: true, false, bool */", "<stdio.h>", "<stdlib.h>", "<string.h>", "\"gn_module.h\"", "\"gn_runtime.h\""} {
		w.Line("#include %s", h)
	}
	w.Line("")
	g.EmitEGPs()
	g.EmitHelpers()
	if err := g.EmitInit(); err != nil {
		return err
	}
	if err := g.EmitABI(); err != nil {
		return err
	}
	files[HostFile] = w.String()

	// module.cu
	g.W, g.File = &codegen.Writer{}, ModuleFile
	w = g.W
	comment("kernels and device memory")
	w.Line("#include <stdio.h>")
	w.Line("#include <stdlib.h>")
	w.Line("#include <string.h>")
	w.Line("#ifdef GN_CUDA_EMULATION")
	w.Line("#include \"%s\" /* compiled by the host C++ compiler for tests without a GPU */", EmuFile)
	w.Line("#else")
	w.Line("#include <cuda_runtime.h>")
	w.Line("#define GN_LAUNCH(kernel, grid, block, stream) kernel<<<grid, block, 0, stream>>>")
	w.Line("#define GN_LAUNCH_SYNC(kernel, grid, block, stream) kernel<<<grid, block, 0, stream>>>")
	w.Line("#endif")
	w.Line("#define restrict __restrict__")
	w.Line("#define GN_FN static inline __host__ __device__")
	w.Line("#define SUPPORT_CODE_FUNC __host__ __device__ inline /* as in GeNN: support code callable from kernels */")
	w.Line("#include \"gn_module.h\"")
	w.Line("#include \"gn_runtime.h\"")
	w.Line("")
	w.Line("#define GN_MAX_BLOCK %d     /* threads per block at most */", maxBlock)
	w.Line("#define GN_STAGE_WORDS %d /* spike bitmask words staged at once */", stageWords)
	w.Line("#define GN_STAGE_SPIKES %d /* spikes staged at once */", stageSpikes)
	w.Line("#define GN_INIT_BLOCK %d    /* threads per block of the initialisation and custom update kernels */", initBlock)
	w.Line("")
	g.EmitSupportCode("")
	g.emitStaging()
	for _, k := range g.kernels {
		if err := k.emit(g); err != nil {
			return err
		}
	}
	g.emitPersistent()
	g.emitCUDAErrors()
	g.emitFiniteKernel()
	g.emitRecordingKernels()
	if err := g.emitConnectivityKernels(); err != nil {
		return err
	}
	if err := g.emitInitKernels(); err != nil {
		return err
	}
	if err := g.emitCustomUpdateKernels(); err != nil {
		return err
	}
	g.emitDeviceGlue()
	files[ModuleFile] = w.String()
	return nil
}

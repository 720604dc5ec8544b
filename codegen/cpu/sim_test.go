package cpu_test

// Test helpers: YAML text → validated network → generated C → module built
// with the real C compiler into a per-test cache (t.TempDir) → loaded in
// process → instance created and initialised.

import (
	"os"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/codegen/cuda"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// yamlFile is the file name test documents are decoded under; it appears in
// diagnostics and #line directives.
const yamlFile = "model.yaml"

// decode parses and validates a YAML experiment document.
func decode(t testing.TB, doc string) *modelspec.Network {
	t.Helper()
	root, err := modelspec.Parse(yamlFile, []byte(doc))
	require.NoError(t, err)
	net, err := modelspec.Decode(yamlFile, []byte(doc), root)
	require.NoError(t, err)
	return net
}

// testBackend is the backend the feature tests of this package run on:
// GENNCTL_TEST_BACKEND=cpu (the default), cuda-emu (the CUDA generator's
// output compiled by the host compiler, kernels emulated thread by thread;
// see codegen/cuda.EmulationHeader), cuda-build (compiled by nvcc, not run:
// a machine with nvcc and no GPU) or cuda (nvcc and a GPU). The same test
// list therefore checks every backend (see TestMain).
var testBackend = func() string {
	if b := os.Getenv("GENNCTL_TEST_BACKEND"); b != "" {
		return b
	}
	return "cpu"
}()

// atomicSums: on the CUDA backend, presynaptic-span and procedural groups
// add with atomicAdd, so their sums come in thread order and may differ in
// the last bits from the CPU's (on a GPU from run to run; in the emulation
// the persistent step mode runs a block's threads in another order than a
// grid of blocks).
var atomicSums = testBackend == "cuda" || testBackend == "cuda-emu"

// assertSums checks values that sum synaptic input: exactly, or where
// atomicSums, to a relative 1e-12 (double precision; the order of a few
// hundred terms moves only the last bits).
func assertSums(t testing.TB, want, got []float64, msg string, args ...any) {
	t.Helper()
	if !atomicSums {
		assert.Equal(t, want, got, append([]any{msg}, args...)...)
		return
	}
	assert.InEpsilonSlice(t, want, got, 1e-12, append([]any{msg}, args...)...)
}

// cpuOnly skips a test that checks the CPU backend's generated text.
func cpuOnly(t testing.TB) {
	t.Helper()
	if testBackend != "cpu" {
		t.Skipf("checks the CPU backend's source; running the %s backend", testBackend)
	}
}

// generate decodes doc and generates the module source for testBackend.
func generate(t testing.TB, doc string, opts codegen.Options) (*modelspec.Network, codegen.Files) {
	t.Helper()
	net := decode(t, doc)
	gen := cpu.Generate
	if testBackend != "cpu" {
		gen = cuda.Generate
	}
	files, err := gen(net, opts)
	skipUnsupported(t, err)
	require.NoError(t, err)
	require.Contains(t, files, cpu.ModuleFile)
	return net, files
}

// skipUnsupported skips a test whose model uses a feature the backend under
// test does not generate yet (codegen.Feature): the CPU backend has them
// all, so only the other backends skip, with the generator's message.
func skipUnsupported(t testing.TB, err error) {
	t.Helper()
	if err != nil && testBackend != "cpu" && strings.Contains(err.Error(), "backend yet") {
		t.Skipf("the %s backend: %v", testBackend, err)
	}
}

// toolchain returns the compiler of testBackend or skips the test.
func toolchain(t testing.TB) gpu.Toolchain {
	t.Helper()
	var tc gpu.Toolchain
	var err error
	switch testBackend {
	case "cpu":
		tc, err = gpu.DetectCC()
	case "cuda-emu":
		tc, err = gpu.CUDAEmulationToolchain()
	case "cuda-build":
		tc, err = gpu.DetectNVCC([]string{cudaBuildArch})
	case "cuda":
		gpus, gerr := gpu.DiscoverGPUs()
		if len(gpus) == 0 {
			t.Skipf("GENNCTL_TEST_BACKEND=cuda: no CUDA GPU here (%v)", gerr)
		}
		tc, err = gpu.DetectNVCC(gpu.CUDAArchs(gpus))
	default:
		t.Fatalf("GENNCTL_TEST_BACKEND=%q: want cpu, cuda-emu, cuda-build or cuda", testBackend)
	}
	if err != nil {
		t.Skipf("no compiler for the %s backend: %v", testBackend, err)
	}
	return tc
}

// buildFiles compiles files into a fresh cache under t.TempDir.
func buildFiles(t testing.TB, files codegen.Files) (gpu.BuildResult, error) {
	t.Helper()
	tc := toolchain(t)
	c, err := gpu.OpenCache(t.TempDir())
	require.NoError(t, err)
	return c.Build(files, tc)
}

// cudaBuildArch is the one architecture cuda-build compiles for (one is
// enough to check the code; a fat binary takes several times as long).
const cudaBuildArch = "75" // the oldest that CUDA 11.8 to 13 all build

// loadFiles builds and loads files; the module is closed at the end of the test.
func loadFiles(t testing.TB, files codegen.Files) *gpu.Module {
	t.Helper()
	res, err := buildFiles(t, files)
	require.NoError(t, err)
	if testBackend == "cuda-build" {
		t.Skip("compiled with nvcc; no GPU here to run it")
	}
	m, err := gpu.Load(res.ModulePath)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// buildModule generates, compiles and loads doc.
func buildModule(t testing.TB, doc string, opts codegen.Options) *gpu.Module {
	t.Helper()
	_, files := generate(t, doc, opts)
	return loadFiles(t, files)
}

// sim is an initialised instance of a module.
type sim struct {
	t    testing.TB
	mod  *gpu.Module
	inst *gpu.Instance
	desc codegen.Description
}

// newInstance creates and initialises an instance of m; runtime has
// batch*len(Runtime) values (nil when there are none).
func newInstance(t testing.TB, m *gpu.Module, seeds []uint64, runtime []float64) *sim {
	t.Helper()
	if runtime == nil {
		runtime = []float64{}
	}
	inst, err := m.Create(len(seeds), seeds, runtime)
	require.NoError(t, err)
	t.Cleanup(inst.Close)
	require.NoError(t, inst.Init())
	d, err := m.Description()
	require.NoError(t, err)
	return &sim{t: t, mod: m, inst: inst, desc: d}
}

// eachArray calls f with every array (want: a's, got: b's) of each of the
// first variants variants of a and b, instances of modules with a's
// description.
func eachArray(t testing.TB, a, b *sim, variants int, f func(v codegen.VarDesc, variant int, want, got []float64)) {
	t.Helper()
	for i, v := range a.desc.Vars {
		for variant := 0; variant < variants; variant++ {
			want, err := a.inst.GetVar(i, variant)
			require.NoError(t, err)
			got, err := b.inst.GetVar(i, variant)
			require.NoError(t, err)
			f(v, variant, want, got)
		}
	}
}

// newSim builds doc and returns an initialised instance of batch len(seeds).
func newSim(t testing.TB, doc string, opts codegen.Options, seeds []uint64, runtime []float64) *sim {
	t.Helper()
	return newInstance(t, buildModule(t, doc, opts), seeds, runtime)
}

// step advances n time steps.
func (s *sim) step(n int) {
	s.t.Helper()
	require.NoError(s.t, s.inst.Step(uint32(n)))
}

// spikes drains every recorded spike.
func (s *sim) spikes() gpu.SpikeBuffer {
	s.t.Helper()
	var b gpu.SpikeBuffer
	_, err := s.inst.DrainSpikes(&b)
	require.NoError(s.t, err)
	return b
}

// varIndex finds a variable by owner and name, failing the test if absent.
func (s *sim) varIndex(owner, name string) int {
	s.t.Helper()
	i := s.mod.VarIndex(owner, name)
	require.GreaterOrEqual(s.t, i, 0, "no variable %s.%s in %s", owner, name, s.mod.DescriptionJSON())
	return i
}

// get reads variable owner.name of one variant.
func (s *sim) get(owner, name string, variant int) []float64 {
	s.t.Helper()
	v, err := s.inst.GetVar(s.varIndex(owner, name), variant)
	require.NoError(s.t, err)
	return v
}

// set writes variable owner.name of one variant.
func (s *sim) set(owner, name string, variant int, vals []float64) {
	s.t.Helper()
	require.NoError(s.t, s.inst.SetVar(s.varIndex(owner, name), variant, vals))
}

// popIndex is the index of population name in the description.
func (s *sim) popIndex(name string) uint32 {
	s.t.Helper()
	for i, p := range s.desc.Populations {
		if p.Name == name {
			return uint32(i)
		}
	}
	s.t.Fatalf("no population %s", name)
	return 0
}

// spike is one recorded spike.
type spike struct {
	Pop, Variant, Neuron, Step uint32
}

// list turns a spike buffer into a slice of spikes.
func list(b gpu.SpikeBuffer) []spike {
	out := make([]spike, b.Len())
	for i := range out {
		out[i] = spike{b.Pop[i], b.Variant[i], b.Neuron[i], b.Step[i]}
	}
	return out
}

// ofVariant keeps the spikes of one variant (of any population) and sets
// their Variant field to 0, for comparing runs with different batches.
func ofVariant(sp []spike, variant uint32) []spike {
	var out []spike
	for _, s := range sp {
		if s.Variant == variant {
			s.Variant = 0
			out = append(out, s)
		}
	}
	return out
}

package cpu_test

import (
	"fmt"
	"math"
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

// deviceInitDoc is a float network whose connectivity and variables the
// CUDA backend builds on the device: FixedProbability (its skip draws call
// log on a float uniform), FixedNumberPostWithReplacement,
// FixedNumberPreWithReplacement (built by columns),
// FixedNumberTotalWithReplacement (a split over the rows first), a bitmask, STDP with a column index
// (learn_post_code), a group whose weights are a table of values (IIa: its
// connectivity stays on the host, which reads its rows to place them),
// variables drawn from Normal, NormalClipped (redrawing half of the time),
// Uniform, Exponential, Gamma and Binomial snippets, a snippet that draws a
// uniform before its normal, and one that shows whether log of a
// float computes in float, as in GeNN's C++ (H's logError is 0), or in
// double, as in plain C (logf's rounding error). bound is EE's
// max_row_length or max_col_length ("": the snippet's bounds); with
// shared, simulation.connectivity_seed makes the variants share their
// connectivity.
func deviceInitDoc(bound string, shared bool) string {
	seed := ""
	if bound != "" {
		bound = ", " + bound
	}
	if shared {
		seed = ", connectivity_seed: 5"
	}
	return stdpModel + `  var_inits:
    LogError: {var_init_code: "const scalar x = $(gennrand_uniform) + 0.5f; $(value) = (log(x) - logf(x)) * 1.0e9f;"}
    UniformThenNormal: {var_init_code: "const scalar u = $(gennrand_uniform); $(value) = u + $(gennrand_normal);"}
  neurons:
    Holder: {vars: {logError: scalar, un: scalar}, sim_code: ""}
name: device_init
simulation: {dt: 1.0, duration: 1, precision: float, seed: 1` + seed + `}
populations:
  E:
    size: 300
    model: Izhikevich
    params: {a: 0.02, b: 0.2, c: -65.0, d: 8.0}
    vars:
      V: {init: Uniform, params: {min: -70.0, max: -50.0}}
      U: {init: Normal, params: {mean: -14.0, sd: 2.0}}
  H: {size: 50, model: Holder, vars: {logError: {init: LogError}, un: {init: UniformThenNormal}}}
  I: {size: 70, model: PoissonNew, params: {rate: 40.0}, vars: {timeStepToSpike: {init: Exponential, params: {lambda: 1.0}}}}
synapses:
  EE:
    source: E
    target: E
    connectivity: {init: FixedProbabilityNoAutapse, params: {prob: 0.1}` + bound + `}
    weight_update:
      model: STDP
      params: {tauPlus: 16.8, tauMinus: 33.7, Aplus: 0.01, Aminus: 0.012, Wmin: 0.0, Wmax: 2.0}
      vars: {g: {init: Gamma, params: {a: 3.0, b: 0.2}}}
    postsynaptic: {model: DeltaCurr}
  EI:
    source: E
    target: I
    connectivity: {init: FixedProbability, params: {prob: 0.2}}
    weight_update: {model: StaticPulse, vars: {g: {init: Normal, params: {mean: 0.5, sd: 0.1}}}}
    postsynaptic: {model: DeltaCurr}
  IE:
    source: I
    target: E
    connectivity: {init: FixedNumberPostWithReplacement, params: {rowLength: 17}}
    weight_update: {model: StaticPulse, vars: {g: {init: Binomial, params: {n: 9, p: 0.4}}}}
    postsynaptic: {model: DeltaCurr}
  EIp:
    source: E
    target: I
    connectivity: {init: FixedNumberPreWithReplacement, params: {colLength: 25}}
    weight_update: {model: StaticPulse, vars: {g: {init: NormalClipped, params: {mean: 0.2, sd: 0.05, min: 0.18, max: 0.25}}}}
    postsynaptic: {model: DeltaCurr}
  IIt:
    source: I
    target: I
    connectivity: {init: FixedNumberTotalWithReplacement, params: {total: 400}}
    weight_update: {model: StaticPulse, vars: {g: -0.3}}
    postsynaptic: {model: DeltaCurr}
  IIa:
    source: I
    target: I
    connectivity: {init: FixedProbability, params: {prob: 0.05}, max_row_length: 12}
    weight_update: {model: StaticPulse, vars: {g: [` + tableOfValues(70*12) + `]}}
    postsynaptic: {model: DeltaCurr}
  IIb:
    source: I
    target: I
    matrix: bitmask
    connectivity: {init: FixedProbability, params: {prob: 0.3}}
    weight_update: {model: StaticPulse, vars: {g: -0.1}}
    postsynaptic: {model: DeltaCurr}
`
}

// buildFor generates doc for one backend (cpu.Generate or cuda.Generate)
// and builds and loads it with tc.
func buildFor(t *testing.T, doc string, generate func(*modelspec.Network, codegen.Options) (codegen.Files, error), tc gpu.Toolchain) (*gpu.Module, codegen.Files) {
	t.Helper()
	files, err := generate(decode(t, doc), codegen.Options{Runtime: []string{"synapses.EE.weight_update.params.Aplus"}})
	require.NoError(t, err)
	c, err := gpu.OpenCache(t.TempDir())
	require.NoError(t, err)
	res, err := c.Build(files, tc)
	require.NoError(t, err)
	m, err := gpu.Load(res.ModulePath)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m, files
}

// Issue 17, item 1: the CUDA backend builds sparse and bitmask
// connectivity and initialises variables on the device from the host's
// Philox streams. In the emulation (with the CPU backend's tests), whose
// math library is the host's, the result is the CPU backend's bit for bit:
// every variable and every connectivity array of every variant, before and
// after 200 steps of STDP (which read the column index), with the emulated
// threads run last first, so that the column entries come from the atomics
// in the reverse of the rows' order and must be sorted back, and again
// after a second initialisation. On a GPU
// (with the cuda backend's tests) the connectivity, integer decisions, is
// the same bit for bit, and variables, whose draws go through log, sqrt,
// exp (libdevice, not glibc), are within 4 float ulp (relative 4 × 2^-23)
// in all but 0.1 % of their elements (a rejection or a binomial count that
// a last-bit difference flips).
func TestDeviceInitMatchesHost(t *testing.T) {
	var devTC gpu.Toolchain
	var err error
	exact := testBackend == "cpu"
	switch testBackend {
	case "cpu":
		// not parallel: GENNCTL_CUDA_EMU_ORDER is the process's
		if devTC, err = gpu.CUDAEmulationToolchain(); err != nil {
			t.Skipf("no C++ compiler for the CUDA emulation: %v", err)
		}
		t.Setenv("GENNCTL_CUDA_EMU_ORDER", "reverse")
	case "cuda":
		devTC = toolchain(t)
	default:
		t.Skipf("compares the CPU backend with the emulated CUDA backend (with the cpu backend's tests) or the GPU (with the cuda backend's), not on %s", testBackend)
	}
	cc, err := gpu.DetectCC()
	require.NoError(t, err)
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			doc := deviceInitDoc("", shared)
			host, _ := buildFor(t, doc, cpu.Generate, cc)
			dev, files := buildFor(t, doc, cuda.Generate, devTC)
			// Everything is built on the device: module.c builds nothing.
			for _, g := range []string{"EE", "EI", "IE", "EIp", "IIt", "IIb"} {
				assert.NotContains(t, files[cpu.ModuleFile], "init_connectivity_"+g+"(ctx)", "group %s is built on the host", g)
				assert.Contains(t, files[cuda.ModuleFile], "gn_build_"+g+"(const gn_ctx", "group %s has a build kernel", g)
			}
			assert.Contains(t, files[cpu.ModuleFile], "init_connectivity_IIa(ctx)", "a table of weights keeps IIa's connectivity on the host")
			assert.Contains(t, files[cuda.ModuleFile], "gn_sort_columns_EE(const gn_ctx")
			assert.Contains(t, files[cuda.ModuleFile], "gn_split_IIt(const gn_ctx", "FixedNumberTotalWithReplacement's split is drawn on the device")
			assert.Contains(t, files[cuda.ModuleFile], "gn_sort_rows_EIp(const gn_ctx", "rows built by columns are sorted")

			seeds, rt := []uint64{3, 4, 3}, []float64{0.01, 0.01, 0.02}
			a, b := newInstance(t, host, seeds, rt), newInstance(t, dev, seeds, rt)
			compare := func(when string) {
				eachArray(t, a, b, len(seeds), func(v codegen.VarDesc, variant int, want, got []float64) {
					if exact || v.Kind == "connectivity" {
						if !assert.ObjectsAreEqual(want, got) {
							t.Errorf("%s: %s.%s of variant %d differs from the CPU backend's", when, v.Owner, v.Name, variant)
						}
						return
					}
					require.Len(t, got, len(want))
					off := 0
					for k := range want {
						if math.Abs(got[k]-want[k]) > 4*0x1p-23*math.Abs(want[k]) {
							off++
						}
					}
					assert.LessOrEqual(t, off, len(want)/1000, "%s: %s.%s of variant %d: %d of %d elements beyond 4 ulp of the CPU backend's", when, v.Owner, v.Name, variant, off, len(want))
				})
			}
			compare("initialised")
			// The connectivity is not empty, the variables were drawn, and
			// variants share connectivity only with the connectivity seed.
			assert.Greater(t, sum(a.get("EE", "rowLength", 0)), 7000.0)
			assert.Equal(t, 400.0, sum(a.get("IIt", "rowLength", 0)))
			assert.Equal(t, 25.0*70, sum(a.get("EIp", "rowLength", 0)))
			assert.NotEqual(t, a.get("E", "V", 0), a.get("E", "V", 1), "variants 0 and 1 draw differently")
			assert.Equal(t, 0.0, sum(abs(a.get("H", "logError", 0))), "log(float) is logf, as in GeNN's C++")
			assert.Equal(t, shared, assert.ObjectsAreEqual(a.get("EE", "ind", 0), a.get("EE", "ind", 1)), "variants 0 and 1 have the same rows")
			if !exact {
				return // the dynamics amplify the last bits
			}
			a.step(200)
			b.step(200)
			compare("after 200 steps")
			assert.Equal(t, list(a.spikes()), list(b.spikes()), "spikes")
			// Initialising again starts afresh: the device clears what it
			// counts into (row and column lengths) before building again.
			require.NoError(t, a.inst.Init())
			require.NoError(t, b.inst.Init())
			compare("initialised again")
		})
	}
}

// A row or column longer than its bound fails initialisation with the
// host's message on the device as well (the sweep reads it to retry with
// a bigger bound).
func TestDeviceInitBoundOverflow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		bound, key string
		column     bool
	}{
		{"max_row_length: 12", "max_row_length", false},
		{"max_col_length: 9", "max_col_length", true},
	} {
		m := buildModule(t, deviceInitDoc(c.bound, false), codegen.Options{})
		inst, err := m.Create(1, []uint64{1}, []float64{})
		require.NoError(t, err)
		t.Cleanup(inst.Close)
		err = inst.Init()
		require.Error(t, err, c.bound)
		o, ok := codegen.ParseBoundOverflow(err.Error())
		require.True(t, ok, "a bound overflow: %v", err)
		bound := 12
		if c.column {
			bound = 9
		}
		assert.Equal(t, codegen.BoundOverflow{Group: "EE", Column: c.column, Length: o.Length, Bound: bound}, o)
		assert.Greater(t, o.Length, bound)
		assert.Contains(t, err.Error(), c.key)
	}
}

// tableOfValues is a YAML list of n distinct values.
func tableOfValues(n int) string {
	v := make([]string, n)
	for i := range v {
		v[i] = fmt.Sprint(0.001 * float64(i+1))
	}
	return strings.Join(v, ", ")
}

func abs(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Abs(v)
	}
	return out
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

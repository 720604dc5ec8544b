package cpu_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connDoc2 connects A (npre) to B (npost) with one group S.
const connDoc2 = `
name: conn2
simulation: {dt: 0.1, duration: 1, precision: float, seed: 1}
populations:
  A: {size: %d, model: SpikeSource}
  B: {size: %d, model: SpikeSource}
synapses:
  S:
    source: A
    target: B
    matrix: %s
    connectivity: {init: %s, params: {%s}}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}
    postsynaptic: {model: DeltaCurr}
`

// FixedNumberTotalWithReplacement: exactly total synapses in every variant
// (the row lengths are a multinomial split drawn in the module), targets in
// range, the same realisation alone as in a batch, and row lengths with the
// multinomial's mean and variance.
func TestFixedNumberTotalWithReplacement(t *testing.T) {
	t.Parallel()
	const npre, npost, total = 50, 40, 3000
	m := buildModule(t, fmt.Sprintf(connDoc2, npre, npost, "sparse", "FixedNumberTotalWithReplacement", fmt.Sprintf("total: %d", total)), codegen.Options{})
	s := newInstance(t, m, []uint64{7, 8, 9}, nil)
	var lens []float64
	for v := 0; v < 3; v++ {
		r := rows(t, s, "S", v, npre)
		n := 0
		for _, row := range r {
			n += len(row)
			lens = append(lens, float64(len(row)))
			for _, j := range row {
				require.True(t, j >= 0 && j < npost)
			}
		}
		assert.Equal(t, total, n, "variant %d: exactly total synapses", v)
	}
	alone := newInstance(t, m, []uint64{8}, nil)
	assert.Equal(t, rows(t, s, "S", 1, npre), rows(t, alone, "S", 0, npre), "same rows alone and in a batch")
	assert.NotEqual(t, rows(t, s, "S", 0, npre), rows(t, s, "S", 1, npre), "seeds differ")
	// Multinomial(total, 1/npre): mean total/npre = 60, variance total/npre*(1-1/npre) = 58.8
	mean, vr := meanVar(lens)
	assert.InDelta(t, 60, mean, 1e-9, "the mean is exact (fixed total)")
	assert.InDelta(t, 58.8, vr, 58.8*0.35)

	// procedural regenerates the same rows from the same row lengths: it
	// compiles and runs (spike delivery is covered by the decode_matrix tests)
	p := newSim(t, fmt.Sprintf(connDoc2, npre, npost, "procedural", "FixedNumberTotalWithReplacement", fmt.Sprintf("total: %d", total)), codegen.Options{}, []uint64{7}, nil)
	p.step(2)
}

// FixedNumberPreWithReplacement is built column by column: every
// postsynaptic neuron has exactly colLength incoming synapses (counted with
// multiplicity), sources in range, rows sorted by target (the transpose of
// the columns); bitmask holds the same pairs.
func TestFixedNumberPreWithReplacement(t *testing.T) {
	t.Parallel()
	const npre, npost, colLength = 30, 20, 5
	s := newSim(t, fmt.Sprintf(connDoc2, npre, npost, "sparse", "FixedNumberPreWithReplacement", fmt.Sprintf("colLength: %d", colLength)), codegen.Options{}, []uint64{3, 4}, nil)
	for v := 0; v < 2; v++ {
		in := make([]int, npost)
		pairs := map[[2]int]bool{}
		for i, row := range rows(t, s, "S", v, npre) {
			assert.True(t, sort.IntsAreSorted(row), "row %d sorted by target", i)
			for _, j := range row {
				require.True(t, j >= 0 && j < npost)
				in[j]++
				pairs[[2]int{i, j}] = true
			}
		}
		for j, n := range in {
			assert.Equal(t, colLength, n, "variant %d: column %d", v, j)
		}
		if v == 0 {
			b := newSim(t, fmt.Sprintf(connDoc2, npre, npost, "bitmask", "FixedNumberPreWithReplacement", fmt.Sprintf("colLength: %d", colLength)), codegen.Options{}, []uint64{3}, nil)
			gp := b.get("S", "gp", 0)
			got := map[[2]int]bool{}
			for i := 0; i < npre; i++ {
				for j := 0; j < npost; j++ {
					k := i*npost + j
					if uint32(gp[k/32])&(1<<(k%32)) != 0 {
						got[[2]int{i, j}] = true
					}
				}
			}
			assert.Equal(t, pairs, got, "bitmask holds the sparse realisation's pairs")
		}
	}
	_, err := cpuGenerate(t, fmt.Sprintf(connDoc2, npre, npost, "procedural", "FixedNumberPreWithReplacement", fmt.Sprintf("colLength: %d", colLength)))
	assert.ErrorContains(t, err, "col_build_code")
}

// conv geometry: 5x6x2 input, 3x3 kernel, stride (2, 1), padding (1, 1),
// 3 output channels: output 3x6x3.
const (
	convIH, convIW, convIC = 5, 6, 2
	convKH, convKW, convOC = 3, 3, 3
	convSH, convSW         = 2, 1
	convPH, convPW         = 1, 1
	convOH                 = (convIH+2*convPH-convKH)/convSH + 1
	convOW                 = (convIW+2*convPW-convKW)/convSW + 1
)

func convDoc(kernel []float64) string {
	ks := make([]string, len(kernel))
	for i, k := range kernel {
		ks[i] = fmt.Sprint(k)
	}
	return fmt.Sprintf(`
name: conv
simulation: {dt: 0.1, duration: 1, precision: float, seed: 1}
populations:
  In: {size: %d, model: SpikeSource}
  Out: {size: %d, model: SpikeSource}
synapses:
  C:
    source: In
    target: Out
    matrix: sparse
    connectivity:
      init: Conv2D
      params: {conv_kh: %d, conv_kw: %d, conv_sh: %d, conv_sw: %d, conv_padh: %d, conv_padw: %d,
               conv_ih: %d, conv_iw: %d, conv_ic: %d, conv_oh: %d, conv_ow: %d, conv_oc: %d}
    weight_update:
      model: StaticPulse
      vars: {g: {init: Kernel, extra_global_params: {kernel: [%s]}}}
    postsynaptic: {model: DeltaCurr}
`, convIH*convIW*convIC, convOH*convOW*convOC, convKH, convKW, convSH, convSW, convPH, convPW,
		convIH, convIW, convIC, convOH, convOW, convOC, strings.Join(ks, ", "))
}

// convExpected computes the (pre, post, weight) triples of the convolution
// directly: for every output position and kernel tap, the input it reads.
func convExpected(kernel []float64) [][3]float64 {
	var out [][3]float64
	for or := 0; or < convOH; or++ {
		for oc := 0; oc < convOW; oc++ {
			for och := 0; och < convOC; och++ {
				for kr := 0; kr < convKH; kr++ {
					for kc := 0; kc < convKW; kc++ {
						ir, icol := or*convSH-convPH+kr, oc*convSW-convPW+kc
						if ir < 0 || ir >= convIH || icol < 0 || icol >= convIW {
							continue
						}
						for ich := 0; ich < convIC; ich++ {
							pre := (ir*convIW+icol)*convIC + ich
							post := (or*convOW+oc)*convOC + och
							k := ((kr*convKW+kc)*convIC+ich)*convOC + och
							out = append(out, [3]float64{float64(pre), float64(post), kernel[k]})
						}
					}
				}
			}
		}
	}
	sortTriples(out)
	return out
}

func sortTriples(x [][3]float64) {
	sort.Slice(x, func(i, j int) bool {
		for k := 0; k < 3; k++ {
			if x[i][k] != x[j][k] {
				return x[i][k] < x[j][k]
			}
		}
		return false
	})
}

func convGot(t *testing.T, s *sim, variant int) [][3]float64 {
	npre := convIH * convIW * convIC
	r := rows(t, s, "C", variant, npre)
	g := s.get("C", "g", variant)
	maxRow := len(g) / npre
	var out [][3]float64
	for i, row := range r {
		for k, j := range row {
			out = append(out, [3]float64{float64(i), float64(j), g[i*maxRow+k]})
		}
	}
	sortTriples(out)
	return out
}

// Conv2D connectivity with Kernel-initialised weights: exactly the synapses
// of the convolution, each with the kernel value of its tap (an
// independent computation in Go); a kernel set at run time with gn_set_egp
// is used by the next gn_init; a kernel shorter than the kernel size fails
// init.
func TestConv2DKernel(t *testing.T) {
	t.Parallel()
	n := convKH * convKW * convIC * convOC
	kernel := make([]float64, n)
	for i := range kernel {
		kernel[i] = float64(i + 1)
	}
	s := newSim(t, convDoc(kernel), codegen.Options{}, []uint64{1, 2}, nil)
	want := convExpected(kernel)
	require.NotEmpty(t, want)
	assert.Equal(t, want, convGot(t, s, 0))
	assert.Equal(t, want, convGot(t, s, 1))

	// a new kernel for variant 1, through the ABI
	k := s.mod.EGPIndex("synapses.C.weight_update.vars.g.extra_global_params.kernel")
	require.GreaterOrEqual(t, k, 0, s.mod.DescriptionJSON())
	kernel2 := make([]float64, n)
	for i := range kernel2 {
		kernel2[i] = -0.5 * float64(i%7)
	}
	require.NoError(t, s.inst.SetEGP(k, 1, kernel2))
	require.NoError(t, s.inst.Init())
	assert.Equal(t, want, convGot(t, s, 0))
	assert.Equal(t, convExpected(kernel2), convGot(t, s, 1))

	require.NoError(t, s.inst.SetEGP(k, 0, kernel[:n-1]))
	assert.ErrorContains(t, s.inst.Init(), "fewer values than the kernel")
}

// A variable-initialisation snippet using $(id_kernel) needs a kernel.
func TestKernelNeedsConvolution(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(fmt.Sprintf(connDoc2, 3, 3, "sparse", "FixedProbability", "prob: 0.5"),
		"vars: {g: 1.0}", "vars: {g: {init: Kernel, extra_global_params: {kernel: [1, 2]}}}", 1)
	_, err := cpuGenerate(t, doc)
	assert.ErrorContains(t, err, "id_kernel")
}

// cpuGenerate decodes doc and generates its module, returning the
// generator's error.
func cpuGenerate(t *testing.T, doc string) (codegen.Files, error) {
	t.Helper()
	return cpu.Generate(decode(t, doc), codegen.Options{})
}

package cpu_test

// GeNN 4.9's convolution feature tests, decode_matrix_conn_gen_kernelg_toeplitz,
// decode_matrix_conn_gen_kernelg_procedural,
// decode_matrix_conn_gen_proceduralg_procedural_kernel and
// decode_matrix_conn_gen_individualg_ragged_kernel: a 64 × 64 binary image
// of spikes passes through 3 × 3 Sobel kernels (vertical and horizontal)
// into two 62 × 62 layers whose neurons store their input; a Toeplitz
// matrix with kernel weights, a procedural matrix with kernel weights, a
// procedural matrix with procedural weights reading the kernel from the
// Kernel snippet's extra global parameter, and a sparse matrix with
// individual weights initialised by the Kernel snippet. GeNN's tests use an
// edge image and its precomputed output; here the image is a fixed
// pseudo-random one and the output the convolution computed in Go. Small
// integer weights make every sum exact in float, so the comparison is
// exact (GeNN's is to float epsilon).
//
// Plus AvgPoolConv2D (no GeNN feature test): 2 × 2 average pooling with
// stride 2 and a 3 × 3 convolution, against the pooled convolution
// computed in Go.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

var (
	sobelVert = []float64{1, 0, -1, 2, 0, -2, 1, 0, -1}
	sobelHorz = []float64{1, 2, 1, 0, 0, 0, -1, -2, -1}
)

// convImage is a fixed pseudo-random binary image of h × w pixels, about a
// third of them on.
func convImage(h, w int) []bool {
	img := make([]bool, h*w)
	x := uint32(12345)
	for i := range img {
		x = x*1664525 + 1013904223
		img[i] = x>>30 == 0 || x>>29 == 3
	}
	return img
}

// floatList formats values as a YAML flow list.
func floatList(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// sobelDoc is the two-layer network of the tests: the image's pixels spike
// in step 0 (Pattern neurons with on = 1), the layers store their input in
// x; synapses gives the two synapse groups, %[1]s the layer (Vert or Horz)
// and %[2]s its kernel.
func sobelDoc(img []bool, ih, iw, oh, ow int, synapse string) string {
	on := make([]float64, len(img))
	for i, b := range img {
		if b {
			on[i] = 1
		}
	}
	var syns strings.Builder
	for _, l := range []struct {
		name string
		k    []float64
	}{{"Vert", sobelVert}, {"Horz", sobelHorz}} {
		syns.WriteString(fmt.Sprintf(synapse, l.name, floatList(l.k)))
	}
	return fmt.Sprintf(`
name: conv
simulation: {dt: 1.0, duration: 2, precision: float}
models:
  neurons:
    Pattern:
      var_name_types: [[on, scalar, READ_ONLY]]
      threshold_condition_code: "$(t) < 0.5 && $(on) > 0.5"
      is_auto_refractory_required: false
    Layer:
      var_name_types: [[x, scalar]]
      sim_code: "$(x) = $(Isyn);"
populations:
  Pre: {size: %d, model: Pattern, vars: {on: %s}}
  PostVert: {size: %d, model: Layer, vars: {x: 0.0}}
  PostHorz: {size: %d, model: Layer, vars: {x: 0.0}}
synapses:
%s`, ih*iw, floatList(on), oh*ow, oh*ow, syns.String())
}

// correlate is the valid 2-D correlation of a binary image with a 3 × 3
// kernel (what Conv2D with stride 1 and no padding computes).
func correlate(img []bool, ih, iw int, k []float64) []float64 {
	oh, ow := ih-2, iw-2
	out := make([]float64, oh*ow)
	for r := 0; r < oh; r++ {
		for c := 0; c < ow; c++ {
			sum := float32(0)
			for kr := 0; kr < 3; kr++ {
				for kc := 0; kc < 3; kc++ {
					if img[(r+kr)*iw+c+kc] {
						sum += float32(k[kr*3+kc])
					}
				}
			}
			out[r*ow+c] = float64(sum)
		}
	}
	return out
}

const (
	conv2DToeplitz  = "{conv_kh: 3, conv_kw: 3, conv_ih: 64, conv_iw: 64, conv_ic: 1, conv_oh: 62, conv_ow: 62, conv_oc: 1}"
	conv2DSparse    = "{conv_kh: 3, conv_kw: 3, conv_sh: 1, conv_sw: 1, conv_padh: 0, conv_padw: 0, conv_ih: 64, conv_iw: 64, conv_ic: 1, conv_oh: 62, conv_ow: 62, conv_oc: 1}"
	convPostsynapse = "postsynaptic: {model: DeltaCurr}"
)

func TestConvolutionGeNNFeatures(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, synapse string }{
		{"decode_matrix_conn_gen_kernelg_toeplitz",
			"  Syn%[1]s: {source: Pre, target: Post%[1]s, matrix: toeplitz, connectivity: {init: Conv2D, params: " + conv2DToeplitz + "}, weight_update: {model: StaticPulse, vars: {g: %[2]s}}, " + convPostsynapse + "}\n"},
		{"decode_matrix_conn_gen_kernelg_procedural",
			"  Syn%[1]s: {source: Pre, target: Post%[1]s, matrix: procedural, weights: kernel, connectivity: {init: Conv2D, params: " + conv2DSparse + "}, weight_update: {model: StaticPulse, vars: {g: %[2]s}}, " + convPostsynapse + "}\n"},
		{"decode_matrix_conn_gen_proceduralg_procedural_kernel",
			"  Syn%[1]s: {source: Pre, target: Post%[1]s, matrix: procedural, connectivity: {init: Conv2D, params: " + conv2DSparse + "}, weight_update: {model: StaticPulse, vars: {g: {init: Kernel, extra_global_params: {kernel: %[2]s}}}}, " + convPostsynapse + "}\n"},
		{"decode_matrix_conn_gen_individualg_ragged_kernel",
			"  Syn%[1]s: {source: Pre, target: Post%[1]s, matrix: sparse, connectivity: {init: Conv2D, params: " + conv2DSparse + "}, weight_update: {model: StaticPulse, vars: {g: {init: Kernel, extra_global_params: {kernel: %[2]s}}}}, " + convPostsynapse + "}\n"},
	}
	img := convImage(64, 64)
	want := map[string][]float64{"Vert": correlate(img, 64, 64, sobelVert), "Horz": correlate(img, 64, 64, sobelHorz)}
	require.NotEqual(t, make([]float64, 62*62), want["Vert"], "the image has edges")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, sobelDoc(img, 64, 64, 62, 62, c.synapse), codegen.Options{}, []uint64{1}, nil)
			s.step(2) // the image spikes in step 0 and arrives in step 1
			for _, layer := range []string{"Vert", "Horz"} {
				require.Equal(t, want[layer], s.get("Post"+layer, "x", 0), "layer %s", layer)
			}
		})
	}
}

// avgPoolConv is the output of GeNN 4.9's AvgPoolConv2D: average pooling
// (pool_kh × pool_kw, strides pool_sh, pool_sw) then a 3 × 3 convolution
// with borders conv_bh, conv_bw (its derived parameters), the spike of a
// pixel in the pool adding the (flipped) kernel entry to the outputs
// around the pool's output.
func avgPoolConv(img []bool, ih, iw, pk, ps, oh, ow int, k []float64) []float64 {
	out := make([]float32, oh*ow)
	ph, pw := (ih-pk)/ps+1, (iw-pk)/ps+1 // pooled size (ceil((in - k + 1) / s))
	bh, bw := (ph+3-1-oh)/2, (pw+3-1-ow)/2
	for r := 0; r < ih; r++ {
		for c := 0; c < iw; c++ {
			if !img[r*iw+c] {
				continue
			}
			pr, pc := r/ps, c/ps
			if r >= pr*ps+pk || c >= pc*ps+pk {
				continue // between pools
			}
			for kr := 0; kr < 3; kr++ {
				for kc := 0; kc < 3; kc++ {
					or, oc := pr+kr-bh, pc+kc-bw
					if or >= 0 && oc >= 0 && or < oh && oc < ow {
						out[or*ow+oc] += float32(k[(2-kr)*3+(2-kc)])
					}
				}
			}
		}
	}
	res := make([]float64, len(out))
	for i, v := range out {
		res[i] = float64(v)
	}
	return res
}

func TestToeplitzAvgPoolConv2D(t *testing.T) {
	t.Parallel()
	img := convImage(20, 20)
	syn := "  Syn%[1]s: {source: Pre, target: Post%[1]s, matrix: toeplitz, connectivity: {init: AvgPoolConv2D, params: " +
		"{conv_kh: 3, conv_kw: 3, pool_kh: 2, pool_kw: 2, pool_sh: 2, pool_sw: 2, pool_ih: 20, pool_iw: 20, pool_ic: 1, conv_oh: 8, conv_ow: 8, conv_oc: 1}}, " +
		"weight_update: {model: StaticPulse, vars: {g: %[2]s}}, " + convPostsynapse + "}\n"
	s := newSim(t, sobelDoc(img, 20, 20, 8, 8, syn), codegen.Options{}, []uint64{1}, nil)
	s.step(2)
	require.NotEqual(t, make([]float64, 64), avgPoolConv(img, 20, 20, 2, 2, 8, 8, sobelVert))
	require.Equal(t, avgPoolConv(img, 20, 20, 2, 2, 8, 8, sobelVert), s.get("PostVert", "x", 0))
	require.Equal(t, avgPoolConv(img, 20, 20, 2, 2, 8, 8, sobelHorz), s.get("PostHorz", "x", 0))
}

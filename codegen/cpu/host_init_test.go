package cpu_test

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostInitDoc has a custom connectivity snippet whose host_init_code (C in
// gennctl) allocates an extra global parameter with a row length per
// presynaptic neuron: a fixed pattern (length id % 4, plus shift), and,
// with draw, a random number of extra synapses (0 or 1) from the host
// stream; the row-build code adds that many synapses onto consecutive
// targets. The parameter shift is read by the host code.
func hostInitDoc(draw bool) string {
	extra := ""
	if draw {
		extra = " + ($(gennrand_uniform) < 0.5 ? 1 : 0)"
	}
	return fmt.Sprintf(`
name: host_init
simulation: {dt: 1.0, duration: 1}
models:
  connectivity:
    Lengths:
      param_names: [shift]
      host_init_code: |
        $(allocaterowLen, $(num_pre));
        for (unsigned int i = 0; i < $(num_pre); i++) {
            $(rowLen)[i] = (i %% 4) + (unsigned int)$(shift)%s;
        }
        $(pushrowLen, $(num_pre));
      row_build_state_vars: [[k, unsigned int, 0]]
      row_build_code: |
        if ($(k) == $(rowLen)[$(id_pre)]) {
            $(endRow);
        }
        $(addSynapse, ($(id_pre) + $(k)) %% $(num_post));
        $(k)++;
      extra_global_params: [[rowLen, unsigned int*]]
      calc_max_row_len_func: "4 + shift"
populations:
  Pre: {size: 13, model: SpikeSource}
  Post: {size: 7, model: SpikeSource}
synapses:
  S:
    source: Pre
    target: Post
    connectivity: {init: Lengths, params: {shift: 1}}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}
    postsynaptic: {model: DeltaCurr}
`, extra)
}

// The host code runs once per variant before the rows are built; its
// array is module data (gn_get_egp reads it back).
func TestCustomHostInitCode(t *testing.T) {
	t.Parallel()
	s := newSim(t, hostInitDoc(false), codegen.Options{}, []uint64{1}, nil)
	rl := s.get("S", "rowLength", 0)
	ind := s.get("S", "ind", 0)
	maxRow := len(ind) / 13
	require.Equal(t, 5, maxRow)
	lens, err := s.inst.GetEGP(s.mod.EGPIndex("synapses.S.connectivity.extra_global_params.rowLen"), 0)
	require.NoError(t, err)
	for i := 0; i < 13; i++ {
		assert.Equal(t, float64(i%4+1), rl[i], "row %d", i)
		assert.Equal(t, float64(i%4+1), lens[i])
		for k := 0; k < int(rl[i]); k++ {
			assert.Equal(t, float64((i+k)%7), ind[i*maxRow+k])
		}
	}
}

// With random numbers, each variant draws its own lengths, the same alone
// or in a batch.
func TestCustomHostInitCodeRandom(t *testing.T) {
	t.Parallel()
	m := buildModule(t, hostInitDoc(true), codegen.Options{})
	batch := newInstance(t, m, []uint64{3, 4}, nil)
	alone := newInstance(t, m, []uint64{4}, nil)
	a, b := batch.get("S", "rowLength", 0), batch.get("S", "rowLength", 1)
	assert.Equal(t, b, alone.get("S", "rowLength", 0), "variant seed 4 alone and in a batch")
	assert.NotEqual(t, a, b, "seeds 3 and 4 draw differently")
	for i := range a {
		for _, rl := range []float64{a[i], b[i]} {
			base := float64(i%4 + 1)
			assert.True(t, rl == base || rl == base+1, "row %d: length %g", i, rl)
		}
	}
}

// $(rng), GeNN's C++ engine, is reported at its position.
func TestCustomHostInitCodeRNGToken(t *testing.T) {
	cpuOnly(t)
	doc := `
name: host_init
simulation: {dt: 1.0, duration: 1}
models:
  connectivity:
    Bad:
      host_init_code: "std::uniform_real_distribution<double> d; d($(rng));"
      row_build_code: "$(endRow);"
populations:
  Pre: {size: 2, model: SpikeSource}
synapses:
  S: {source: Pre, target: Pre, connectivity: {init: Bad}, weight_update: {model: StaticPulse, vars: {g: 1.0}}, postsynaptic: {model: DeltaCurr}}
`
	_, err := cpu.Generate(decode(t, doc), codegen.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "model.yaml:7:68: synapses.S.connectivity: host_init_code of Bad uses $(rng), GeNN's C++ random engine")
}

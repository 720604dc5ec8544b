package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/internal/philoxref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// procWDoc: nPre spike sources, each spiking at t = 0.05 and 1.05, onto nPost
// targets through a procedural all-to-all matrix (a custom snippet that draws
// no random numbers) whose weights g come from init (Uniform or Normal);
// group Q carries g² to targets U. Targets sum their input of the first
// wave into a and of the second into b.
func procWDoc(nPre, nPost int, init string) string {
	starts, ends, times := "", "", ""
	for i := 0; i < nPre; i++ {
		sep := ", "
		if i == 0 {
			sep = ""
		}
		starts += fmt.Sprintf("%s%d", sep, 2*i)
		ends += fmt.Sprintf("%s%d", sep, 2*i+2)
		times += sep + "0.05, 1.05"
	}
	return fmt.Sprintf(`
name: procw
simulation: {dt: 0.1, duration: 3, precision: double}
models:
  neurons:
    Two:
      vars: {a: scalar, b: scalar}
      sim_code: "if ($(t) < 0.5) { $(a) += $(Isyn); } else { $(b) += $(Isyn); }"
  weight_updates:
    Sq:
      vars: {g: scalar}
      sim_code: "$(addToInSyn, $(g) * $(g));"
  connectivity:
    All:
      row_build_state_vars: {j: {type: unsigned int, init: "0"}}
      row_build_code: |
        if ($(j) == $(num_post)) {
            $(endRow);
        }
        $(addSynapse, $(j));
        $(j)++;
      max_row_length: %[2]d
populations:
  Src:
    size: %[1]d
    model: SpikeSourceArray
    vars: {startSpike: [%[4]s], endSpike: [%[5]s]}
    extra_global_params: {spikeTimes: [%[6]s]}
  T: {size: %[2]d, model: Two, vars: {a: 0.0, b: 0.0}}
  U: {size: %[2]d, model: Two, vars: {a: 0.0, b: 0.0}}
synapses:
  S:
    source: Src
    target: T
    matrix: procedural
    connectivity: {init: All}
    weight_update: {model: StaticPulse, vars: {g: %[3]s}}
    postsynaptic: {model: DeltaCurr}
  Q:
    source: Src
    target: U
    matrix: procedural
    connectivity: {init: All}
    weight_update: {model: Sq, vars: {g: %[3]s}}
    postsynaptic: {model: DeltaCurr}
`, nPre, nPost, init, starts, ends, times)
}

// Procedural weights (GeNN's PROCEDURAL_PROCEDURALG): the weight of synapse
// (i, j-th of row i) is drawn when row i is regenerated, from the row's
// connectivity stream (key: seed; ctr: (block, i, 0, 0x03000000 | group
// index)) after the row code's own draws (none here). So target j receives
// exactly Σ_i Uniform draw j of row i, the same at every spike, and nothing
// per synapse is stored.
func TestProceduralWeightsExact(t *testing.T) {
	t.Parallel()
	const nPre, nPost, seed = 5, 6, 42
	s := newSim(t, procWDoc(nPre, nPost, "{init: Uniform, params: {min: 0.0, max: 1.0}}"), codegen.Options{}, []uint64{seed}, nil)
	s.step(30)
	assert.Less(t, s.mod.VarIndex("S", "g"), 0, "procedural weights are not stored")
	a, b := s.get("T", "a", 0), s.get("T", "b", 0)
	for j := 0; j < nPost; j++ {
		want := 0.0
		for i := 0; i < nPre; i++ {
			w := philoxref.Block([4]uint32{uint32(j / 2), uint32(i), 0, 0x03000000}, [2]uint32{seed, 0})
			bits := ((uint64(w[2*(j%2)]) << 21) ^ (uint64(w[2*(j%2)+1]) >> 11)) & (1<<53 - 1)
			want += (float64(bits) + 1) / 9007199254740992.0
		}
		assertSums(t, []float64{want, a[j]}, []float64{a[j], b[j]}, "target %d: first wave, and the same weights at the second spike", j)
	}
}

// Normal procedural weights: the same values at every spike and in a batch,
// with the distribution of the snippet.
func TestProceduralWeightsNormal(t *testing.T) {
	t.Parallel()
	const nPre, nPost = 100, 100
	mod := buildModule(t, procWDoc(nPre, nPost, "{init: Normal, params: {mean: 1.0, sd: 0.5}}"), codegen.Options{})
	single := newInstance(t, mod, []uint64{9}, nil)
	single.step(30)
	batch := newInstance(t, mod, []uint64{5, 9}, nil)
	batch.step(30)
	for _, pop := range []string{"T", "U"} {
		a, b := single.get(pop, "a", 0), single.get(pop, "b", 0)
		assertSums(t, a, b, "%s: the same weights at the second spike", pop)
		assertSums(t, a, batch.get(pop, "a", 1), "%s: alone vs in a batch", pop)
		assert.NotEqual(t, a, batch.get(pop, "a", 0), "%s: another seed", pop)
	}
	n := float64(nPre * nPost)
	sum, sq := 0.0, 0.0
	for _, x := range single.get("T", "a", 0) {
		sum += x
	}
	for _, x := range single.get("U", "a", 0) {
		sq += x
	}
	// E[g] = 1 (sd 0.5); E[g²] = 1.25, Var[g²] = 2·0.5⁴ + 4·1²·0.5² = 1.125.
	require.InDelta(t, 1.0, sum/n, 4*0.5/math.Sqrt(n))
	require.InDelta(t, 1.25, sq/n, 4*math.Sqrt(1.125/n))
}

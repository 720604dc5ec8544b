package cpu_test

import (
	"sort"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A custom connectivity snippet written in YAML with col_build_code (GeNN's
// column-wise build): postsynaptic neuron j takes inputs from presynaptic
// neurons (3j) mod 10 and (3j + 1) mod 10. Rows come out sorted by target.
func TestAcceptanceCustomColumnBuild(t *testing.T) {
	t.Parallel()
	s := newSim(t, `
simulation: {dt: 0.1, duration: 1}
models:
  connectivity:
    TwoFromThreeJ:
      col_build_state_vars: {k: {type: unsigned int, init: "0"}}
      col_build_code: |
        if ($(k) == 2) {
            $(endCol);
        }
        $(addSynapse, ($(id_post) * 3 + $(k)) % $(num_pre));
        $(k)++;
      max_row_length: 8
populations:
  A: {size: 10, model: SpikeSource}
  B: {size: 20, model: SpikeSource}
synapses:
  S:
    source: A
    target: B
    connectivity: {init: TwoFromThreeJ}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}
    postsynaptic: {model: DeltaCurr}
`, codegen.Options{}, []uint64{1}, nil)
	rows := s.get("S", "rowLength", 0)
	ind := s.get("S", "ind", 0)
	stride := len(ind) / len(rows)
	require.Equal(t, 8, stride)
	for i := 0; i < 10; i++ {
		var want, got []int
		for j := 0; j < 20; j++ {
			for k := 0; k < 2; k++ {
				if (3*j+k)%10 == i {
					want = append(want, j)
				}
			}
		}
		for k := 0; k < int(rows[i]); k++ {
			got = append(got, int(ind[i*stride+k]))
		}
		assert.True(t, sort.IntsAreSorted(got), "row %d sorted by target", i)
		assert.Equal(t, want, got, "row %d", i)
	}
}

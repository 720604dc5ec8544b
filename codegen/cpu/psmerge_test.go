package cpu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

// Which postsynaptic models merge (simulation.merge_postsynaptic_models):
// only groups onto the same population with the same model and parameter
// values whose code only adds input from sparse rows, and whose inSyn is
// neither recorded nor swept; a merged group has no inSyn of its own.
func TestMergePostsynapticGroups(t *testing.T) {
	t.Parallel()
	doc := func(merge bool) string {
		return fmt.Sprintf(`
simulation: {dt: 0.1, duration: 1, precision: float, merge_postsynaptic_models: %v}
models:
  weight_updates:
    Decaying:
      var_name_types: [[g, scalar]]
      sim_code: "$(addToInSyn, $(g)); $(g) *= 0.9;"
populations:
  S: {size: 10, model: SpikeSource}
  T: {size: 10, model: LIF, params: &lif {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}, vars: &v {V: -55.0, RefracTime: 0.0}}
  T2: {size: 10, model: LIF, params: *lif, vars: *v}
synapses:
  A: &a {source: S, target: T, matrix: sparse, connectivity: {init: FixedProbability, params: {prob: 0.5}},
         weight_update: {model: StaticPulse, vars: {g: 0.1}}, postsynaptic: {model: ExpCurr, params: {tau: 5.0}}}
  B: *a
  C: {<<: *a, postsynaptic: {model: ExpCurr, params: {tau: 10.0}}}
  D: {<<: *a, record: {vars: {inSyn: {}}}}
  E: {<<: *a, weight_update: {model: Decaying, vars: {g: 0.1}}}
  F: {source: S, target: T, matrix: dense, weight_update: {model: StaticPulse, vars: {g: 0.1}}, postsynaptic: {model: ExpCurr, params: {tau: 5.0}}}
  G: {<<: *a, target: T2}
  H: *a
`, merge)
	}
	all := func(files codegen.Files) string { // the context is in module.c or a header
		var b strings.Builder
		for _, f := range files {
			b.WriteString(f)
		}
		return b.String()
	}
	_, files := generate(t, doc(true), codegen.Options{Runtime: []string{"synapses.H.postsynaptic.params.tau"}})
	src := all(files)
	own := map[string]bool{"A": true, "B": false, "C": true, "D": true, "E": true, "F": true, "G": true, "H": true}
	for name, want := range own {
		assert.Equal(t, want, strings.Contains(src, " *"+name+"_inSyn;"), "group %s has its own inSyn", name)
	}
	_, files = generate(t, doc(false), codegen.Options{})
	for name := range own {
		assert.Contains(t, all(files), " *"+name+"_inSyn;", "without merging, group %s has its own inSyn", name)
	}
}

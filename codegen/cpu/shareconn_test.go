package cpu_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withConnSeed adds simulation.connectivity_seed to a document whose
// simulation line is "seed: 1}".
func withConnSeed(t *testing.T, doc string, seed string) string {
	t.Helper()
	out := strings.Replace(doc, "seed: 1}", "seed: 1, connectivity_seed: "+seed+"}", 1)
	require.NotEqual(t, doc, out)
	return out
}

// connState reads the connectivity of every sparse group of batchDoc.
func connState(s *sim, v int) [][]float64 {
	var out [][]float64
	for _, g := range []string{"EE", "EI", "IE", "II"} {
		out = append(out, s.get(g, "rowLength", v), s.get(g, "ind", v))
	}
	return out
}

// With simulation.connectivity_seed, the connectivity is drawn from it, not
// from the variant's seed: the variants of a batch whose connectivity
// inputs are equal share one realisation (stored once), while the dynamics
// still follow each variant's seed; and a variant gives the same spikes
// alone as in the shared batch.
func TestSharedConnectivity(t *testing.T) {
	t.Parallel()
	const steps = 1000
	const s = 1234
	doc := withConnSeed(t, batchDoc, "99")
	m := buildModule(t, doc, codegen.Options{Runtime: []string{"synapses.EE.weight_update.vars.g"}})
	d, err := m.Description()
	require.NoError(t, err)
	for _, sd := range d.Synapses {
		assert.True(t, sd.SharedConnectivity, "group %s reports shared connectivity", sd.Name)
	}

	alone := newInstance(t, m, []uint64{s}, []float64{0.081})
	batch := newInstance(t, m, []uint64{77, s, 9001, 5, 6}, []float64{0.05, 0.081, 0.1, 0.081, 0.07})
	// Every variant of the batch has the same connectivity, that of the lone variant,
	// and uses variant 0's storage.
	want := connState(alone, 0)
	for v := 0; v < 5; v++ {
		assert.Equal(t, want, connState(batch, v), "variant %d's connectivity", v)
		for _, g := range []string{"EE", "EI", "IE", "II"} {
			assert.Equal(t, []float64{0}, batch.get(g, "connectivityOwner", v), "group %s variant %d uses variant 0's connectivity", g, v)
		}
	}
	// The realisation is the one a variant whose seed is the connectivity seed draws without the option.
	plain := newSim(t, batchDoc, codegen.Options{}, []uint64{99}, nil)
	assert.Equal(t, connState(plain, 0), want, "connectivity_seed 99 realises what seed 99 does")
	assert.NotEqual(t, connState(newSim(t, batchDoc, codegen.Options{}, []uint64{s}, nil), 0), want, "not the variant seed's")

	alone.step(steps)
	batch.step(steps)
	single := list(alone.spikes())
	all := list(batch.spikes())
	require.Greater(t, len(single), 200, "the network is active")
	assert.True(t, equalSpikes(single, ofVariant(all, 1)), "seed %d alone vs as variant 1 of 5 sharing connectivity", s)
	assert.Equal(t, alone.get("E", "V", 0), batch.get("E", "V", 1))
	// Variant 3 has variant 1's weight but another seed: different dynamics on the same network.
	assert.False(t, equalSpikes(ofVariant(all, 1), ofVariant(all, 3)), "the dynamics follow the variant seed")

	// The storage is shared: writing variant 0's connectivity changes every sharer's
	// (documented), and connectivityOwner is read-only.
	ind := batch.get("EE", "ind", 0)
	ind[0] = float64(int(ind[0]+1) % 320)
	batch.set("EE", "ind", 0, ind)
	assert.Equal(t, ind, batch.get("EE", "ind", 1))
	assert.Equal(t, ind, batch.get("EE", "ind", 4))
	assert.Error(t, batch.inst.SetVar(batch.varIndex("EE", "connectivityOwner"), 0, []float64{3}))

	// Init again rebuilds the shared realisation: the same run from scratch.
	require.NoError(t, batch.inst.Init())
	assert.Equal(t, want, connState(batch, 4))
	batch.step(steps)
	assert.True(t, equalSpikes(all, list(batch.spikes())), "rerun after Init")
}

// A swept connectivity seed is a runtime slot: variants with equal seeds
// share, others get their own realisation, each the same as alone.
func TestSharedConnectivityRuntimeSeed(t *testing.T) {
	t.Parallel()
	doc := withConnSeed(t, batchDoc, "3")
	m := buildModule(t, doc, codegen.Options{Runtime: []string{"simulation.connectivity_seed",
		"synapses.EI.connectivity.params.prob", "synapses.EI.connectivity.derived.probLogRecip"},
		MaxRowLength: map[string]int{"EI": 60}, MaxColLength: map[string]int{"EI": 320}})
	// (connectivity seed, EI prob and its derived 1/log(1-prob)) per variant
	r1, r2 := 1/math.Log(1-0.1), 1/math.Log(1-0.2)
	rt := []float64{7, 0.1, r1, 8, 0.1, r1, 7, 0.1, r1, 7, 0.2, r2, 8, 0.1, r1}
	batch := newInstance(t, m, []uint64{1, 2, 3, 4, 5}, rt)
	owner := func(g string) []float64 {
		var out []float64
		for v := 0; v < 5; v++ {
			out = append(out, batch.get(g, "connectivityOwner", v)...)
		}
		return out
	}
	assert.Equal(t, []float64{0, 1, 0, 0, 1}, owner("EE"))
	assert.Equal(t, []float64{0, 1, 0, 3, 1}, owner("EI"), "EI's probability differs in variant 3")
	for v := 0; v < 5; v++ {
		alone := newInstance(t, m, []uint64{uint64(v + 1)}, rt[3*v:3*v+3])
		assert.Equal(t, connState(alone, 0), connState(batch, v), "variant %d", v)
	}
	assert.NotEqual(t, batch.get("EE", "ind", 0), batch.get("EE", "ind", 1))
	assert.NotEqual(t, batch.get("EI", "ind", 0), batch.get("EI", "ind", 3))
}

// Shared connectivity of every stored kind: bitmask, host-initialised
// row lengths (FixedNumberTotalWithReplacement, also procedural), a column
// index for learn_post_code, and kernel indices (Conv2D with Kernel weights
// that differ per variant); a variant's connectivity and weights are the
// same alone as in a batch sharing connectivity.
func TestSharedConnectivityKinds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, matrix, snippet, params string }{
		{"bitmask", "bitmask", "FixedProbability", "prob: 0.3"},
		{"total", "sparse", "FixedNumberTotalWithReplacement", "total: 300"},
		{"total-procedural", "procedural", "FixedNumberTotalWithReplacement", "total: 300"},
		{"pre", "sparse", "FixedNumberPreWithReplacement", "colLength: 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc := withConnSeed(t, fmt.Sprintf(connDoc2, 30, 20, c.matrix, c.snippet, c.params), "11")
			m := buildModule(t, doc, codegen.Options{})
			batch := newInstance(t, m, []uint64{1, 2, 3}, nil)
			alone := newInstance(t, m, []uint64{2}, nil)
			for _, d := range alone.desc.Vars {
				if d.Owner != "S" || d.Kind != "connectivity" {
					continue
				}
				for v := 0; v < 3; v++ {
					assert.Equal(t, alone.get("S", d.Name, 0), batch.get("S", d.Name, v), "%s of variant %d", d.Name, v)
				}
			}
		})
	}
	t.Run("conv2d-kernel", func(t *testing.T) {
		t.Parallel()
		n := convKH * convKW * convIC * convOC
		kernel := make([]float64, n)
		for i := range kernel {
			kernel[i] = float64(i + 1)
		}
		doc := withConnSeed(t, convDoc(kernel), "5")
		s := newSim(t, doc, codegen.Options{}, []uint64{1, 2}, nil)
		k := s.mod.EGPIndex("synapses.C.weight_update.vars.g.extra_global_params.kernel")
		kernel2 := make([]float64, n)
		for i := range kernel2 {
			kernel2[i] = -0.5 * float64(i%7)
		}
		require.NoError(t, s.inst.SetEGP(k, 1, kernel2))
		require.NoError(t, s.inst.Init())
		assert.Equal(t, []float64{0}, s.get("C", "connectivityOwner", 1), "the weights are no connectivity input")
		assert.Equal(t, convExpected(kernel), convGot(t, s, 0))
		assert.Equal(t, convExpected(kernel2), convGot(t, s, 1))
	})
}

package sweep

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/gennctl/gennctl/modelspec"
)

// expBase is 14 lines; a sweep section appended to it starts on line 15.
const expBase = `name: t
simulation: {dt: 0.1, duration: 100, seed: 7}
populations:
  E:
    size: 100
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: {init: Uniform, params: {min: -60.0, max: -50.0}}, RefracTime: 0.0}
synapses:
  EE:
    source: E
    target: E
    weight_update: {model: StaticPulse, vars: {g: 0.081}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
`

func expDocOf(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(text), &n))
	return &n
}

func expSpec(t *testing.T, sweep string) *Spec {
	t.Helper()
	s, err := ParseSpec("exp.yaml", expDocOf(t, expBase+sweep))
	require.NoError(t, err)
	return s
}

func expPoints(t *testing.T, sweep string) []Point {
	t.Helper()
	pts, err := expSpec(t, sweep).Expand()
	require.NoError(t, err)
	return pts
}

// expVals is path=value for each assignment, plus the repeat.
func expVals(p Point) string {
	var parts []string
	for _, a := range p.Assign {
		parts = append(parts, a.Path+"="+CanonicalValue(a.Value))
	}
	return strings.Join(parts, " ") + fmt.Sprintf(" r%d", p.Repeat)
}

// expByID maps id -> assignments and seed.
func expByID(t *testing.T, pts []Point) map[uint64]string {
	t.Helper()
	m := map[uint64]string{}
	for _, p := range pts {
		_, dup := m[p.ID]
		require.False(t, dup, "duplicate id %d", p.ID)
		m[p.ID] = expVals(p) + " seed=" + strconv.FormatUint(p.Seed, 10)
	}
	return m
}

// expAxisValues returns the values of one path over the points, in order.
func expAxisValues(pts []Point, path string) []string {
	var out []string
	for _, p := range pts {
		for _, a := range p.Assign {
			if a.Path == path {
				out = append(out, a.Value.Value)
			}
		}
	}
	return out
}

func TestExpandNoSweep(t *testing.T) {
	s, err := ParseSpec("exp.yaml", expDocOf(t, expBase))
	require.NoError(t, err)
	pts, err := s.Expand()
	require.NoError(t, err)
	require.Len(t, pts, 1)
	assert.Empty(t, pts[0].Assign)
	assert.Equal(t, 0, pts[0].Repeat)
	assert.Less(t, pts[0].ID, uint64(1)<<53)
	assert.Empty(t, s.Axes())

	// An empty sweep key is the same single point; the seed follows simulation.seed.
	pts2 := expPoints(t, "sweep:\n")
	assert.Equal(t, pts[0].ID, pts2[0].ID)
	assert.Equal(t, pts[0].Seed, pts2[0].Seed)
	s3, err := ParseSpec("exp.yaml", expDocOf(t, strings.Replace(expBase, "seed: 7", "seed: 8", 1)))
	require.NoError(t, err)
	pts3, err := s3.Expand()
	require.NoError(t, err)
	assert.Equal(t, pts[0].ID, pts3[0].ID)
	assert.NotEqual(t, pts[0].Seed, pts3[0].Seed)
	// An explicit sweep seed equal to simulation.seed gives the same seed.
	pts4 := expPoints(t, "sweep: {seed: 7}\n")
	assert.Equal(t, pts[0].Seed, pts4[0].Seed)
}

func TestExpandGridZipRepeats(t *testing.T) {
	s := expSpec(t, `sweep:
  seed: 42
  repeats: 3
  grid:
    populations.E.params.TauM: [10, 20, 30]
    populations.E.size: [100, 200]
  zip:
    synapses.EE.weight_update.vars.g: {linspace: [0.05, 0.1, 4]}
    populations.E.params.Vthresh: {range: [-53, -49, 1]}
`)
	assert.Equal(t, []string{"populations.E.params.TauM", "populations.E.params.Vthresh", "populations.E.size",
		"synapses.EE.weight_update.vars.g"}, s.Axes())
	pts, err := s.Expand()
	require.NoError(t, err)
	require.Len(t, pts, 3*2*4*3)
	expByID(t, pts) // ids unique
	seeds := map[uint64]bool{}
	for _, p := range pts {
		seeds[p.Seed] = true
		require.Len(t, p.Assign, 4)
		assert.True(t, sort.SliceIsSorted(p.Assign, func(i, j int) bool { return p.Assign[i].Path < p.Assign[j].Path }))
		assert.Less(t, p.ID, uint64(1)<<53)
	}
	assert.Len(t, seeds, len(pts))

	// First grid axis outermost, zip rows, then repeats innermost.
	assert.Equal(t, "populations.E.params.TauM=10 populations.E.params.Vthresh=-53 populations.E.size=100 synapses.EE.weight_update.vars.g=0.05 r0", expVals(pts[0]))
	assert.Equal(t, "populations.E.params.TauM=10 populations.E.params.Vthresh=-53 populations.E.size=100 synapses.EE.weight_update.vars.g=0.05 r2", expVals(pts[2]))
	assert.Equal(t, "populations.E.params.TauM=10 populations.E.params.Vthresh=-52 populations.E.size=100 synapses.EE.weight_update.vars.g=0.06666666666666667 r0", expVals(pts[3]))
	assert.Equal(t, "populations.E.params.TauM=10 populations.E.params.Vthresh=-53 populations.E.size=200 synapses.EE.weight_update.vars.g=0.05 r0", expVals(pts[12]))
	assert.Equal(t, "populations.E.params.TauM=30 populations.E.params.Vthresh=-50 populations.E.size=200 synapses.EE.weight_update.vars.g=0.1 r2", expVals(pts[len(pts)-1]))

	// Zip columns advance together.
	for _, p := range pts {
		v := expVals(p)
		idx := strings.Index(v, "Vthresh=")
		vt := v[idx+len("Vthresh=") : idx+len("Vthresh=")+3]
		want := map[string]string{"-53": "g=0.05 ", "-52": "g=0.06666666666666667 ", "-51": "g=0.08333333333333333 ", "-50": "g=0.1 "}[vt]
		assert.Contains(t, v, want)
	}
}

func TestExpandGenerators(t *testing.T) {
	tests := []struct {
		name, values string
		want         []string
	}{
		{"list", `[1, 2.5, 3e1]`, []string{"1", "2.5", "3e1"}},
		{"single scalar", `15`, []string{"15"}},
		{"linspace", `{linspace: [0.05, 0.1, 4]}`, []string{"0.05", "0.06666666666666667", "0.08333333333333333", "0.1"}},
		{"linspace decimal grid", `{linspace: [0, 1, 11]}`, []string{"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"}},
		{"linspace endpoints exact", `{linspace: [0.1, 0.7, 3]}`, []string{"0.1", "0.4", "0.7"}},
		{"linspace one", `{linspace: [2, 3, 1]}`, []string{"2"}},
		{"linspace descending", `{linspace: [1, -1, 5]}`, []string{"1", "0.5", "0", "-0.5", "-1"}},
		{"logspace", `{logspace: [-3, 0, 4]}`, []string{"0.001", "0.01", "0.1", "1"}},
		{"logspace fractional", `{logspace: [0, 1, 3]}`, []string{"1", "3.1622776601683795", "10"}},
		{"range float step", `{range: [0, 1, 0.1]}`, []string{"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}},
		{"range stop exclusive despite rounding", `{range: [1, 1.3, 0.1]}`, []string{"1", "1.1", "1.2"}},
		{"range int", `{range: [0, 5, 2]}`, []string{"0", "2", "4"}},
		{"range negative step", `{range: [10, 0, -2.5]}`, []string{"10", "7.5", "5", "2.5"}},
		{"range small step", `{range: [0.001, 0.0035, 5e-4]}`, []string{"0.001", "0.0015", "0.002", "0.0025", "0.003"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts := expPoints(t, "sweep:\n  grid:\n    populations.E.params.TauM: "+tc.values+"\n")
			assert.Equal(t, tc.want, expAxisValues(pts, "populations.E.params.TauM"))
			for _, p := range pts {
				v := p.Assign[0].Value
				assert.Equal(t, 17, v.Line, "generated values point into the sweep section")
				if strings.HasPrefix(tc.values, "{") {
					assert.Equal(t, "!!float", v.Tag)
				}
			}
		})
	}
	// 10 values of range [0, 1, 0.1].
	assert.Len(t, expPoints(t, "sweep:\n  grid:\n    simulation.dt: {range: [0, 1, 0.1]}\n"), 10)
}

func TestExpandRandom(t *testing.T) {
	const sw = `sweep:
  random:
    seed: 5
    samples: 500
    params:
      populations.E.params.C: {uniform: [0.5, 1.5]}
      populations.E.params.TauRefrac: {loguniform: [0.1, 100]}
      populations.E.params.Ioffset: {normal: [2.0, 0.5]}
      populations.E.model: {choice: [LIF, Izhikevich, Poisson]}
`
	pts := expPoints(t, sw)
	require.Len(t, pts, 500)
	again := expPoints(t, sw)
	assert.Equal(t, expByID(t, pts), expByID(t, again), "deterministic for a seed")

	num := func(path string) []float64 {
		var out []float64
		for _, s := range expAxisValues(pts, path) {
			f, err := strconv.ParseFloat(s, 64)
			require.NoError(t, err)
			out = append(out, f)
		}
		require.Len(t, out, 500)
		return out
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	u := num("populations.E.params.C")
	for _, x := range u {
		assert.True(t, x >= 0.5 && x <= 1.5, "uniform %v", x)
	}
	assert.InDelta(t, 1.0, mean(u), 0.05)
	lu := num("populations.E.params.TauRefrac")
	logs := make([]float64, len(lu))
	for i, x := range lu {
		assert.True(t, x > 0 && x >= 0.1 && x <= 100, "loguniform %v", x)
		logs[i] = math.Log10(x)
	}
	assert.InDelta(t, 0.5, mean(logs), 0.15) // log10 uniform on [-1, 2]
	nv := num("populations.E.params.Ioffset")
	m := mean(nv)
	sd := 0.0
	for _, x := range nv {
		sd += (x - m) * (x - m)
	}
	sd = math.Sqrt(sd / float64(len(nv)-1))
	assert.InDelta(t, 2.0, m, 0.1)
	assert.InDelta(t, 0.5, sd, 0.06)
	counts := map[string]int{}
	for _, c := range expAxisValues(pts, "populations.E.model") {
		counts[c]++
	}
	assert.Len(t, counts, 3)
	for k, c := range counts {
		assert.Contains(t, []string{"LIF", "Izhikevich", "Poisson"}, k)
		assert.Greater(t, c, 100)
	}

	// Another seed draws other values.
	other := expPoints(t, strings.Replace(sw, "seed: 5", "seed: 6", 1))
	assert.NotEqual(t, expAxisValues(pts, "populations.E.params.C"), expAxisValues(other, "populations.E.params.C"))
	// More samples keep the first ones; another param leaves the others' draws alone.
	more := expPoints(t, strings.Replace(sw, "samples: 500", "samples: 600", 1))
	assert.Equal(t, expAxisValues(pts, "populations.E.params.Ioffset"), expAxisValues(more, "populations.E.params.Ioffset")[:500])
	extra := expPoints(t, sw+"      populations.E.params.Vrest: {uniform: [-50, -48]}\n")
	assert.Equal(t, expAxisValues(pts, "populations.E.params.C"), expAxisValues(extra, "populations.E.params.C"))

	// The random seed defaults to the block seed; random takes the product with grid.
	g := expPoints(t, `sweep:
  seed: 5
  repeats: 2
  grid: {populations.E.params.TauM: [10, 20]}
  random: {samples: 3, params: {populations.E.params.C: {uniform: [0.5, 1.5]}}}
`)
	require.Len(t, g, 2*3*2)
	s := expAxisValues(pts, "populations.E.params.C")
	assert.Equal(t, []string{s[0], s[0], s[1], s[1], s[2], s[2]}, expAxisValues(g, "populations.E.params.C")[:6])
	assert.Equal(t, []string{s[0], s[0], s[1], s[1], s[2], s[2]}, expAxisValues(g, "populations.E.params.C")[6:])
}

func TestExpandBlocksConcatDedupe(t *testing.T) {
	pts := expPoints(t, `sweep:
  - seed: 1
    grid: {populations.E.params.TauM: [10, 20]}
  - seed: 2
    grid: {populations.E.params.TauM: [20.0, 30]}
  - repeats: 2
    grid: {synapses.EE.weight_update.vars.g: [0.1]}
`)
	var got []string
	for _, p := range pts {
		got = append(got, expVals(p))
	}
	assert.Equal(t, []string{
		"populations.E.params.TauM=10 r0",
		"populations.E.params.TauM=20 r0",
		"populations.E.params.TauM=30 r0",
		"synapses.EE.weight_update.vars.g=0.1 r0",
		"synapses.EE.weight_update.vars.g=0.1 r1",
	}, got)
	// The duplicate keeps its first occurrence, with the first block's seed.
	first := expPoints(t, "sweep:\n  seed: 1\n  grid: {populations.E.params.TauM: [20]}\n")
	assert.Equal(t, first[0].ID, pts[1].ID)
	assert.Equal(t, first[0].Seed, pts[1].Seed)
	assert.Equal(t, "20", pts[1].Assign[0].Value.Value, "the first block's node")
	// A block with no axes uses simulation.seed; the third block had none.
	alone := expPoints(t, "sweep:\n  seed: 7\n  repeats: 2\n  grid: {synapses.EE.weight_update.vars.g: [0.1]}\n")
	assert.Equal(t, alone[1].Seed, pts[4].Seed)
}

func TestExpandStableIDs(t *testing.T) {
	base := expByID(t, expPoints(t, `sweep:
  seed: 3
  repeats: 2
  grid:
    populations.E.params.TauM: [10, 20]
    populations.E.params.C: [1.0, 2.0]
  zip:
    synapses.EE.weight_update.vars.g: [0.05, 0.1]
    populations.E.params.Vrest: [-49, -48]
`))
	require.Len(t, base, 16)
	variants := map[string]string{
		"added grid value": `sweep:
  seed: 3
  repeats: 2
  grid:
    populations.E.params.TauM: [5, 10, 15, 20]
    populations.E.params.C: [1.0, 2.0]
  zip:
    synapses.EE.weight_update.vars.g: [0.05, 0.1]
    populations.E.params.Vrest: [-49, -48]
`,
		"added zip row and repeat": `sweep:
  seed: 3
  repeats: 3
  grid:
    populations.E.params.TauM: [10, 20]
    populations.E.params.C: [1.0, 2.0]
  zip:
    synapses.EE.weight_update.vars.g: [0.02, 0.05, 0.1]
    populations.E.params.Vrest: [-50, -49, -48]
`,
		"reordered axes, values and zip columns": `sweep:
  zip:
    populations.E.params.Vrest: [-48, -49]
    synapses.EE.weight_update.vars.g: [0.1, 0.05]
  grid:
    populations.E.params.C: [2, 1]
    populations.E.params.TauM: [20.0, 1e1]
  repeats: 2
  seed: 3
`,
		"same points in two blocks": `sweep:
  - seed: 3
    repeats: 2
    grid: {populations.E.params.TauM: [10], populations.E.params.C: [1.0, 2.0]}
    zip: {synapses.EE.weight_update.vars.g: [0.05, 0.1], populations.E.params.Vrest: [-49, -48]}
  - seed: 3
    repeats: 2
    grid: {populations.E.params.TauM: [20], populations.E.params.C: [1.0, 2.0]}
    zip: {synapses.EE.weight_update.vars.g: [0.05, 0.1], populations.E.params.Vrest: [-49, -48]}
`,
	}
	for name, sw := range variants {
		t.Run(name, func(t *testing.T) {
			got := expByID(t, expPoints(t, sw))
			for id, v := range base {
				assert.Equal(t, v, got[id], "id %d", id)
			}
		})
	}
	// The sweep seed changes seeds, not ids.
	reseeded := expPoints(t, `sweep:
  seed: 4
  repeats: 2
  grid:
    populations.E.params.TauM: [10, 20]
    populations.E.params.C: [1.0, 2.0]
  zip:
    synapses.EE.weight_update.vars.g: [0.05, 0.1]
    populations.E.params.Vrest: [-49, -48]
`)
	for _, p := range reseeded {
		require.Contains(t, base, p.ID)
		assert.NotContains(t, base[p.ID], " seed="+strconv.FormatUint(p.Seed, 10))
	}
}

func TestExpandNumberCanonical(t *testing.T) {
	one := func(v string) Point {
		pts := expPoints(t, "sweep:\n  grid:\n    populations.E.params.TauM: ["+v+"]\n")
		require.Len(t, pts, 1)
		return pts[0]
	}
	p20 := one("20")
	for _, v := range []string{"20.0", "2e1", "2.0E+1", "+20", "0x14", "2_0", "20.000"} {
		assert.Equal(t, p20.ID, one(v).ID, v)
		assert.Equal(t, p20.Seed, one(v).Seed, v)
	}
	assert.NotEqual(t, p20.ID, one("21").ID)
	assert.NotEqual(t, p20.ID, one("20.000000001").ID)

	// Strings are not numbers; mappings compare with sorted keys.
	assert.Equal(t, `"20"`, CanonicalValue(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "20"}))
	a := expPoints(t, "sweep:\n  grid:\n    populations.E.vars.V: [{init: Uniform, params: {min: -60, max: -50.0}}]\n")
	b := expPoints(t, "sweep:\n  grid:\n    populations.E.vars.V: [{params: {max: -50, min: -60.0}, init: Uniform}]\n")
	assert.Equal(t, a[0].ID, b[0].ID)
	assert.Equal(t, `{"init":"Uniform","params":{"max":-50,"min":-60}}`, CanonicalValue(a[0].Assign[0].Value))
	assert.Equal(t, `[1,true,null,"x"]`, CanonicalValue(expDocOf(t, "[1.0, true, ~, x]")))
	// Integers beyond 2**53 stay exact.
	assert.Equal(t, "9007199254740993", CanonicalValue(expDocOf(t, "9007199254740993")))
	assert.Equal(t, "1e+20", CanonicalValue(expDocOf(t, "100000000000000000000")))
}

func TestExpandRepeats(t *testing.T) {
	pts := expPoints(t, "sweep:\n  repeats: 4\n  grid: {populations.E.params.TauM: [20]}\n")
	require.Len(t, pts, 4)
	ids, seeds := map[uint64]bool{}, map[uint64]bool{}
	for i, p := range pts {
		assert.Equal(t, i, p.Repeat)
		ids[p.ID], seeds[p.Seed] = true, true
	}
	assert.Len(t, ids, 4)
	assert.Len(t, seeds, 4)
	// repeat 0 is the same point as a sweep without repeats.
	assert.Equal(t, expPoints(t, "sweep:\n  grid: {populations.E.params.TauM: [20]}\n")[0].ID, pts[0].ID)
	assert.Equal(t, strconv.FormatUint(pts[0].ID, 10), pts[0].IDString())
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		name, sweep string
		want        []string
	}{
		{"missing path", `sweep:
  grid:
    populations.E.params.TauX: [1, 2]
`, []string{`exp.yaml:17:5: sweep.grid.populations.E.params.TauX: path does not exist: no key "TauX" under populations.E.params (have C, TauM, Vrest, Vreset, Vthresh, Ioffset, TauRefrac); did you mean "TauM"?`}},
		{"missing top-level key", `sweep:
  grid:
    populatons.E.size: [1, 2]
`, []string{`exp.yaml:17:5: sweep.grid.populatons.E.size: path does not exist: no key "populatons" at the top level (have name, simulation, populations, synapses, sweep); did you mean "populations"?`}},
		{"path below a value", `sweep:
  grid:
    populations.E.size.x: [1, 2]
`, []string{`exp.yaml:17:5: sweep.grid.populations.E.size.x: path does not exist: populations.E.size is a value (100), it has no key "x"`}},
		{"path into sweep", `sweep:
  grid:
    sweep.seed: [1, 2]
`, []string{`exp.yaml:17:5: sweep.grid.sweep.seed: cannot sweep the sweep section itself`}},
		{"zip unequal lengths", `sweep:
  zip:
    populations.E.params.TauM: [10, 20, 30]
    synapses.EE.weight_update.vars.g: [0.1, 0.2]
`, []string{`exp.yaml:18:5: sweep.zip.synapses.EE.weight_update.vars.g: zip axes must have equal lengths: 2 values here, 3 for populations.E.params.TauM (line 17)`}},
		{"non-numeric value", `sweep:
  grid:
    populations.E.params.TauM: [10, abc, "20"]
`, []string{
			`exp.yaml:17:37: sweep.grid.populations.E.params.TauM[1]: expected a number (the document has 20.0 at line 7), got "abc"`,
			`exp.yaml:17:42: sweep.grid.populations.E.params.TauM[2]: expected a number (the document has 20.0 at line 7), got "20"`,
		}},
		{"non-numeric random choice", `sweep:
  random:
    samples: 2
    params:
      populations.E.size: {choice: [10, [1]]}
`, []string{`exp.yaml:19:41: sweep.random.params.populations.E.size.choice[1]: expected a number (the document has 100 at line 5), got a list of 1`}},
		{"linspace arity", `sweep:
  grid:
    populations.E.params.TauM: {linspace: [1, 2]}
`, []string{`exp.yaml:17:43: sweep.grid.populations.E.params.TauM.linspace: linspace needs [start, stop, n], got 2 values`}},
		{"linspace not a list", `sweep:
  grid:
    populations.E.params.TauM: {linspace: 3}
`, []string{`exp.yaml:17:43: sweep.grid.populations.E.params.TauM.linspace: linspace needs [start, stop, n], got 3`}},
		{"linspace n zero", `sweep:
  grid:
    populations.E.params.TauM: {linspace: [1, 2, 0]}
`, []string{`exp.yaml:17:50: sweep.grid.populations.E.params.TauM.linspace[2]: linspace n must be an integer >= 1, got 0`}},
		{"logspace n negative and start not a number", `sweep:
  grid:
    populations.E.params.TauM: {logspace: [a, 2, -3]}
`, []string{
			`exp.yaml:17:44: sweep.grid.populations.E.params.TauM.logspace[0]: logspace start must be a number, got "a"`,
			`exp.yaml:17:50: sweep.grid.populations.E.params.TauM.logspace[2]: logspace n must be an integer >= 1, got -3`,
		}},
		{"linspace n fractional", `sweep:
  grid:
    populations.E.params.TauM: {linspace: [1, 2, 2.5]}
`, []string{`exp.yaml:17:50: sweep.grid.populations.E.params.TauM.linspace[2]: linspace n must be an integer >= 1, got 2.5`}},
		{"range step zero", `sweep:
  grid:
    populations.E.params.TauM: {range: [1, 2, 0]}
`, []string{`exp.yaml:17:47: sweep.grid.populations.E.params.TauM.range[2]: range step must not be 0`}},
		{"range empty", `sweep:
  grid:
    populations.E.params.TauM: {range: [2, 1, 0.5]}
`, []string{`exp.yaml:17:40: sweep.grid.populations.E.params.TauM.range: range [2, 1, 0.5] is empty`}},
		{"unknown generator", `sweep:
  grid:
    populations.E.params.TauM: {linspce: [1, 2, 3]}
`, []string{`exp.yaml:17:32: sweep.grid.populations.E.params.TauM: values must be a list, a single value or one of {linspace|logspace|range: [...]}; got a mapping with keys linspce (write a mapping value inside a list: [{...}])`}},
		{"empty list", `sweep:
  grid:
    populations.E.params.TauM: []
`, []string{`exp.yaml:17:32: sweep.grid.populations.E.params.TauM: no values (empty list)`}},
		{"unknown block key", `sweep:
  grdi:
    populations.E.params.TauM: [1]
`, []string{`exp.yaml:16:3: sweep.grdi: unknown key "grdi" (allowed: seed, repeats, grid, zip, random, sobol, latin_hypercube)`}},
		{"repeats zero", `sweep:
  repeats: 0
`, []string{`exp.yaml:16:12: sweep.repeats: repeats must be an integer >= 1, got 0`}},
		{"seed negative", `sweep:
  seed: -1
`, []string{`exp.yaml:16:9: sweep.seed: seed must be an integer from 0 to 18446744073709551615, got -1`}},
		{"random without samples", `sweep:
  random:
    params:
      populations.E.params.C: {uniform: [0.5, 1.5]}
`, []string{`exp.yaml:16:3: sweep.random: missing "samples" (the number of random points to draw)`}},
		{"random unknown distribution", `sweep:
  random:
    samples: 3
    params:
      populations.E.params.C: {gauss: [0, 1]}
`, []string{`exp.yaml:19:32: sweep.random.params.populations.E.params.C.gauss: unknown distribution "gauss" (allowed: uniform, loguniform, normal, choice)`}},
		{"random bad arguments", `sweep:
  random:
    samples: 3
    params:
      populations.E.params.C: {loguniform: [0, 1]}
      populations.E.params.TauM: {uniform: [2, 1]}
      populations.E.params.Vrest: {normal: [0, 1, 2]}
      populations.E.params.Vreset: {normal: [0, -1]}
`, []string{
			`exp.yaml:19:44: sweep.random.params.populations.E.params.C.loguniform: loguniform low must be > 0, got 0`,
			`exp.yaml:20:44: sweep.random.params.populations.E.params.TauM.uniform: uniform needs low <= high, got [2, 1]`,
			`exp.yaml:21:44: sweep.random.params.populations.E.params.Vrest.normal: normal needs [mean, sd], got 3 values`,
			`exp.yaml:22:45: sweep.random.params.populations.E.params.Vreset.normal: normal sd must be >= 0, got -1`,
		}},
		{"duplicate axis", `sweep:
  grid:
    populations.E.params.TauM: [1, 2]
  zip:
    populations.E.params.TauM: [3]
    populations.E.vars.V.params: [{min: 0, max: 1}]
  random:
    samples: 1
    params:
      populations.E.vars.V.params.min: {uniform: [0, 1]}
`, []string{
			`exp.yaml:19:5: sweep.zip.populations.E.params.TauM: swept twice in this block (also at line 17)`,
			`exp.yaml:24:7: sweep.random.params.populations.E.vars.V.params.min: overlaps with populations.E.vars.V.params, swept in the same block (line 20)`,
		}},
		{"list blocks and several errors", `sweep:
  - grid: {simulation.dt: [0.1]}
  - grid: {simulation.dtt: [0.1]}
    repeats: 0
    zap: 1
  - 3
`, []string{
			`exp.yaml:17:12: sweep[1].grid.simulation.dtt: path does not exist: no key "dtt" under simulation (have dt, duration, seed); did you mean "dt"?`,
			`exp.yaml:18:14: sweep[1].repeats: repeats must be an integer >= 1, got 0`,
			`exp.yaml:19:5: sweep[1].zap: unknown key "zap" (allowed: seed, repeats, grid, zip, random, sobol, latin_hypercube)`,
			`exp.yaml:20:5: sweep[2]: expected a sweep block (a mapping with seed, repeats, grid, zip, random, sobol, latin_hypercube), got 3`,
		}},
		{"sweep not a mapping", `sweep: 3
`, []string{`exp.yaml:15:8: sweep: expected a mapping (grid, zip, random, sobol, latin_hypercube, repeats, seed) or a list of them, got 3`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSpec("exp.yaml", expDocOf(t, expBase+tc.sweep))
			require.Error(t, err)
			assert.Nil(t, s)
			var ds modelspec.Diagnostics
			require.True(t, errors.As(err, &ds))
			var got []string
			for _, d := range ds {
				got = append(got, d.Error())
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, strings.Join(tc.want, "\n"), err.Error())
		})
	}
}

func TestExpandSimulationSeedError(t *testing.T) {
	_, err := ParseSpec("exp.yaml", expDocOf(t, strings.Replace(expBase, "seed: 7", "seed: x", 1)))
	require.EqualError(t, err, `exp.yaml:2:44: simulation.seed: seed must be an integer from 0 to 18446744073709551615, got "x"`)
}

func TestExpandLimit(t *testing.T) {
	old := MaxPoints
	defer func() { MaxPoints = old }()
	MaxPoints = 10
	s := expSpec(t, "sweep:\n  repeats: 2\n  grid: {simulation.dt: [1, 2, 3], simulation.duration: [1, 2]}\n")
	_, err := s.Expand()
	require.EqualError(t, err, "exp.yaml:15:1: sweep: expands to 12 points, more than the limit of 10")
	_, err = ParseSpec("exp.yaml", expDocOf(t, expBase+"sweep:\n  grid: {simulation.dt: {range: [0, 1, 0.01]}}\n"))
	require.EqualError(t, err, "exp.yaml:16:33: sweep.grid.simulation.dt.range: range has 100 values, more than the limit of 10")
}

func TestApplyPoint(t *testing.T) {
	doc := expDocOf(t, expBase+`sweep:
  grid:
    populations.E.params.TauM: [10, 30]
    populations.E.vars.V: [{init: Normal, params: {mean: -55, sd: 2}}]
    simulation.dt: {linspace: [0.1, 0.2, 2]}
`)
	before, err := yaml.Marshal(doc)
	require.NoError(t, err)
	s, err := ParseSpec("exp.yaml", doc)
	require.NoError(t, err)
	pts, err := s.Expand()
	require.NoError(t, err)
	require.Len(t, pts, 4)

	out, err := ApplyPoint(doc, pts[3])
	require.NoError(t, err)
	after, err := yaml.Marshal(doc)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "original untouched")
	assert.Equal(t, yaml.DocumentNode, out.Kind)

	var got map[string]any
	require.NoError(t, out.Decode(&got))
	assert.NotContains(t, got, "sweep")
	assert.Contains(t, got, "synapses")
	pop := got["populations"].(map[string]any)["E"].(map[string]any)
	assert.Equal(t, 30, pop["params"].(map[string]any)["TauM"])
	assert.Equal(t, -49.0, pop["params"].(map[string]any)["Vrest"])
	assert.Equal(t, map[string]any{"init": "Normal", "params": map[string]any{"mean": -55, "sd": 2}}, pop["vars"].(map[string]any)["V"])
	assert.Equal(t, 0.2, got["simulation"].(map[string]any)["dt"])

	n, err := LookupPath(out, "simulation.dt")
	require.NoError(t, err)
	assert.Equal(t, 19, n.Line, "substituted values keep their position in the sweep section")
	_, err = LookupPath(out, "sweep")
	require.Error(t, err)

	// Substituting into the result does not leak into the spec's nodes.
	n.Value = "99"
	out2, err := ApplyPoint(doc, pts[3])
	require.NoError(t, err)
	n2, err := LookupPath(out2, "simulation.dt")
	require.NoError(t, err)
	assert.Equal(t, "0.2", n2.Value)
}

// aliasesAndMerges is a document with an alias, a merge key and a list, up
// to its sweep's grid (the axes follow).
const aliasesAndMerges = `base: &lif {C: 1.0, TauM: 20.0}
populations:
  E: {params: *lif}
  I: {params: {<<: *lif, C: 2.0}}
  L: [{x: 1}, {x: 2}]
sweep:
  grid:`

func TestApplyPointAliasesAndMerges(t *testing.T) {
	doc := expDocOf(t, aliasesAndMerges+`
    populations.E.params.TauM: [10]
    populations.I.params.TauM: [15]
    populations.L.1.x: [5]
`)
	pts := func() []Point {
		s, err := ParseSpec("a.yaml", doc)
		require.NoError(t, err)
		p, err := s.Expand()
		require.NoError(t, err)
		return p
	}()
	require.Len(t, pts, 1)
	out, err := ApplyPoint(doc, pts[0])
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, out.Decode(&got))
	pops := got["populations"].(map[string]any)
	params := func(name string) any { return pops[name].(map[string]any)["params"] }
	assert.Equal(t, map[string]any{"C": 1.0, "TauM": 20.0}, got["base"])
	assert.Equal(t, map[string]any{"C": 1.0, "TauM": 10}, params("E"))
	assert.Equal(t, map[string]any{"C": 2.0, "TauM": 15}, params("I"))
	assert.Equal(t, []any{map[string]any{"x": 1}, map[string]any{"x": 5}}, pops["L"])

	_, err = ParseSpec("a.yaml", expDocOf(t, "populations:\n  L: [{x: 1}]\nsweep:\n  grid: {populations.L.3.x: [1], populations.L.a: [1]}\n"))
	require.EqualError(t, err, "a.yaml:4:10: sweep.grid.populations.L.3.x: path does not exist: index 3 is out of range under populations.L (length 1)\n"+
		`a.yaml:4:34: sweep.grid.populations.L.a: path does not exist: populations.L is a list of 1; "a" is not an index`)
}

// An assignment under an anchor must not show through mappings merged from
// it or aliases of it: each is its own part of the document.
func TestApplyPointAnchorsIndependent(t *testing.T) {
	doc := expDocOf(t, `
synapses:
  EE: &exc {source: E, weight_update: {vars: {g: 1.0}}}
  EI: {<<: *exc, target: I}
  EX: *exc
sweep:
  grid: {synapses.EE.weight_update.vars.g: [2.0]}
`)
	spec, err := ParseSpec("t.yaml", doc)
	require.NoError(t, err)
	pts, err := spec.Expand()
	require.NoError(t, err)
	out, err := ApplyPoint(doc, pts[0])
	require.NoError(t, err)
	var got struct {
		Synapses map[string]struct {
			WeightUpdate struct {
				Vars map[string]float64 `yaml:"vars"`
			} `yaml:"weight_update"`
		} `yaml:"synapses"`
	}
	require.NoError(t, out.Decode(&got))
	assert.Equal(t, 2.0, got.Synapses["EE"].WeightUpdate.Vars["g"])
	assert.Equal(t, 1.0, got.Synapses["EI"].WeightUpdate.Vars["g"])
	assert.Equal(t, 1.0, got.Synapses["EX"].WeightUpdate.Vars["g"])
}

// A plan applies every point to one base document (pointBase), side by side:
// each result is ApplyPoint's, and the base, whose nodes off the assigned
// paths the results share, stays as it was (run with -race).
func TestApplyPointSharedBase(t *testing.T) {
	doc := expDocOf(t, aliasesAndMerges+`
    populations.E.params.TauM: [10, 11, 12]
    populations.I.params.TauM: [15, 16]
    populations.L.1.x: [5, 6]
`)
	spec, err := ParseSpec("a.yaml", doc)
	require.NoError(t, err)
	pts, err := spec.Expand()
	require.NoError(t, err)
	require.Len(t, pts, 12)
	base, err := pointBase(doc)
	require.NoError(t, err)
	before, err := yaml.Marshal(base)
	require.NoError(t, err)
	got := make([][]byte, len(pts))
	var wg sync.WaitGroup
	for i := range pts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := applyPoint(base, pts[i])
			if err == nil {
				got[i], err = yaml.Marshal(out)
			}
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	for i, p := range pts {
		want, err := ApplyPoint(doc, p)
		require.NoError(t, err)
		wantText, err := yaml.Marshal(want)
		require.NoError(t, err)
		assert.Equal(t, string(wantText), string(got[i]), "point %d", i)
	}
	after, err := yaml.Marshal(base)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "the base is untouched")
}

package sweep

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expFloats returns one path's values over the points as numbers.
func expFloats(t *testing.T, pts []Point, path string) []float64 {
	t.Helper()
	var out []float64
	for _, s := range expAxisValues(pts, path) {
		f, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		out = append(out, f)
	}
	require.Len(t, out, len(pts))
	return out
}

func TestSobolJoeKuoTable(t *testing.T) {
	require.Len(t, sobolJoeKuo, SobolMaxDims-1)
	for d, jk := range sobolJoeKuo {
		require.Len(t, jk.m, int(jk.s), "dimension %d", d+2)
		for k, m := range jk.m {
			// Direction integers are odd and below 2**(k+1).
			assert.True(t, m%2 == 1 && m < 1<<(k+1), "dimension %d m_%d = %d", d+2, k+1, m)
		}
		assert.Less(t, jk.a, uint32(1)<<(jk.s-1), "dimension %d a", d+2)
	}
}

// The first points of the unscrambled sequence as Joe and Kuo's generator
// (and scipy.stats.qmc.Sobol(d=3, scramble=False)) print them.
func TestSobolFirstPointsPublished(t *testing.T) {
	pts := expPoints(t, `sweep:
  sobol:
    samples: 8
    scramble: false
    params:
      populations.E.params.TauM: {uniform: [0, 1]}
      populations.E.params.C: {uniform: [0, 1]}
      populations.E.params.Ioffset: {uniform: [0, 1]}
`)
	want := [][3]float64{ // dimensions 1, 2, 3: C, Ioffset, TauM (sorted paths)
		{0, 0, 0},
		{0.5, 0.5, 0.5},
		{0.75, 0.25, 0.25},
		{0.25, 0.75, 0.75},
		{0.375, 0.375, 0.625},
		{0.875, 0.875, 0.125},
		{0.625, 0.125, 0.875},
		{0.125, 0.625, 0.375},
	}
	c := expFloats(t, pts, "populations.E.params.C")
	io := expFloats(t, pts, "populations.E.params.Ioffset")
	tm := expFloats(t, pts, "populations.E.params.TauM")
	for i, w := range want {
		assert.Equal(t, w, [3]float64{c[i], io[i], tm[i]}, "point %d (exact)", i)
	}
}

// Every dimension's first 2**m points, shifted or not, put exactly one point
// in each interval [k/2**m, (k+1)/2**m): the one-dimensional projections are
// (0, m, 1)-nets, which a wrong direction number or recurrence breaks.
func TestSobolDimensionsStratify(t *testing.T) {
	const m = 10
	for dim := 0; dim < SobolMaxDims; dim++ {
		for _, shift := range []uint32{0, 0x9e3779b9} {
			seen := make([]bool, 1<<m)
			for i, x := range sobolInts(dim, 1<<m) {
				k := (x ^ shift) >> (32 - m)
				require.False(t, seen[k], "dimension %d shift %#x: point %d in a taken interval", dim+1, shift, i)
				seen[k] = true
			}
		}
	}
}

func TestSobolScrambledDeterministicAndPrefixStable(t *testing.T) {
	sw := func(seed, samples int) string {
		return fmt.Sprintf(`sweep:
  sobol:
    seed: %d
    samples: %d
    params:
      populations.E.params.C: {uniform: [0.5, 1.5]}
      populations.E.params.Ioffset: {normal: [2.0, 0.5]}
      populations.E.params.TauRefrac: {loguniform: [0.1, 100]}
      populations.E.model: {choice: [LIF, Izhikevich]}
`, seed, samples)
	}
	pts := expPoints(t, sw(3, 256))
	require.Len(t, pts, 256)
	assert.Equal(t, expByID(t, pts), expByID(t, expPoints(t, sw(3, 256))), "deterministic for a seed")
	other := expPoints(t, sw(4, 256))
	assert.NotEqual(t, expAxisValues(pts, "populations.E.params.C"), expAxisValues(other, "populations.E.params.C"))

	// A longer prefix keeps every earlier variant: ids, seeds and values.
	more := expByID(t, expPoints(t, sw(3, 300)))
	assert.Len(t, more, 300)
	for id, v := range expByID(t, pts) {
		assert.Equal(t, v, more[id])
	}

	// Quasi-random: the sample mean of 256 points is far closer than
	// Monte Carlo's sd/sqrt(n) (0.018 for C, 0.031 for Ioffset); for the
	// normal, the tails' few points leave an error of about 0.013 sd.
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	c := expFloats(t, pts, "populations.E.params.C")
	assert.InDelta(t, 1.0, mean(c), 0.002)
	for _, x := range c {
		assert.True(t, x > 0.5 && x < 1.5, "uniform %v", x)
	}
	assert.InDelta(t, 2.0, mean(expFloats(t, pts, "populations.E.params.Ioffset")), 0.01)
	logs := expFloats(t, pts, "populations.E.params.TauRefrac")
	for i, x := range logs {
		logs[i] = math.Log10(x)
	}
	assert.InDelta(t, 0.5, mean(logs), 0.006) // log10 uniform on [-1, 2]
	counts := map[string]int{}
	for _, v := range expAxisValues(pts, "populations.E.model") {
		counts[v]++
	}
	// Two equal bins of a (0, 8, 1)-net in dimension 4: exactly half each.
	assert.Equal(t, map[string]int{"LIF": 128, "Izhikevich": 128}, counts)
}

func TestLatinHypercubeStrata(t *testing.T) {
	sw := `sweep:
  latin_hypercube:
    seed: 11
    samples: 50
    params:
      populations.E.params.C: {uniform: [0, 10]}
      populations.E.params.Ioffset: {normal: [1.0, 0.2]}
      populations.E.params.TauRefrac: {loguniform: [1, 100]}
`
	pts := expPoints(t, sw)
	require.Len(t, pts, 50)
	assert.Equal(t, expByID(t, pts), expByID(t, expPoints(t, sw)), "deterministic for a seed")
	// Each axis, mapped back through its CDF, has one sample per stratum
	// [k/50, (k+1)/50). Values are printed to 17 digits, so a sample lies
	// within 1e-12 of its stratum.
	cdfs := map[string]func(float64) float64{
		"populations.E.params.C":         func(x float64) float64 { return x / 10 },
		"populations.E.params.Ioffset":   func(x float64) float64 { return 0.5 * math.Erfc(-(x-1.0)/(0.2*math.Sqrt2)) },
		"populations.E.params.TauRefrac": func(x float64) float64 { return math.Log(x) / math.Log(100) },
	}
	for path, cdf := range cdfs {
		us := expFloats(t, pts, path)
		for i, x := range us {
			us[i] = cdf(x) * 50
		}
		sort.Float64s(us)
		for k, u := range us {
			assert.True(t, u > float64(k)-1e-9 && u < float64(k+1)+1e-9, "%s: stratum %d holds %v", path, k, u/50)
		}
	}
	// Another seed draws another design; a new param leaves the others alone.
	assert.NotEqual(t, expAxisValues(pts, "populations.E.params.C"),
		expAxisValues(expPoints(t, strings.Replace(sw, "seed: 11", "seed: 12", 1)), "populations.E.params.C"))
	extra := expPoints(t, sw+"      populations.E.params.Vrest: {uniform: [-50, -48]}\n")
	assert.Equal(t, expAxisValues(pts, "populations.E.params.C"), expAxisValues(extra, "populations.E.params.C"))
	// The seed defaults to the block's; the design is one dimension of the
	// product with grid (and with a random block).
	g := expPoints(t, `sweep:
  seed: 11
  grid: {populations.E.params.TauM: [10, 20]}
  random: {samples: 3, params: {populations.E.params.Vthresh: {uniform: [-52, -48]}}}
  latin_hypercube: {samples: 50, params: {populations.E.params.C: {uniform: [0, 10]}}}
`)
	require.Len(t, g, 2*3*50)
	assert.Equal(t, expAxisValues(pts, "populations.E.params.C"), expAxisValues(g, "populations.E.params.C")[:50])
}

func TestDesignErrors(t *testing.T) {
	tests := []struct {
		name, sweep string
		want        []string
	}{
		{"samples zero", `sweep:
  sobol:
    samples: 0
    params: {populations.E.params.C: {uniform: [0, 1]}}
`, []string{`exp.yaml:17:14: sweep.sobol.samples: samples must be an integer >= 1, got 0`}},
		{"samples fractional", `sweep:
  latin_hypercube:
    samples: 2.5
    params: {populations.E.params.C: {uniform: [0, 1]}}
`, []string{`exp.yaml:17:14: sweep.latin_hypercube.samples: samples must be an integer >= 1, got 2.5`}},
		{"samples missing", `sweep:
  sobol:
    params: {populations.E.params.C: {uniform: [0, 1]}}
`, []string{`exp.yaml:16:3: sweep.sobol: missing "samples" (the number of Sobol points to draw)`}},
		{"unknown keys", `sweep:
  sobol:
    samples: 4
    scrambled: true
    params: {populations.E.params.C: {uniform: [0, 1]}}
  latin_hypercube:
    samples: 4
    scramble: false
    params: {populations.E.params.C: {uniform: [0, 1]}}
`, []string{
			`exp.yaml:18:5: sweep.sobol.scrambled: unknown key "scrambled" (allowed: seed, samples, scramble, params)`,
			`exp.yaml:22:5: sweep.latin_hypercube.scramble: unknown key "scramble" (allowed: seed, samples, params)`,
		}},
		{"scramble not a bool", `sweep:
  sobol:
    samples: 4
    scramble: 1
    params: {populations.E.params.C: {uniform: [0, 1]}}
`, []string{`exp.yaml:18:15: sweep.sobol.scramble: scramble must be true or false, got 1`}},
		{"normal unscrambled", `sweep:
  sobol:
    samples: 4
    scramble: false
    params:
      populations.E.params.C: {normal: [1, 0.1]}
`, []string{`exp.yaml:20:32: sweep.sobol.params.populations.E.params.C.normal: normal needs scramble: true (the unscrambled sequence starts at 0, whose normal quantile is -inf)`}},
		{"summaries swept", `sweep:
  grid:
    summaries.E.bin: [5, 10]
`, []string{`exp.yaml:17:5: sweep.grid.summaries.E.bin: cannot sweep the summaries section (it makes the columns of variants.arrow, the same for every variant)`}},
		{"bad distribution", `sweep:
  latin_hypercube:
    samples: 4
    params:
      populations.E.params.C: {uniform: [2, 1]}
`, []string{`exp.yaml:19:41: sweep.latin_hypercube.params.populations.E.params.C.uniform: uniform needs low <= high, got [2, 1]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec("exp.yaml", expDocOf(t, expBase+tc.sweep))
			require.Error(t, err)
			assert.Equal(t, strings.Join(tc.want, "\n"), err.Error())
		})
	}
}

func TestSobolTooManyDims(t *testing.T) {
	var doc, params strings.Builder
	doc.WriteString("name: t\nsimulation: {dt: 0.1, duration: 10}\nx:\n")
	for i := 0; i <= SobolMaxDims; i++ {
		fmt.Fprintf(&doc, "  p%d: 0.0\n", i)
		fmt.Fprintf(&params, "      x.p%d: {uniform: [0, 1]}\n", i)
	}
	head := strings.Count(doc.String(), "\n")
	doc.WriteString("sweep:\n  sobol:\n    samples: 4\n    params:\n" + params.String())
	_, err := ParseSpec("exp.yaml", expDocOf(t, doc.String()))
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("exp.yaml:%d:5: sweep.sobol.params: sobol supports at most 32 params (Joe and Kuo's direction numbers for 32 dimensions), got 33", head+4), err.Error())
}

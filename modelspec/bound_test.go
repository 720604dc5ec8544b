package modelspec_test

import (
	"strings"
	"testing"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boundDoc is a network with one sparse group; conn is its connectivity.
func boundDoc(conn string) string {
	return `simulation: {dt: 0.1, duration: 10}
populations:
  P: {size: 10, model: SpikeSource}
synapses:
  PP:
    source: P
    target: P
    matrix: sparse
    connectivity: ` + conn + `
    weight_update: {model: StaticPulse, vars: {g: 0.5}}
    postsynaptic: {model: DeltaCurr}
`
}

// max_row_length and max_col_length are accepted on any snippet, built-in
// included, change the structure (they change the generated code) and
// leave a network without them as it was.
func TestConnectivityBoundsDecode(t *testing.T) {
	plain := mustDecode(t, boundDoc("{init: FixedProbability, params: {prob: 0.1}}"))
	set := mustDecode(t, boundDoc("{init: FixedProbability, params: {prob: 0.1}, max_row_length: 7, max_col_length: 9}"))
	c := set.Synapses[0].Connectivity
	assert.Equal(t, [2]int{7, 9}, [2]int{c.MaxRowLength, c.MaxColLength})
	assert.Zero(t, plain.Synapses[0].Connectivity.MaxRowLength)
	assert.NotEqual(t, plain.StructureDigest(), set.StructureDigest())
	assert.Equal(t, plain.ValueDigest(), set.ValueDigest(), "a bound is structure, not a value")

	_, err := decodeString("t.yaml", boundDoc("{init: FixedProbability, params: {prob: 0.1}, max_row_length: 0}"))
	requireDiags(t, err, "t.yaml", []string{"t.yaml:9:81: synapses.PP.connectivity.max_row_length: must be between 1 and 2147483647, got 0"})
	_, err = decodeString("t.yaml", strings.Replace(boundDoc("{init: FixedProbability, params: {prob: 0.1}, max_row_length: 4}"), "sparse", "procedural", 1))
	requireDiags(t, err, "t.yaml", []string{"t.yaml:9:65: synapses.PP.connectivity.max_row_length: bounds the stored rows and columns of a sparse matrix; a procedural matrix stores none"})
	_, err = decodeString("t.yaml", boundDoc("{init: FixedProbability, params: {prob: 0.1}, max_col_length: 2.5}"))
	requireDiags(t, err, "t.yaml", []string{"t.yaml:9:81: synapses.PP.connectivity.max_col_length: expected an integer, got \"2.5\""})
}

// The upper quantile from the tail is GeNN's binomialInverseCDF at
// 1 - tail where that is exact, and keeps going where 1 - tail rounds to 1.
func TestBinomialUpperQuantile(t *testing.T) {
	for _, c := range []struct {
		tail float64
		n    uint32
		p    float64
	}{{1e-4, 3200, 0.02}, {0.25, 100, 0.5}, {1e-8, 800, 0.02}, {0.5, 10, 0.3}} {
		want, err := modelspec.BinomialInverseCDF(1-c.tail, c.n, c.p)
		require.NoError(t, err)
		got, err := modelspec.BinomialUpperQuantile(c.tail, c.n, c.p)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%+v", c)
	}
	lo, err := modelspec.BinomialUpperQuantile(1e-15, 3200, 0.02)
	require.NoError(t, err)
	hi, err := modelspec.BinomialUpperQuantile(1e-18, 3200, 0.02)
	require.NoError(t, err)
	assert.Less(t, lo, hi, "1 - 1e-18 is 1 in double; the tail is not")
	assert.Less(t, hi, uint32(3200))
	_, err = modelspec.BinomialUpperQuantile(2, 10, 0.5)
	assert.ErrorContains(t, err, "tail 2 is not in [0, 1]")
}

// EvalBound scales the tails of the upper quantiles in an expression and
// is EvalExpr otherwise.
func TestEvalBound(t *testing.T) {
	expr := modelspec.Builtins().Connectivity["FixedProbability"].MaxRowLength
	vars := map[string]float64{"num_pre": 3200, "num_post": 3200, "prob": 0.02}
	genn, err := modelspec.EvalExpr(expr, vars)
	require.NoError(t, err)
	same, err := modelspec.EvalBound(expr, vars, 1)
	require.NoError(t, err)
	assert.Equal(t, genn, same)
	wide, err := modelspec.EvalBound(expr, vars, 1e-6)
	require.NoError(t, err)
	want, err := modelspec.BinomialUpperQuantile((1-pow9999(3200))*1e-6, 3200, 0.02)
	require.NoError(t, err)
	assert.Equal(t, float64(want), wide)
	assert.Greater(t, wide, genn)
	lower, err := modelspec.EvalBound("binomialInverseCDF(0.25, 100, 0.5)", nil, 1e-6)
	require.NoError(t, err)
	assert.Equal(t, 47.0, lower, "a lower quantile is no bound and stays GeNN's")
	assert.True(t, strings.Contains(expr, "pow(0.9999"), "GeNN's expression: %s", expr)
}

func pow9999(rows float64) float64 {
	v, err := modelspec.EvalExpr("pow(0.9999, 1.0 / rows)", map[string]float64{"rows": rows})
	if err != nil {
		panic(err)
	}
	return v
}

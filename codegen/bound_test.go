package codegen_test

import (
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binomialTail is P(X > k) for X ~ B(n, p), summed term by term from the
// log PMF (an implementation independent of modelspec's).
func binomialTail(k, n int, p float64) float64 {
	sum := 0.0
	for j := n; j > k; j-- {
		lc, _ := math.Lgamma(float64(n + 1))
		lj, _ := math.Lgamma(float64(j + 1))
		lr, _ := math.Lgamma(float64(n - j + 1))
		sum += math.Exp(lc - lj - lr + float64(j)*math.Log(p) + float64(n-j)*math.Log1p(-p))
	}
	return sum
}

func fixedProbability(pre, post int, prob float64) *modelspec.SynapseGroup {
	snip := modelspec.Builtins().Connectivity["FixedProbability"]
	return &modelspec.SynapseGroup{Name: "EE", Matrix: modelspec.MatrixSparse,
		Source: &modelspec.Population{Name: "E", Size: pre}, Target: &modelspec.Population{Name: "E", Size: post},
		Connectivity: &modelspec.ConnectivityInit{Snippet: snip, Params: modelspec.Params{"prob": {V: prob}}}}
}

// A sweep's row bound is the smallest length that every row of every
// variant exceeds with probability at most 1e-9 in all (union bound over
// rows, bounds and variants, the variants rounded up to a power of ten):
// for CUBA's EE (3200 × 3200, p = 0.02) in a sweep of 200 variants with 8
// bounds (4 sparse groups' rows and columns). The overflow probability is
// computed here independently, to a relative 1e-9 (far finer than the
// factor of about 10 between consecutive lengths this far out in the tail).
func TestSweepRowBoundOverflowProbability(t *testing.T) {
	const rows, post, prob, variants, bounds = 3200, 3200, 0.02, 200, 8
	s := fixedProbability(rows, post, prob)
	k, err := codegen.MaxRowLength(s, codegen.BoundTailScale(variants, bounds))
	require.NoError(t, err)
	overflow := func(k int) float64 { return rows * binomialTail(k, post, prob) * 1000 * bounds }
	assert.LessOrEqual(t, overflow(k), codegen.OverflowBudget*(1+1e-9), "bound %d: the sweep overflows with probability %g", k, overflow(k))
	assert.Greater(t, overflow(k-1), codegen.OverflowBudget, "bound %d is not the smallest", k)

	// GeNN's own bound (tail scale 1) lets one network overflow with
	// probability 1e-4: the bound that lost a variant of the 200.
	genn, err := codegen.MaxRowLength(s, 1)
	require.NoError(t, err)
	assert.Less(t, genn, k)
	assert.LessOrEqual(t, rows*binomialTail(genn, post, prob), 1e-4*(1+1e-6))
	assert.Greater(t, rows*binomialTail(genn-1, post, prob), 1e-4)
	t.Logf("row bound %d (overflow %.2g over the sweep); GeNN's %d (overflow %.2g per variant)", k, overflow(k), genn, rows*binomialTail(genn, post, prob))

	// A bound set in the config wins over the snippet's.
	s.Connectivity.MaxRowLength, s.Connectivity.MaxColLength = 7, 9
	row, err := codegen.MaxRowLength(s, codegen.BoundTailScale(variants, bounds))
	require.NoError(t, err)
	col, err := codegen.MaxColLength(s, codegen.BoundTailScale(variants, bounds))
	require.NoError(t, err)
	assert.Equal(t, [2]int{7, 9}, [2]int{row, col})
}

// The tail scale divides the budget among the variants (rounded up to a
// power of ten) and bounds.
func TestBoundTailScale(t *testing.T) {
	for _, c := range []struct {
		variants, bounds int
		want             float64
	}{{1, 1, 1e-5}, {200, 8, 1e-9 / 1e-4 / 1000 / 8}, {1000, 2, 1e-9 / 1e-4 / 1000 / 2}, {1001, 2, 1e-9 / 1e-4 / 10000 / 2}} {
		assert.InEpsilon(t, c.want, codegen.BoundTailScale(c.variants, c.bounds), 1e-12, "%d variants, %d bounds", c.variants, c.bounds)
	}
}

package cpu_test

import (
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gn_find_nonfinite reports, per variant, the first non-finite value among
// the checked variables in description order (here U before V, so V's
// infinity in element 3 is found only where U is finite), and nothing for
// a variant whose state is finite. The delayed (slotted) variable is read
// at its latest slot.
func TestFindNonFinite(t *testing.T) {
	t.Parallel()
	s := newSim(t, `
simulation: {dt: 1.0, duration: 10, precision: double}
models:
  neurons:
    Grow:
      params: [a, b]
      vars: {U: scalar, V: scalar, N: int}
      sim_code: |
        if ($(id) == 1) $(U) = $(U) * $(b);
        if ($(id) == 3) $(V) = $(V) * $(a);
        $(N) = $(N) + 1;
populations:
  P: {size: 5, model: Grow, params: {a: 1.0, b: 1.0}, vars: {U: 1.0, V: 1.0e300, N: 0}}
`, codegen.Options{Runtime: []string{"populations.P.params.a", "populations.P.params.b"}},
		[]uint64{1, 2, 3}, []float64{1, 1, 1e10, 1, 1e10, 0.0})
	first, err := s.inst.FindNonFinite()
	require.NoError(t, err)
	assert.Equal(t, []*gpu.Location{nil, nil, nil}, first, "finite after gn_init")
	s.step(1)
	first, err = s.inst.FindNonFinite()
	require.NoError(t, err)
	u, v := s.varIndex("P", "U"), s.varIndex("P", "V")
	require.Less(t, u, v)
	// variant 0 (a = b = 1) stays finite; in variants 1 and 2 (a = 1e10)
	// V[3] = 1e300 * 1e10 overflows to +inf, while U (b = 1, b = 0) stays
	// finite. A NaN set into U[1] of variant 2 then comes first.
	assert.Equal(t, []*gpu.Location{nil, {Var: v, Index: 3}, {Var: v, Index: 3}}, first)
	s.set("P", "U", 2, []float64{0, math.NaN(), 0, 0, 0})
	first, err = s.inst.FindNonFinite()
	require.NoError(t, err)
	assert.Equal(t, &gpu.Location{Var: u, Index: 1}, first[2], "U precedes V in the description")
}

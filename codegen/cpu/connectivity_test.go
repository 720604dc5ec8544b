package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connDoc connects two populations of n neurons with one sparse group S.
const connDoc = `
name: conn
simulation: {dt: 0.1, duration: 1, precision: float, seed: 1}
populations:
  A: {size: %[1]d, model: SpikeSource}
  B: {size: %[1]d, model: SpikeSource}
synapses:
  S:
    source: A
    target: %[2]s
    matrix: sparse
    connectivity: {init: %[3]s, params: {%[4]s}}
    weight_update: {model: StaticPulse, vars: {g: 1.0}}
    postsynaptic: {model: DeltaCurr}
`

// rows reads the sparse connectivity of group S of one variant as a list
// of target lists.
func rows(t *testing.T, s *sim, group string, variant, npre int) [][]int {
	t.Helper()
	rl := s.get(group, "rowLength", variant)
	ind := s.get(group, "ind", variant)
	require.Len(t, rl, npre)
	require.Zero(t, len(ind)%npre)
	maxRow := len(ind) / npre
	for _, sd := range s.desc.Synapses {
		if sd.Name == group {
			assert.Equal(t, maxRow, sd.MaxRowLength, "ind has num_pre × max_row_length entries")
		}
	}
	out := make([][]int, npre)
	for i := 0; i < npre; i++ {
		require.LessOrEqual(t, int(rl[i]), maxRow, "row %d longer than the row stride", i)
		for k := 0; k < int(rl[i]); k++ {
			out[i] = append(out[i], int(ind[i*maxRow+k]))
		}
	}
	return out
}

func TestFixedProbability(t *testing.T) {
	t.Parallel()
	const n, p = 1000, 0.1
	m := buildModule(t, fmt.Sprintf(connDoc, n, "B", "FixedProbability", "prob: 0.1"), codegen.Options{})
	// Variant 1 has seed 5 in a batch of 2; a lone instance with seed 5 must build the same rows.
	s := newInstance(t, m, []uint64{4, 5}, nil)
	r := rows(t, s, "S", 0, n)

	inDeg := make([]float64, n)
	outDeg := make([]float64, n)
	for i, row := range r {
		outDeg[i] = float64(len(row))
		for k, j := range row {
			require.True(t, j >= 0 && j < n, "target %d of row %d in range", j, i)
			// GeNN's geometric-skip algorithm produces strictly ascending rows:
			// sorted and without duplicates.
			if k > 0 {
				require.Greater(t, j, row[k-1], "row %d ascending without duplicates", i)
			}
			inDeg[j]++
		}
	}
	// Degrees are Binomial(n, p): mean np = 100, variance np(1-p) = 90. The
	// mean of 1000 degrees is within 4·sqrt(np(1-p)/1000) ≈ 1.2 of np. The
	// sample variance of 1000 values has relative SE ≈ sqrt(2/999) ≈ 4.5%;
	// allow 20% (> 4 SE).
	mean, vr := n*p, n*p*(1-p)
	for name, deg := range map[string][]float64{"out-degree": outDeg, "in-degree": inDeg} {
		m, v := meanVar(deg)
		assert.InDelta(t, mean, m, 4*math.Sqrt(vr/n), "%s mean", name)
		assert.InEpsilon(t, vr, v, 0.2, "%s variance", name)
		t.Logf("%s: mean %.2f (expect %.0f), variance %.2f (expect %.0f)", name, m, mean, v, vr)
	}

	// Per variant: another seed gives other rows; the same seed alone gives the same rows.
	assert.NotEqual(t, r, rows(t, s, "S", 1, n), "variants with different seeds share connectivity")
	alone := newInstance(t, m, []uint64{5}, nil)
	assert.Equal(t, rows(t, s, "S", 1, n), rows(t, alone, "S", 0, n), "connectivity of seed 5 depends on its batch")
}

func TestFixedProbabilityNoAutapse(t *testing.T) {
	t.Parallel()
	// p = 0.5 on a square group: with autapses about n/2 rows would hold i → i.
	const n = 400
	s := newSim(t, fmt.Sprintf(connDoc, n, "A", "FixedProbabilityNoAutapse", "prob: 0.5"), codegen.Options{}, []uint64{9}, nil)
	total := 0
	for i, row := range rows(t, s, "S", 0, n) {
		total += len(row)
		for k, j := range row {
			require.NotEqual(t, i, j, "autapse %d → %d", i, j)
			if k > 0 {
				require.Greater(t, j, row[k-1], "row %d ascending without duplicates", i)
			}
		}
	}
	// Mean degree ≈ (n-1)·p = 199.5; 4σ of the mean of n rows is 4·sqrt(np(1-p)/n) = 0.4;
	// allow 1.0 since GeNN's rejection step is not exactly Bernoulli over n-1 targets.
	assert.InDelta(t, (n-1)*0.5, float64(total)/n, 1.0, "mean out-degree")
}

func TestOneToOne(t *testing.T) {
	t.Parallel()
	const n = 50
	s := newSim(t, fmt.Sprintf(connDoc, n, "B", "OneToOne", ""), codegen.Options{}, []uint64{1}, nil)
	r := rows(t, s, "S", 0, n)
	for i, row := range r {
		assert.Equal(t, []int{i}, row, "row %d", i)
	}
	assert.Equal(t, 1, s.desc.Synapses[0].MaxRowLength)
}

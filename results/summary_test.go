package results

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two neurons, 1 ms steps, window [2, 12), bins of 5 steps: neuron 0 spikes
// at 3, 5, 9 (bins [2, 1]), neuron 1 at 4 and 10 (bins [1, 1]); the spikes
// at 1 and 12 are outside. By hand: ISIs 2, 4 (mean 3, sd 1) and 6 (sd 0);
// bin variances 0.25 and 0; population bins [3, 2] / 2 = [1.5, 1], variance
// 0.0625, over the mean neuron variance 0.125: chi^2 = 0.5.
func TestSpikeStatsByHand(t *testing.T) {
	s := NewSpikeStats(SpikeWindow{Neurons: 2, From: 2, To: 12, Bin: 5, ISI: true, DT: 1})
	for _, sp := range []struct {
		n    uint32
		step uint64
	}{{0, 1}, {0, 3}, {1, 4}, {0, 5}, {0, 9}, {1, 10}, {1, 12}} {
		require.NoError(t, s.Add(sp.n, sp.step))
	}
	const tol = 1e-12
	assert.Equal(t, int64(5), s.Count())
	assert.InDelta(t, 250, s.Rate(), tol) // 5 spikes / 2 neurons / 0.01 s
	assert.Equal(t, []float64{3, 2}, s.NeuronCounts())
	assert.InDeltaSlice(t, []float64{300, 200}, s.NeuronRates(), tol)
	assert.InDeltaSlice(t, []float64{1.0 / 3, 0}, s.NeuronCVs(), tol)
	assert.InDelta(t, 1.0/6, s.CV(), tol)
	assert.InDeltaSlice(t, []float64{0.25 / 1.5, 0}, s.NeuronFanos(), tol)
	assert.InDelta(t, 0.25/1.5/2, s.Fano(), tol)
	assert.InDelta(t, math.Sqrt(0.5), s.Synchrony(), tol)

	// Undefined values are NaN: a neuron without two spikes has no CV, one
	// without spikes no Fano factor; without bins there is no synchrony.
	q := NewSpikeStats(SpikeWindow{Neurons: 3, From: 0, To: 10, ISI: true, DT: 0.5})
	require.NoError(t, q.Add(1, 4))
	assert.True(t, math.IsNaN(q.CV()))
	assert.True(t, math.IsNaN(q.Fano()))
	assert.True(t, math.IsNaN(q.Synchrony()))
	assert.InDelta(t, 1/3.0/0.005, q.Rate(), tol)

	// Counts alone keep no intervals or bins (and need no time order).
	c := NewSpikeStats(SpikeWindow{Neurons: 2, From: 0, To: 10, DT: 1})
	require.NoError(t, c.Add(0, 5))
	require.NoError(t, c.Add(0, 3))
	assert.Equal(t, int64(2), c.Count())
	assert.True(t, math.IsNaN(c.CV()))
	assert.Nil(t, c.last)

	// Bad input is an error.
	assert.EqualError(t, q.Add(3, 5), "summary: spike of neuron 3 in a population of 3")
	assert.EqualError(t, q.Add(1, 3), "summary: spikes of neuron 1 out of time order (step 3 after 4)")
}

// Independent Bernoulli trains (Poisson in the limit of small dt) of 20 Hz:
// the ISIs are geometric, with CV sqrt(1-p) = 0.999, bin counts binomial,
// with Fano factor 1-p; chi^2 is about 1/N. Perfectly synchronous trains
// have chi = 1.
func TestSpikeStatsPoisson(t *testing.T) {
	const (
		n     = 200
		dt    = 0.1 // ms
		steps = 100_000
		rate  = 20.0 // Hz
	)
	p := rate * dt / 1000
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewSpikeStats(SpikeWindow{Neurons: n, From: 0, To: steps, Bin: 1000, ISI: true, DT: dt})
	sync := NewSpikeStats(SpikeWindow{Neurons: n, From: 0, To: steps, Bin: 1000, DT: dt})
	for step := uint64(0); step < steps; step++ {
		for i := uint32(0); i < n; i++ {
			if rng.Float64() < p {
				require.NoError(t, s.Add(i, step))
			}
		}
		if rng.Float64() < p {
			for i := uint32(0); i < n; i++ {
				require.NoError(t, sync.Add(i, step))
			}
		}
	}
	// 40000 spikes expected: the rate's sd is 0.1 Hz; the mean CV's and
	// Fano factor's sd over 200 neurons about 0.005 and 0.01.
	assert.InDelta(t, rate, s.Rate(), 0.5)
	assert.InDelta(t, math.Sqrt(1-p), s.CV(), 0.03)
	assert.InDelta(t, 1-p, s.Fano(), 0.05)
	assert.InDelta(t, 1/math.Sqrt(n), s.Synchrony(), 0.03)
	assert.InDelta(t, 1, sync.Synchrony(), 1e-12)
}

// Elements 3 and 7 of 10 sampled at steps 1..5, window [2, 4]: element 3
// has 1, 2, 3 (mean 2, sd sqrt(2/3)), element 7 has 10, 10, 10; pooled, the
// six values have mean 6 and variance 314/6 - 36.
func TestVarStatsByHand(t *testing.T) {
	v := NewVarStats([]uint32{7, 3}, 10, 2, 4)
	for step, x := range []float64{0, 99, 1, 2, 3, 99} {
		require.NoError(t, v.Add(uint64(step), 3, x))
		require.NoError(t, v.Add(uint64(step), 7, 10))
	}
	const tol = 1e-12
	assert.InDeltaSlice(t, []float64{10, 2}, v.NeuronMeans(), tol, "in the order sampled")
	assert.InDeltaSlice(t, []float64{0, math.Sqrt(2.0 / 3)}, v.NeuronSDs(), tol)
	assert.InDelta(t, 6, v.Mean(), tol)
	assert.InDelta(t, math.Sqrt(314.0/6-36), v.SD(), tol)
	assert.EqualError(t, v.Add(3, 4, 1), "summary: sample of element 4, which is not sampled")

	// Values far from 0 keep their precision (shifted sums): a membrane
	// potential of -65 mV +- 1e-6 mV.
	w := NewVarStats(nil, 1, 0, 1000)
	for step := uint64(0); step <= 1000; step++ {
		require.NoError(t, w.Add(step, 0, -65+1e-6*float64(int(step%2)*2-1)))
	}
	assert.InDelta(t, 1e-6, w.SD(), 1e-12)
	assert.True(t, math.IsNaN(NewVarStats(nil, 2, 0, 5).Mean()), "no samples")
}

package cpu_test

import (
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const poissonDoc = `
name: poisson
simulation: {dt: 0.1, duration: 1000, precision: float, seed: 1}
populations:
  P:
    size: 1000
    model: PoissonNew
    params: {rate: 20.0}
    vars: {timeStepToSpike: 0.0}
    record: {spikes: true}
`

// PoissonNew at 20 Hz, 1000 neurons, 1 s (10000 steps of 0.1 ms).
func TestPoissonNew(t *testing.T) {
	t.Parallel()
	const (
		n     = 1000
		rate  = 20.0 // Hz
		T     = 1.0  // s
		steps = 10000
		dt    = 0.1 // ms
	)
	m := buildModule(t, poissonDoc, codegen.Options{})
	run := func(seed uint64) []spike {
		s := newInstance(t, m, []uint64{seed}, nil)
		s.step(steps)
		return list(s.spikes())
	}
	a := run(11)

	// Total count: Poisson with mean rate·T·N = 20000; 4σ with σ = sqrt(20000) ≈ 141.
	// (PoissonNew's discretisation makes the count slightly less variable than
	// Poisson, so 4σ is conservative.)
	mean := rate * T * n
	assert.InDelta(t, mean, float64(len(a)), 4*math.Sqrt(mean), "total spike count")

	// Per-neuron counts: Fano factor var/mean ≈ 1 for a Poisson process. The
	// sample variance of 1000 counts has relative SE ≈ sqrt(2/999) ≈ 4.5%;
	// allow ±20% (>4 SE).
	counts := make([]float64, n)
	byNeuron := make([][]int, n)
	for _, sp := range a {
		require.Less(t, sp.Neuron, uint32(n))
		counts[sp.Neuron]++
		byNeuron[sp.Neuron] = append(byNeuron[sp.Neuron], int(sp.Step))
	}
	cm, cv := meanVar(counts)
	assert.InDelta(t, 1.0, cv/cm, 0.2, "Fano factor of per-neuron counts")

	// ISIs pooled over neurons. For a Poisson process of mean ISI μ watched
	// through a window of length W, ISIs that fit inside the window have mean
	// E[x(W-x)]/E[W-x] = (Wμ - 2μ²)/(W - μ) (shorter ISIs are more likely to
	// be seen whole): μ = 50 ms, W = 1000 ms → 47.37 ms. Its SE over ~19000
	// ISIs of SD ≈ 50 ms is ≈ 0.36 ms; allow 4 SE ≈ 1.5 ms.
	var isis []float64
	for _, st := range byNeuron {
		for i := 1; i < len(st); i++ {
			require.Greater(t, st[i], st[i-1], "spike steps of a neuron increase")
			isis = append(isis, float64(st[i]-st[i-1])*dt)
		}
	}
	mu, W := 1000.0/rate, steps*dt
	im, iv := meanVar(isis)
	se := math.Sqrt(iv / float64(len(isis)))
	assert.InDelta(t, (W*mu-2*mu*mu)/(W-mu), im, 1.5, "mean ISI (ms), SE %.3f over %d ISIs", se, len(isis))
	assert.Less(t, 4*se, 1.5, "tolerance is at least 4 SE")
	t.Logf("spikes %d (expect %.0f), Fano %.3f, mean ISI %.3f ms (expect %.3f, SE %.3f)", len(a), mean, cv/cm, im, (W*mu-2*mu*mu)/(W-mu), se)

	// Reproducible: the same seed gives the identical train in a new
	// instance; another seed gives a different one.
	assert.Equal(t, a, run(11), "same seed")
	b := run(12)
	assert.NotEqual(t, a, b, "different seeds")
	// ... and not just shifted: few (neuron, step) pairs coincide. Expected
	// coincidences for independent trains ≈ N·steps·p² with p = rate·dt = 0.002: 40.
	set := map[[2]uint32]bool{}
	for _, sp := range a {
		set[[2]uint32{sp.Neuron, sp.Step}] = true
	}
	same := 0
	for _, sp := range b {
		if set[[2]uint32{sp.Neuron, sp.Step}] {
			same++
		}
	}
	assert.Less(t, same, 200, "coinciding spikes of two seeds")
}

func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

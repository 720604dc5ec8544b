package cpu_test

import (
	"fmt"
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

// poissonNumbersDoc draws $(gennrand_poisson, mean) into x every step:
// populations with constant means (a table per variant), one whose mean is
// a state variable (drawn by gn_poisson from scratch), and one through a
// current source. %s is the sim code of population A.
const poissonNumbersDoc = `
simulation: {dt: 0.1, duration: 100, precision: float}
models:
  neurons:
    Draw:
      param_names: [lambda]
      var_name_types: [[x, scalar], [m, scalar]]
      sim_code: "%s"
    Copy:
      var_name_types: [[x, scalar]]
      sim_code: "$(x) = $(Isyn);"
  current_sources:
    PoissonSource:
      param_names: [lambda]
      injection_code: "$(injectCurrent, (scalar)$(gennrand_poisson, $(lambda)));"
populations:
  A: {size: 1000, model: Draw, params: {lambda: 2.3}, vars: {x: 0.0, m: 2.3}}
  Small: {size: 1000, model: Draw, params: {lambda: 0.05}, vars: {x: 0.0, m: 0.0}}
  Mid: {size: 1000, model: Draw, params: {lambda: 12.0}, vars: {x: 0.0, m: 0.0}}
  Large: {size: 1000, model: Draw, params: {lambda: 40.0}, vars: {x: 0.0, m: 0.0}}
  Huge: {size: 1000, model: Draw, params: {lambda: 1500.0}, vars: {x: 0.0, m: 0.0}}
  Source: {size: 1000, model: Copy, vars: {x: 0.0}}
current_sources:
  S: {model: PoissonSource, target: Source, params: {lambda: 2.3}}
`

// poissonPMF is Poisson(lambda)'s probability of 0 … n-1, by logarithms.
func poissonPMF(lambda float64, n int) []float64 {
	pmf := make([]float64, n)
	for k := range pmf {
		lg, _ := math.Lgamma(float64(k + 1))
		pmf[k] = math.Exp(float64(k)*math.Log(lambda) - lambda - lg)
	}
	return pmf
}

// chi2Poisson is Pearson's chi-square of integer samples against
// Poisson(lambda), over bins of consecutive outcomes merged until each
// expects at least 5 (the last bin takes the upper tail).
func chi2Poisson(t *testing.T, samples []float64, lambda float64) (float64, int) {
	t.Helper()
	hi := int(lambda + 12*math.Sqrt(lambda) + 20)
	pmf := poissonPMF(lambda, hi)
	counts := make([]float64, hi)
	for _, x := range samples {
		require.Equal(t, math.Round(x), x, "Poisson numbers are integers")
		require.GreaterOrEqual(t, x, 0.0)
		counts[min(int(x), hi-1)]++
	}
	n := float64(len(samples))
	var obs, exp []float64
	o, e, rest := 0.0, 0.0, 1.0
	for k := 0; k < hi; k++ {
		o += counts[k]
		e += pmf[k] * n
		rest -= pmf[k]
		if e >= 5 && rest*n >= 5 {
			obs, exp = append(obs, o), append(exp, e)
			o, e = 0, 0
		}
	}
	obs, exp = append(obs, o), append(exp, e+rest*n) // the upper tail
	x2 := 0.0
	for i := range obs {
		x2 += (obs[i] - exp[i]) * (obs[i] - exp[i]) / exp[i]
	}
	return x2, len(obs) - 1
}

// $(gennrand_poisson, mean): 1000 neurons × 200 steps of each mean follow
// the Poisson distribution by Pearson's chi-square test at alpha = 0.001,
// which rejects the same samples against a mean 2 % higher (power; at the
// smallest mean, 10 % higher). The mean 2.3 is tabulated (a parameter), and
// drawn through a current source; 12 and 40 reach past the table's fast
// part and its end, 1500 is split into halves (GN_POISSON_MAX).
func TestPoissonNumbers(t *testing.T) {
	t.Parallel()
	s := newSim(t, fmt.Sprintf(poissonNumbersDoc, "$(x) = (scalar)$(gennrand_poisson, $(lambda));"), codegen.Options{}, []uint64{5}, nil)
	pops := map[string]float64{"A": 2.3, "Small": 0.05, "Mid": 12, "Large": 40, "Huge": 1500, "Source": 2.3}
	samples := map[string][]float64{}
	for i := 0; i < 200; i++ {
		s.step(1)
		for p := range pops {
			samples[p] = append(samples[p], s.get(p, "x", 0)...)
		}
	}
	for p, lambda := range pops {
		x2, df := chi2Poisson(t, samples[p], lambda)
		crit := chi2Critical001(df)
		t.Logf("%s: Poisson(%g): chi-square %.1f with %d degrees of freedom (critical value %.1f)", p, lambda, x2, df, crit)
		assert.Less(t, x2, crit, "%s: chi-square against Poisson(%g)", p, lambda)
		shift := 1.02
		if lambda < 1 {
			shift = 1.1
		}
		xw, dfw := chi2Poisson(t, samples[p], lambda*shift)
		assert.Greater(t, xw, chi2Critical001(dfw), "%s: no power against Poisson(%g)", p, lambda*shift)
	}
	assert.NotEqual(t, samples["A"][:1000], samples["Source"][:1000], "population and current source draw from their own streams")
}

// The table gives the numbers gn_poisson draws from scratch: population A
// draws with the mean as a parameter (a table), as a runtime slot (a table
// filled from the variant's value) and as a state variable (no table),
// from the same streams: the same numbers in all three.
func TestPoissonTableEqualsInversion(t *testing.T) {
	t.Parallel()
	draw := func(sim string, opts codegen.Options, runtime []float64) []float64 {
		s := newSim(t, fmt.Sprintf(poissonNumbersDoc, sim), opts, []uint64{9}, runtime)
		var out []float64
		for i := 0; i < 100; i++ {
			s.step(1)
			out = append(out, s.get("A", "x", 0)...)
		}
		return out
	}
	table := draw("$(x) = (scalar)$(gennrand_poisson, $(lambda));", codegen.Options{}, nil)
	runtime := draw("$(x) = (scalar)$(gennrand_poisson, $(lambda));", codegen.Options{Runtime: []string{"populations.A.params.lambda"}}, []float64{2.3})
	scratch := draw("$(x) = (scalar)$(gennrand_poisson, $(m));", codegen.Options{}, nil)
	require.Len(t, table, 100000)
	assert.Equal(t, table, runtime, "literal and runtime mean")
	assert.Equal(t, table, scratch, "table and inversion from scratch")
}

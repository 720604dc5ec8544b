package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
)

// GeNN 4.9's neuron_rng_uniform, neuron_rng_normal and
// current_source_rng_normal: 1000 neurons copy $(gennrand_uniform),
// $(gennrand_normal) or a GaussianNoise source's input (mean 0, sd 1) into
// x every step; the 10^6 samples of 1000 steps follow the distribution by a
// one-sample Kolmogorov–Smirnov test. GeNN asks for p > 0.05 with a random
// seed; here the seed is fixed and the test rejects at alpha = 0.001
// (D > 1.95/sqrt(n)), and has power: the same samples against a CDF
// shifted by 0.01 are rejected.
func TestNeuronAndCurrentSourceRNG(t *testing.T) {
	uniform := func(shift float64) func(float64) float64 {
		return func(x float64) float64 { return math.Min(1, math.Max(0, x-shift)) }
	}
	normal := func(shift float64) func(float64) float64 {
		return func(x float64) float64 { return normalCDF(x, shift, 1) }
	}
	cases := []struct {
		name, sim, source string
		cdf               func(shift float64) func(float64) float64
	}{
		{"neuron_rng_uniform", "$(x) = $(gennrand_uniform);", "", uniform},
		{"neuron_rng_normal", "$(x) = $(gennrand_normal);", "", normal},
		{"current_source_rng_normal", "$(x) = $(Isyn);", "current_sources:\n  CurrentSource: {model: GaussianNoise, target: Pop, params: {mean: 0.0, sd: 1.0}}\n", normal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, fmt.Sprintf(`
simulation: {dt: 0.1, duration: 100, precision: float}
models:
  neurons:
    Neuron:
      var_name_types: [[x, scalar]]
      sim_code: "%s"
populations:
  Pop: {size: 1000, model: Neuron, vars: {x: 0.0}}
%s`, c.sim, c.source), codegen.Options{}, []uint64{3}, nil)
			samples := make([]float64, 0, 1000*1000)
			for i := 0; i < 1000; i++ {
				s.step(1)
				samples = append(samples, s.get("Pop", "x", 0)...)
			}
			critical := 1.95 / math.Sqrt(float64(len(samples)))
			assert.Less(t, ksD(samples, c.cdf(0)), critical, "KS statistic")
			assert.Greater(t, ksD(samples, c.cdf(0.01)), critical, "KS statistic against a shifted CDF (power)")
		})
	}
}

// GeNN 4.9's batch_neuron_rng_uniform: a batch of 10 draws uniform numbers
// in every member. Here the members are 10 variants of one instance with
// seeds 1 … 10: each variant's 100 × 1000 samples pass the KS test, and no
// two variants draw the same numbers.
func TestNeuronRNGBatch(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	s := newSim(t, `
simulation: {dt: 0.1, duration: 100, precision: float}
models:
  neurons:
    Neuron:
      var_name_types: [[x, scalar]]
      sim_code: "$(x) = $(gennrand_uniform);"
populations:
  Pop: {size: 100, model: Neuron, vars: {x: 0.0}}
`, codegen.Options{}, seeds, nil)
	samples := make([][]float64, len(seeds))
	for i := 0; i < 1000; i++ {
		s.step(1)
		for b := range seeds {
			samples[b] = append(samples[b], s.get("Pop", "x", b)...)
		}
	}
	critical := 1.95 / math.Sqrt(float64(len(samples[0])))
	for b := range seeds {
		assert.Less(t, ksD(samples[b], func(x float64) float64 { return math.Min(1, math.Max(0, x)) }), critical, "variant %d: KS statistic", b)
		for c := 0; c < b; c++ {
			assert.NotEqual(t, samples[c][:100], samples[b][:100], "variants %d and %d draw the same numbers", c, b)
		}
	}
}

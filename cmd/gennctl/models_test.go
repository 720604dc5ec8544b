package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `gennctl models` lists the whole GeNN 4.9 catalogue with params and vars.
func TestModelsCommand(t *testing.T) {
	cache := t.TempDir()
	r := gennctl(t, cache, "models", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var entries []modelEntry
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &entries))
	byName := map[string]modelEntry{}
	for _, e := range entries {
		byName[e.Kind+"/"+e.Name] = e
	}
	for _, want := range []string{"neurons/RulkovMap", "neurons/Izhikevich", "neurons/IzhikevichVariable", "neurons/LIF",
		"neurons/SpikeSource", "neurons/SpikeSourceArray", "neurons/Poisson", "neurons/PoissonNew", "neurons/TraubMiles",
		"neurons/TraubMilesFast", "neurons/TraubMilesAlt", "neurons/TraubMilesNStep", "postsynaptic/ExpCurr",
		"postsynaptic/ExpCond", "postsynaptic/DeltaCurr", "weight_updates/StaticPulse", "weight_updates/StaticPulseDendriticDelay",
		"weight_updates/StaticGraded", "weight_updates/PiecewiseSTDP", "current_sources/DC", "current_sources/GaussianNoise",
		"current_sources/PoissonExp", "var_inits/Uniform", "var_inits/Normal", "var_inits/NormalClipped",
		"var_inits/NormalClippedDelay", "var_inits/Exponential", "var_inits/Gamma", "var_inits/Binomial", "var_inits/Constant",
		"var_inits/Kernel", "connectivity/OneToOne", "connectivity/FixedProbability", "connectivity/FixedProbabilityNoAutapse",
		"connectivity/FixedNumberPostWithReplacement", "connectivity/FixedNumberTotalWithReplacement",
		"connectivity/FixedNumberPreWithReplacement", "connectivity/Conv2D", "toeplitz/Conv2D", "toeplitz/AvgPoolConv2D", "custom_updates/Transpose"} {
		assert.Contains(t, byName, want)
	}
	assert.Equal(t, []string{"C", "TauM", "Vrest", "Vreset", "Vthresh", "Ioffset", "TauRefrac"}, byName["neurons/LIF"].Params)
	assert.Equal(t, []string{"V:scalar", "RefracTime:scalar"}, byName["neurons/LIF"].Vars)
	assert.Equal(t, []string{"g:scalar", "d:uint8_t"}, byName["weight_updates/StaticPulseDendriticDelay"].Vars)

	assert.Equal(t, []string{"variable:scalar:READ_WRITE"}, byName["custom_updates/Transpose"].VarRefs)

	r = gennctl(t, cache, "models")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "neurons:\n  Izhikevich\n    params:              a, b, c, d\n")
}

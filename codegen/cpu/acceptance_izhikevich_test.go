package cpu_test

// Acceptance: a regular-spiking Izhikevich neuron (a = 0.02, b = 0.2,
// c = -65, d = 8) under a constant DC current of 10 nA, against a trace
// computed here by an independent Go implementation of GeNN 4.9's
// Izhikevich sim code (modelspec/builtins.go, izhikevichSimCode): reset when
// V ≥ 30 at the start of the step, two half-steps of V, one step of U, V
// clipped to 30; a spike when V ≥ 29.99 after the sim code. Double precision,
// DT = 0.1 ms, 1000 steps: the spike steps must be identical and V within
// 1e-4 mV at every step.

import (
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const izhDoc = `
simulation: {dt: 0.1, duration: 100, precision: double}
populations:
  N:
    size: 1
    model: Izhikevich
    params: {a: 0.02, b: 0.2, c: -65.0, d: 8.0}
    vars: {V: -65.0, U: -13.0}
    record: {spikes: true}
current_sources:
  I: {model: DC, target: N, params: {amp: 10.0}}
`

// izhRef advances GeNN's Izhikevich update by one step; it returns whether
// the neuron spikes. float64() conversions keep Go from fusing
// multiply-adds, as the module is compiled with -ffp-contract=off.
func izhRef(v, u *float64, a, b, c, d, isyn, dt float64) bool {
	V, U := *v, *u
	if V >= 30.0 {
		V = c
		U += d
	}
	V += float64(float64(0.5*float64(float64(float64(float64(float64(0.04*V)*V)+float64(5.0*V))+140.0)-U+isyn)) * dt)
	V += float64(float64(0.5*float64(float64(float64(float64(float64(0.04*V)*V)+float64(5.0*V))+140.0)-U+isyn)) * dt)
	U += float64(float64(a*float64(float64(b*V)-U)) * dt)
	if V > 30.0 {
		V = 30.0
	}
	*v, *u = V, U
	return V >= 29.99
}

func TestAcceptanceIzhikevichRegularSpiking(t *testing.T) {
	const steps = 1000
	s := newSim(t, izhDoc, codegen.Options{}, []uint64{1}, nil)
	v, u := -65.0, -13.0
	var wantSpikes, gotSpikes []uint32
	maxDiff := 0.0
	for step := uint32(0); step < steps; step++ {
		if izhRef(&v, &u, 0.02, 0.2, -65, 8, 10, 0.1) {
			wantSpikes = append(wantSpikes, step)
		}
		s.step(1)
		got := s.get("N", "V", 0)[0]
		gu := s.get("N", "U", 0)[0]
		diff := got - v
		if diff < 0 {
			diff = -diff
		}
		if diff > maxDiff {
			maxDiff = diff
		}
		require.InDelta(t, v, got, 1e-4, "V at step %d", step)
		require.InDelta(t, u, gu, 1e-4, "U at step %d", step)
	}
	for _, sp := range list(s.spikes()) {
		gotSpikes = append(gotSpikes, sp.Step)
	}
	t.Logf("reference spike steps %v; largest |ΔV| %g mV", wantSpikes, maxDiff)
	require.GreaterOrEqual(t, len(wantSpikes), 3, "a regular-spiking neuron at 10 nA fires repeatedly in 100 ms")
	assert.Equal(t, wantSpikes, gotSpikes)
	// regular spiking adapts: inter-spike intervals do not shrink
	for i := 2; i < len(wantSpikes); i++ {
		assert.GreaterOrEqual(t, wantSpikes[i]-wantSpikes[i-1], wantSpikes[1]-wantSpikes[0])
	}
}

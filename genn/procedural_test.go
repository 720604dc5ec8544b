package genn_test

import (
	"testing"

	"github.com/gennctl/gennctl/genn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GeNN's PROCEDURAL_PROCEDURALG: a procedural matrix whose weights are an
// initialisation snippet builds, and a variant gives the same spikes alone
// and in a batch.
func TestProceduralProceduralG(t *testing.T) {
	run := func(seeds []uint64) []genn.Spike {
		m := genn.NewModel("proc", genn.Float)
		in := m.AddNeuronPopulation("In", 50, "PoissonNew", map[string]float64{"rate": 50},
			map[string]genn.VarInit{"timeStepToSpike": genn.Const(0)})
		lif := map[string]float64{"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0,
			"Vthresh": -55.0, "Ioffset": 0.0, "TauRefrac": 2.0}
		out := m.AddNeuronPopulation("Out", 20, "LIF", lif, map[string]genn.VarInit{
			"V": genn.Const(-70.0), "RefracTime": genn.Const(0.0)})
		out.SpikeRecording = true
		m.AddSynapsePopulation("S", "PROCEDURAL_PROCEDURALG", 0, in, out,
			"StaticPulse", nil, map[string]genn.VarInit{"g": genn.InitVar("Normal", map[string]float64{"mean": 1.0, "sd": 0.3})},
			"ExpCurr", map[string]float64{"tau": 5.0}, nil,
			genn.InitConnectivity("FixedProbability", map[string]float64{"prob": 0.5}))
		require.NoError(t, m.Build(t.TempDir()))
		defer m.Close()
		require.NoError(t, m.Load(len(seeds), seeds))
		require.NoError(t, m.Step(2000))
		sp, err := m.Spikes()
		require.NoError(t, err)
		var mine []genn.Spike
		for _, s := range sp {
			if s.Variant == len(seeds)-1 {
				s.Variant = 0
				mine = append(mine, s)
			}
		}
		return mine
	}
	alone := run([]uint64{9})
	require.NotEmpty(t, alone, "the output neurons must fire for the comparison to mean anything")
	assert.Equal(t, alone, run([]uint64{3, 9}))
}

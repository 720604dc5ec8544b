package genn_test

import (
	"testing"

	"github.com/gennctl/gennctl/genn"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onBackends runs a test on the cpu backend and on cuda: on the GPU if
// there is one, else with the CUDA runtime emulated on the host.
func onBackends(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range []string{"cpu", "cuda"} {
		t.Run(b, func(t *testing.T) {
			if gpus, _ := gpu.DiscoverGPUs(); b == "cuda" && len(gpus) == 0 {
				t.Setenv(gpu.CUDAEmulationEnv, "1")
			}
			test(t, b)
		})
	}
}

// spikeSteps drains the model's spikes of population pop as (variant,
// neuron, step) triples.
func spikeSteps(t *testing.T, m *genn.Model, pop string) [][3]uint64 {
	t.Helper()
	spikes, err := m.Spikes()
	require.NoError(t, err)
	var out [][3]uint64
	for _, s := range spikes {
		if s.Pop == pop {
			out = append(out, [3]uint64{uint64(s.Variant), uint64(s.Neuron), uint64(s.Step)})
		}
	}
	return out
}

// A SpikeSourceArray whose spikeTimes are replaced at run time (SetEGP, with
// a different length) emits at exactly the new times, per variant; the
// other variant keeps its times.
func TestSetEGPSpikeSourceArray(t *testing.T) { onBackends(t, setEGPSpikeSourceArray) }

func setEGPSpikeSourceArray(t *testing.T, backend string) {
	m := genn.NewModel("ssa_egp", genn.Float)
	m.Backend = backend
	m.DT = 0.5 // times below are whole steps, exact in float
	in := m.AddNeuronPopulation("In", 2, "SpikeSourceArray", nil, map[string]genn.VarInit{
		"startSpike": genn.Values([]float64{0, 2}),
		"endSpike":   genn.Values([]float64{2, 3}),
	})
	require.NoError(t, in.SetExtraGlobalParam("spikeTimes", []float64{1, 2, 3}))
	in.SpikeRecording = true
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(2, nil))

	got, err := in.PullEGP("spikeTimes", 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2, 3}, got)
	require.NoError(t, m.Step(10)) // 0 .. 4.5 ms
	assert.Equal(t, [][3]uint64{{0, 0, 2}, {1, 0, 2}, {0, 0, 4}, {1, 0, 4}, {0, 1, 6}, {1, 1, 6}}, spikeSteps(t, m, "In"))

	// variant 1: neuron 0 at 6, 7.5 and 9 ms, neuron 1 at 12.5 ms
	require.NoError(t, in.SetEGP("spikeTimes", 1, []float64{6, 7.5, 9, 12.5}))
	require.NoError(t, in.PushVar("startSpike", 1, []float64{0, 3}))
	require.NoError(t, in.PushVar("endSpike", 1, []float64{3, 4}))
	got, err = in.PullEGP("spikeTimes", 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{6, 7.5, 9, 12.5}, got)
	got, err = in.PullEGP("spikeTimes", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2, 3}, got, "variant 0 keeps its times")
	require.NoError(t, m.Step(30)) // 5 .. 19.5 ms
	assert.Equal(t, [][3]uint64{{1, 0, 12}, {1, 0, 15}, {1, 0, 18}, {1, 1, 25}}, spikeSteps(t, m, "In"))

	// errors
	assert.Error(t, in.SetEGP("nope", 0, []float64{1}))
	assert.Error(t, in.SetEGP("spikeTimes", 2, []float64{1}))
}

// Weight-update and var-init EGPs through genn: a scalar EGP changed at run
// time acts from the next step; a variable-initialisation EGP changed with
// Model.SetEGP acts at the next Reinit.
func TestSetEGPScalarAndVarInit(t *testing.T) { onBackends(t, setEGPScalarAndVarInit) }

func setEGPScalarAndVarInit(t *testing.T, backend string) {
	m := genn.NewModel("egp_scalar", genn.Double)
	m.Backend = backend
	m.DT = 1
	src := m.AddNeuronPopulation("Src", 1, "SpikeSourceArray", nil, map[string]genn.VarInit{
		"startSpike": genn.Values([]float64{0}), "endSpike": genn.Values([]float64{2})})
	require.NoError(t, src.SetExtraGlobalParam("spikeTimes", []float64{0, 2}))
	acc := &modelspec.NeuronModel{Name: "Acc", Vars: []modelspec.Var{{Name: "V", Type: "scalar"}}, SimCode: "$(V) += $(Isyn);"}
	trg := m.AddNeuronPopulation("Trg", 3, acc, nil, map[string]genn.VarInit{"V": genn.Const(0)})
	wu := &modelspec.WeightUpdateModel{Name: "EGPPulse", Vars: []modelspec.Var{{Name: "g", Type: "scalar"}},
		ExtraGlobalParams: []modelspec.EGP{{Name: "w", Type: "scalar"}},
		SimCode:           "$(addToInSyn, $(w) * $(g));"}
	tab := &modelspec.VarInitSnippet{Name: "Table", Code: "$(value) = $(tab)[$(id_post)];",
		ExtraGlobalParams: []modelspec.EGP{{Name: "tab", Type: "scalar*"}}}
	syn := m.AddSynapsePopulation("S", "dense", 0, src, trg, wu, nil,
		map[string]genn.VarInit{"g": genn.InitVar(tab, nil).WithEGP("tab", []float64{1, 10, 100})},
		"DeltaCurr", nil, nil, nil)
	require.NoError(t, syn.SetExtraGlobalParam("w", []float64{2}))
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(1, nil))

	g, err := syn.PullVar("g", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 10, 100}, g)
	require.NoError(t, m.Step(2)) // the spike of step 0 arrives in step 1 with w = 2
	require.NoError(t, syn.SetEGP("w", 0, []float64{5}))
	w, err := syn.PullEGP("w", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{5}, w)
	require.NoError(t, m.Step(2)) // the spike of step 2 arrives in step 3 with w = 5
	v, err := trg.PullVar("V", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{7, 70, 700}, v)
	assert.ErrorContains(t, syn.SetEGP("w", 0, []float64{1, 2}), "scalar")

	path := "synapses.S.weight_update.vars.g.extra_global_params.tab"
	require.NoError(t, m.SetEGP(path, 0, []float64{3, 4, 5}))
	g, err = syn.PullVar("g", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 10, 100}, g, "initialisation reads it at the next Reinit")
	require.NoError(t, m.Reinit())
	g, err = syn.PullVar("g", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{3, 4, 5}, g)
	assert.Equal(t, uint64(0), m.Timestep())
}

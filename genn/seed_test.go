package genn_test

import (
	"math"
	"testing"

	"github.com/gennctl/gennctl/genn"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A derived parameter computed by a Go function (CreateDPFClass) of the
// parameters in ParamNames order and dt, evaluated per variant: the
// neuron adds DecayRate = exp(-dt / tau) times its input each step.
func TestCreateDPFClass(t *testing.T) {
	needCC(t)
	nm := genn.CreateCustomNeuronClass("Decay", genn.NeuronClass{
		ParamNames:   []string{"scale", "tau"},
		VarNameTypes: []modelspec.Var{{Name: "x", Type: "scalar"}},
		DerivedParams: []genn.DerivedParam{{Name: "DecayRate", DPF: genn.CreateDPFClass(func(pars []float64, dt float64) float64 {
			return pars[0] * math.Exp(-dt/pars[1])
		})}},
		SimCode: "$(x) = $(DecayRate);",
	})
	m := genn.NewModel("dpf", genn.Double)
	m.DT = 0.5
	p := m.AddNeuronPopulation("P", 2, nm, map[string]float64{"scale": 2, "tau": 10}, map[string]genn.VarInit{"x": genn.Const(0)})
	_, err := m.YAML()
	require.Error(t, err, "a Go function has no YAML form")
	assert.Contains(t, err.Error(), "Go functions")
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(2, nil, genn.PerVariant{"populations.P.params.tau": {10, 20}}))
	require.NoError(t, m.StepTime())
	for b, tau := range []float64{10, 20} {
		x, err := p.PullVar("x", b)
		require.NoError(t, err)
		assert.Equal(t, []float64{2 * math.Exp(-0.5/tau), 2 * math.Exp(-0.5/tau)}, x, "variant %d", b)
	}
}

// A connectivity snippet with a Go maximum row length (CreateCMLFClass)
// and a custom_body field; pull and push of connectivity, state and
// extra global parameters through the host views, on either backend.
func TestSeedSnippetsAndViews(t *testing.T) { onBackends(t, seedSnippetsAndViews) }

func seedSnippetsAndViews(t *testing.T, backend string) {
	needCC(t)
	ring := genn.CreateCustomSparseConnectInitSnippetClass("Ring", genn.SparseConnectInitSnippetClass{
		ParamNames:        []string{"width"},
		RowBuildStateVars: []modelspec.StateVar{{Name: "k", Type: "int", Init: "0"}},
		RowBuildCode:      "if ($(k) == (int)$(width)) { $(endRow); }\n$(addSynapse, ($(id_pre) + $(k)) % $(num_post));\n$(k)++;",
		CalcMaxRowLenFunc: genn.CreateCMLFClass(func(numPre, numPost uint32, pars []float64) uint32 { return uint32(pars[0]) }),
	})
	cs := genn.CreateCustomCurrentSourceClass("Amp", genn.CurrentSourceClass{
		ExtraGlobalParams: []modelspec.EGP{{Name: "amps", Type: "scalar*"}},
		CustomBody:        map[string]any{"injection_code": "$(injectCurrent, $(amps)[$(id)]);"},
	})
	acc := genn.CreateCustomNeuronClass("Acc", genn.NeuronClass{
		VarNameTypes: []modelspec.Var{{Name: "x", Type: "scalar"}},
		SimCode:      "$(x) = $(Isyn);",
	})
	m := genn.NewModel("views", genn.Double)
	m.Backend = backend
	m.DT = 1
	pre := m.AddNeuronPopulation("Pre", 5, "SpikeSource", nil, nil)
	post := m.AddNeuronPopulation("Post", 5, acc, nil, map[string]genn.VarInit{"x": genn.Const(0)})
	m.AddSynapsePopulation("S", "SPARSE_INDIVIDUALG", 0, pre, post, "StaticPulse", nil,
		map[string]genn.VarInit{"g": genn.Const(1)}, "DeltaCurr", nil, nil, genn.InitConnectivity(ring, map[string]float64{"width": 2}))
	c := m.AddCurrentSource("C", cs, post, nil, nil)
	require.NoError(t, c.SetExtraGlobalParam("amps", []float64{0, 0, 0, 0, 0}))
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(1, nil))

	require.NoError(t, m.PullConnectivityFromDevice("S"))
	s := m.SynapsePopulation("S")
	assert.Equal(t, [][]int{{2, 2, 2, 2, 2}}, s.RowLength)
	assert.Equal(t, []int{0, 1}, s.Ind[0][:2], "row 0 targets 0 and 1")

	// the current source reads the pushed amplitudes in the next step
	require.NoError(t, m.PullExtraGlobalParamFromDevice("C", "amps"))
	c.EGPView("amps")[0][3] = 0.25
	require.NoError(t, m.PushExtraGlobalParamToDevice("C", "amps"))
	// spikes pushed into the last step arrive through the ring in the next
	pre.CurrentSpikes = [][]int{{1, 4}}
	require.NoError(t, m.PushCurrentSpikesToDevice("Pre"))
	require.NoError(t, m.StepTime())
	require.NoError(t, m.PullStateFromDevice("Post"))
	// Pre 1 -> Post 1, 2; Pre 4 -> Post 4, 0; the current into Post 3
	assert.Equal(t, [][]float64{{1, 1, 1, 0.25, 1}}, post.View("x"))
	require.NoError(t, m.PullCurrentSpikesFromDevice("Pre"))
	assert.Equal(t, [][]int{nil}, pre.CurrentSpikes, "a spike source does not spike")

	// a pushed variable is what the next step continues from
	post.View("x")[0][2] = 7
	require.NoError(t, m.PushVarToDevice("Post", "x"))
	x, err := post.PullVar("x", 0)
	require.NoError(t, err)
	assert.Equal(t, 7.0, x[2])

	// Reinitialise starts again; Unload and Load run the module again
	require.NoError(t, m.Reinitialise())
	assert.Equal(t, uint64(0), m.Timestep())
	m.Unload()
	assert.Error(t, m.StepTime())
	require.NoError(t, m.Load(1, nil))
	require.NoError(t, m.StepTime())
}

// Custom updates from Go: a weight scaling with a neuron-reduction sum, run
// with Model.CustomUpdate; CreateCustomModelClass completes a class from a
// built-in base.
func TestAddCustomUpdate(t *testing.T) {
	needCC(t)
	scale := genn.CreateCustomCustomUpdateClass("Scale", genn.CustomUpdateClass{
		ParamNames: []string{"factor"},
		VarRefs:    []modelspec.VarRef{{Name: "G", Type: "scalar"}},
		UpdateCode: "$(G) *= $(factor);",
	})
	sum := genn.CreateCustomCustomUpdateClass("Sum", genn.CustomUpdateClass{
		VarNameTypes: []modelspec.Var{{Name: "Total", Type: "scalar", Access: modelspec.AccessReduceNeuronSum}},
		VarRefs:      []modelspec.VarRef{{Name: "V", Type: "scalar", Access: modelspec.ModeReadOnly}},
		UpdateCode:   "$(Total) = $(V);",
	})
	lif, err := genn.CreateCustomModelClass("MyLIF", modelspec.Builtins().Neurons["LIF"], nil, nil, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "MyLIF", lif.(*modelspec.NeuronModel).Name)
	_, err = genn.CreateCustomModelClass("Bad", modelspec.Builtins().Neurons["LIF"], nil, nil, nil, map[string]any{"update_code": "x"})
	assert.ErrorContains(t, err, `no field "update_code"`)

	m := genn.NewModel("cu", genn.Double)
	e := m.AddNeuronPopulation("E", 3, lif, lifParams, map[string]genn.VarInit{"V": genn.Values([]float64{-60, -55, -50}), "RefracTime": genn.Const(0)})
	s := m.AddSynapsePopulation("EE", "DENSE_INDIVIDUALG", 0, e, e, "StaticPulse", nil,
		map[string]genn.VarInit{"g": genn.Const(0.5)}, "DeltaCurr", nil, nil, nil)
	m.AddCustomUpdate("Halve", "Learn", scale, map[string]float64{"factor": 0.5}, nil,
		map[string]genn.VarRef{"G": genn.CreateWUVarRef(s, "g", nil, "")}, nil)
	total := m.AddCustomUpdate("SumV", "Measure", sum, nil, map[string]genn.VarInit{"Total": genn.Const(0)},
		map[string]genn.VarRef{"V": genn.CreateVarRef(e, "V")}, nil)
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(1, nil))
	require.NoError(t, m.CustomUpdate("Learn"))
	require.NoError(t, m.CustomUpdate("Learn"))
	g, err := s.PullVar("g", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125}, g)
	require.NoError(t, m.CustomUpdate("Measure"))
	tot, err := total.PullVar("Total", 0)
	require.NoError(t, err)
	assert.Equal(t, []float64{-165}, tot)
	assert.Error(t, m.CustomUpdate("Nope"))
}

package genn_test

import (
	"errors"
	"sort"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/genn"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func needCC(t *testing.T) {
	t.Helper()
	if _, err := gpu.DetectCC(); err != nil {
		t.Skipf("no C compiler: %v", err)
	}
}

var lifParams = map[string]float64{"C": 1.0, "TauM": 20.0, "Vrest": -49.0, "Vreset": -60.0,
	"Vthresh": -50.0, "Ioffset": 0.0, "TauRefrac": 5.0}

func lifVars() map[string]genn.VarInit {
	return map[string]genn.VarInit{
		"V":          genn.InitVar("Uniform", map[string]float64{"min": -60.0, "max": -50.0}),
		"RefracTime": genn.Const(0.0),
	}
}

func TestErrorsNamePopulationAndParam(t *testing.T) {
	m := genn.NewModel("bad", genn.Float)
	params := map[string]float64{}
	for k, v := range lifParams {
		if k != "TauM" {
			params[k] = v
		}
	}
	params["Tau"] = 3
	e := m.AddNeuronPopulation("E", 10, "LIF", params, map[string]genn.VarInit{"V": genn.Const(-60)})
	m.AddNeuronPopulation("P", 10, "NoSuchModel", nil, nil)
	m.AddSynapsePopulation("EE", "sparse", 0, e, e, "StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(1)},
		"ExpCurr", map[string]float64{"tau": 5}, nil, genn.InitConnectivity("FixedProbability", map[string]float64{"p": 0.1}))
	err := m.Build(t.TempDir())
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	assert.Contains(t, msg, `populations.E.params: missing parameter "TauM" for model LIF`)
	assert.Contains(t, msg, `populations.E.params: unknown parameter "Tau" for model LIF`)
	assert.Contains(t, msg, `populations.E.vars: missing initial value for variable "RefracTime"`)
	assert.Contains(t, msg, `populations.P.model: unknown neuron model "NoSuchModel"`)
	assert.Contains(t, msg, `synapses.EE.connectivity.params: unknown parameter "p" for snippet FixedProbability`)
	assert.Contains(t, msg, `synapses.EE.connectivity.params: missing parameter "prob"`)
	var ge *genn.Error
	require.True(t, errors.As(err, &ge))
	var ds modelspec.Diagnostics
	require.True(t, errors.As(err, &ds), "the decoder's diagnostics are reachable")
	assert.GreaterOrEqual(t, len(ds), 6)

	// a model argument of the wrong type
	m2 := genn.NewModel("bad2", genn.Float)
	m2.AddNeuronPopulation("X", 1, 42, nil, nil)
	err = m2.Build(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "populations.X.model: expected a model name or a *modelspec.NeuronModel, got int")

	// an unknown token in custom code names the population and the code field
	m3 := genn.NewModel("bad3", genn.Float)
	nm := genn.CreateCustomNeuronClass("Leaky", genn.NeuronClass{
		VarNameTypes: []modelspec.Var{{Name: "V", Type: "scalar"}},
		SimCode:      "$(V) += $(Isyn) + $(V_post);",
	})
	m3.AddNeuronPopulation("N", 3, nm, nil, map[string]genn.VarInit{"V": genn.Const(0)})
	needCC(t)
	err = m3.Build(t.TempDir())
	require.Error(t, err)
	t.Log(err)
	assert.Contains(t, err.Error(), "V_post")
	assert.Contains(t, err.Error(), "N")
}

func TestPullPushRoundTrip(t *testing.T) { onBackends(t, pullPushRoundTrip) }

func pullPushRoundTrip(t *testing.T, backend string) {
	needCC(t)
	m := genn.NewModel("pp", genn.Double)
	m.Backend = backend
	e := m.AddNeuronPopulation("E", 4, "LIF", lifParams, lifVars())
	s := m.AddSynapsePopulation("EE", "dense", 0, e, e, "StaticPulse", nil,
		map[string]genn.VarInit{"g": genn.InitVar("Normal", map[string]float64{"mean": 0, "sd": 0.01})},
		"ExpCurr", map[string]float64{"tau": 5}, nil, nil)
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(2, []uint64{1, 2}))

	want := []float64{-55.5, -51.25, -59, -49.75}
	require.NoError(t, e.PushVar("V", 1, want))
	got, err := e.PullVar("V", 1)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	other, err := e.PullVar("V", 0)
	require.NoError(t, err)
	assert.NotEqual(t, want, other, "variant 0 is untouched")

	g, err := s.PullVar("g", 0)
	require.NoError(t, err)
	require.Len(t, g, 16)
	for i := range g {
		g[i] = float64(i) / 8
	}
	require.NoError(t, s.PushVar("g", 0, g))
	g2, err := s.PullVar("g", 0)
	require.NoError(t, err)
	assert.Equal(t, g, g2)
	inSyn, err := s.PullVar("inSyn", 0)
	require.NoError(t, err)
	assert.Len(t, inSyn, 4)

	// wrong length and unknown names are errors
	assert.Error(t, e.PushVar("V", 0, []float64{1}))
	_, err = e.PullVar("W", 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no stored variable "W"`)
	_, err = e.PullVar("V", 2)
	assert.Error(t, err)

	// the pushed state is what the simulation continues from: a neuron
	// pushed above threshold spikes in the next step
	require.NoError(t, e.PushVar("V", 0, []float64{-40, -60, -60, -60}))
	require.NoError(t, m.StepTime())
	v, err := e.PullVar("V", 0)
	require.NoError(t, err)
	assert.Equal(t, -60.0, v[0], "reset after the pushed supra-threshold value")
	assert.Equal(t, uint64(1), m.Timestep())
	assert.InDelta(t, 0.1, m.T(), 1e-12)

	// SetExtraGlobalParam gives initial values before Build only
	assert.Error(t, e.SetExtraGlobalParam("x", []float64{1}))
}

const twinYAML = `name: twin
simulation: {dt: 0.1, duration: 0, precision: float, seed: 0, backend: cpu}
populations:
  P:
    size: 50
    model: PoissonNew
    params: {rate: 40.0}
    vars: {timeStepToSpike: 0.0}
    record: {spikes: true}
  E:
    size: 40
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars:
      V: {init: Uniform, params: {min: -60.0, max: -50.0}}
      RefracTime: 0.0
    record: {spikes: true}
synapses:
  PE:
    source: P
    target: E
    matrix: sparse
    connectivity: {init: FixedProbability, params: {prob: 0.2}}
    weight_update: {model: StaticPulse, vars: {g: 0.5}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
  EE:
    source: E
    target: E
    matrix: sparse
    delay_steps: 3
    connectivity: {init: FixedProbabilityNoAutapse, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: {init: Normal, params: {mean: 0.1, sd: 0.02}}}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
current_sources:
  drive: {model: DC, target: E, params: {amp: 0.05}}
`

func twinGo() *genn.Model {
	m := genn.NewModel("twin", genn.Float)
	p := m.AddNeuronPopulation("P", 50, "PoissonNew", map[string]float64{"rate": 40},
		map[string]genn.VarInit{"timeStepToSpike": genn.Const(0)})
	p.SpikeRecording = true
	e := m.AddNeuronPopulation("E", 40, "LIF", lifParams, lifVars())
	e.SpikeRecording = true
	m.AddSynapsePopulation("PE", "sparse", 0, p, e, "StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(0.5)},
		"ExpCurr", map[string]float64{"tau": 5}, nil, genn.InitConnectivity("FixedProbability", map[string]float64{"prob": 0.2}))
	m.AddSynapsePopulation("EE", "SPARSE_INDIVIDUALG", 3, e, e, "StaticPulse", nil,
		map[string]genn.VarInit{"g": genn.InitVar("Normal", map[string]float64{"mean": 0.1, "sd": 0.02})},
		"ExpCurr", map[string]float64{"tau": 5}, nil, genn.InitConnectivity("FixedProbabilityNoAutapse", map[string]float64{"prob": 0.1}))
	m.AddCurrentSource("drive", "DC", e, map[string]float64{"amp": 0.05}, nil)
	return m
}

func TestGoAndYAMLGiveIdenticalSpikes(t *testing.T) {
	needCC(t)
	cache := t.TempDir()
	seeds := []uint64{7, 8}

	// through YAML
	root, err := modelspec.Parse("twin.yaml", []byte(twinYAML))
	require.NoError(t, err)
	net, err := modelspec.Decode("twin.yaml", []byte(twinYAML), root)
	require.NoError(t, err)
	yFiles, err := cpu.Generate(net, codegen.Options{})
	require.NoError(t, err)
	c, err := gpu.OpenCache(cache)
	require.NoError(t, err)
	tc, err := gpu.DetectCC()
	require.NoError(t, err)
	res, err := c.Build(yFiles, tc)
	require.NoError(t, err)
	mod, err := gpu.Load(res.ModulePath)
	require.NoError(t, err)
	inst, err := mod.Create(2, seeds, []float64{})
	require.NoError(t, err)
	defer inst.Close()
	require.NoError(t, inst.Init())
	require.NoError(t, inst.Step(1000))
	var buf gpu.SpikeBuffer
	_, err = inst.DrainSpikes(&buf)
	require.NoError(t, err)
	desc, _ := mod.Description()
	var ySpikes []genn.Spike
	for i := range buf.Pop {
		ySpikes = append(ySpikes, genn.Spike{Pop: desc.Populations[buf.Pop[i]].Name, Variant: int(buf.Variant[i]),
			Neuron: int(buf.Neuron[i]), Step: buf.Step[i], Time: float64(buf.Step[i]) * 0.1})
	}

	// through Go
	m := twinGo()
	doc, err := m.YAML()
	require.NoError(t, err)
	t.Logf("Go model as YAML:\n%s", doc)
	require.NoError(t, m.Build(cache))
	defer m.Close()
	gFiles, err := cpu.Generate(m.Network(), codegen.Options{})
	require.NoError(t, err)
	assert.Equal(t, yFiles[cpu.ModuleFile], gFiles[cpu.ModuleFile], "same generated module")
	require.NoError(t, m.Load(2, seeds))
	require.NoError(t, m.Step(1000))
	gSpikes, err := m.Spikes()
	require.NoError(t, err)

	sortSpikes(ySpikes)
	require.Greater(t, len(gSpikes), 1000, "the network is active")
	require.Equal(t, ySpikes, gSpikes)

	// and the connectivity matches the YAML module's
	for _, name := range []string{"PE", "EE"} {
		rl, err := inst.GetVar(mod.VarIndex(name, "rowLength"), 1)
		require.NoError(t, err)
		syn := m.SynapsePopulation(name)
		got, _, err := syn.SparseRows(1)
		require.NoError(t, err)
		for i := range rl {
			assert.Equal(t, int(rl[i]), got[i])
		}
	}
}

func sortSpikes(s []genn.Spike) {
	pop := map[string]int{"P": 0, "E": 1}
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Step != b.Step {
			return a.Step < b.Step
		}
		if a.Pop != b.Pop {
			return pop[a.Pop] < pop[b.Pop]
		}
		if a.Variant != b.Variant {
			return a.Variant < b.Variant
		}
		return a.Neuron < b.Neuron
	})
}

func TestConnectivityPairs(t *testing.T) {
	needCC(t)
	m := genn.NewModel("conn", genn.Float)
	a := m.AddNeuronPopulation("A", 30, "SpikeSource", nil, nil)
	b := m.AddNeuronPopulation("B", 20, "SpikeSource", nil, nil)
	sp := m.AddSynapsePopulation("S", "sparse", 0, a, b, "StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(1)},
		"DeltaCurr", nil, nil, genn.InitConnectivity("FixedProbability", map[string]float64{"prob": 0.3}))
	bm := m.AddSynapsePopulation("Bm", "bitmask", 0, a, b, "StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(1)},
		"DeltaCurr", nil, nil, genn.InitConnectivity("FixedProbability", map[string]float64{"prob": 0.3}))
	d := m.AddSynapsePopulation("D", "dense", 0, a, b, "StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(1)},
		"DeltaCurr", nil, nil, nil)
	pr := m.AddSynapsePopulation("Pr", "procedural", 0, a, b, "StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(1)},
		"DeltaCurr", nil, nil, genn.InitConnectivity("OneToOne", nil))
	require.NoError(t, m.Build(t.TempDir()))
	defer m.Close()
	require.NoError(t, m.Load(1, nil))

	pre, post, err := sp.Connectivity(0)
	require.NoError(t, err)
	rl, ind, err := sp.SparseRows(0)
	require.NoError(t, err)
	n := 0
	for i := range rl {
		n += rl[i]
		assert.Len(t, ind[i], sp.MaxRowLength())
	}
	assert.Equal(t, n, len(pre))
	assert.InDelta(t, 0.3*600, float64(n), 45, "about prob × 600 synapses")
	for k := range pre {
		assert.True(t, pre[k] >= 0 && pre[k] < 30 && post[k] >= 0 && post[k] < 20)
	}
	bpre, _, err := bm.Connectivity(0)
	require.NoError(t, err)
	assert.InDelta(t, 0.3*600, float64(len(bpre)), 45)
	dpre, dpost, err := d.Connectivity(0)
	require.NoError(t, err)
	assert.Len(t, dpre, 600)
	assert.Equal(t, 19, dpost[19])
	_, _, err = pr.Connectivity(0)
	assert.ErrorContains(t, err, "procedural")
}

func TestPerVariantRuntimeParams(t *testing.T) {
	needCC(t)
	build := func() *genn.Model {
		m := genn.NewModel("pv", genn.Double)
		e := m.AddNeuronPopulation("E", 8, "LIF", lifParams, lifVars())
		e.SpikeRecording = true
		m.AddCurrentSource("drive", "DC", e, map[string]float64{"amp": 0.8}, nil)
		return m
	}
	cache := t.TempDir()
	taus := []float64{10, 20, 30}
	m := build()
	require.NoError(t, m.Build(cache))
	defer m.Close()
	require.NoError(t, m.Load(3, []uint64{5, 5, 5}, genn.PerVariant{"populations.E.params.TauM": taus}))
	assert.Contains(t, m.RuntimeParams(), "populations.E.params.TauM")
	assert.Contains(t, m.RuntimeParams(), "populations.E.derived.ExpTC")
	require.NoError(t, m.Step(300))
	var batched [3][]float64
	for k := range taus {
		v, err := m.NeuronPopulation("E").PullVar("V", k)
		require.NoError(t, err)
		batched[k] = v
	}
	assert.NotEqual(t, batched[0], batched[2])

	// each variant alone, with TauM a literal, gives the same state
	for k, tau := range taus {
		mk := build()
		mk.NeuronPopulation("E").SetParam("TauM", tau)
		require.NoError(t, mk.Build(cache))
		require.NoError(t, mk.Load(1, []uint64{5}))
		require.NoError(t, mk.Step(300))
		v, err := mk.NeuronPopulation("E").PullVar("V", 0)
		require.NoError(t, err)
		assert.Equal(t, batched[k], v, "variant %d (TauM %g)", k, tau)
		require.NoError(t, mk.Close())
	}

	// errors
	err := m.Load(2, nil, genn.PerVariant{"populations.E.params.TauM": taus})
	assert.ErrorContains(t, err, "3 values for a batch of 2")
	err = m.Load(1, nil, genn.PerVariant{"populations.E.params.Nope": {1}})
	assert.ErrorContains(t, err, `no "Nope"`)
}

// SpanType reaches the document (span:), and a bad one is reported with
// the group's config path.
func TestSpanType(t *testing.T) {
	m := genn.NewModel("span", genn.Float)
	e := m.AddNeuronPopulation("E", 4, "LIF", lifParams, lifVars())
	s := m.AddSynapsePopulation("EE", "dense", 0, e, e, "StaticPulse", nil,
		map[string]genn.VarInit{"g": genn.Const(0.1)}, "DeltaCurr", nil, nil, nil)
	s.SpanType = "sideways"
	err := m.Build(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "synapses.EE.span")
	assert.Contains(t, err.Error(), "expected postsynaptic or presynaptic")
	s.SpanType = "presynaptic"
	require.NoError(t, m.Build(t.TempDir()))
	require.NoError(t, m.Close())
}

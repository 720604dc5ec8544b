package modelspec

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Golden lists, hard-coded from GeNN 4.9.0's headers
// (include/genn/genn/*Models.h, initVarSnippet.h,
// initSparseConnectivitySnippet.h). Vars are "name:type".
type btGolden struct {
	params  []string
	derived []string
	vars    []string
	egps    []string // "name:type"
}

var btGoldenNeurons = map[string]struct {
	btGolden
	autoRefractory bool
}{
	"RulkovMap":          {btGolden{[]string{"Vspike", "alpha", "y", "beta"}, []string{"ip0", "ip1", "ip2"}, []string{"V:scalar", "preV:scalar"}, nil}, true},
	"Izhikevich":         {btGolden{[]string{"a", "b", "c", "d"}, nil, []string{"V:scalar", "U:scalar"}, nil}, false},
	"IzhikevichVariable": {btGolden{nil, nil, []string{"V:scalar", "U:scalar", "a:scalar", "b:scalar", "c:scalar", "d:scalar"}, nil}, false},
	"LIF":                {btGolden{[]string{"C", "TauM", "Vrest", "Vreset", "Vthresh", "Ioffset", "TauRefrac"}, []string{"ExpTC", "Rmembrane"}, []string{"V:scalar", "RefracTime:scalar"}, nil}, false},
	"SpikeSource":        {btGolden{nil, nil, nil, nil}, false},
	"SpikeSourceArray":   {btGolden{nil, nil, []string{"startSpike:unsigned int", "endSpike:unsigned int"}, []string{"spikeTimes:scalar*"}}, false},
	"Poisson":            {btGolden{[]string{"trefract", "tspike", "Vspike", "Vrest"}, nil, []string{"V:scalar", "spikeTime:scalar"}, []string{"firingProb:scalar*", "offset:unsigned int"}}, true},
	"PoissonNew":         {btGolden{[]string{"rate"}, []string{"isi"}, []string{"timeStepToSpike:scalar"}, nil}, false},
	"TraubMiles":         {btGolden{[]string{"gNa", "ENa", "gK", "EK", "gl", "El", "C"}, nil, []string{"V:scalar", "m:scalar", "h:scalar", "n:scalar"}, nil}, true},
	"TraubMilesFast":     {btGolden{[]string{"gNa", "ENa", "gK", "EK", "gl", "El", "C"}, nil, []string{"V:scalar", "m:scalar", "h:scalar", "n:scalar"}, nil}, true},
	"TraubMilesAlt":      {btGolden{[]string{"gNa", "ENa", "gK", "EK", "gl", "El", "C"}, nil, []string{"V:scalar", "m:scalar", "h:scalar", "n:scalar"}, nil}, true},
	"TraubMilesNStep":    {btGolden{[]string{"gNa", "ENa", "gK", "EK", "gl", "El", "C", "ntimes"}, nil, []string{"V:scalar", "m:scalar", "h:scalar", "n:scalar"}, nil}, true},
}

var btGoldenPostsynaptic = map[string]btGolden{
	"ExpCurr":   {[]string{"tau"}, []string{"expDecay", "init"}, nil, nil},
	"ExpCond":   {[]string{"tau", "E"}, []string{"expDecay"}, nil, nil},
	"DeltaCurr": {nil, nil, nil, nil},
}

var btGoldenWeightUpdates = map[string]struct {
	btGolden
	preSpikeTime, postSpikeTime bool
}{
	"StaticPulse":               {btGolden{nil, nil, []string{"g:scalar"}, nil}, false, false},
	"StaticPulseDendriticDelay": {btGolden{nil, nil, []string{"g:scalar", "d:uint8_t"}, nil}, false, false},
	"StaticGraded":              {btGolden{[]string{"Epre", "Vslope"}, nil, []string{"g:scalar"}, nil}, false, false},
	"PiecewiseSTDP": {btGolden{
		[]string{"tLrn", "tChng", "tDecay", "tPunish10", "tPunish01", "gMax", "gMid", "gSlope", "tauShift", "gSyn0"},
		[]string{"lim0", "lim1", "slope0", "slope1", "off0", "off1", "off2"},
		[]string{"g:scalar", "gRaw:scalar"}, nil}, true, true},
}

var btGoldenCurrentSources = map[string]btGolden{
	"DC":            {[]string{"amp"}, nil, nil, nil},
	"GaussianNoise": {[]string{"mean", "sd"}, nil, nil, nil},
	"PoissonExp":    {[]string{"weight", "tauSyn", "rate"}, []string{"ExpDecay", "Init", "ExpMinusLambda"}, []string{"current:scalar"}, nil},
}

var btGoldenVarInits = map[string]btGolden{
	"Constant":           {[]string{"constant"}, nil, nil, nil},
	"Kernel":             {nil, nil, nil, []string{"kernel:scalar*"}},
	"Uniform":            {[]string{"min", "max"}, nil, nil, nil},
	"Normal":             {[]string{"mean", "sd"}, nil, nil, nil},
	"NormalClipped":      {[]string{"mean", "sd", "min", "max"}, nil, nil, nil},
	"NormalClippedDelay": {[]string{"mean", "sd", "min", "max"}, []string{"meanTimestep", "sdTimestep", "minTimestep", "maxTimestep"}, nil, nil},
	"Exponential":        {[]string{"lambda"}, nil, nil, nil},
	"Gamma":              {[]string{"a", "b"}, nil, nil, nil},
	"Binomial":           {[]string{"n", "p"}, nil, nil, nil},
}

// For connectivity, vars holds the row-build (or column-build) state vars.
var btGoldenConnectivity = map[string]btGolden{
	"OneToOne":                        {nil, nil, nil, nil},
	"FixedProbability":                {[]string{"prob"}, []string{"probLogRecip"}, []string{"prevJ:int"}, nil},
	"FixedProbabilityNoAutapse":       {[]string{"prob"}, []string{"probLogRecip"}, []string{"prevJ:int"}, nil},
	"FixedNumberPostWithReplacement":  {[]string{"rowLength"}, nil, []string{"x:scalar", "c:unsigned int"}, nil},
	"FixedNumberTotalWithReplacement": {[]string{"total"}, nil, []string{"x:scalar", "c:unsigned int"}, []string{"preCalcRowLength:uint16_t*"}},
	"FixedNumberPreWithReplacement":   {[]string{"colLength"}, nil, []string{"c:unsigned int"}, nil},
	"Conv2D": {[]string{"conv_kh", "conv_kw", "conv_sh", "conv_sw", "conv_padh", "conv_padw",
		"conv_ih", "conv_iw", "conv_ic", "conv_oh", "conv_ow", "conv_oc"}, nil,
		[]string{"inRow:int", "inCol:int", "inChan:int", "outRow:int", "maxOutRow:int", "minOutCol:int", "maxOutCol:int"}, nil},
}

// For Toeplitz snippets, vars holds the diagonal-build state vars.
var btGoldenToeplitz = map[string]btGolden{
	"Conv2D": {[]string{"conv_kh", "conv_kw", "conv_ih", "conv_iw", "conv_ic", "conv_oh", "conv_ow", "conv_oc"},
		[]string{"conv_bw", "conv_bh"}, []string{"kernRow:int", "kernCol:int", "kernOutChan:int", "flipKernRow:int", "flipKernCol:int"}, nil},
	"AvgPoolConv2D": {[]string{"conv_kh", "conv_kw", "pool_kh", "pool_kw", "pool_sh", "pool_sw", "pool_ih", "pool_iw", "pool_ic", "conv_oh", "conv_ow", "conv_oc"},
		[]string{"conv_bw", "conv_bh"}, []string{"kernRow:int", "kernCol:int", "kernOutChan:int", "flipKernRow:int", "flipKernCol:int"}, nil},
}

// GeNN 4.9's non-default variable access modes (SET_VARS with VarAccess).
var btGoldenAccess = map[string]string{
	"neurons.IzhikevichVariable.a": AccessReadOnly, "neurons.IzhikevichVariable.b": AccessReadOnly,
	"neurons.IzhikevichVariable.c": AccessReadOnly, "neurons.IzhikevichVariable.d": AccessReadOnly,
	"neurons.SpikeSourceArray.endSpike":          AccessReadOnlyDuplicate,
	"weight_updates.StaticPulse.g":               AccessReadOnly,
	"weight_updates.StaticPulseDendriticDelay.g": AccessReadOnly,
	"weight_updates.StaticPulseDendriticDelay.d": AccessReadOnly,
	"weight_updates.StaticGraded.g":              AccessReadOnly,
}

func TestBuiltinAccessModes(t *testing.T) {
	c := Builtins()
	got := map[string]string{}
	note := func(kind, model string, vs []Var) {
		for _, v := range vs {
			if v.Access != "" {
				got[kind+"."+model+"."+v.Name] = v.Access
			}
		}
	}
	for n, m := range c.Neurons {
		note("neurons", n, m.Vars)
	}
	for n, m := range c.WeightUpdates {
		note("weight_updates", n, m.Vars)
		note("weight_updates", n, append(m.PreVars, m.PostVars...))
	}
	for n, m := range c.Postsynaptic {
		note("postsynaptic", n, m.Vars)
	}
	for n, m := range c.CurrentSources {
		note("current_sources", n, m.Vars)
	}
	if len(got) != len(btGoldenAccess) {
		t.Errorf("access modes %v, want %v", got, btGoldenAccess)
	}
	for k, want := range btGoldenAccess {
		if got[k] != want {
			t.Errorf("%s: access %q, want %q", k, got[k], want)
		}
	}
	if tr := c.CustomUpdates["Transpose"]; tr == nil || len(tr.VarRefs) != 1 || tr.VarRefs[0] != (VarRef{"variable", "scalar", ""}) || tr.UpdateCode != "" {
		t.Errorf("Transpose = %+v", tr)
	}
}

// The Toeplitz snippets' derived parameters, row lengths and kernel sizes
// against GeNN 4.9's lambdas evaluated by hand: a 3x3 kernel on a 10x10
// image with 10x10 output has borders of (10 + 3 - 1 - 10) / 2 = 1; with an
// odd surplus C's integer division truncates (5 / 2 = 2).
func TestBuiltinToeplitz(t *testing.T) {
	c := Builtins()
	for name, want := range btGoldenToeplitz {
		s := c.Toeplitz[name]
		if s == nil {
			t.Fatalf("no Toeplitz snippet %s", name)
		}
		var dp []string
		for _, d := range s.DerivedParams {
			dp = append(dp, d.Name)
		}
		if !btSameList(s.Params, want.params) || !btSameList(dp, want.derived) || !btSameList(btStateVarStrings(s.DiagonalBuildStateVars), want.vars) {
			t.Errorf("%s: params %v derived %v state vars %v", name, s.Params, dp, btStateVarStrings(s.DiagonalBuildStateVars))
		}
	}
	conv := map[string]float64{"conv_kh": 3, "conv_kw": 5, "conv_ih": 10, "conv_iw": 12, "conv_ic": 2, "conv_oh": 10, "conv_ow": 11, "conv_oc": 4}
	d, err := EvalDerived(c.Toeplitz["Conv2D"].DerivedParams, conv, 1)
	if err != nil || d["conv_bw"] != 2 || d["conv_bh"] != 1 {
		t.Errorf("Conv2D derived %v, %v; want conv_bw (12+5-1-11)/2 = 2 (C), conv_bh (10+3-1-10)/2 = 1", d, err)
	}
	pool := map[string]float64{"conv_kh": 3, "conv_kw": 3, "pool_kh": 2, "pool_kw": 2, "pool_sh": 2, "pool_sw": 2,
		"pool_ih": 10, "pool_iw": 9, "pool_ic": 1, "conv_oh": 5, "conv_ow": 4, "conv_oc": 2}
	d, err = EvalDerived(c.Toeplitz["AvgPoolConv2D"].DerivedParams, pool, 1)
	// conv_bw: (ceil((9 - 2 + 1) / 2) + 3 - 1 - 4) / 2 = (4 - 2) / 2 = 1;
	// conv_bh: (ceil((10 - 2 + 1) / 2) + 3 - 1 - 5) / 2 = (5 - 3) / 2 = 1.
	if err != nil || d["conv_bw"] != 1 || d["conv_bh"] != 1 {
		t.Errorf("AvgPoolConv2D derived %v, %v", d, err)
	}
}

func btVarStrings(vs []Var) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name+":"+v.Type)
	}
	return out
}

func btStateVarStrings(vs []StateVar) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name+":"+v.Type)
	}
	return out
}

func btEGPStrings(es []EGP) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name+":"+e.Type)
	}
	return out
}

func btDerivedNames(dps []DerivedParam) []string {
	var out []string
	for _, d := range dps {
		out = append(out, d.Name)
	}
	return out
}

func btSameList(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

func btCheckGolden(t *testing.T, kind, name string, want btGolden, params []string, dps []DerivedParam, vars, egps []string) {
	t.Helper()
	if !btSameList(params, want.params) {
		t.Errorf("%s %s: params %q, want %q", kind, name, params, want.params)
	}
	if got := btDerivedNames(dps); !btSameList(got, want.derived) {
		t.Errorf("%s %s: derived params %q, want %q", kind, name, got, want.derived)
	}
	if !btSameList(vars, want.vars) {
		t.Errorf("%s %s: vars %q, want %q", kind, name, vars, want.vars)
	}
	if !btSameList(egps, want.egps) {
		t.Errorf("%s %s: extra global params %q, want %q", kind, name, egps, want.egps)
	}
}

func TestBuiltinGolden(t *testing.T) {
	c := Builtins()
	if len(c.Neurons) != len(btGoldenNeurons) || len(c.Postsynaptic) != len(btGoldenPostsynaptic) ||
		len(c.WeightUpdates) != len(btGoldenWeightUpdates) || len(c.CurrentSources) != len(btGoldenCurrentSources) ||
		len(c.VarInits) != len(btGoldenVarInits) || len(c.Connectivity) != len(btGoldenConnectivity) {
		t.Errorf("catalogue sizes differ from GeNN 4.9.0's: %v", BuiltinNames())
	}
	for name, want := range btGoldenNeurons {
		m, ok := c.Neurons[name]
		if !ok {
			t.Errorf("neuron model %s missing", name)
			continue
		}
		if m.Name != name {
			t.Errorf("neuron model %s has Name %q", name, m.Name)
		}
		btCheckGolden(t, "neuron", name, want.btGolden, m.Params, m.DerivedParams, btVarStrings(m.Vars), btEGPStrings(m.ExtraGlobalParams))
		if m.AutoRefractoryRequired != want.autoRefractory {
			t.Errorf("neuron %s: AutoRefractoryRequired %v, want %v", name, m.AutoRefractoryRequired, want.autoRefractory)
		}
		if m.ThresholdConditionCode == "" {
			t.Errorf("neuron %s: no threshold condition", name)
		}
		if len(m.AdditionalInputVars) != 0 {
			t.Errorf("neuron %s: GeNN 4.9 built-ins have no additional input vars", name)
		}
	}
	for name, want := range btGoldenPostsynaptic {
		m, ok := c.Postsynaptic[name]
		if !ok {
			t.Errorf("postsynaptic model %s missing", name)
			continue
		}
		if m.Name != name || m.ApplyInputCode == "" {
			t.Errorf("postsynaptic model %s: Name %q, apply input %q", name, m.Name, m.ApplyInputCode)
		}
		btCheckGolden(t, "postsynaptic", name, want, m.Params, m.DerivedParams, btVarStrings(m.Vars), nil)
	}
	for name, want := range btGoldenWeightUpdates {
		m, ok := c.WeightUpdates[name]
		if !ok {
			t.Errorf("weight update model %s missing", name)
			continue
		}
		if m.Name != name {
			t.Errorf("weight update model %s has Name %q", name, m.Name)
		}
		btCheckGolden(t, "weight update", name, want.btGolden, m.Params, m.DerivedParams, btVarStrings(m.Vars), btEGPStrings(m.ExtraGlobalParams))
		if len(m.PreVars) != 0 || len(m.PostVars) != 0 {
			t.Errorf("weight update %s: GeNN 4.9 built-ins have no pre/post vars", name)
		}
		if m.PreSpikeTimeRequired != want.preSpikeTime || m.PostSpikeTimeRequired != want.postSpikeTime {
			t.Errorf("weight update %s: spike time flags %v %v", name, m.PreSpikeTimeRequired, m.PostSpikeTimeRequired)
		}
	}
	for name, want := range btGoldenCurrentSources {
		m, ok := c.CurrentSources[name]
		if !ok {
			t.Errorf("current source model %s missing", name)
			continue
		}
		if m.Name != name || !strings.Contains(m.InjectionCode, "$(injectCurrent,") {
			t.Errorf("current source model %s: Name %q, injection %q", name, m.Name, m.InjectionCode)
		}
		btCheckGolden(t, "current source", name, want, m.Params, m.DerivedParams, btVarStrings(m.Vars), btEGPStrings(m.ExtraGlobalParams))
	}
	for name, want := range btGoldenVarInits {
		m, ok := c.VarInits[name]
		if !ok {
			t.Errorf("var init snippet %s missing", name)
			continue
		}
		if m.Name != name || !strings.Contains(m.Code, "$(value) =") {
			t.Errorf("var init snippet %s: Name %q, code %q", name, m.Name, m.Code)
		}
		btCheckGolden(t, "var init", name, want, m.Params, m.DerivedParams, nil, btEGPStrings(m.ExtraGlobalParams))
	}
	for name, want := range btGoldenConnectivity {
		m, ok := c.Connectivity[name]
		if !ok {
			t.Errorf("connectivity snippet %s missing", name)
			continue
		}
		if m.Name != name || (m.RowBuildCode == "") == (m.ColBuildCode == "") {
			t.Errorf("connectivity snippet %s: Name %q; needs exactly one of row and column build code", name, m.Name)
		}
		state := append(btStateVarStrings(m.RowBuildStateVars), btStateVarStrings(m.ColBuildStateVars)...)
		btCheckGolden(t, "connectivity", name, want, m.Params, m.DerivedParams, state, btEGPStrings(m.ExtraGlobalParams))
	}
	// A few exact code strings, as in GeNN.
	if got := c.Neurons["LIF"].ResetCode; got != "$(V) = $(Vreset);\n$(RefracTime) = $(TauRefrac);\n" {
		t.Errorf("LIF reset code %q", got)
	}
	if got := c.VarInits["Constant"].Code; got != "$(value) = $(constant);" {
		t.Errorf("Constant code %q", got)
	}
	if got := c.WeightUpdates["StaticPulse"].SimCode; got != "$(addToInSyn, $(g));\n" {
		t.Errorf("StaticPulse sim code %q", got)
	}
	if got := c.Postsynaptic["ExpCurr"].ApplyInputCode; got != "$(Isyn) += $(init) * $(inSyn);" {
		t.Errorf("ExpCurr apply input code %q", got)
	}
	if got := c.Postsynaptic["DeltaCurr"].ApplyInputCode; got != "$(Isyn) += $(inSyn); $(inSyn) = 0;" {
		t.Errorf("DeltaCurr apply input code %q", got)
	}
	if got := c.Connectivity["FixedProbability"].RowBuildStateVars[0].Init; got != "-1" {
		t.Errorf("FixedProbability prevJ init %q", got)
	}
}

func TestBuiltinNames(t *testing.T) {
	names := BuiltinNames()
	wantCounts := map[string]int{
		KindNeurons: len(btGoldenNeurons), KindPostsynaptic: len(btGoldenPostsynaptic),
		KindWeightUpdates: len(btGoldenWeightUpdates), KindCurrentSources: len(btGoldenCurrentSources),
		KindVarInits: len(btGoldenVarInits), KindConnectivity: len(btGoldenConnectivity),
		KindToeplitz: len(btGoldenToeplitz), KindCustomUpdates: 1,
	}
	if len(names) != len(wantCounts) {
		t.Errorf("BuiltinNames has kinds %v", names)
	}
	for kind, n := range wantCounts {
		list := names[kind]
		if len(list) != n || !sort.StringsAreSorted(list) {
			t.Errorf("BuiltinNames()[%q] = %v (want %d sorted names)", kind, list, n)
		}
	}
	if !btSameList(names[KindPostsynaptic], []string{"DeltaCurr", "ExpCond", "ExpCurr"}) {
		t.Errorf("postsynaptic names %v", names[KindPostsynaptic])
	}
}

func TestBuiltinFreshCatalogue(t *testing.T) {
	a := Builtins()
	a.Neurons["LIF"].Params[0] = "changed"
	delete(a.Neurons, "Izhikevich")
	a.Connectivity["FixedProbability"].RowBuildStateVars[0].Init = "0"
	b := Builtins()
	if b.Neurons["LIF"].Params[0] != "C" || b.Neurons["Izhikevich"] == nil ||
		b.Connectivity["FixedProbability"].RowBuildStateVars[0].Init != "-1" ||
		b.Neurons["TraubMiles"].Params[0] != "gNa" {
		t.Error("Builtins() returned a catalogue sharing state with an earlier one")
	}
	a.Neurons["TraubMiles"].Params[0] = "x"
	if b.Neurons["TraubMilesFast"].Params[0] != "gNa" {
		t.Error("TraubMiles family shares its parameter slice")
	}
}

// btDerivedCase: sample parameters and the expected derived values computed
// independently, following GeNN 4.9's derived-parameter lambdas.
type btDerivedCase struct {
	dt     float64
	params map[string]float64
	want   map[string]float64
}

func TestBuiltinDerivedParams(t *testing.T) {
	c := Builtins()
	dt := 0.1
	cases := map[string]struct {
		dps []DerivedParam
		btDerivedCase
	}{
		"LIF": {c.Neurons["LIF"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"C": 1, "TauM": 20, "Vrest": -49, "Vreset": -60, "Vthresh": -50, "Ioffset": 0, "TauRefrac": 5},
			map[string]float64{"ExpTC": math.Exp(-0.1 / 20), "Rmembrane": 20}}},
		"LIF C=0.25": {c.Neurons["LIF"].DerivedParams, btDerivedCase{0.5,
			map[string]float64{"C": 0.25, "TauM": 10},
			map[string]float64{"ExpTC": math.Exp(-0.5 / 10), "Rmembrane": 40}}},
		"RulkovMap": {c.Neurons["RulkovMap"].DerivedParams, btDerivedCase{0.5,
			map[string]float64{"Vspike": -60, "alpha": 3, "y": -2.468, "beta": 2.64},
			map[string]float64{"ip0": -60 * -60 * 3.0, "ip1": -60 * -2.468, "ip2": (-60 * 3.0) + (-60 * -2.468)}}},
		"PoissonNew": {c.Neurons["PoissonNew"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"rate": 20},
			map[string]float64{"isi": 1000.0 / (20 * 0.1)}}},
		"ExpCurr": {c.Postsynaptic["ExpCurr"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"tau": 5},
			map[string]float64{"expDecay": math.Exp(-0.02), "init": 5 * (1 - math.Exp(-0.1/5)) / 0.1}}},
		"ExpCond": {c.Postsynaptic["ExpCond"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"tau": 5, "E": 0},
			map[string]float64{"expDecay": math.Exp(-0.02)}}},
		"PoissonExp": {c.CurrentSources["PoissonExp"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"weight": 0.5, "tauSyn": 2, "rate": 100},
			map[string]float64{"ExpDecay": math.Exp(-0.1 / 2), "Init": 0.5 * (1 - math.Exp(-0.1/2)) * (2 / 0.1),
				"ExpMinusLambda": math.Exp(-(100.0 / 1000.0) * 0.1)}}},
		"PiecewiseSTDP": {c.WeightUpdates["PiecewiseSTDP"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"tLrn": 50, "tChng": 50, "tDecay": 50000, "tPunish10": 100, "tPunish01": 200,
				"gMax": 0.015, "gMid": 0.0075, "gSlope": 33.33, "tauShift": 10, "gSyn0": 0.00006},
			map[string]float64{
				"lim0":   (1.0/200 + 1.0/50) * 50 / (2.0 / 50),
				"lim1":   -((1.0/100 + 1.0/50) * 50 / (2.0 / 50)),
				"slope0": -2 * 0.015 / (50 * 50.0),
				"slope1": 2 * 0.015 / (50 * 50.0),
				"off0":   0.015 / 200,
				"off1":   0.015 / 50,
				"off2":   0.015 / 100,
			}}},
		"NormalClippedDelay": {c.VarInits["NormalClippedDelay"].DerivedParams, btDerivedCase{0.25,
			map[string]float64{"mean": 5, "sd": 1, "min": 1, "max": 10},
			map[string]float64{"meanTimestep": 20, "sdTimestep": 4, "minTimestep": 4, "maxTimestep": 40}}},
		"FixedProbability": {c.Connectivity["FixedProbability"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"prob": 0.02},
			map[string]float64{"probLogRecip": 1.0 / math.Log(1.0-0.02)}}},
		"FixedProbabilityNoAutapse": {c.Connectivity["FixedProbabilityNoAutapse"].DerivedParams, btDerivedCase{dt,
			map[string]float64{"prob": 0.1},
			map[string]float64{"probLogRecip": 1.0 / math.Log(1.0-0.1)}}},
	}
	for name, tc := range cases {
		got, err := EvalDerived(tc.dps, tc.params, tc.dt)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: derived %v, want %v", name, got, tc.want)
		}
		for k, w := range tc.want {
			if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w)) {
				t.Errorf("%s: %s = %v, want %v", name, k, g, w)
			}
		}
	}
}

// Every derived-parameter expression uses only the model's parameters and DT
// (GeNN's lambdas see nothing else), and every max-length expression only
// num_pre, num_post and the parameters.
func TestBuiltinExpressionScopes(t *testing.T) {
	c := Builtins()
	check := func(kind, name string, params []string, dps []DerivedParam) {
		scope := map[string]bool{"DT": true}
		for _, p := range params {
			scope[p] = true
		}
		for _, d := range dps {
			ids, err := ExprIdents(d.Expr)
			if err != nil {
				t.Errorf("%s %s: derived %s: %v", kind, name, d.Name, err)
			}
			for _, id := range ids {
				if !scope[id] {
					t.Errorf("%s %s: derived %s uses %q", kind, name, d.Name, id)
				}
			}
		}
	}
	for n, m := range c.Neurons {
		check("neuron", n, m.Params, m.DerivedParams)
	}
	for n, m := range c.Postsynaptic {
		check("postsynaptic", n, m.Params, m.DerivedParams)
	}
	for n, m := range c.WeightUpdates {
		check("weight update", n, m.Params, m.DerivedParams)
	}
	for n, m := range c.CurrentSources {
		check("current source", n, m.Params, m.DerivedParams)
	}
	for n, m := range c.VarInits {
		check("var init", n, m.Params, m.DerivedParams)
	}
	for n, m := range c.Connectivity {
		check("connectivity", n, m.Params, m.DerivedParams)
		scope := map[string]bool{"num_pre": true, "num_post": true}
		for _, p := range m.Params {
			scope[p] = true
		}
		exprs := append([]string{m.MaxRowLength, m.MaxColLength}, m.KernelSize...)
		for _, e := range exprs {
			if e == "" {
				continue
			}
			ids, err := ExprIdents(e)
			if err != nil {
				t.Errorf("connectivity %s: %q: %v", n, e, err)
			}
			for _, id := range ids {
				if !scope[id] {
					t.Errorf("connectivity %s: %q uses %q", n, e, id)
				}
			}
		}
	}
}

// GeNN's standard tokens by code kind (besides a model's own names).
var (
	btGenTokens = []string{"gennrand_uniform", "gennrand_normal", "gennrand_exponential",
		"gennrand_log_normal", "gennrand_gamma", "gennrand_binomial", "gennrand_poisson"}
	btNeuronTokens       = []string{"Isyn", "t", "id"}
	btPostsynapticTokens = []string{"inSyn", "Isyn", "t", "id"}
	btWeightUpdateTokens = []string{"addToInSyn", "addToInSynDelay", "t", "id_pre", "id_post", "id_syn",
		"sT_pre", "sT_post", "prev_sT_pre", "prev_sT_post", "sET_pre", "updatelinsyn"}
	btCurrentSourceTokens = []string{"injectCurrent", "t", "id"}
	btVarInitTokens       = []string{"value", "id", "id_pre", "id_post", "id_kernel", "num_pre", "num_post"}
	btConnectivityTokens  = []string{"addSynapse", "endRow", "endCol", "id_pre", "id_post", "id_pre_begin",
		"id_post_begin", "num_pre", "num_post", "num_threads", "id_thread", "rng"}
	// Names a postsynaptic model may read from its target neuron.
	btPostsynapticNeuronVars = []string{"V"}
	// Names a weight update model may read from the pre/post neurons.
	btNeuronVarSuffix = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*_(pre|post)$`)
	btTokenRe         = regexp.MustCompile(`\$\(\s*([A-Za-z_][A-Za-z0-9_]*)`)
)

func btScanTokens(t *testing.T, where, code string, allowed map[string]bool, allowPrePost bool) {
	t.Helper()
	if strings.Count(code, "$(") != len(btTokenRe.FindAllString(code, -1)) {
		t.Errorf("%s: malformed $( token in %q", where, code)
	}
	for _, m := range btTokenRe.FindAllStringSubmatch(code, -1) {
		name := m[1]
		if allowed[name] || (allowPrePost && btNeuronVarSuffix.MatchString(name)) {
			continue
		}
		t.Errorf("%s: unknown token $(%s)", where, name)
	}
}

func btAllowSet(lists ...[]string) map[string]bool {
	s := map[string]bool{}
	for _, l := range lists {
		for _, n := range l {
			s[n] = true
		}
	}
	return s
}

func btVarNames(vs []Var) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func btEGPNames(es []EGP) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestBuiltinCodeTokens(t *testing.T) {
	c := Builtins()
	for n, m := range c.Neurons {
		allowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btVarNames(m.Vars), btEGPNames(m.ExtraGlobalParams), btGenTokens, btNeuronTokens)
		for _, code := range []string{m.SimCode, m.ThresholdConditionCode, m.ResetCode, m.SupportCode} {
			btScanTokens(t, "neuron "+n, code, allowed, false)
		}
	}
	for n, m := range c.Postsynaptic {
		allowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btVarNames(m.Vars), btPostsynapticTokens, btPostsynapticNeuronVars)
		for _, code := range []string{m.DecayCode, m.ApplyInputCode, m.SupportCode} {
			btScanTokens(t, "postsynaptic "+n, code, allowed, false)
		}
	}
	for n, m := range c.WeightUpdates {
		allowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btVarNames(m.Vars), btVarNames(m.PreVars), btVarNames(m.PostVars),
			btEGPNames(m.ExtraGlobalParams), btGenTokens, btWeightUpdateTokens)
		for _, code := range []string{m.SimCode, m.EventCode, m.EventThresholdConditionCode, m.LearnPostCode,
			m.SynapseDynamicsCode, m.PreSpikeCode, m.PostSpikeCode} {
			btScanTokens(t, "weight update "+n, code, allowed, true)
		}
	}
	for n, m := range c.CurrentSources {
		allowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btVarNames(m.Vars), btEGPNames(m.ExtraGlobalParams), btGenTokens, btCurrentSourceTokens)
		btScanTokens(t, "current source "+n, m.InjectionCode, allowed, false)
	}
	for n, m := range c.VarInits {
		allowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btEGPNames(m.ExtraGlobalParams), btGenTokens, btVarInitTokens)
		btScanTokens(t, "var init "+n, m.Code, allowed, false)
	}
	for n, m := range c.Connectivity {
		var stateNames, egpOps []string
		for _, s := range append(append([]StateVar(nil), m.RowBuildStateVars...), m.ColBuildStateVars...) {
			stateNames = append(stateNames, s.Name)
		}
		for _, e := range m.ExtraGlobalParams {
			egpOps = append(egpOps, "allocate"+e.Name, "push"+e.Name)
		}
		allowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btEGPNames(m.ExtraGlobalParams), stateNames, btGenTokens, btConnectivityTokens)
		btScanTokens(t, "connectivity "+n, m.RowBuildCode, allowed, false)
		btScanTokens(t, "connectivity "+n, m.ColBuildCode, allowed, false)
		for _, s := range append(append([]StateVar(nil), m.RowBuildStateVars...), m.ColBuildStateVars...) {
			btScanTokens(t, "connectivity "+n+" state var "+s.Name, s.Init, allowed, false)
		}
		hostAllowed := btAllowSet(m.Params, btDerivedNames(m.DerivedParams), btEGPNames(m.ExtraGlobalParams), egpOps, btConnectivityTokens)
		btScanTokens(t, "connectivity "+n+" host init", m.HostInitCode, hostAllowed, false)
	}
}

// btBinomialQuantileBrute is an independent binomial quantile: the smallest k
// with P(X <= k) >= q, X ~ B(n, p), summing the PMF from k = 0 with terms from
// math.Lgamma (no recurrence, no search).
func btBinomialQuantileBrute(q float64, n int, p float64) int {
	cdf := 0.0
	for k := 0; k <= n; k++ {
		ln, _ := math.Lgamma(float64(n + 1))
		lk, _ := math.Lgamma(float64(k + 1))
		lnk, _ := math.Lgamma(float64(n - k + 1))
		cdf += math.Exp(ln - lk - lnk + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
		if cdf >= q {
			return k
		}
	}
	return n
}

func btEvalLength(t *testing.T, expr string, params map[string]float64, numPre, numPost float64) float64 {
	t.Helper()
	scope := map[string]float64{"num_pre": numPre, "num_post": numPost}
	for k, v := range params {
		scope[k] = v
	}
	v, err := EvalExpr(expr, scope)
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	return v
}

func TestBuiltinMaxRowLength(t *testing.T) {
	c := Builtins()
	fp := c.Connectivity["FixedProbability"]
	prob := map[string]float64{"prob": 0.02}
	got := btEvalLength(t, fp.MaxRowLength, prob, 4000, 4000)
	want := btBinomialQuantileBrute(math.Pow(0.9999, 1.0/4000), 4000, 0.02)
	if got <= 80 || got >= 200 {
		t.Errorf("FixedProbability max row length %v is implausible", got)
	}
	if got != float64(want) {
		t.Errorf("FixedProbability max row length %v, independent quantile %d", got, want)
	}
	// Column length is the same with pre and post exchanged.
	gotCol := btEvalLength(t, fp.MaxColLength, prob, 1000, 4000)
	wantCol := btBinomialQuantileBrute(math.Pow(0.9999, 1.0/4000), 1000, 0.02)
	if gotCol != float64(wantCol) {
		t.Errorf("FixedProbability max col length %v, want %d", gotCol, wantCol)
	}
	if got := btEvalLength(t, c.Connectivity["FixedProbabilityNoAutapse"].MaxRowLength, map[string]float64{"prob": 0.1}, 500, 300); got != float64(btBinomialQuantileBrute(math.Pow(0.9999, 1.0/500), 300, 0.1)) {
		t.Errorf("FixedProbabilityNoAutapse max row length %v", got)
	}

	// FixedNumberPostWithReplacement: rows are exactly rowLength; columns
	// follow B(rowLength * num_pre, 1 / num_post).
	fnp := c.Connectivity["FixedNumberPostWithReplacement"]
	rl := map[string]float64{"rowLength": 20}
	if got := btEvalLength(t, fnp.MaxRowLength, rl, 1000, 500); got != 20 {
		t.Errorf("FixedNumberPostWithReplacement max row length %v", got)
	}
	if got, want := btEvalLength(t, fnp.MaxColLength, rl, 1000, 500), btBinomialQuantileBrute(math.Pow(0.9999, 1.0/500), 20*1000, 1.0/500); got != float64(want) {
		t.Errorf("FixedNumberPostWithReplacement max col length %v, want %d", got, want)
	}

	// FixedNumberPreWithReplacement mirrors it.
	fnpre := c.Connectivity["FixedNumberPreWithReplacement"]
	cl := map[string]float64{"colLength": 10}
	if got := btEvalLength(t, fnpre.MaxColLength, cl, 1000, 500); got != 10 {
		t.Errorf("FixedNumberPreWithReplacement max col length %v", got)
	}
	if got, want := btEvalLength(t, fnpre.MaxRowLength, cl, 1000, 500), btBinomialQuantileBrute(math.Pow(0.9999, 1.0/1000), 10*500, 1.0/1000); got != float64(want) {
		t.Errorf("FixedNumberPreWithReplacement max row length %v, want %d", got, want)
	}

	// FixedNumberTotalWithReplacement: B(total, 1/num_pre) per row.
	fnt := c.Connectivity["FixedNumberTotalWithReplacement"]
	tot := map[string]float64{"total": 50000}
	if got, want := btEvalLength(t, fnt.MaxRowLength, tot, 1000, 500), btBinomialQuantileBrute(math.Pow(0.9999, 1.0/1000), 50000, 1.0/1000); got != float64(want) {
		t.Errorf("FixedNumberTotalWithReplacement max row length %v, want %d", got, want)
	}
	if got, want := btEvalLength(t, fnt.MaxColLength, tot, 1000, 500), btBinomialQuantileBrute(math.Pow(0.9999, 1.0/500), 50000, 1.0/500); got != float64(want) {
		t.Errorf("FixedNumberTotalWithReplacement max col length %v, want %d", got, want)
	}
	if fnt.HostInitCode == "" {
		t.Error("FixedNumberTotalWithReplacement has no host init code")
	}

	// OneToOne and Conv2D.
	oto := c.Connectivity["OneToOne"]
	if btEvalLength(t, oto.MaxRowLength, nil, 10, 10) != 1 || btEvalLength(t, oto.MaxColLength, nil, 10, 10) != 1 {
		t.Error("OneToOne max lengths are not 1")
	}
	conv := c.Connectivity["Conv2D"]
	convParams := map[string]float64{"conv_kh": 3, "conv_kw": 5, "conv_sh": 2, "conv_sw": 2, "conv_padh": 1, "conv_padw": 2,
		"conv_ih": 28, "conv_iw": 28, "conv_ic": 1, "conv_oh": 14, "conv_ow": 14, "conv_oc": 8}
	if got := btEvalLength(t, conv.MaxRowLength, convParams, 784, 1568); got != 2*3*8 {
		t.Errorf("Conv2D max row length %v, want %d", got, 2*3*8)
	}
	if conv.MaxColLength != "" {
		t.Errorf("Conv2D has no max column length in GeNN, got %q", conv.MaxColLength)
	}
	var kernel []float64
	for _, e := range conv.KernelSize {
		kernel = append(kernel, btEvalLength(t, e, convParams, 0, 0))
	}
	if len(kernel) != 4 || kernel[0] != 3 || kernel[1] != 5 || kernel[2] != 1 || kernel[3] != 8 {
		t.Errorf("Conv2D kernel size %v, want [3 5 1 8]", kernel)
	}
}

package modelspec

// The built-in catalogue: GeNN 4.9.0's models and snippets with GeNN's exact
// names, parameter and variable names and order, code strings (verbatim, in
// GeNN's $(...) token syntax, so that user models port unchanged), extra
// global parameters and flags. Facts are taken from genn-team/genn tag 4.9.0:
// include/genn/genn/{neuronModels,postsynapticModels,weightUpdateModels,
// currentSourceModels,initVarSnippet,initSparseConnectivitySnippet}.h.
//
// Translation conventions:
//   - GeNN's derived-parameter lambdas become EvalExpr expressions of the
//     parameter names and DT, written to compute the same double-precision
//     values in the same order of operations.
//   - GeNN's calcMaxRowLength/calcMaxColLength functions become expressions of
//     num_pre, num_post and the parameter names; GeNN's C casts are kept as
//     casts (EvalExpr supports them) and binomialInverseCDF is GeNN's.
//   - Row/column-build state variables' initial values given as numbers in
//     GeNN are written as plain literals ("-1", "0.0"); GeNN prints them in
//     scientific notation, which has the same value.
//   - GeNN's variable access modes are Var.Access (READ_ONLY,
//     READ_ONLY_DUPLICATE; "" is GeNN's default READ_WRITE).
//   - Uninitialised var-init and connectivity snippets are omitted.
//
// Quirks of GeNN 4.9 kept verbatim: TraubMiles and TraubMilesNStep test the
// bare local "lV" (GeNN's generated name for the local copy of V) in their sim
// code, so a generator must name the local copy of V "lV"; RulkovMap's sim
// code has "else {" with no newline before the next line; Poisson's has
// "}else if"; TraubMilesAlt uses SCALAR_MIN.

import (
	"sort"
	"sync"
)

// builtinCatalogue is one Builtins catalogue shared by every Decode, which
// only reads it: the networks of a sweep's variants then share their
// built-in models instead of each holding a copy.
var builtinCatalogue = sync.OnceValue(Builtins)

// Builtins returns GeNN 4.9.0's built-in catalogue. Each call builds a fresh
// catalogue, so the caller may modify it (e.g. add custom models) freely.
func Builtins() *Catalogue {
	c := NewCatalogue()
	for _, m := range builtinNeurons() {
		c.Neurons[m.Name] = m
	}
	for _, m := range builtinPostsynaptic() {
		c.Postsynaptic[m.Name] = m
	}
	for _, m := range builtinWeightUpdates() {
		c.WeightUpdates[m.Name] = m
	}
	for _, m := range builtinCurrentSources() {
		c.CurrentSources[m.Name] = m
	}
	for _, m := range builtinVarInits() {
		c.VarInits[m.Name] = m
	}
	for _, m := range builtinConnectivity() {
		c.Connectivity[m.Name] = m
	}
	for _, m := range builtinToeplitz() {
		c.Toeplitz[m.Name] = m
	}
	for _, m := range builtinCustomUpdates() {
		c.CustomUpdates[m.Name] = m
	}
	return c
}

// Kind names used by BuiltinNames; they match the sections of the experiment
// document's "models:" block.
const (
	KindNeurons        = "neurons"
	KindPostsynaptic   = "postsynaptic"
	KindWeightUpdates  = "weight_updates"
	KindCurrentSources = "current_sources"
	KindVarInits       = "var_inits"
	KindConnectivity   = "connectivity"
	KindToeplitz       = "toeplitz"
	KindCustomUpdates  = "custom_updates"
)

// BuiltinNames returns the names of the built-in models by kind (see the Kind
// constants), each list sorted.
func BuiltinNames() map[string][]string {
	return Builtins().Names()
}

// Names returns the names of the catalogue's models by kind (see the Kind
// constants), each list sorted.
func (c *Catalogue) Names() map[string][]string {
	out := map[string][]string{
		KindNeurons:        catalogueSortedKeys(c.Neurons),
		KindPostsynaptic:   catalogueSortedKeys(c.Postsynaptic),
		KindWeightUpdates:  catalogueSortedKeys(c.WeightUpdates),
		KindCurrentSources: catalogueSortedKeys(c.CurrentSources),
		KindVarInits:       catalogueSortedKeys(c.VarInits),
		KindConnectivity:   catalogueSortedKeys(c.Connectivity),
		KindToeplitz:       catalogueSortedKeys(c.Toeplitz),
		KindCustomUpdates:  catalogueSortedKeys(c.CustomUpdates),
	}
	return out
}

func catalogueSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---------------------------------------------------------------------------
// Neuron models (NeuronModels::*)

// traubMilesParams and traubMilesVars are shared by the TraubMiles family.
var traubMilesParams = []string{"gNa", "ENa", "gK", "EK", "gl", "El", "C"}

func traubMilesVars() []Var {
	return []Var{{"V", "scalar", ""}, {"m", "scalar", ""}, {"h", "scalar", ""}, {"n", "scalar", ""}}
}

const izhikevichSimCode = "if ($(V) >= 30.0){\n" +
	"   $(V)=$(c);\n" +
	"   $(U)+=$(d);\n" +
	"} \n" +
	"$(V)+=0.5*(0.04*$(V)*$(V)+5.0*$(V)+140.0-$(U)+$(Isyn))*DT; //at two times for numerical stability\n" +
	"$(V)+=0.5*(0.04*$(V)*$(V)+5.0*$(V)+140.0-$(U)+$(Isyn))*DT;\n" +
	"$(U)+=$(a)*($(b)*$(V)-$(U))*DT;\n" +
	"if ($(V) > 30.0){   //keep this to not confuse users with unrealistiv voltage values \n" +
	"  $(V)=30.0; \n" +
	"}\n"

const traubMilesSimCode = "scalar Imem;\n" +
	"unsigned int mt;\n" +
	"scalar mdt= DT/25.0;\n" +
	"for (mt=0; mt < 25; mt++) {\n" +
	"   Imem= -($(m)*$(m)*$(m)*$(h)*$(gNa)*($(V)-($(ENa)))+\n" +
	"       $(n)*$(n)*$(n)*$(n)*$(gK)*($(V)-($(EK)))+\n" +
	"       $(gl)*($(V)-($(El)))-$(Isyn));\n" +
	"   scalar _a;\n" +
	"   if (lV == -52.0) {\n" +
	"       _a= 1.28;\n" +
	"   }\n" +
	"   else {\n" +
	"       _a= 0.32*(-52.0-$(V))/(exp((-52.0-$(V))/4.0)-1.0);\n" +
	"   }\n" +
	"   scalar _b;\n" +
	"   if (lV == -25.0) {\n" +
	"       _b= 1.4;\n" +
	"   }\n" +
	"   else {\n" +
	"       _b= 0.28*($(V)+25.0)/(exp(($(V)+25.0)/5.0)-1.0);\n" +
	"   }\n" +
	"   $(m)+= (_a*(1.0-$(m))-_b*$(m))*mdt;\n" +
	"   _a= 0.128*exp((-48.0-$(V))/18.0);\n" +
	"   _b= 4.0 / (exp((-25.0-$(V))/5.0)+1.0);\n" +
	"   $(h)+= (_a*(1.0-$(h))-_b*$(h))*mdt;\n" +
	"   if (lV == -50.0) {\n" +
	"       _a= 0.16;\n" +
	"   }\n" +
	"   else {\n" +
	"       _a= 0.032*(-50.0-$(V))/(exp((-50.0-$(V))/5.0)-1.0);\n" +
	"   }\n" +
	"   _b= 0.5*exp((-55.0-$(V))/40.0);\n" +
	"   $(n)+= (_a*(1.0-$(n))-_b*$(n))*mdt;\n" +
	"   $(V)+= Imem/$(C)*mdt;\n" +
	"}\n"

const traubMilesFastSimCode = "scalar Imem;\n" +
	"unsigned int mt;\n" +
	"scalar mdt= DT/25.0;\n" +
	"for (mt=0; mt < 25; mt++) {\n" +
	"   Imem= -($(m)*$(m)*$(m)*$(h)*$(gNa)*($(V)-($(ENa)))+\n" +
	"       $(n)*$(n)*$(n)*$(n)*$(gK)*($(V)-($(EK)))+\n" +
	"       $(gl)*($(V)-($(El)))-$(Isyn));\n" +
	"   scalar _a= 0.32*(-52.0-$(V))/(exp((-52.0-$(V))/4.0)-1.0);\n" +
	"   scalar _b= 0.28*($(V)+25.0)/(exp(($(V)+25.0)/5.0)-1.0);\n" +
	"   $(m)+= (_a*(1.0-$(m))-_b*$(m))*mdt;\n" +
	"   _a= 0.128*exp((-48.0-$(V))/18.0);\n" +
	"   _b= 4.0 / (exp((-25.0-$(V))/5.0)+1.0);\n" +
	"   $(h)+= (_a*(1.0-$(h))-_b*$(h))*mdt;\n" +
	"   _a= 0.032*(-50.0-$(V))/(exp((-50.0-$(V))/5.0)-1.0);\n" +
	"   _b= 0.5*exp((-55.0-$(V))/40.0);\n" +
	"   $(n)+= (_a*(1.0-$(n))-_b*$(n))*mdt;\n" +
	"   $(V)+= Imem/$(C)*mdt;\n" +
	"}\n"

const traubMilesAltSimCode = "scalar Imem;\n" +
	"unsigned int mt;\n" +
	"scalar mdt= DT/25.0;\n" +
	"for (mt=0; mt < 25; mt++) {\n" +
	"   Imem= -($(m)*$(m)*$(m)*$(h)*$(gNa)*($(V)-($(ENa)))+\n" +
	"       $(n)*$(n)*$(n)*$(n)*$(gK)*($(V)-($(EK)))+\n" +
	"       $(gl)*($(V)-($(El)))-$(Isyn));\n" +
	"   scalar volatile _tmp= abs(exp((-52.0-$(V))/4.0)-1.0);\n" +
	"   scalar _a= 0.32*abs(-52.0-$(V))/(_tmp+SCALAR_MIN);\n" +
	"   _tmp= abs(exp(($(V)+25.0)/5.0)-1.0);\n" +
	"   scalar _b= 0.28*abs($(V)+25.0)/(_tmp+SCALAR_MIN);\n" +
	"   $(m)+= (_a*(1.0-$(m))-_b*$(m))*mdt;\n" +
	"   _a= 0.128*exp((-48.0-$(V))/18.0);\n" +
	"   _b= 4.0 / (exp((-25.0-$(V))/5.0)+1.0);\n" +
	"   $(h)+= (_a*(1.0-$(h))-_b*$(h))*mdt;\n" +
	"   _tmp= abs(exp((-50.0-$(V))/5.0)-1.0);\n" +
	"   _a= 0.032*abs(-50.0-$(V))/(_tmp+SCALAR_MIN);\n" +
	"   _b= 0.5*exp((-55.0-$(V))/40.0);\n" +
	"   $(n)+= (_a*(1.0-$(n))-_b*$(n))*mdt;\n" +
	"   $(V)+= Imem/$(C)*mdt;\n" +
	"}\n"

const traubMilesNStepSimCode = "scalar Imem;\n" +
	"unsigned int mt;\n" +
	"scalar mdt= DT/scalar($(ntimes));\n" +
	"for (mt=0; mt < $(ntimes); mt++) {\n" +
	"   Imem= -($(m)*$(m)*$(m)*$(h)*$(gNa)*($(V)-($(ENa)))+\n" +
	"       $(n)*$(n)*$(n)*$(n)*$(gK)*($(V)-($(EK)))+\n" +
	"       $(gl)*($(V)-($(El)))-$(Isyn));\n" +
	"   scalar _a;\n" +
	"   if (lV == -52.0) {\n" +
	"       _a= 1.28;\n" +
	"   }\n" +
	"   else {\n" +
	"       _a= 0.32*(-52.0-$(V))/(exp((-52.0-$(V))/4.0)-1.0);\n" +
	"   }\n" +
	"   scalar _b;\n" +
	"   if (lV == -25.0) {\n" +
	"       _b= 1.4;\n" +
	"   }\n" +
	"   else {\n" +
	"       _b= 0.28*($(V)+25.0)/(exp(($(V)+25.0)/5.0)-1.0);\n" +
	"   }\n" +
	"   $(m)+= (_a*(1.0-$(m))-_b*$(m))*mdt;\n" +
	"   _a= 0.128*exp((-48.0-$(V))/18.0);\n" +
	"   _b= 4.0 / (exp((-25.0-$(V))/5.0)+1.0);\n" +
	"   $(h)+= (_a*(1.0-$(h))-_b*$(h))*mdt;\n" +
	"   if (lV == -50.0) {\n" +
	"       _a= 0.16;\n" +
	"   }\n" +
	"   else {\n" +
	"       _a= 0.032*(-50.0-$(V))/(exp((-50.0-$(V))/5.0)-1.0);\n" +
	"   }\n" +
	"   _b= 0.5*exp((-55.0-$(V))/40.0);\n" +
	"   $(n)+= (_a*(1.0-$(n))-_b*$(n))*mdt;\n" +
	"   $(V)+= Imem/$(C)*mdt;\n" +
	"}\n"

func builtinNeurons() []*NeuronModel {
	return []*NeuronModel{
		{
			Name: "RulkovMap",
			SimCode: "if ($(V) <= 0) {\n" +
				"   $(preV)= $(V);\n" +
				"   $(V)= $(ip0)/(($(Vspike)) - $(V) - ($(beta))*$(Isyn)) +($(ip1));\n" +
				"}\n" +
				"else {" +
				"   if (($(V) < $(ip2)) && ($(preV) <= 0)) {\n" +
				"       $(preV)= $(V);\n" +
				"       $(V)= $(ip2);\n" +
				"   }\n" +
				"   else {\n" +
				"       $(preV)= $(V);\n" +
				"       $(V)= -($(Vspike));\n" +
				"   }\n" +
				"}\n",
			ThresholdConditionCode: "$(V) >= $(ip2)",
			Params:                 []string{"Vspike", "alpha", "y", "beta"},
			Vars:                   []Var{{"V", "scalar", ""}, {"preV", "scalar", ""}},
			DerivedParams: []DerivedParam{
				{Name: "ip0", Expr: "Vspike * Vspike * alpha"},
				{Name: "ip1", Expr: "Vspike * y"},
				{Name: "ip2", Expr: "(Vspike * alpha) + (Vspike * y)"},
			},
			AutoRefractoryRequired: true, // GeNN default
		},
		{
			Name:                   "Izhikevich",
			SimCode:                izhikevichSimCode,
			ThresholdConditionCode: "$(V) >= 29.99",
			Params:                 []string{"a", "b", "c", "d"},
			Vars:                   []Var{{"V", "scalar", ""}, {"U", "scalar", ""}},
			AutoRefractoryRequired: false,
		},
		{
			// Inherits Izhikevich's code and needsAutoRefractory(false).
			Name:                   "IzhikevichVariable",
			SimCode:                izhikevichSimCode,
			ThresholdConditionCode: "$(V) >= 29.99",
			Params:                 []string{},
			Vars: []Var{{"V", "scalar", ""}, {"U", "scalar", ""},
				{"a", "scalar", AccessReadOnly}, {"b", "scalar", AccessReadOnly}, {"c", "scalar", AccessReadOnly}, {"d", "scalar", AccessReadOnly}},
			AutoRefractoryRequired: false,
		},
		{
			Name: "LIF",
			SimCode: "if ($(RefracTime) <= 0.0) {\n" +
				"  scalar alpha = (($(Isyn) + $(Ioffset)) * $(Rmembrane)) + $(Vrest);\n" +
				"  $(V) = alpha - ($(ExpTC) * (alpha - $(V)));\n" +
				"}\n" +
				"else {\n" +
				"  $(RefracTime) -= DT;\n" +
				"}\n",
			ThresholdConditionCode: "$(RefracTime) <= 0.0 && $(V) >= $(Vthresh)",
			ResetCode: "$(V) = $(Vreset);\n" +
				"$(RefracTime) = $(TauRefrac);\n",
			Params: []string{"C", "TauM", "Vrest", "Vreset", "Vthresh", "Ioffset", "TauRefrac"},
			DerivedParams: []DerivedParam{
				{Name: "ExpTC", Expr: "exp(-DT / TauM)"},
				{Name: "Rmembrane", Expr: "TauM / C"},
			},
			Vars:                   []Var{{"V", "scalar", ""}, {"RefracTime", "scalar", ""}},
			AutoRefractoryRequired: false,
		},
		{
			Name:                   "SpikeSource",
			Params:                 []string{},
			ThresholdConditionCode: "0",
			AutoRefractoryRequired: false,
		},
		{
			Name:                   "SpikeSourceArray",
			Params:                 []string{},
			SimCode:                "",
			ThresholdConditionCode: "$(startSpike) != $(endSpike) && $(t) >= $(spikeTimes)[$(startSpike)]",
			ResetCode:              "$(startSpike)++;\n",
			Vars:                   []Var{{"startSpike", "unsigned int", ""}, {"endSpike", "unsigned int", AccessReadOnlyDuplicate}},
			ExtraGlobalParams:      []EGP{{"spikeTimes", "scalar*"}},
			AutoRefractoryRequired: false,
		},
		{
			Name: "Poisson",
			SimCode: "if(($(t) - $(spikeTime)) > $(tspike) && $(V) > $(Vrest)){\n" +
				"   $(V) = $(Vrest);\n" +
				"}" +
				"else if(($(t) - $(spikeTime)) > $(trefract)){\n" +
				"   if($(gennrand_uniform) < $(firingProb)[$(offset) + $(id)]){\n" +
				"       $(V) = $(Vspike);\n" +
				"       $(spikeTime) = $(t);\n" +
				"   }\n" +
				"}\n",
			ThresholdConditionCode: "$(V) >= $(Vspike)",
			Params:                 []string{"trefract", "tspike", "Vspike", "Vrest"},
			Vars:                   []Var{{"V", "scalar", ""}, {"spikeTime", "scalar", ""}},
			ExtraGlobalParams:      []EGP{{"firingProb", "scalar*"}, {"offset", "unsigned int"}},
			AutoRefractoryRequired: true, // GeNN default (not overridden)
		},
		{
			Name: "PoissonNew",
			SimCode: "if($(timeStepToSpike) <= 0.0f) {\n" +
				"    $(timeStepToSpike) += $(isi) * $(gennrand_exponential);\n" +
				"}\n" +
				"$(timeStepToSpike) -= 1.0;\n",
			ThresholdConditionCode: "$(timeStepToSpike) <= 0.0",
			Params:                 []string{"rate"},
			Vars:                   []Var{{"timeStepToSpike", "scalar", ""}},
			DerivedParams:          []DerivedParam{{Name: "isi", Expr: "1000.0 / (rate * DT)"}},
			AutoRefractoryRequired: false,
		},
		{
			Name:                   "TraubMiles",
			SimCode:                traubMilesSimCode,
			ThresholdConditionCode: "$(V) >= 0.0",
			Params:                 append([]string(nil), traubMilesParams...),
			Vars:                   traubMilesVars(),
			AutoRefractoryRequired: true, // GeNN default
		},
		{
			Name:                   "TraubMilesFast",
			SimCode:                traubMilesFastSimCode,
			ThresholdConditionCode: "$(V) >= 0.0",
			Params:                 append([]string(nil), traubMilesParams...),
			Vars:                   traubMilesVars(),
			AutoRefractoryRequired: true, // inherited GeNN default
		},
		{
			Name:                   "TraubMilesAlt",
			SimCode:                traubMilesAltSimCode,
			ThresholdConditionCode: "$(V) >= 0.0",
			Params:                 append([]string(nil), traubMilesParams...),
			Vars:                   traubMilesVars(),
			AutoRefractoryRequired: true, // inherited GeNN default
		},
		{
			Name:                   "TraubMilesNStep",
			SimCode:                traubMilesNStepSimCode,
			ThresholdConditionCode: "$(V) >= 0.0",
			Params:                 append(append([]string(nil), traubMilesParams...), "ntimes"),
			Vars:                   traubMilesVars(),
			AutoRefractoryRequired: true, // inherited GeNN default
		},
	}
}

// ---------------------------------------------------------------------------
// Postsynaptic models (PostsynapticModels::*). GeNN's
// SET_CURRENT_CONVERTER_CODE(X) is the apply-input code "$(Isyn) += X;".

func builtinPostsynaptic() []*PostsynapticModel {
	return []*PostsynapticModel{
		{
			Name:           "ExpCurr",
			DecayCode:      "$(inSyn) *= $(expDecay);",
			ApplyInputCode: "$(Isyn) += $(init) * $(inSyn);",
			Params:         []string{"tau"},
			DerivedParams: []DerivedParam{
				{Name: "expDecay", Expr: "exp(-DT / tau)"},
				{Name: "init", Expr: "(tau * (1.0 - exp(-DT / tau))) * (1.0 / DT)"},
			},
		},
		{
			Name:           "ExpCond",
			DecayCode:      "$(inSyn)*=$(expDecay);",
			ApplyInputCode: "$(Isyn) += $(inSyn) * ($(E) - $(V));",
			Params:         []string{"tau", "E"},
			DerivedParams:  []DerivedParam{{Name: "expDecay", Expr: "exp(-DT / tau)"}},
		},
		{
			Name:           "DeltaCurr",
			Params:         []string{},
			ApplyInputCode: "$(Isyn) += $(inSyn); $(inSyn) = 0;",
		},
	}
}

// ---------------------------------------------------------------------------
// Weight update models (WeightUpdateModels::*). GeNN 4.9 has no
// StaticPulseConstantWeight (that arrived in GeNN 5).

func builtinWeightUpdates() []*WeightUpdateModel {
	return []*WeightUpdateModel{
		{
			Name:    "StaticPulse",
			Params:  []string{},
			Vars:    []Var{{"g", "scalar", AccessReadOnly}},
			SimCode: "$(addToInSyn, $(g));\n",
		},
		{
			Name:    "StaticPulseDendriticDelay",
			Params:  []string{},
			Vars:    []Var{{"g", "scalar", AccessReadOnly}, {"d", "uint8_t", AccessReadOnly}},
			SimCode: "$(addToInSynDelay, $(g), $(d));\n",
		},
		{
			Name:                        "StaticGraded",
			Params:                      []string{"Epre", "Vslope"},
			Vars:                        []Var{{"g", "scalar", AccessReadOnly}},
			EventCode:                   "$(addToInSyn, fmax(0.0, $(g) * tanh(($(V_pre) - $(Epre)) / $(Vslope))* DT));\n",
			EventThresholdConditionCode: "$(V_pre) > $(Epre)",
		},
		{
			Name: "PiecewiseSTDP",
			Params: []string{"tLrn", "tChng", "tDecay", "tPunish10", "tPunish01",
				"gMax", "gMid", "gSlope", "tauShift", "gSyn0"},
			Vars: []Var{{"g", "scalar", ""}, {"gRaw", "scalar", ""}},
			SimCode: "$(addToInSyn, $(g));\n" +
				"scalar dt = $(sT_post) - $(t) - ($(tauShift)); \n" +
				"scalar dg = 0;\n" +
				"if (dt > $(lim0))  \n" +
				"    dg = -($(off0)) ; \n" +
				"else if (dt > 0)  \n" +
				"    dg = $(slope0) * dt + ($(off1)); \n" +
				"else if (dt > $(lim1))  \n" +
				"    dg = $(slope1) * dt + ($(off1)); \n" +
				"else dg = - ($(off2)) ; \n" +
				"$(gRaw) += dg; \n" +
				"$(g)=$(gMax)/2 *(tanh($(gSlope)*($(gRaw) - ($(gMid))))+1); \n",
			LearnPostCode: "scalar dt = $(t) - ($(sT_pre)) - ($(tauShift)); \n" +
				"scalar dg =0; \n" +
				"if (dt > $(lim0))  \n" +
				"    dg = -($(off0)) ; \n" +
				"else if (dt > 0)  \n" +
				"    dg = $(slope0) * dt + ($(off1)); \n" +
				"else if (dt > $(lim1))  \n" +
				"    dg = $(slope1) * dt + ($(off1)); \n" +
				"else dg = -($(off2)) ; \n" +
				"$(gRaw) += dg; \n" +
				"$(g)=$(gMax)/2.0 *(tanh($(gSlope)*($(gRaw) - ($(gMid))))+1); \n",
			DerivedParams: []DerivedParam{
				{Name: "lim0", Expr: "(1/tPunish01 + 1/tChng) * tLrn / (2/tChng)"},
				{Name: "lim1", Expr: "-((1/tPunish10 + 1/tChng) * tLrn / (2/tChng))"},
				{Name: "slope0", Expr: "-2*gMax/(tChng*tLrn)"},
				{Name: "slope1", Expr: "2*gMax/(tChng*tLrn)"},
				{Name: "off0", Expr: "gMax / tPunish01"},
				{Name: "off1", Expr: "gMax / tChng"},
				{Name: "off2", Expr: "gMax / tPunish10"},
			},
			PreSpikeTimeRequired:  true,
			PostSpikeTimeRequired: true,
		},
	}
}

// ---------------------------------------------------------------------------
// Current source models (CurrentSourceModels::*)

func builtinCurrentSources() []*CurrentSourceModel {
	return []*CurrentSourceModel{
		{
			Name:          "DC",
			Params:        []string{"amp"},
			InjectionCode: "$(injectCurrent, $(amp));\n",
		},
		{
			Name:          "GaussianNoise",
			Params:        []string{"mean", "sd"},
			InjectionCode: "$(injectCurrent, $(mean) + $(gennrand_normal) * $(sd));\n",
		},
		{
			// GeNN 4.9 draws the Poisson number of input spikes by
			// multiplying uniform numbers until the product falls below
			// exp(-lambda) (ExpMinusLambda, kept as GeNN's derived
			// parameter); gennctl draws the same distribution by inversion
			// from one 32-bit number against a table made once per
			// variant ($(gennrand_poisson, mean); docs/config.md).
			Name: "PoissonExp",
			InjectionCode: "$(current) += $(Init) * (scalar)$(gennrand_poisson, $(rate) / 1000.0 * DT);\n" +
				"$(injectCurrent, $(current));\n" +
				"$(current) *= $(ExpDecay);\n",
			Params: []string{"weight", "tauSyn", "rate"},
			Vars:   []Var{{"current", "scalar", ""}},
			DerivedParams: []DerivedParam{
				{Name: "ExpDecay", Expr: "exp(-DT / tauSyn)"},
				{Name: "Init", Expr: "weight * (1.0 - exp(-DT / tauSyn)) * (tauSyn / DT)"},
				{Name: "ExpMinusLambda", Expr: "exp(-(rate / 1000.0) * DT)"},
			},
		},
	}
}

// ---------------------------------------------------------------------------
// Variable initialisation snippets (InitVarSnippet::*)

func builtinVarInits() []*VarInitSnippet {
	return []*VarInitSnippet{
		{
			Name:   "Constant",
			Code:   "$(value) = $(constant);",
			Params: []string{"constant"},
		},
		{
			// Reads a kernel (e.g. Conv2D's, see ConnectivitySnippet.KernelSize)
			// indexed by $(id_kernel).
			Name:              "Kernel",
			Params:            []string{},
			Code:              "$(value) = $(kernel)[$(id_kernel)];",
			ExtraGlobalParams: []EGP{{"kernel", "scalar*"}},
		},
		{
			Name: "Uniform",
			Code: "const scalar scale = $(max) - $(min);\n" +
				"$(value) = $(min) + ($(gennrand_uniform) * scale);",
			Params: []string{"min", "max"},
		},
		{
			Name:   "Normal",
			Code:   "$(value) = $(mean) + ($(gennrand_normal) * $(sd));",
			Params: []string{"mean", "sd"},
		},
		{
			Name: "NormalClipped",
			Code: "scalar normal;\n" +
				"do\n" +
				"{\n" +
				"   normal = $(mean) + ($(gennrand_normal) * $(sd));\n" +
				"} while (normal > $(max) || normal < $(min));\n" +
				"$(value) = normal;\n",
			Params: []string{"mean", "sd", "min", "max"},
		},
		{
			Name: "NormalClippedDelay",
			Code: "scalar normal;\n" +
				"do\n" +
				"{\n" +
				"   normal = $(meanTimestep) + ($(gennrand_normal) * $(sdTimestep));\n" +
				"} while (normal > $(maxTimestep) || normal < $(minTimestep));\n" +
				"$(value) = rint(normal);\n",
			Params: []string{"mean", "sd", "min", "max"},
			DerivedParams: []DerivedParam{
				{Name: "meanTimestep", Expr: "mean / DT"},
				{Name: "sdTimestep", Expr: "sd / DT"},
				{Name: "minTimestep", Expr: "min / DT"},
				{Name: "maxTimestep", Expr: "max / DT"},
			},
		},
		{
			Name:   "Exponential",
			Code:   "$(value) = $(lambda) * $(gennrand_exponential);",
			Params: []string{"lambda"},
		},
		{
			Name:   "Gamma",
			Code:   "$(value) = $(b) * $(gennrand_gamma, $(a));",
			Params: []string{"a", "b"},
		},
		{
			Name:   "Binomial",
			Code:   "$(value) = $(gennrand_binomial, (unsigned int)$(n), $(p));",
			Params: []string{"n", "p"},
		},
	}
}

// ---------------------------------------------------------------------------
// Sparse connectivity initialisation snippets (InitSparseConnectivitySnippet::*)

const fixedProbabilityRowBuildCode = "const scalar u = $(gennrand_uniform);\n" +
	"prevJ += (1 + (int)(log(u) * $(probLogRecip)));\n" +
	"if(prevJ < $(num_post)) {\n" +
	"   $(addSynapse, prevJ + $(id_post_begin));\n" +
	"}\n" +
	"else {\n" +
	"   $(endRow);\n" +
	"}\n"

const fixedProbabilityNoAutapseRowBuildCode = "int nextJ;\n" +
	"do {\n" +
	"   const scalar u = $(gennrand_uniform);\n" +
	"   nextJ = prevJ + (1 + (int)(log(u) * $(probLogRecip)));\n" +
	"} while(nextJ == $(id_pre));\n" +
	"prevJ = nextJ;\n" +
	"if(prevJ < $(num_post)) {\n" +
	"   $(addSynapse, prevJ + $(id_post_begin));\n" +
	"}\n" +
	"else {\n" +
	"   $(endRow);\n" +
	"}\n"

// fixedNumberWithReplacementRowBuildCode is shared by
// FixedNumberPostWithReplacement and FixedNumberTotalWithReplacement.
const fixedNumberWithReplacementRowBuildCode = "if(c == 0) {\n" +
	"   $(endRow);\n" +
	"}\n" +
	"const scalar u = $(gennrand_uniform);\n" +
	"x += (1.0 - x) * (1.0 - pow(u, 1.0 / (scalar)c));\n" +
	"unsigned int postIdx = (unsigned int)(x * $(num_post));\n" +
	"postIdx = (postIdx < $(num_post)) ? postIdx : ($(num_post) - 1);\n" +
	"$(addSynapse, postIdx + $(id_post_begin));\n" +
	"c--;\n"

// fixedNumberTotalHostInitCode is GeNN 4.9's host-side C++ for
// FixedNumberTotalWithReplacement: it splits "total" connections over the
// num_pre * num_threads sub-rows by sequential conditional binomial draws
// (std::binomial_distribution seeded from the host RNG $(rng)), stores each
// sub-row's length in the uint16_t EGP preCalcRowLength (allocated and pushed
// with $(allocatepreCalcRowLength, n) / $(pushpreCalcRowLength, n)), and puts
// the remainder in the last sub-row. The row-build state variable c starts at
// that pre-calculated length. A C generator has to provide an equivalent host
// step; this code is kept verbatim as the reference.
const fixedNumberTotalHostInitCode = "// Allocate pre-calculated row length array\n" +
	"$(allocatepreCalcRowLength, $(num_pre) * $(num_threads));\n" +
	"// Calculate row lengths\n" +
	"const size_t numPostPerThread = ($(num_post) + $(num_threads) - 1) / $(num_threads);\n" +
	"const size_t leftOverNeurons = $(num_post) % numPostPerThread;\n" +
	"size_t remainingConnections = $(total);\n" +
	"size_t matrixSize = (size_t)$(num_pre) * (size_t)$(num_post);\n" +
	"uint16_t *subRowLengths = $(preCalcRowLength);\n" +
	"// Loop through rows\n" +
	"for(size_t i = 0; i < $(num_pre); i++) {\n" +
	"    const bool lastPre = (i == ($(num_pre) - 1));\n" +
	"    // Loop through subrows\n" +
	"    for(size_t j = 0; j < $(num_threads); j++) {\n" +
	"        const bool lastSubRow = (j == ($(num_threads) - 1));\n" +
	"        // If this isn't the last sub-row of the matrix\n" +
	"        if(!lastPre || ! lastSubRow) {\n" +
	"            // Get length of this subrow\n" +
	"            const unsigned int numSubRowNeurons = (leftOverNeurons != 0 && lastSubRow) ? leftOverNeurons : numPostPerThread;\n" +
	"            // Calculate probability\n" +
	"            const double probability = (double)numSubRowNeurons / (double)matrixSize;\n" +
	"            // Create distribution to sample row length\n" +
	"            std::binomial_distribution<size_t> rowLengthDist(remainingConnections, probability);\n" +
	"            // Sample row length;\n" +
	"            const size_t subRowLength = rowLengthDist($(rng));\n" +
	"            // Update counters\n" +
	"            remainingConnections -= subRowLength;\n" +
	"            matrixSize -= numSubRowNeurons;\n" +
	"            // Add row length to array\n" +
	"            assert(subRowLength < std::numeric_limits<uint16_t>::max());\n" +
	"            *subRowLengths++ = (uint16_t)subRowLength;\n" +
	"        }\n" +
	"    }\n" +
	"}\n" +
	"// Insert remaining connections into last sub-row\n" +
	"*subRowLengths = (uint16_t)remainingConnections;\n" +
	"// Push populated row length array\n" +
	"$(pushpreCalcRowLength, $(num_pre) * $(num_threads));\n"

func builtinConnectivity() []*ConnectivitySnippet {
	fixedProb := func(name, code string) *ConnectivitySnippet {
		return &ConnectivitySnippet{
			Name:              name,
			RowBuildCode:      code,
			RowBuildStateVars: []StateVar{{"prevJ", "int", "-1"}},
			Params:            []string{"prob"},
			DerivedParams:     []DerivedParam{{Name: "probLogRecip", Expr: "1.0 / log(1.0 - prob)"}},
			MaxRowLength:      "binomialInverseCDF(pow(0.9999, 1.0 / (double)num_pre), num_post, prob)",
			MaxColLength:      "binomialInverseCDF(pow(0.9999, 1.0 / (double)num_post), num_pre, prob)",
		}
	}
	return []*ConnectivitySnippet{
		{
			Name:   "OneToOne",
			Params: []string{},
			RowBuildCode: "$(addSynapse, $(id_pre));\n" +
				"$(endRow);\n",
			MaxRowLength: "1",
			MaxColLength: "1",
		},
		fixedProb("FixedProbability", fixedProbabilityRowBuildCode),
		fixedProb("FixedProbabilityNoAutapse", fixedProbabilityNoAutapseRowBuildCode),
		{
			Name:              "FixedNumberPostWithReplacement",
			RowBuildCode:      fixedNumberWithReplacementRowBuildCode,
			RowBuildStateVars: []StateVar{{"x", "scalar", "0.0"}, {"c", "unsigned int", "$(rowLength)"}},
			Params:            []string{"rowLength"},
			MaxRowLength:      "(unsigned int)rowLength",
			MaxColLength:      "binomialInverseCDF(pow(0.9999, 1.0 / (double)num_post), (unsigned int)rowLength * num_pre, 1.0 / (double)num_post)",
		},
		{
			// Row lengths are pre-calculated on the host (HostInitCode, see
			// fixedNumberTotalHostInitCode) into the EGP preCalcRowLength,
			// one entry per (pre neuron, thread); $(num_threads) and
			// $(id_thread) are the threads building each row (1 and 0 when a
			// row is built by one thread).
			Name:         "FixedNumberTotalWithReplacement",
			RowBuildCode: fixedNumberWithReplacementRowBuildCode,
			RowBuildStateVars: []StateVar{{"x", "scalar", "0.0"},
				{"c", "unsigned int", "$(preCalcRowLength)[($(id_pre) * $(num_threads)) + $(id_thread)]"}},
			Params:            []string{"total"},
			ExtraGlobalParams: []EGP{{"preCalcRowLength", "uint16_t*"}},
			HostInitCode:      fixedNumberTotalHostInitCode,
			MaxRowLength:      "binomialInverseCDF(pow(0.9999, 1.0 / (double)num_pre), (unsigned int)total, (double)num_post / ((double)num_pre * (double)num_post))",
			MaxColLength:      "binomialInverseCDF(pow(0.9999, 1.0 / (double)num_post), (unsigned int)total, (double)num_pre / ((double)num_pre * (double)num_post))",
		},
		{
			// Built column by column: no row-build code.
			Name: "FixedNumberPreWithReplacement",
			ColBuildCode: "if(c == 0) {\n" +
				"   $(endCol);\n" +
				"}\n" +
				"const unsigned int idPre = (unsigned int)ceil($(gennrand_uniform) * $(num_pre)) - 1;\n" +
				"$(addSynapse, idPre + $(id_pre_begin));\n" +
				"c--;\n",
			ColBuildStateVars: []StateVar{{"c", "unsigned int", "$(colLength)"}},
			Params:            []string{"colLength"},
			MaxRowLength:      "binomialInverseCDF(pow(0.9999, 1.0 / (double)num_pre), (unsigned int)colLength * num_post, 1.0 / (double)num_pre)",
			MaxColLength:      "(unsigned int)colLength",
		},
		{
			// GeNN: does not support multiple threads per neuron. No max
			// column length.
			Name: "Conv2D",
			Params: []string{"conv_kh", "conv_kw",
				"conv_sh", "conv_sw",
				"conv_padh", "conv_padw",
				"conv_ih", "conv_iw", "conv_ic",
				"conv_oh", "conv_ow", "conv_oc"},
			RowBuildStateVars: []StateVar{
				{"inRow", "int", "($(id_pre) / (int)$(conv_ic)) / (int)$(conv_iw)"},
				{"inCol", "int", "($(id_pre) / (int)$(conv_ic)) % (int)$(conv_iw)"},
				{"inChan", "int", "$(id_pre) % (int)$(conv_ic)"},
				{"outRow", "int", "min((int)$(conv_oh), max(0, 1 + (int)floor((inRow + $(conv_padh) - $(conv_kh)) / $(conv_sh))))"},
				{"maxOutRow", "int", "min((int)$(conv_oh), max(0, 1 + ((inRow + (int)$(conv_padh)) / (int)$(conv_sh))))"},
				{"minOutCol", "int", "min((int)$(conv_ow), max(0, 1 + (int)floor((inCol + $(conv_padw) - $(conv_kw)) / $(conv_sw))))"},
				{"maxOutCol", "int", "min((int)$(conv_ow), max(0, 1 + ((inCol + (int)$(conv_padw)) / (int)$(conv_sw))))"},
			},
			RowBuildCode: "if($(outRow) == $(maxOutRow)) {\n" +
				"   $(endRow);\n" +
				"}\n" +
				"const int strideRow = ($(outRow) * (int)$(conv_sh)) - (int)$(conv_padh);\n" +
				"const int kernRow = $(inRow) - strideRow;\n" +
				"for(int outCol = $(minOutCol); outCol < $(maxOutCol); outCol++) {\n" +
				"    const int strideCol = (outCol * (int)$(conv_sw)) - (int)$(conv_padw);\n" +
				"    const int kernCol = $(inCol) - strideCol;\n" +
				"    for(unsigned int outChan = 0; outChan < (unsigned int)$(conv_oc); outChan++) {\n" +
				"        const int idPost = (($(outRow) * (int)$(conv_ow) * (int)$(conv_oc)) +\n" +
				"                            (outCol * (int)$(conv_oc)) +\n" +
				"                            outChan);\n" +
				"        $(addSynapse, idPost, kernRow, kernCol, $(inChan), outChan);\n" +
				"    }\n" +
				"}\n" +
				"$(outRow)++;\n",
			MaxRowLength: "(unsigned int)ceil(conv_kh / conv_sh) * (unsigned int)ceil(conv_kw / conv_sw) * (unsigned int)conv_oc",
			KernelSize: []string{"(unsigned int)conv_kh", "(unsigned int)conv_kw",
				"(unsigned int)conv_ic", "(unsigned int)conv_oc"},
		},
	}
}

// ---------------------------------------------------------------------------
// Toeplitz connectivity snippets (InitToeplitzConnectivitySnippet::*)

// toeplitzConvStateVars are the diagonal build state variables shared by
// Conv2D and AvgPoolConv2D: the diagonal's kernel row, column and output
// channel, and the kernel flipped for the convolution.
func toeplitzConvStateVars() []StateVar {
	return []StateVar{
		{"kernRow", "int", "($(id_diag) / (int)$(conv_oc)) / (int)$(conv_kw)"},
		{"kernCol", "int", "($(id_diag) / (int)$(conv_oc)) % (int)$(conv_kw)"},
		{"kernOutChan", "int", "$(id_diag) % (int)$(conv_oc)"},
		{"flipKernRow", "int", "(int)$(conv_kh) - $(kernRow) - 1"},
		{"flipKernCol", "int", "(int)$(conv_kw) - $(kernCol) - 1"},
	}
}

// GeNN's derived-parameter lambdas compute in int (C integer division,
// truncating towards zero); the casts here do the same in EvalExpr.
func builtinToeplitz() []*ToeplitzSnippet {
	return []*ToeplitzSnippet{
		{
			Name: "Conv2D",
			Params: []string{"conv_kh", "conv_kw",
				"conv_ih", "conv_iw", "conv_ic",
				"conv_oh", "conv_ow", "conv_oc"},
			DerivedParams: []DerivedParam{
				{Name: "conv_bw", Expr: "(int)((((int)conv_iw + (int)conv_kw - 1) - (int)conv_ow) / 2)"},
				{Name: "conv_bh", Expr: "(int)((((int)conv_ih + (int)conv_kh - 1) - (int)conv_oh) / 2)"},
			},
			DiagonalBuildStateVars: toeplitzConvStateVars(),
			DiagonalBuildCode: "const int preRow = ($(id_pre) / (int)$(conv_ic)) / (int)$(conv_iw);\n" +
				"const int preCol = ($(id_pre) / (int)$(conv_ic)) % (int)$(conv_iw);\n" +
				"const int preChan = $(id_pre) % (int)$(conv_ic);\n" +
				"// If we haven't gone off edge of output\n" +
				"const int postRow = preRow + $(kernRow) - (int)$(conv_bh);\n" +
				"const int postCol = preCol + $(kernCol) - (int)$(conv_bw);\n" +
				"if(postRow >= 0 && postCol >= 0 && postRow < (int)$(conv_oh) && postCol < (int)$(conv_ow)) {\n" +
				"    // Calculate postsynaptic index\n" +
				"    const int postInd = ((postRow * (int)$(conv_ow) * (int)$(conv_oc)) +\n" +
				"                         (postCol * (int)$(conv_oc)) +\n" +
				"                         $(kernOutChan));\n" +
				"    $(addSynapse, postInd,  $(flipKernRow), $(flipKernCol), preChan, $(kernOutChan));\n" +
				"}\n",
			MaxRowLength: "(unsigned int)conv_kh * (unsigned int)conv_kw * (unsigned int)conv_oc",
			KernelSize: []string{"(unsigned int)conv_kh", "(unsigned int)conv_kw",
				"(unsigned int)conv_ic", "(unsigned int)conv_oc"},
		},
		{
			Name: "AvgPoolConv2D",
			Params: []string{"conv_kh", "conv_kw",
				"pool_kh", "pool_kw",
				"pool_sh", "pool_sw",
				"pool_ih", "pool_iw", "pool_ic",
				"conv_oh", "conv_ow", "conv_oc"},
			DerivedParams: []DerivedParam{
				{Name: "conv_bw", Expr: "(int)(((int)ceil((pool_iw - pool_kw + 1.0) / pool_sw) + (int)conv_kw - 1 - (int)conv_ow) / 2)"},
				{Name: "conv_bh", Expr: "(int)(((int)ceil((pool_ih - pool_kh + 1.0) / pool_sh) + (int)conv_kh - 1 - (int)conv_oh) / 2)"},
			},
			DiagonalBuildStateVars: toeplitzConvStateVars(),
			DiagonalBuildCode: "// Convert spike ID into row, column and channel going INTO pool\n" +
				"const int prePoolInRow = ($(id_pre) / (int)$(pool_ic)) / (int)$(pool_iw);\n" +
				"const int prePoolInCol = ($(id_pre) / (int)$(pool_ic)) % (int)$(pool_iw);\n" +
				"const int preChan = $(id_pre) % (int)$(pool_ic);\n" +
				"// Calculate row and column going OUT of pool\n" +
				"const int poolPreOutRow = prePoolInRow / (int)$(pool_sh);\n" +
				"const int poolStrideRow = poolPreOutRow * (int)$(pool_sh);\n" +
				"const int poolPreOutCol = prePoolInCol / (int)$(pool_sw);\n" +
				"const int poolStrideCol = poolPreOutCol * (int)$(pool_sw);\n" +
				"if(prePoolInRow < (poolStrideRow + (int)$(pool_kh)) && prePoolInCol < (poolStrideCol + (int)$(pool_kw))) {\n" +
				"   // If we haven't gone off edge of output\n" +
				"   const int postRow = poolPreOutRow + $(kernRow) - (int)$(conv_bh);\n" +
				"   const int postCol = poolPreOutCol + $(kernCol) - (int)$(conv_bw);\n" +
				"   if(postRow >= 0 && postCol >= 0 && postRow < (int)$(conv_oh) && postCol < (int)$(conv_ow)) {\n" +
				"        // Calculate postsynaptic index\n" +
				"       const int postInd = ((postRow * (int)$(conv_ow) * (int)$(conv_oc)) +\n" +
				"                             (postCol * (int)$(conv_oc)) +\n" +
				"                             $(kernOutChan));\n" +
				"       $(addSynapse, postInd,  $(flipKernRow), $(flipKernCol), preChan, $(kernOutChan));\n" +
				"   }\n" +
				"}\n",
			MaxRowLength: "(unsigned int)conv_kh * (unsigned int)conv_kw * (unsigned int)conv_oc",
			KernelSize: []string{"(unsigned int)conv_kh", "(unsigned int)conv_kw",
				"(unsigned int)pool_ic", "(unsigned int)conv_oc"},
		},
	}
}

// ---------------------------------------------------------------------------
// Custom update models (CustomUpdateModels::*)

func builtinCustomUpdates() []*CustomUpdateModel {
	return []*CustomUpdateModel{
		{
			// No update code: a group of this model with a transpose
			// reference copies the variable into the transpose (GeNN's
			// custom_update_transpose).
			Name:    "Transpose",
			Params:  []string{},
			VarRefs: []VarRef{{"variable", "scalar", ""}},
		},
	}
}

package modelspec

import "strings"

// Model definitions: the GeNN 4 model language as plain data. Field names
// follow pygenn's create_custom_*_class arguments. A built-in and a custom
// model are the same type; custom ones carry the YAML positions of their code
// strings in CodePos so that diagnostics point at the user's file.

// Var is a model variable (var_name_types entry).
type Var struct {
	Name string
	Type string // C type: scalar, float, double, int, unsigned int, uint32_t, ...
}

// DerivedParam is a parameter computed from the model's parameters and DT.
// Expr is an arithmetic expression (see EvalExpr) evaluated once per variant.
type DerivedParam struct {
	Name string
	Expr string
}

// EGP is an extra global parameter: a scalar or a pointer (array) type.
type EGP struct {
	Name string
	Type string // e.g. scalar, scalar*, unsigned int*
}

// AdditionalInput is a neuron-local input accumulator besides Isyn.
type AdditionalInput struct {
	Name string
	Type string
	Init float64
}

// StateVar is a row-build state variable of a connectivity snippet.
type StateVar struct {
	Name string
	Type string
	Init string // C expression, may use $(...) tokens
}

// CodePos maps a code field name (e.g. "sim_code") to where it was written.
type CodePos map[string]Pos

// NeuronModel is GeNN's NeuronModels::Base.
type NeuronModel struct {
	Name                   string
	Params                 []string
	DerivedParams          []DerivedParam
	Vars                   []Var
	SimCode                string
	ThresholdConditionCode string
	ResetCode              string
	SupportCode            string
	ExtraGlobalParams      []EGP
	AdditionalInputVars    []AdditionalInput
	// AutoRefractoryRequired: a spike is emitted only when the threshold
	// condition becomes true (it was false before this step's sim code).
	AutoRefractoryRequired bool
	CodePos                CodePos `json:"-"` // positions do not change the structure
}

// PostsynapticModel is GeNN's PostsynapticModels::Base.
type PostsynapticModel struct {
	Name           string
	Params         []string
	DerivedParams  []DerivedParam
	Vars           []Var
	DecayCode      string
	ApplyInputCode string
	SupportCode    string
	CodePos        CodePos `json:"-"` // positions do not change the structure
}

// WeightUpdateModel is GeNN's WeightUpdateModels::Base.
type WeightUpdateModel struct {
	Name                        string
	Params                      []string
	DerivedParams               []DerivedParam
	Vars                        []Var
	PreVars                     []Var
	PostVars                    []Var
	SimCode                     string
	EventCode                   string
	EventThresholdConditionCode string
	LearnPostCode               string
	SynapseDynamicsCode         string
	PreSpikeCode                string
	PostSpikeCode               string
	SimSupportCode              string
	LearnPostSupportCode        string
	SynapseDynamicsSupportCode  string
	ExtraGlobalParams           []EGP
	PreSpikeTimeRequired        bool
	PostSpikeTimeRequired       bool
	CodePos                     CodePos `json:"-"` // positions do not change the structure
}

// CurrentSourceModel is GeNN's CurrentSourceModels::Base.
type CurrentSourceModel struct {
	Name              string
	Params            []string
	DerivedParams     []DerivedParam
	Vars              []Var
	InjectionCode     string
	ExtraGlobalParams []EGP
	CodePos           CodePos `json:"-"` // positions do not change the structure
}

// VarInitSnippet is GeNN's InitVarSnippet::Base; Code assigns $(value).
type VarInitSnippet struct {
	Name              string
	Params            []string
	DerivedParams     []DerivedParam
	Code              string
	ExtraGlobalParams []EGP
	CodePos           CodePos `json:"-"` // positions do not change the structure
}

// ConnectivitySnippet is GeNN's InitSparseConnectivitySnippet::Base.
// MaxRowLength and MaxColLength are expressions of num_pre, num_post and the
// snippet's parameters (see EvalExpr; binomialInverseCDF is available).
// Empty means "unknown": the generator then uses num_post (resp. num_pre).
type ConnectivitySnippet struct {
	Name              string
	Params            []string
	DerivedParams     []DerivedParam
	RowBuildCode      string
	RowBuildStateVars []StateVar
	MaxRowLength      string
	MaxColLength      string
	ExtraGlobalParams []EGP
	// ColBuildCode and ColBuildStateVars build the matrix one postsynaptic
	// column at a time (GeNN 4.9 SET_COL_BUILD_CODE / _STATE_VARS; used by
	// FixedNumberPreWithReplacement, which has no row-build code).
	ColBuildCode      string
	ColBuildStateVars []StateVar
	// HostInitCode runs once on the host before building (GeNN 4.9
	// SET_HOST_INIT_CODE). GeNN's is C++ (FixedNumberTotalWithReplacement).
	HostInitCode string
	// KernelSize lists expressions of the parameters giving the kernel's
	// dimensions (GeNN 4.9 SET_CALC_KERNEL_SIZE_FUNC; Conv2D). Ids into the
	// kernel are $(id_kernel) for the Kernel var-init snippet.
	KernelSize []string
	CodePos    CodePos `json:"-"` // positions do not change the structure
}

// Catalogue is a set of model definitions by name.
type Catalogue struct {
	Neurons        map[string]*NeuronModel
	Postsynaptic   map[string]*PostsynapticModel
	WeightUpdates  map[string]*WeightUpdateModel
	CurrentSources map[string]*CurrentSourceModel
	VarInits       map[string]*VarInitSnippet
	Connectivity   map[string]*ConnectivitySnippet
}

// NewCatalogue returns an empty catalogue.
func NewCatalogue() *Catalogue {
	return &Catalogue{
		Neurons:        map[string]*NeuronModel{},
		Postsynaptic:   map[string]*PostsynapticModel{},
		WeightUpdates:  map[string]*WeightUpdateModel{},
		CurrentSources: map[string]*CurrentSourceModel{},
		VarInits:       map[string]*VarInitSnippet{},
		Connectivity:   map[string]*ConnectivitySnippet{},
	}
}

// HostEGP reports whether the snippet's HostInitCode computes extra global
// parameter name (it allocates it with $(allocate<name>, n), as GeNN's
// FixedNumberTotalWithReplacement does with preCalcRowLength): such a
// parameter is not given by the user.
func (s *ConnectivitySnippet) HostEGP(name string) bool {
	return s.HostInitCode != "" && strings.Contains(s.HostInitCode, "$(allocate"+name+",")
}

// userEGPs are the extra global parameters of a connectivity snippet that
// the document gives values for.
func userEGPs(s *ConnectivitySnippet) []EGP {
	var out []EGP
	for _, e := range s.ExtraGlobalParams {
		if !s.HostEGP(e.Name) {
			out = append(out, e)
		}
	}
	return out
}

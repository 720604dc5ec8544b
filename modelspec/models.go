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
	// Access is GeNN 4.9's VarAccess (see the Access constants); "" is
	// GeNN's default, READ_WRITE.
	Access string `json:",omitempty"`
}

// GeNN 4.9's variable access modes (VarAccess). A variant of gennctl is a
// GeNN model of batch size 1, so DUPLICATE and SHARED (between batches)
// mean the same: READ_ONLY and READ_ONLY_DUPLICATE differ only in name, and
// REDUCE_BATCH_* reduce over one copy.
const (
	AccessReadWrite         = "READ_WRITE"
	AccessReadOnly          = "READ_ONLY"
	AccessReadOnlyDuplicate = "READ_ONLY_DUPLICATE"
	// AccessReadOnlySharedNeuron: one value for the whole population (or
	// custom update), not one per neuron.
	AccessReadOnlySharedNeuron = "READ_ONLY_SHARED_NEURON"
	// Reduction targets of custom updates: over the batch (one copy per
	// element) or over the neurons (one value).
	AccessReduceBatchSum  = "REDUCE_BATCH_SUM"
	AccessReduceBatchMax  = "REDUCE_BATCH_MAX"
	AccessReduceNeuronSum = "REDUCE_NEURON_SUM"
	AccessReduceNeuronMax = "REDUCE_NEURON_MAX"
)

// GeNN 4.9's access modes of variable references (VarAccessMode).
const (
	ModeReadWrite = "READ_WRITE"
	ModeReadOnly  = "READ_ONLY"
	ModeReduceSum = "REDUCE_SUM"
	ModeReduceMax = "REDUCE_MAX"
)

// ReadOnly reports whether the model's own code may not assign v.
func (v Var) ReadOnly() bool {
	switch v.Access {
	case AccessReadOnly, AccessReadOnlyDuplicate, AccessReadOnlySharedNeuron:
		return true
	}
	return false
}

// SharedNeuron reports whether v has one value for all neurons (elements).
func (v Var) SharedNeuron() bool {
	switch v.Access {
	case AccessReadOnlySharedNeuron, AccessReduceNeuronSum, AccessReduceNeuronMax:
		return true
	}
	return false
}

// Reduction is "sum" or "max" for a reduction target, "" otherwise.
func (v Var) Reduction() string { return reduction(v.Access) }

func reduction(access string) string {
	switch access {
	case AccessReduceBatchSum, AccessReduceNeuronSum, ModeReduceSum:
		return "sum"
	case AccessReduceBatchMax, AccessReduceNeuronMax, ModeReduceMax:
		return "max"
	}
	return ""
}

// VarRef is a variable reference of a custom update model (GeNN 4.9's
// VarRef): a name its code uses for a variable of another group, its type
// and access mode (Mode* constants; "" is READ_WRITE).
type VarRef struct {
	Name   string
	Type   string
	Access string `json:",omitempty"`
}

// Reduction is "sum" or "max" for a reduction target, "" otherwise.
func (r VarRef) Reduction() string { return reduction(r.Access) }

// ReadOnly reports whether the custom update only reads the variable.
func (r VarRef) ReadOnly() bool { return r.Access == ModeReadOnly }

// DerivedParam is a parameter computed from the model's parameters and DT.
// Expr is an arithmetic expression (see EvalExpr) evaluated once per variant;
// Func, when set (the Go API's CreateDPFClass), computes it instead from the
// parameters (by name) and DT. A function has no text, so it is not part of
// the structure: the values it gives are, like those of expressions,
// per-variant numbers.
type DerivedParam struct {
	Name string
	Expr string
	Func func(params map[string]float64, dt float64) float64 `json:"-"`
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
	// ExtraGlobalParams are read by the decay and apply-input code (GeNN 4.9).
	ExtraGlobalParams []EGP   `json:",omitempty"`
	CodePos           CodePos `json:"-"` // positions do not change the structure
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
	// PreDynamicsCode and PostDynamicsCode run every time step for every
	// source (target) neuron, updating the pre (post) variables (GeNN 4.9).
	PreDynamicsCode  string `json:",omitempty"`
	PostDynamicsCode string `json:",omitempty"`
	// GeNN 4.9's is_pre_spike_event_time_required,
	// is_prev_pre_spike_time_required, is_prev_post_spike_time_required and
	// is_prev_pre_spike_event_time_required. gennctl also infers them from
	// the code's tokens.
	PreSpikeEventTimeRequired     bool    `json:",omitempty"`
	PrevPreSpikeTimeRequired      bool    `json:",omitempty"`
	PrevPostSpikeTimeRequired     bool    `json:",omitempty"`
	PrevPreSpikeEventTimeRequired bool    `json:",omitempty"`
	CodePos                       CodePos `json:"-"` // positions do not change the structure
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
	// HostInitCode runs once per variant on the host before the rows are
	// built (GeNN 4.9 SET_HOST_INIT_CODE). GeNN's is C++; gennctl's is C
	// (see codegen's emitHostInit), except the built-in
	// FixedNumberTotalWithReplacement's, which is translated.
	HostInitCode string
	// KernelSize lists expressions of the parameters giving the kernel's
	// dimensions (GeNN 4.9 SET_CALC_KERNEL_SIZE_FUNC; Conv2D). Ids into the
	// kernel are $(id_kernel) for the Kernel var-init snippet.
	KernelSize []string
	// MaxRowLengthFunc and MaxColLengthFunc, when set (the Go API's
	// CreateCMLFClass), compute the maximum lengths instead of the
	// expressions, from num_pre, num_post and the parameters by name.
	MaxRowLengthFunc func(numPre, numPost int, params map[string]float64) int `json:"-"`
	MaxColLengthFunc func(numPre, numPost int, params map[string]float64) int `json:"-"`
	CodePos          CodePos                                                  `json:"-"` // positions do not change the structure
}

// ToeplitzSnippet is GeNN 4.9's InitToeplitzConnectivitySnippet::Base: the
// connectivity of a Toeplitz matrix (matrix: toeplitz), generated for each
// spike from DiagonalBuildCode, which runs once per diagonal $(id_diag) <
// the maximum row length and calls $(addSynapse, id_post, k0, k1, ...)
// with the kernel indices of the synapse. Nothing is stored: the weights
// are kernel weights (one value per kernel entry).
type ToeplitzSnippet struct {
	Name                   string
	Params                 []string
	DerivedParams          []DerivedParam
	DiagonalBuildCode      string
	DiagonalBuildStateVars []StateVar
	MaxRowLength           string
	KernelSize             []string
	ExtraGlobalParams      []EGP
	MaxRowLengthFunc       func(numPre, numPost int, params map[string]float64) int `json:"-"`
	CodePos                CodePos                                                  `json:"-"`
}

// CustomUpdateModel is GeNN 4.9's CustomUpdateModels::Base: UpdateCode
// runs, when its group is triggered, once per element of the variables it
// references (neurons, or synapses for references to per-synapse
// variables), reading and writing its own variables and its references.
type CustomUpdateModel struct {
	Name              string
	Params            []string
	DerivedParams     []DerivedParam
	Vars              []Var
	VarRefs           []VarRef
	UpdateCode        string
	ExtraGlobalParams []EGP
	// ExtraGlobalParamRefs name extra global parameters of other groups
	// (GeNN 4.9's EGP references).
	ExtraGlobalParamRefs []EGP   `json:",omitempty"`
	CodePos              CodePos `json:"-"`
}

// Catalogue is a set of model definitions by name.
type Catalogue struct {
	Neurons        map[string]*NeuronModel
	Postsynaptic   map[string]*PostsynapticModel
	WeightUpdates  map[string]*WeightUpdateModel
	CurrentSources map[string]*CurrentSourceModel
	VarInits       map[string]*VarInitSnippet
	Connectivity   map[string]*ConnectivitySnippet
	Toeplitz       map[string]*ToeplitzSnippet
	CustomUpdates  map[string]*CustomUpdateModel
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
		Toeplitz:       map[string]*ToeplitzSnippet{},
		CustomUpdates:  map[string]*CustomUpdateModel{},
	}
}

// With returns a catalogue with c's definitions and, replacing those of
// the same names, extra's; neither is changed.
func (c *Catalogue) With(extra *Catalogue) *Catalogue {
	out := NewCatalogue()
	for _, src := range []*Catalogue{c, extra} {
		mergeInto(out.Neurons, src.Neurons)
		mergeInto(out.Postsynaptic, src.Postsynaptic)
		mergeInto(out.WeightUpdates, src.WeightUpdates)
		mergeInto(out.CurrentSources, src.CurrentSources)
		mergeInto(out.VarInits, src.VarInits)
		mergeInto(out.Connectivity, src.Connectivity)
		mergeInto(out.Toeplitz, src.Toeplitz)
		mergeInto(out.CustomUpdates, src.CustomUpdates)
	}
	return out
}

func mergeInto[M any](dst, src map[string]*M) {
	for k, v := range src {
		dst[k] = v
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

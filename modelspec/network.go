package modelspec

// The network: a validated experiment document. All numeric values that a
// sweep may vary are Values with a canonical config path, so that the sweep
// planner can decide per path whether it becomes a literal or a runtime slot.

// Value is a number from the document with its config path and position.
type Value struct {
	V    float64
	Path string // canonical dotted path, e.g. populations.E.params.TauM
	Pos  Pos
}

// Params is a set of named parameter values.
type Params map[string]Value

// VarInitKind says how a variable's initial values are given.
type VarInitKind int

const (
	InitConstant VarInitKind = iota // one number for every element
	InitSnippet                     // a var-init snippet with parameters
	InitArray                       // explicit per-element values
)

// VarInit is the initialisation of one variable.
type VarInit struct {
	Kind     VarInitKind
	Constant Value           // InitConstant
	Snippet  *VarInitSnippet // InitSnippet
	Params   Params          // InitSnippet parameters
	Derived  Params          // InitSnippet derived parameters (computed)
	Values   []float64       // InitArray
	// EGPs are the snippet's extra global parameter values (InitSnippet),
	// e.g. the kernel of the Kernel snippet.
	EGPs map[string][]float64
	Pos  Pos
	Path string
}

// Population is a neuron group.
type Population struct {
	Name         string
	Size         int
	Model        *NeuronModel
	Params       Params
	Derived      Params
	Vars         map[string]*VarInit
	EGPs         map[string][]float64
	RecordSpikes bool
	// SpikesUnwritten: the spikes are recorded only for summaries (the
	// summaries section asks for spike statistics and record.spikes is not
	// true), so they stream to the orchestrator but stay out of the spike
	// files. It does not change the generated code.
	SpikesUnwritten bool
	// RecordSpikeEvents records the population's spike-like events (GeNN
	// 4.9's spike_event_recording): a neuron has one in a step when the
	// event condition of any synapse group it is the source of holds.
	RecordSpikeEvents bool
	// RecordVars lists the variables sampled into the state files
	// (record: {vars: ...}), in document order.
	RecordVars []RecordVar
	Pos        Pos
}

// Kinds of recordable variables; they equal codegen.VarDesc.Kind of the
// module's variables.
const (
	VarKindNeuron        = "neuron"         // a neuron model variable
	VarKindPostsynaptic  = "postsynaptic"   // inSyn or a postsynaptic model variable
	VarKindPre           = "pre"            // a weight-update presynaptic variable
	VarKindPost          = "post"           // a weight-update postsynaptic variable
	VarKindCurrentSource = "current_source" // a current-source model variable
)

// RecordVar asks for samples of one variable of a population, synapse group
// or current source: the values of the chosen elements (neurons of the
// population Of) at times 0, Every, 2*Every, ... up to the duration.
//
// Recording does not change the generated code (the worker samples through
// the module's gn_get_var), so it is not part of StructureDigest.
type RecordVar struct {
	Var        string
	Kind       string   // VarKind*
	Of         string   // the population whose neurons are the elements
	Size       int      // its size
	Every      float64  // sampling interval, ms (a multiple of dt)
	EverySteps uint32   // Every / dt
	Neurons    []uint32 // element indices in the order given; nil: all
	Pos        Pos
	Path       string // config path of the entry, e.g. populations.E.record.vars.V
}

// RecordedVar is a RecordVar with its owner's name.
type RecordedVar struct {
	Owner string // population, synapse group or current source
	RecordVar
}

// RecordedVars lists every recorded variable of the network: populations,
// then synapse groups, then current sources, each in document order.
func (n *Network) RecordedVars() []RecordedVar {
	var out []RecordedVar
	for _, p := range n.Populations {
		for _, r := range p.RecordVars {
			out = append(out, RecordedVar{p.Name, r})
		}
	}
	for _, s := range n.Synapses {
		for _, r := range s.RecordVars {
			out = append(out, RecordedVar{s.Name, r})
		}
	}
	for _, c := range n.CurrentSources {
		for _, r := range c.RecordVars {
			out = append(out, RecordedVar{c.Name, r})
		}
	}
	return out
}

// Matrix kinds of a synapse group.
const (
	MatrixDense  = "dense"  // all-to-all, per-synapse storage num_pre × num_post
	MatrixSparse = "sparse" // GeNN's SPARSE (ragged rows of max_row_length)
	// MatrixBitmask stores one bit per (pre, post) pair (GeNN's BITMASK).
	MatrixBitmask = "bitmask"
	// MatrixProcedural stores nothing: a spiking presynaptic neuron's row is
	// regenerated from the connectivity snippet and the same random stream
	// each time it is needed (GeNN's PROCEDURAL).
	MatrixProcedural = "procedural"
	// MatrixToeplitz stores nothing: a spike's targets come from a Toeplitz
	// snippet's diagonal build code, with kernel weights (GeNN's
	// TOEPLITZ_KERNELG).
	MatrixToeplitz = "toeplitz"
)

// How the CUDA backend parallelises a synapse group's spike propagation
// (GeNN's span type). The CPU backend runs both the same way.
const (
	// SpanPostsynaptic: one thread per postsynaptic neuron walks its
	// incoming synapses in presynaptic order (sums exactly as on the CPU,
	// work proportional to the synapses).
	SpanPostsynaptic = "postsynaptic"
	// SpanPresynaptic: one thread per spiking presynaptic neuron walks its
	// row and adds with atomicAdd (work proportional to the spikes, sums in
	// thread order).
	SpanPresynaptic = "presynaptic"
)

// Weight storage of a synapse group (GeNN's GLOBALG / INDIVIDUALG).
const (
	WeightsAuto       = ""           // individual when needed (see codegen.IndividualWeights)
	WeightsGlobal     = "global"     // one value per variable and variant
	WeightsIndividual = "individual" // one value per synapse
	// WeightsKernel: one value per kernel entry of the connectivity (GeNN's
	// KERNELG), read through the kernel indices of $(addSynapse, j, k0, ...);
	// with procedural and Toeplitz matrices.
	WeightsKernel = "kernel"
)

// ConnectivityInit is a sparse connectivity snippet with its parameters.
type ConnectivityInit struct {
	Snippet *ConnectivitySnippet
	Params  Params
	Derived Params
	EGPs    map[string][]float64 // the snippet's extra global parameter values
	// MaxRowLength and MaxColLength, when not 0, are the row and column
	// bounds the config gives (max_row_length, max_col_length), in place
	// of the snippet's expressions.
	MaxRowLength, MaxColLength int
	Pos                        Pos
}

// WeightUpdate is a weight-update model instance on a synapse group.
type WeightUpdate struct {
	Model    *WeightUpdateModel
	Params   Params
	Derived  Params
	Vars     map[string]*VarInit
	PreVars  map[string]*VarInit
	PostVars map[string]*VarInit
	EGPs     map[string][]float64
}

// PostsynapticInit is a postsynaptic model instance on a synapse group.
type PostsynapticInit struct {
	Model   *PostsynapticModel
	Params  Params
	Derived Params
	Vars    map[string]*VarInit
	EGPs    map[string][]float64
}

// SynapseGroup connects Source to Target.
type SynapseGroup struct {
	Name       string
	Source     *Population
	Target     *Population
	Matrix     string
	DelaySteps int
	// BackPropDelaySteps delays postsynaptic spikes (and spike times) as seen
	// by the group's synapse code (GeNN's back-propagation delay).
	BackPropDelaySteps int
	// MaxDendriticDelay is the number of dendritic delay slots (steps) of
	// $(addToInSynDelay, x, d): 0 < d < MaxDendriticDelay. 0: no buffer.
	MaxDendriticDelay int
	// Weights is WeightsAuto, WeightsGlobal or WeightsIndividual.
	Weights string
	// Span is SpanPostsynaptic (the default) or SpanPresynaptic.
	Span         string
	Connectivity *ConnectivityInit // nil: dense all-to-all (or Toeplitz)
	// Toeplitz is the connectivity of a Toeplitz matrix.
	Toeplitz     *ToeplitzInit
	WeightUpdate WeightUpdate
	Postsynaptic PostsynapticInit
	// PSTargetVar is the neuron input the postsynaptic model's $(Isyn)
	// adds to, PreTargetVar the one $(addToPre, x) adds to in the source:
	// Isyn (the default) or one of the neuron model's additional input
	// variables (GeNN 4.9's ps_target_var, pre_target_var).
	PSTargetVar, PreTargetVar string
	// RecordVars: sampled postsynaptic (inSyn, model vars) and weight-update
	// pre/post variables.
	RecordVars []RecordVar
	// RecordSynapseVars: sampled per-synapse variables.
	RecordSynapseVars []RecordSynapseVar
	Pos               Pos
}

// ToeplitzInit is a Toeplitz connectivity snippet with its parameters.
type ToeplitzInit struct {
	Snippet *ToeplitzSnippet
	Params  Params
	Derived Params
	EGPs    map[string][]float64
	Pos     Pos
}

// RecordSynapseVar asks for samples of a per-synapse weight-update
// variable of a synapse group: the synapses whose presynaptic index is in
// Pre and postsynaptic index in Post (nil: all), at times 0, Every, ...
type RecordSynapseVar struct {
	Var        string
	Every      float64
	EverySteps uint32
	Pre, Post  []uint32
	Pos        Pos
	Path       string
}

// CurrentSource injects current into a population.
type CurrentSource struct {
	Name    string
	Model   *CurrentSourceModel
	Target  *Population
	Params  Params
	Derived Params
	Vars    map[string]*VarInit
	EGPs    map[string][]float64
	// RecordVars: sampled variables of the current source (one element per
	// target neuron).
	RecordVars []RecordVar
	Pos        Pos
}

// Simulation holds the run settings.
type Simulation struct {
	DT        float64
	Duration  float64 // ms
	Precision string  // float | double
	Seed      uint64
	Backend   string // auto | cpu | cuda
	// ConnectivitySeed (simulation.connectivity_seed), when set, keys the
	// random streams of sparse, bitmask and procedural connectivity
	// instead of the variant's seed: variants whose connectivity inputs are
	// equal get the same realisation (and a module instance stores it once
	// for them). An integer in [0, 2^53), so that it is exact as a runtime
	// slot; nil: connectivity is drawn from the variant's seed.
	ConnectivitySeed *Value
	// MergePostsynaptic (simulation.merge_postsynaptic_models, GeNN's
	// setMergePostsynapticModels): synapse groups onto one population
	// whose postsynaptic models are identical share one input (inSyn) and
	// dendritic-delay buffer, where the generator can keep the order of
	// their sums on every backend (see codegen's mergePostsynaptic).
	MergePostsynaptic bool
}

// MaxConnectivitySeed bounds simulation.connectivity_seed (exclusive): every
// integer below it is exact as a float64 runtime value.
const MaxConnectivitySeed = 1 << 53

// Steps is the number of time steps the simulation runs.
func (s Simulation) Steps() uint64 {
	return uint64(s.Duration/s.DT + 0.5)
}

// Network is a validated experiment document, in document order.
type Network struct {
	Name           string
	File           string
	Sim            Simulation
	Custom         *Catalogue
	Populations    []*Population
	Synapses       []*SynapseGroup
	CurrentSources []*CurrentSource
	CustomUpdates  []*CustomUpdate
	// Protocol is what happens between time steps (the protocol section),
	// in document order.
	Protocol []ProtocolEvent
	// Summaries are the per-population statistics of the variants table
	// (the summaries section), in document order.
	Summaries []Summary
}

// Population returns the population called name, or nil.
func (n *Network) Population(name string) *Population {
	for _, p := range n.Populations {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Package genn is a Go API mirroring pygenn's GeNNModel for in-process use:
// describe a network in Go (neuron populations, synapse groups, current
// sources, built-in or custom models), build it into a compiled module, load
// a batch of variants, step time, read and write state, drain recorded spikes
// and read connectivity.
//
//	m := genn.NewModel("net", genn.Float)
//	m.DT = 0.1
//	e := m.AddNeuronPopulation("E", 100, "LIF", lifParams, map[string]genn.VarInit{
//		"V": genn.InitVar("Uniform", map[string]float64{"min": -60, "max": -50}),
//		"RefracTime": genn.Const(0)})
//	e.SpikeRecording = true
//	...
//	if err := m.Build(""); err != nil { ... }   // "" : the default module cache
//	if err := m.Load(1, nil); err != nil { ... }
//	m.Step(1000)
//	v, _ := e.PullVar("V", 0)
//
// # Validation: through the experiment-document decoder
//
// Build translates the Go description into the equivalent experiment
// document (the YAML that `gennctl sweep` reads; see Model.YAML) and decodes
// it with modelspec.Parse and modelspec.Decode. A model built in Go is
// therefore validated by exactly the code that validates YAML files, with the
// same defaults, derived parameters and messages ("populations.E.params:
// missing parameter "TauM" for model LIF (needs ...)"), and a Go model and
// its YAML twin generate byte-identical modules. The alternative, filling
// modelspec values directly, would duplicate every check of the decoder and
// drift from it. The cost is one YAML round trip per Build (and per variant
// when per-variant values are given), which is small next to compiling C.
//
// Diagnostics carry the config path of the problem (populations.E.params,
// synapses.EE.connectivity, ...); their line:column positions refer to the
// text Model.YAML returns.
//
// # Differences from pygenn
//
//   - Problems are collected and reported together by Build (as the YAML
//     decoder does), not raised by each Add call.
//   - Extra global parameters are per-variant data of the loaded module:
//     SetExtraGlobalParam (before Build) gives the values every variant
//     starts with, SetEGP / PullEGP on a population, synapse group or current
//     source (or Model.SetEGP by config path, for variable-initialisation and
//     connectivity snippets) change and read one variant's after Load, with
//     no rebuild. Values read by neuron, synapse and current-source code take
//     effect at the next step; those read by initialisation at the next
//     Reinit. A pointer (array) parameter may change length.
//   - Parameters are literals unless per-variant values are given to Load
//     (PerVariant), which then become runtime slots of the module exactly as a
//     sweep would make them.
//   - Variables live in the loaded module. pygenn's pull_*_from_device and
//     push_*_to_device (Model.PullStateFromDevice, PullVarFromDevice,
//     PullCurrentSpikesFromDevice, PullConnectivityFromDevice,
//     PullExtraGlobalParamFromDevice and the Push counterparts) copy
//     between it and a group's host views (View, EGPView, CurrentSpikes,
//     RowLength/Ind), one slice per variant; PullVar/PushVar copy one
//     variant's values directly.
//   - Derived parameters and maximum lengths may be Go functions
//     (CreateDPFClass, CreateCMLFClass); such a model builds, but Model.YAML
//     cannot write it as an experiment document.
//   - Procedural connectivity stores nothing and cannot be read back.
package genn

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// Precision is the C type of `scalar`.
type Precision string

// Precisions.
const (
	Float  Precision = "float"
	Double Precision = "double"
)

// Matrix kinds of a synapse group (pygenn's matrix_type, lower case; the
// GeNN names SPARSE_INDIVIDUALG etc. are also accepted, see
// AddSynapsePopulation).
const (
	Dense      = modelspec.MatrixDense
	Sparse     = modelspec.MatrixSparse
	Bitmask    = modelspec.MatrixBitmask
	Procedural = modelspec.MatrixProcedural
)

// Model is a network under construction, and once built and loaded, a
// running simulation of a batch of variants. A Model is not safe for
// concurrent use.
type Model struct {
	Name      string
	Precision Precision
	// DT is the time step in ms (default 0.1).
	DT float64
	// Seed is the base of the default seeds of Load (variant i gets Seed+i).
	Seed uint64
	// Backend is "cpu" (the default) or "cuda" (GeNNModel's backend): the
	// module is built with nvcc and runs on the first visible GPU, or on
	// the CPU with the CUDA runtime emulated when GENNCTL_CUDA_EMULATION=1.
	Backend string

	pops []*NeuronGroup
	syns []*SynapseGroup
	css  []*CurrentSource
	cus  []*CustomUpdate
	errs []error

	// after Build
	built  bool
	cache  *gpu.Cache
	tc     gpu.Toolchain
	gen    func(*modelspec.Network, codegen.Options) (codegen.Files, error)
	doc    []byte
	net    *modelspec.Network
	extra  *modelspec.Catalogue // definitions with Go functions, not in doc
	module *gpu.Module

	// after Load
	inst    *gpu.Instance
	instMod *gpu.Module // module of inst (the base one or a per-variant build)
	desc    codegen.Description
	spikes  gpu.SpikeBuffer
	events  []Spike // spike-like events drained by Spikes, not yet returned
	pending []Spike // spikes drained by SpikeEvents, not yet returned
}

// NewModel starts a model called name (letters, digits, _, - and .).
func NewModel(name string, precision Precision) *Model {
	return &Model{Name: name, Precision: precision, DT: 0.1}
}

// VarInit is the initial value of a variable: Const, InitVar or Values.
type VarInit struct {
	kind     modelspec.VarInitKind
	constant float64
	snippet  any // string or *modelspec.VarInitSnippet
	params   map[string]float64
	values   []float64
	egps     map[string][]float64
}

// WithEGP returns vi with the snippet's extra global parameter name set
// (e.g. the kernel of the Kernel snippet; pygenn's
// set_extra_global_init_param). At run time Model.SetEGP changes it (the
// new values take effect at the next Model.Reinit).
func (vi VarInit) WithEGP(name string, values []float64) VarInit {
	egps := map[string][]float64{}
	for k, v := range vi.egps {
		egps[k] = v
	}
	egps[name] = append([]float64(nil), values...)
	vi.egps = egps
	return vi
}

// Const initialises every element to v.
func Const(v float64) VarInit { return VarInit{kind: modelspec.InitConstant, constant: v} }

// InitVar initialises with a variable-initialisation snippet: a built-in
// name (Uniform, Normal, NormalClipped, Exponential, Gamma, Binomial, ...)
// or a custom *modelspec.VarInitSnippet (pygenn's init_var).
func InitVar(snippet any, params map[string]float64) VarInit {
	return VarInit{kind: modelspec.InitSnippet, snippet: snippet, params: params}
}

// Values gives one value per element.
func Values(v []float64) VarInit {
	return VarInit{kind: modelspec.InitArray, values: append([]float64(nil), v...)}
}

// ConnectivityInit is a sparse connectivity snippet with parameters
// (pygenn's init_connectivity).
type ConnectivityInit struct {
	snippet  any // string, *modelspec.ConnectivitySnippet or *modelspec.ToeplitzSnippet
	params   map[string]float64
	egps     map[string][]float64
	toeplitz bool // a Toeplitz snippet (InitToeplitzConnectivity)
}

// SetExtraGlobalParam sets an extra global parameter of the connectivity
// snippet (before Build; at run time use Model.SetEGP and Model.Reinit).
func (c *ConnectivityInit) SetExtraGlobalParam(name string, values []float64) *ConnectivityInit {
	if c.egps == nil {
		c.egps = map[string][]float64{}
	}
	c.egps[name] = append([]float64(nil), values...)
	return c
}

// InitConnectivity names a built-in connectivity snippet (FixedProbability,
// OneToOne, ...) or takes a custom *modelspec.ConnectivitySnippet
// (pygenn's init_connectivity).
func InitConnectivity(snippet any, params map[string]float64) *ConnectivityInit {
	return &ConnectivityInit{snippet: snippet, params: params}
}

// InitToeplitzConnectivity names a built-in Toeplitz connectivity snippet
// (Conv2D, AvgPoolConv2D) or takes a custom *modelspec.ToeplitzSnippet
// (GeNN 4.9's init_toeplitz_connectivity), for a synapse group with matrix
// "toeplitz" (TOEPLITZ_KERNELG).
func InitToeplitzConnectivity(snippet any, params map[string]float64) *ConnectivityInit {
	return &ConnectivityInit{snippet: snippet, params: params, toeplitz: true}
}

// NeuronGroup is a neuron population.
type NeuronGroup struct {
	m      *Model
	Name   string
	Size   int
	model  any
	params map[string]float64
	vars   map[string]VarInit
	egps   map[string][]float64
	// SpikeRecording records the population's spikes for Model.Spikes,
	// SpikeEventRecording its spike-like events for Model.SpikeEvents.
	SpikeRecording, SpikeEventRecording bool
	// CurrentSpikes are the host copy of the neurons that spiked in the
	// last step, per variant (PullCurrentSpikesFromDevice,
	// PushCurrentSpikesToDevice).
	CurrentSpikes [][]int
	views
}

// SynapseGroup is a synapse population.
type SynapseGroup struct {
	m              *Model
	Name           string
	Source, Target *NeuronGroup
	Matrix         string
	DelaySteps     int
	// BackPropDelaySteps, MaxDendriticDelaySteps, Weights ("global",
	// "individual" or "" for automatic) and SpanType ("postsynaptic", the
	// default, or "presynaptic": how the CUDA backend parallelises spike
	// propagation, GeNN's span_type) may be set before Build.
	BackPropDelaySteps     int
	MaxDendriticDelaySteps int
	Weights                string
	SpanType               string
	// PSTargetVar and PreTargetVar name the input ($(Isyn), the default,
	// or an additional input variable) the postsynaptic model and
	// $(addToPre, x) add to (GeNN 4.9's ps_target_var, pre_target_var).
	PSTargetVar, PreTargetVar string
	wu                        any
	wuParams                  map[string]float64
	wuVars, wuPre, wuPost     map[string]VarInit
	wuEGPs                    map[string][]float64
	ps                        any
	psParams                  map[string]float64
	psVars                    map[string]VarInit
	psEGPs                    map[string][]float64
	conn                      *ConnectivityInit
	views
	// RowLength and Ind are the host copies of sparse connectivity, per
	// variant, that PullConnectivityFromDevice fills and
	// PushConnectivityToDevice sends.
	RowLength, Ind [][]int
}

// CurrentSource injects current into a population.
type CurrentSource struct {
	m      *Model
	Name   string
	Target *NeuronGroup
	model  any
	params map[string]float64
	vars   map[string]VarInit
	egps   map[string][]float64
	views
}

func (m *Model) errorf(format string, args ...any) {
	m.errs = append(m.errs, fmt.Errorf(format, args...))
}

func (m *Model) modifiable(what string) bool {
	if m.built {
		m.errorf("%s: the model is already built; describe the whole network before Build", what)
		return false
	}
	return true
}

// AddNeuronPopulation adds a population of size neurons of a built-in model
// (by name) or a custom *modelspec.NeuronModel (see CreateCustomNeuronClass).
// Every parameter and variable of the model must be given.
func (m *Model) AddNeuronPopulation(name string, size int, model any, params map[string]float64, vars map[string]VarInit) *NeuronGroup {
	p := &NeuronGroup{m: m, Name: name, Size: size, model: model, params: params, vars: vars, egps: map[string][]float64{}}
	if m.modifiable("populations." + name) {
		m.pops = append(m.pops, p)
	}
	return p
}

// AddSynapsePopulation adds a synapse group from src to trg (pygenn's
// add_synapse_population): matrix is dense, sparse, bitmask or procedural
// (GeNN's DENSE_INDIVIDUALG, SPARSE_GLOBALG, ... are accepted too and set
// Weights); delaySteps is the axonal delay; wu and ps are built-in model
// names or custom *modelspec.WeightUpdateModel / *modelspec.PostsynapticModel;
// conn is nil for dense matrices. Presynaptic and postsynaptic variables of
// the weight-update model are given with SetWUPreVars / SetWUPostVars.
func (m *Model) AddSynapsePopulation(name, matrix string, delaySteps int, src, trg *NeuronGroup,
	wu any, wuParams map[string]float64, wuVars map[string]VarInit,
	ps any, psParams map[string]float64, psVars map[string]VarInit,
	conn *ConnectivityInit) *SynapseGroup {
	s := &SynapseGroup{m: m, Name: name, Matrix: matrix, DelaySteps: delaySteps, Source: src, Target: trg,
		wu: wu, wuParams: wuParams, wuVars: wuVars, ps: ps, psParams: psParams, psVars: psVars, conn: conn,
		wuEGPs: map[string][]float64{}, psEGPs: map[string][]float64{}}
	if mt, w, ok := genNMatrix(matrix); ok {
		s.Matrix, s.Weights = mt, w
	}
	if src == nil || trg == nil {
		m.errorf("synapses.%s: source and target populations must not be nil", name)
	}
	if m.modifiable("synapses." + name) {
		m.syns = append(m.syns, s)
	}
	return s
}

// genNMatrix maps GeNN's SynapseMatrixType names.
func genNMatrix(s string) (matrix, weights string, ok bool) {
	switch s {
	case "DENSE_INDIVIDUALG":
		return Dense, modelspec.WeightsIndividual, true
	case "DENSE_GLOBALG":
		return Dense, modelspec.WeightsGlobal, true
	case "SPARSE_INDIVIDUALG":
		return Sparse, modelspec.WeightsIndividual, true
	case "SPARSE_GLOBALG":
		return Sparse, modelspec.WeightsGlobal, true
	case "BITMASK_GLOBALG":
		return Bitmask, modelspec.WeightsGlobal, true
	case "PROCEDURAL_GLOBALG":
		return Procedural, modelspec.WeightsGlobal, true
	case "PROCEDURAL_PROCEDURALG":
		// No weights key: a procedural matrix whose weights are
		// initialisation snippets recomputes them on the fly.
		return Procedural, "", true
	case "PROCEDURAL_KERNELG":
		return Procedural, modelspec.WeightsKernel, true
	case "TOEPLITZ_KERNELG":
		return modelspec.MatrixToeplitz, modelspec.WeightsKernel, true
	}
	return "", "", false
}

// AddCurrentSource adds a current source of a built-in model (DC,
// GaussianNoise, PoissonExp) or a custom *modelspec.CurrentSourceModel
// injecting into target.
func (m *Model) AddCurrentSource(name string, model any, target *NeuronGroup, params map[string]float64, vars map[string]VarInit) *CurrentSource {
	c := &CurrentSource{m: m, Name: name, Target: target, model: model, params: params, vars: vars, egps: map[string][]float64{}}
	if target == nil {
		m.errorf("current_sources.%s: target population must not be nil", name)
	}
	if m.modifiable("current_sources." + name) {
		m.css = append(m.css, c)
	}
	return c
}

// SetWUPreVars sets the initial values of the weight-update model's
// presynaptic variables (pygenn's wu_pre_var_space).
func (s *SynapseGroup) SetWUPreVars(vars map[string]VarInit) { s.wuPre = vars }

// SetWUPostVars sets the initial values of the weight-update model's
// postsynaptic variables (pygenn's wu_post_var_space).
func (s *SynapseGroup) SetWUPostVars(vars map[string]VarInit) { s.wuPost = vars }

// SetExtraGlobalParam sets an extra global parameter of the neuron model:
// one value for a scalar type, the array for a pointer type (e.g. the
// spikeTimes of SpikeSourceArray). Only before Build: these are the values
// every variant starts with; after Load, SetEGP changes them per variant.
func (p *NeuronGroup) SetExtraGlobalParam(name string, values []float64) error {
	return setEGP(p.m, p.egps, "populations."+p.Name, name, values)
}

// SetExtraGlobalParam sets an extra global parameter of the weight-update
// model; only before Build (after Load: SetEGP).
func (s *SynapseGroup) SetExtraGlobalParam(name string, values []float64) error {
	return setEGP(s.m, s.wuEGPs, "synapses."+s.Name+".weight_update", name, values)
}

// SetPSExtraGlobalParam sets an extra global parameter of the
// postsynaptic model; only before Build (after Load: Model.SetEGP).
func (s *SynapseGroup) SetPSExtraGlobalParam(name string, values []float64) error {
	return setEGP(s.m, s.psEGPs, "synapses."+s.Name+".postsynaptic", name, values)
}

// SetExtraGlobalParam sets an extra global parameter of the current source
// model; only before Build (after Load: SetEGP).
func (c *CurrentSource) SetExtraGlobalParam(name string, values []float64) error {
	return setEGP(c.m, c.egps, "current_sources."+c.Name, name, values)
}

func setEGP(m *Model, into map[string][]float64, path, name string, values []float64) error {
	if m.built {
		return fmt.Errorf("genn: %s.extra_global_params.%s: SetExtraGlobalParam gives the initial value before Build; after Load use SetEGP", path, name)
	}
	into[name] = append([]float64(nil), values...)
	return nil
}

// NeuronPopulation returns the population called name, or nil.
func (m *Model) NeuronPopulation(name string) *NeuronGroup {
	for _, p := range m.pops {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// SynapsePopulation returns the synapse group called name, or nil.
func (m *Model) SynapsePopulation(name string) *SynapseGroup {
	for _, s := range m.syns {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// CurrentSourceNamed returns the current source called name, or nil.
func (m *Model) CurrentSourceNamed(name string) *CurrentSource {
	for _, c := range m.css {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// SetParam sets (or replaces) a parameter of the neuron model before Build.
func (p *NeuronGroup) SetParam(name string, v float64) {
	if !p.m.modifiable("populations." + p.Name + ".params." + name) {
		return
	}
	ps := make(map[string]float64, len(p.params)+1)
	for k, x := range p.params {
		ps[k] = x
	}
	ps[name] = v
	p.params = ps
}

package codegen

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
)

// The generator core: what every backend's module shares. A Generator holds
// one network's layout (the arrays of the context, variant-major: every
// state array is [variant][element]), the decisions that follow from the
// model (delay slots, individual or global weights, spike times, dendritic
// delays, spike-like events, shared connectivity) and the emitters of the
// per-element code (a neuron's update, a synapse's code strings, variable
// and connectivity initialisation, the module ABI's host functions). A
// Backend (codegen/cpu, codegen/cuda) writes the loops or kernels around
// that code and the time step; the Generator calls it where the backends'
// code differs (see Backend). Per-variant runtime parameters are read from
// ctx->rt; the time step is, as in GeNN 4's stepTime,
//
//	synapse update (spikes emitted delay_steps+1 steps ago reach inSyn)
//	neuron update  (postsynaptic input and decay, current sources, sim code,
//	                threshold, reset, spike recording)

// Random stream ids: the high byte says which kind of use site.
const (
	StreamNeuron       = 0x01000000
	StreamVarInit      = 0x02000000
	StreamConnectivity = 0x03000000
	StreamHostInit     = 0x04000000 // host initialisation of connectivity (row lengths)
	// $(gennrand_*) in weight-update code, one kind per code string; the
	// low 24 bits are the synapse group's index in the network.
	StreamSimCode     = 0x05000000 // sim_code
	StreamEventCode   = 0x06000000 // event_code
	StreamLearnPost   = 0x07000000 // learn_post_code
	StreamSynDynamics = 0x08000000 // synapse_dynamics_code
)

// ModuleFile is the generated C file: the whole module of the CPU backend,
// the host part of a CUDA module.
const ModuleFile = "module.c"

// Backend is what a code generator backend (codegen/cpu, codegen/cuda)
// decides where the Generator's shared code differs between backends, in
// the spirit of GeNN's BackendBase. A backend value belongs to one
// generation: it holds the Generator it serves.
type Backend interface {
	// Name is the backend in the module description: cpu, cuda.
	Name() string
	// ColumnIndex reports whether sparse group s keeps a column index
	// (colLength, remap) although its model has no learn_post_code.
	ColumnIndex(s *modelspec.SynapseGroup) bool
	// RemapIndex is the C expression of the index into group s's remap
	// array of entry c of the column of postsynaptic neuron post.
	RemapIndex(s *modelspec.SynapseGroup, post, c string) string
	// PopulationArrays declares (Generator.Internal) the backend's internal
	// arrays of population p, before its spike times: its spikes (where
	// the core's host lists are not used) and, where AnyEvents, the
	// neurons with any spike-like event per step.
	PopulationArrays(p *modelspec.Population)
	// EventArrays declares the arrays that hold the spike-like events of
	// group s's source for s.
	EventArrays(s *modelspec.SynapseGroup)
	// SynapseArrays declares the backend's other internal arrays of group
	// s, after the Generator's.
	SynapseArrays(s *modelspec.SynapseGroup)
	// ContextFields writes the backend's fields at the end of struct gn_ctx.
	ContextFields()
	// ShareAllocated writes what follows gn_share_<S> allocating n
	// realisations of group s's connectivity.
	ShareAllocated(s *modelspec.SynapseGroup)
	// InitOnDevice reports whether variable initialisation v runs on the
	// device (the backend writes it) rather than in gn_init's loop on the
	// host; Initialised writes the end of gn_init, after the host's.
	InitOnDevice(v VarInit) bool
	// ConnectivityOnDevice reports whether sparse or bitmask group s's
	// connectivity and column index are built on the device (the backend
	// writes it) rather than by gn_init on the host; then no variable of
	// Syn s is initialised on the host.
	ConnectivityOnDevice(s *modelspec.SynapseGroup) bool
	Initialised()
	// EGPChanged is the C expression gn_set_egp returns after setting
	// variant `variant`'s extra global parameter i.
	EGPChanged(i int) string
	// InitTasks writes gn_init's running of its independent tasks 0 to
	// n - 1 (n a C expression) of task, an int task(gn_ctx *, uint32_t k)
	// that is nonzero on failure: gn_init returns 1 with the error of the
	// first failing task in k order, as Generator.SequentialTasks does.
	InitTasks(n, task string)
	// ParallelFor is the line before a loop of the host's whose iterations
	// are independent that shares them among the context's threads, or ""
	// (a Parallel custom update's loop over its neurons or rows).
	ParallelFor() string
	// CustomUpdateDevice is the C statement of gn_custom_update that runs
	// update group gi (name) for the variants lo to hi - 1 on the device
	// and returns, or "" to run it on the host.
	CustomUpdateDevice(gi int, name string) string
	// CustomUpdateBegin writes what precedes running an update group's
	// custom updates on the host (gn_custom_update), which read the context
	// arrays (fields) read; CustomUpdateEnd what follows them, which wrote
	// the arrays written.
	CustomUpdateBegin(read []string)
	CustomUpdateEnd(written []string)
	// RuntimeChanged is the C expression gn_set_runtime returns after
	// setting a runtime parameter in ctx->rt.
	RuntimeChanged() string
	// Destroy writes the start of gn_destroy; Allocate allocates the
	// backend's host arrays in gn_create (with GN_ALLOC(field, n)), after
	// the Generator's; Created writes the end of gn_create (the context
	// allocated and filled); CreatedShare what follows allocating group s's
	// realisation slots.
	Destroy()
	Allocate()
	Created()
	CreatedShare(s *modelspec.SynapseGroup)
	// Step writes the body of gn_step, SpikesPending the function
	// gn_spikes_pending, Drain the start of gn_drain_spikes.
	Step()
	SpikesPending()
	Drain()
	// VarAccess writes what precedes gn_get_var and gn_set_var; VarSync the
	// start of either (dir "get" or "set") after the variant check;
	// SetVarDone the statement that ends a case of gn_set_var ("" for the
	// Generator's "return 0;" and no default); SetVarEnd what follows its
	// switch when SetVarDone is not "".
	VarAccess()
	VarSync(dir string)
	SetVarDone() string
	SetVarEnd()
	// FindNonFinite writes gn_find_nonfinite (EmitHostFiniteScan is the
	// scan of the host's arrays).
	FindNonFinite()
}

// Feature is a model feature that the generator core supports but a
// backend may not generate yet. A backend that generates some of them
// implements FeatureSupporter; the core reports the others as "<feature>
// is not supported by the <backend> backend yet" when a model uses them.
type Feature string

// Features a backend may lack.
const (
	FeatureCustomUpdates     Feature = "custom updates"
	FeaturePresynapticOutput Feature = "presynaptic output ($(addToPre, x))"
	FeatureSpikeEventTimes   Feature = "spike-like event times ($(seT_pre), $(prev_seT_pre))"
	FeatureSpikeEventRecord  Feature = "spike-like event recording"
	FeatureToeplitz          Feature = "toeplitz connectivity"
	FeatureKernelWeights     Feature = "kernel weights (weights: kernel)"
	FeatureRuntimeParameters Feature = "setting parameters at run time (protocol set of a parameter)"
	FeatureHostInitCode      Feature = "host_init_code of custom connectivity snippets with procedural matrices"
	FeatureCurrentSpikes     Feature = "reading and setting the current spikes (gn_current_spikes)"
)

// FeatureSupporter is implemented by backends that generate some Features.
// A backend without it generates none of them.
type FeatureSupporter interface {
	Supports(Feature) bool
}

// Require reports an error when the backend does not generate feature f;
// where says what uses it (a config path with its position).
func (g *Generator) Require(f Feature, where string) error {
	if fs, ok := g.B.(FeatureSupporter); ok && fs.Supports(f) {
		return nil
	}
	return fmt.Errorf("%s: %s is not supported by the %s backend yet", where, f, g.B.Name())
}

// Generator generates the shared parts of one network's module for a
// backend; see the package comment above and Backend.
type Generator struct {
	Net     *modelspec.Network
	Opts    Options
	rtIndex map[string]int
	Prec    string
	W       *Writer
	B       Backend
	// Slots is the number of spike delay slots of each population.
	Slots map[*modelspec.Population]int
	// MaxRow is the row stride of each sparse group, MaxCol the column
	// stride of those with a column index.
	MaxRow map[*modelspec.SynapseGroup]int
	MaxCol map[*modelspec.SynapseGroup]int
	// Indiv: groups with per-synapse weight-update variables (GeNN's INDIVIDUALG).
	Indiv map[*modelspec.SynapseGroup]bool
	// ProcW: groups with procedural weights (ProceduralWeights).
	ProcW map[*modelspec.SynapseGroup]bool
	// procRNG makes buildLoop declare the row's stream even when the
	// connectivity code draws nothing (procedural weights draw from it).
	procRNG bool
	Vars    []VarEntry // arrays of the context: accessible variables, then internal ones
	EGPs    []EGPEntry // extra global parameters (per-variant context data)
	// poisson: the tables of $(gennrand_poisson, mean) by owner and mean
	// (see poisson.go), poissonOrder in the order of the network.
	poisson      map[string]poissonTable
	poissonOrder []poissonTable
	// psTarget: the group whose input buffers hold a group's input when
	// its postsynaptic model is merged (see psmerge.go).
	psTarget map[*modelspec.SynapseGroup]*modelspec.SynapseGroup
	// SpikeTime, PrevSpikeTime: whether a population tracks $(sT) / $(prev_sT).
	SpikeTime, PrevSpikeTime map[*modelspec.Population]bool
	// EventTime, PrevEventTime: whether a population tracks the times of
	// its spike-like events ($(seT_pre), $(prev_seT_pre)); AnyEvents:
	// whether it lists the neurons with any spike-like event per step (for
	// prev_seT and spike-like event recording).
	EventTime, PrevEventTime, AnyEvents map[*modelspec.Population]bool
	// PreOutput: groups whose code adds to the source with $(addToPre, x).
	PreOutput map[*modelspec.SynapseGroup]bool
	// KernelW: groups with kernel weights (weights: kernel); procKernel:
	// groups with procedural weights that read $(id_kernel).
	KernelW, procKernel map[*modelspec.SynapseGroup]bool
	// queued neuron variables (one copy per delay slot), by population.
	queued map[*modelspec.Population]map[string]bool
	// DenDelay is the number of dendritic delay slots of a group (0: none).
	DenDelay map[*modelspec.SynapseGroup]int
	// Events: groups whose source emits spike-like events for them.
	Events map[*modelspec.SynapseGroup]bool
	// SynIndex is the position of a group in the network (random streams).
	SynIndex map[*modelspec.SynapseGroup]int
	// kernel: sparse groups storing each synapse's kernel index for
	// $(id_kernel) (a variable initialised by a snippet that uses it, e.g.
	// Kernel on Conv2D); kernelDims their kernel sizes.
	kernel     map[*modelspec.SynapseGroup]bool
	kernelDims map[*modelspec.SynapseGroup][]int
	// hostInit: groups whose connectivity snippet has host initialisation.
	hostInit map[*modelspec.SynapseGroup]bool
	// ShareConn: groups whose stored connectivity (rows, bitmask, host
	// arrays, kernel and column indices) is kept once per distinct
	// realisation in a batch, not once per variant: with
	// simulation.connectivity_seed, variants with equal connectivity inputs
	// share it (see emitShare).
	ShareConn map[*modelspec.SynapseGroup]bool
	// noLines suppresses #line directives around user code (code spliced
	// into another code string, e.g. procedural connectivity).
	noLines bool
	// Restrict marks array pointers declared by ArrayPtr as restrict.
	Restrict bool
	// File is the generated file W writes (#line directives point back at it).
	File string
	// Atomic: accumulations into postsynaptic arrays ($(addToInSyn), ...)
	// are atomic, for kernels in which threads share a target.
	Atomic bool
}

// VarEntry is an array of the context.
type VarEntry struct {
	Desc  VarDesc
	Field string // ctx field
	CType string
	// Slots > 1: the array holds one copy of Count elements per delay slot;
	// gn_get_var/gn_set_var use the most recently written one.
	Slots int
	// Internal arrays (spike times, queues, connectivity helpers) are not
	// listed in the description and not accessible through the ABI.
	Internal bool
	// Conn: the array is shared connectivity storage of this group
	// (ShareConn): variant b's part starts at realisation ctx-><S>_cslot[b].
	Conn *modelspec.SynapseGroup
	// readOnly: gn_set_var refuses it (connectivityOwner).
	readOnly bool
	// ZeroAtInit: gn_init clears the array (spike-like event queues,
	// dendritic delay buffers, spike flags).
	ZeroAtInit bool
	// DeviceOnly: the array lives on the device only (CUDA's spike bits
	// and input bins): the host allocates no copy, and the backend clears
	// the device's at gn_init.
	DeviceOnly bool
	// Shared: one element for all neurons (READ_ONLY_SHARED_NEURON and
	// neuron reductions); ReadOnly: model code may not assign it, so
	// neuron updates do not write it back (GeNN 4.9).
	Shared, ReadOnly bool
}

// New prepares the generation of net's module for a backend: the
// decisions of the model and the layout of the context. newBackend makes
// the backend that serves the Generator.
func New(net *modelspec.Network, opts Options, newBackend func(*Generator) Backend) (*Generator, error) {
	g := &Generator{Net: net, Opts: opts, File: ModuleFile, rtIndex: opts.RuntimeIndex(), Prec: net.Sim.Precision, W: &Writer{},
		Slots: map[*modelspec.Population]int{}, MaxRow: map[*modelspec.SynapseGroup]int{}, MaxCol: map[*modelspec.SynapseGroup]int{},
		Indiv: map[*modelspec.SynapseGroup]bool{}, SpikeTime: map[*modelspec.Population]bool{}, PrevSpikeTime: map[*modelspec.Population]bool{},
		queued: map[*modelspec.Population]map[string]bool{}, DenDelay: map[*modelspec.SynapseGroup]int{},
		Events: map[*modelspec.SynapseGroup]bool{}, SynIndex: map[*modelspec.SynapseGroup]int{},
		kernel: map[*modelspec.SynapseGroup]bool{}, kernelDims: map[*modelspec.SynapseGroup][]int{}, hostInit: map[*modelspec.SynapseGroup]bool{},
		ShareConn: map[*modelspec.SynapseGroup]bool{}, ProcW: map[*modelspec.SynapseGroup]bool{},
		EventTime: map[*modelspec.Population]bool{}, PrevEventTime: map[*modelspec.Population]bool{}, AnyEvents: map[*modelspec.Population]bool{},
		PreOutput: map[*modelspec.SynapseGroup]bool{}, KernelW: map[*modelspec.SynapseGroup]bool{}, procKernel: map[*modelspec.SynapseGroup]bool{}}
	g.B = newBackend(g)
	if err := g.prepare(); err != nil {
		return nil, err
	}
	g.preparePoissonTables()
	g.preparePSMerge()
	g.collectVars()
	g.collectEGPs()
	return g, nil
}

// synapseCodes are the code strings of a weight-update model that run per synapse.
func synapseCodes(m *modelspec.WeightUpdateModel) []string {
	return []string{m.SimCode, m.EventCode, m.EventThresholdConditionCode, m.LearnPostCode, m.SynapseDynamicsCode}
}

func usesToken(codes []string, tok string) bool {
	for _, c := range codes {
		if strings.Contains(c, "$("+tok+")") || strings.Contains(c, "$("+tok+",") {
			return true
		}
	}
	return false
}

func (g *Generator) prepare() error {
	for _, p := range g.Net.Populations {
		g.Slots[p] = 1
		g.queued[p] = map[string]bool{}
		nc := []string{p.Model.SimCode, p.Model.ThresholdConditionCode, p.Model.ResetCode}
		g.SpikeTime[p] = usesToken(nc, "sT")
		g.PrevSpikeTime[p] = usesToken(nc, "prev_sT")
	}
	need := func(p *modelspec.Population, n int) {
		if n > g.Slots[p] {
			g.Slots[p] = n
		}
	}
	for si, s := range g.Net.Synapses {
		g.SynIndex[s] = si
		wu := s.WeightUpdate.Model
		codes := synapseCodes(wu)
		path := "synapses." + s.Name
		// Spike and spike-like event times are tracked where the model's
		// flags ask for them (GeNN 4.9) or its code uses them.
		preST := wu.PreSpikeTimeRequired || usesToken(codes, "sT_pre")
		postST := wu.PostSpikeTimeRequired || usesToken(codes, "sT_post")
		prevPre := wu.PrevPreSpikeTimeRequired || usesToken(codes, "prev_sT_pre")
		prevPost := wu.PrevPostSpikeTimeRequired || usesToken(codes, "prev_sT_post")
		preSET := wu.PreSpikeEventTimeRequired || usesToken(codes, "seT_pre")
		prevPreSET := wu.PrevPreSpikeEventTimeRequired || usesToken(codes, "prev_seT_pre")
		g.SpikeTime[s.Source] = g.SpikeTime[s.Source] || preST || prevPre
		g.SpikeTime[s.Target] = g.SpikeTime[s.Target] || postST || prevPost
		g.PrevSpikeTime[s.Source] = g.PrevSpikeTime[s.Source] || prevPre
		g.PrevSpikeTime[s.Target] = g.PrevSpikeTime[s.Target] || prevPost
		g.EventTime[s.Source] = g.EventTime[s.Source] || preSET || prevPreSET
		g.PrevEventTime[s.Source] = g.PrevEventTime[s.Source] || prevPreSET
		if preSET || prevPreSET {
			if err := g.Require(FeatureSpikeEventTimes, s.Pos.String()+": "+path+".weight_update"); err != nil {
				return err
			}
		}
		g.PreOutput[s] = usesToken(codes, "addToPre")
		if g.PreOutput[s] {
			if err := g.Require(FeaturePresynapticOutput, s.Pos.String()+": "+path+".weight_update"); err != nil {
				return err
			}
		}
		need(s.Source, s.DelaySteps+1)
		need(s.Target, s.BackPropDelaySteps+1)
		// $(prev_sT_*) reads the slot one step before the delayed one: keep
		// it distinct from the slot being written (GeNN 4.9 aliases them
		// when the delay is the largest one of the population).
		if (prevPre || prevPreSET) && s.DelaySteps > 0 {
			need(s.Source, s.DelaySteps+2)
		}
		if prevPost && s.BackPropDelaySteps > 0 {
			need(s.Target, s.BackPropDelaySteps+2)
		}
		switch s.Weights {
		case modelspec.WeightsGlobal:
			g.Indiv[s] = false
			for _, v := range wu.Vars {
				if vi := s.WeightUpdate.Vars[v.Name]; vi != nil && vi.Kind != modelspec.InitConstant {
					return configError(s.Pos, path+".weights", "global weights need one constant value per variable, but %s.weight_update.vars.%s is not a constant", path, v.Name)
				}
			}
		case modelspec.WeightsIndividual:
			g.Indiv[s] = true
		case modelspec.WeightsKernel:
			g.KernelW[s] = true
			if err := g.Require(FeatureKernelWeights, s.Pos.String()+": "+path+".weights"); err != nil {
				return err
			}
		default:
			g.Indiv[s] = IndividualWeights(s)
			g.ProcW[s] = ProceduralWeights(s)
		}
		if g.ProcW[s] {
			// procedural weights of a snippet reading $(id_kernel) take it
			// from the kernel indices of $(addSynapse, j, k0, ...)
			for _, v := range wu.Vars {
				if vi := s.WeightUpdate.Vars[v.Name]; vi.Kind == modelspec.InitSnippet && usesToken([]string{vi.Snippet.Code}, "id_kernel") {
					g.procKernel[s] = true
				}
			}
		}
		if usesToken(codes, "addToInSynDelay") {
			g.DenDelay[s] = s.MaxDendriticDelay
			if g.DenDelay[s] == 0 {
				g.DenDelay[s] = 1
			}
		} else if s.MaxDendriticDelay > 0 {
			return configError(s.Pos, path+".max_dendritic_delay_steps", "model %s does not use $(addToInSynDelay, x, d)", wu.Name)
		}
		// As in GeNN 4.9, the threshold makes events (their times, their
		// recording) even without event code.
		if CodeNonEmpty(wu.EventCode) && !CodeNonEmpty(wu.EventThresholdConditionCode) {
			return configError(s.Pos, path+".weight_update", "model %s has event_code but no event_threshold_condition_code to emit spike-like events", wu.Name)
		}
		g.Events[s] = CodeNonEmpty(wu.EventThresholdConditionCode)
		if s.Matrix == modelspec.MatrixToeplitz {
			if err := g.Require(FeatureToeplitz, s.Pos.String()+": "+path+".matrix"); err != nil {
				return err
			}
		}
		switch s.Matrix {
		case modelspec.MatrixBitmask, modelspec.MatrixProcedural, modelspec.MatrixToeplitz:
			if g.Indiv[s] {
				return configError(s.Pos, path+".matrix", "a %s matrix stores no per-synapse values, so model %s needs global weights (each variable one constant) or, with matrix: procedural, procedural weights (each variable a constant or an initialisation snippet); no code may assign them (or use matrix: sparse)", s.Matrix, wu.Name)
			}
			if CodeNonEmpty(wu.LearnPostCode) || CodeNonEmpty(wu.SynapseDynamicsCode) {
				return configError(s.Pos, path+".matrix", "learn_post_code and synapse_dynamics_code need a dense or sparse matrix (GeNN has the same restriction)")
			}
		}
		if s.Matrix == modelspec.MatrixSparse {
			n, err := g.rowLength(s)
			if err != nil {
				return err
			}
			g.MaxRow[s] = n
		}
		// Column indices serve learn_post_code, and whatever else the
		// backend walks columns for.
		if s.Matrix == modelspec.MatrixSparse && (CodeNonEmpty(wu.LearnPostCode) || g.B.ColumnIndex(s)) {
			n, ok := g.Opts.MaxColLength[s.Name]
			if !ok {
				var err error
				if n, err = MaxColLength(s, 1); err != nil {
					return err
				}
			}
			g.MaxCol[s] = n
		}
		if c := s.Connectivity; c != nil {
			if err := g.prepareConnectivity(s); err != nil {
				return err
			}
			g.ShareConn[s] = g.Net.Sim.ConnectivitySeed != nil &&
				(s.Matrix == modelspec.MatrixSparse || s.Matrix == modelspec.MatrixBitmask || g.hostInit[s])
		}
		if g.KernelW[s] || g.procKernel[s] || s.Matrix == modelspec.MatrixToeplitz {
			if err := g.prepareKernel(s); err != nil {
				return err
			}
		}
		if err := g.checkReadOnlySynapses(s); err != nil {
			return err
		}
		for _, r := range s.RecordSynapseVars {
			if !g.Indiv[s] || (s.Matrix != modelspec.MatrixDense && s.Matrix != modelspec.MatrixSparse) {
				return configError(r.Pos, r.Path, "%s of synapse group %s is not stored per synapse (a %s matrix with %s weights): per-synapse variables are recorded from dense or sparse matrices with individual weights (weights: individual)", r.Var, s.Name, s.Matrix, weightsName(g, s))
			}
		}
	}
	for _, p := range g.Net.Populations {
		g.AnyEvents[p] = g.PrevEventTime[p] || p.RecordSpikeEvents
		if p.RecordSpikeEvents {
			if err := g.Require(FeatureSpikeEventRecord, p.Pos.String()+": populations."+p.Name+".record.spike_events"); err != nil {
				return err
			}
		}
		m := p.Model
		if err := checkReadOnly(m.Vars, m.Name, "populations."+p.Name, p.Pos, m.CodePos,
			"sim_code", m.SimCode, "threshold_condition_code", m.ThresholdConditionCode, "reset_code", m.ResetCode); err != nil {
			return err
		}
	}
	for _, c := range g.Net.CurrentSources {
		if err := checkReadOnly(c.Model.Vars, c.Model.Name, "current_sources."+c.Name, c.Pos, c.Model.CodePos, "injection_code", c.Model.InjectionCode); err != nil {
			return err
		}
	}
	if err := g.prepareCustomUpdates(); err != nil {
		return err
	}
	if len(g.Opts.SetAtRunTime) > 0 {
		if err := g.Require(FeatureRuntimeParameters, "protocol: "+strings.Join(g.Opts.SetAtRunTime, ", ")); err != nil {
			return err
		}
	}
	// Neuron variables read by synapse code through a delay are kept per slot.
	for _, s := range g.Net.Synapses {
		codes := synapseCodes(s.WeightUpdate.Model)
		for _, v := range s.Source.Model.Vars {
			if g.Slots[s.Source] > 1 && usesToken(codes, v.Name+"_pre") {
				g.queued[s.Source][v.Name] = true
			}
		}
		for _, v := range s.Target.Model.Vars {
			if g.Slots[s.Target] > 1 && usesToken(codes, v.Name+"_post") {
				g.queued[s.Target][v.Name] = true
			}
		}
	}
	return nil
}

// configError is a problem of the document found while generating code: a
// diagnostic at pos and config path, reported like the decoder's (exit
// status 2, and in a --json error's diagnostics).
func configError(pos modelspec.Pos, path, format string, args ...any) error {
	return modelspec.Diagnostic{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// checkReadOnly reports code of model (in the code strings given as field
// name, code pairs) that assigns one of vars declared READ_ONLY: GeNN 4.9
// does not write such a variable back after neuron code, so the assignment
// would be lost there (gennctl reports it instead; see docs/config.md).
func checkReadOnly(vars []modelspec.Var, model, path string, pos modelspec.Pos, cp modelspec.CodePos, codes ...string) error {
	for _, v := range vars {
		if !v.ReadOnly() {
			continue
		}
		re := assignRE(v.Name)
		for i := 0; i+1 < len(codes); i += 2 {
			if loc := re.FindStringIndex(codes[i+1]); loc != nil {
				at := pos
				if p, ok := cp[codes[i]]; ok {
					at = tokenPos(codes[i+1], loc[0], Site{Pos: p, Exact: true})
				}
				return configError(at, path, "%s of model %s assigns variable %s, which is %s: the model's own code may only read it (custom updates may write it); declare it READ_WRITE", codes[i], model, v.Name, v.Access)
			}
		}
	}
	return nil
}

// checkReadOnlySynapses applies checkReadOnly to a synapse group's models.
func (g *Generator) checkReadOnlySynapses(s *modelspec.SynapseGroup) error {
	wu, ps := s.WeightUpdate.Model, s.Postsynaptic.Model
	path := "synapses." + s.Name
	syn := []string{"sim_code", wu.SimCode, "event_code", wu.EventCode, "learn_post_code", wu.LearnPostCode,
		"synapse_dynamics_code", wu.SynapseDynamicsCode}
	if err := checkReadOnly(wu.Vars, wu.Name, path+".weight_update", s.Pos, wu.CodePos, syn...); err != nil {
		return err
	}
	pre := append([]string{"pre_spike_code", wu.PreSpikeCode, "pre_dynamics_code", wu.PreDynamicsCode}, syn...)
	if err := checkReadOnly(wu.PreVars, wu.Name, path+".weight_update", s.Pos, wu.CodePos, pre...); err != nil {
		return err
	}
	post := append([]string{"post_spike_code", wu.PostSpikeCode, "post_dynamics_code", wu.PostDynamicsCode}, syn...)
	if err := checkReadOnly(wu.PostVars, wu.Name, path+".weight_update", s.Pos, wu.CodePos, post...); err != nil {
		return err
	}
	return checkReadOnly(ps.Vars, ps.Name, path+".postsynaptic", s.Pos, ps.CodePos, "apply_input_code", ps.ApplyInputCode, "decay_code", ps.DecayCode)
}

// prepareConnectivity checks what the generator supports of a group's
// connectivity snippet and decides its kernel and host initialisation.
func (g *Generator) prepareConnectivity(s *modelspec.SynapseGroup) error {
	c := s.Connectivity
	snip := c.Snippet
	path := "synapses." + s.Name + ".connectivity"
	switch {
	case IsColBuild(snip) && s.Matrix == modelspec.MatrixProcedural:
		return configError(c.Pos, path, "snippet %s builds columns (col_build_code), which a procedural matrix cannot regenerate per row (GeNN has the same restriction); use matrix: sparse or bitmask", snip.Name)
	case strings.TrimSpace(snip.RowBuildCode) == "" && !IsColBuild(snip):
		return configError(c.Pos, path, "snippet %s has neither row_build_code nor col_build_code", snip.Name)
	}
	g.hostInit[s] = snip.HostInitCode != ""
	// $(id_kernel) in the initialisation of a per-synapse variable.
	uses := false
	if g.Indiv[s] {
		for _, v := range s.WeightUpdate.Model.Vars {
			if vi := s.WeightUpdate.Vars[v.Name]; vi != nil && vi.Kind == modelspec.InitSnippet && usesToken([]string{vi.Snippet.Code}, "id_kernel") {
				uses = true
				if len(snip.KernelSize) == 0 || s.Matrix != modelspec.MatrixSparse || IsColBuild(snip) {
					return configError(vi.Pos, vi.Path, "variable initialisation snippet %s uses $(id_kernel), which needs a sparse matrix whose connectivity snippet has a kernel (e.g. Conv2D); %s has none", vi.Snippet.Name, snip.Name)
				}
			}
		}
	}
	if uses {
		dims, err := g.kernelSize(s)
		if err != nil {
			return err
		}
		g.kernelDims[s] = dims
	}
	g.kernel[s] = uses
	return nil
}

// rowLength is the row stride of a sparse group.
func (g *Generator) rowLength(s *modelspec.SynapseGroup) (int, error) {
	if n, ok := g.Opts.MaxRowLength[s.Name]; ok {
		return n, nil
	}
	return MaxRowLength(s, 1)
}

// ---- names and values ----

// value is the C expression of a number: a literal, or the variant's
// runtime slot when the value differs across the structure group.
func (g *Generator) value(v modelspec.Value) string {
	if k, ok := g.rtIndex[v.Path]; ok {
		return fmt.Sprintf("((scalar)rt[%d])", k)
	}
	return Literal(v.V, g.Prec)
}

// bindParams adds params and derived params to a scope.
func (g *Generator) bindParams(sc *Scope, names []string, ps modelspec.Params, dps []modelspec.DerivedParam, ds modelspec.Params) {
	for _, n := range names {
		if v, ok := ps[n]; ok {
			sc.Vars[n] = g.value(v)
		}
	}
	for _, dp := range dps {
		if v, ok := ds[dp.Name]; ok {
			sc.Vars[dp.Name] = g.value(v)
		}
	}
}

func (g *Generator) usesRuntime() bool { return len(g.Opts.Runtime) > 0 }

// ConnSeed is the C expression of the key of variant b's connectivity
// streams: the variant's seed, or simulation.connectivity_seed when the
// document gives one (a literal, or a runtime slot when it differs in the
// structure group; below 2^53, so exact as a double).
func (g *Generator) ConnSeed() string {
	cs := g.Net.Sim.ConnectivitySeed
	if cs == nil {
		return "ctx->seed[b]"
	}
	if k, ok := g.rtIndex[cs.Path]; ok {
		return fmt.Sprintf("((uint64_t)rt[%d])", k)
	}
	return fmt.Sprintf("((uint64_t)%dull)", uint64(cs.V))
}

// drawSuffix is the suffix of the runtime's draws in the model's precision:
// float models draw their uniform, normal and exponential numbers in single
// precision, from one 32-bit word each (gn_uniform_f, ...).
func (g *Generator) drawSuffix() string {
	if g.Prec == "float" {
		return "_f"
	}
	return ""
}

// rngFuncs adds the $(gennrand_*) functions drawing from rng.
func (g *Generator) rngFuncs(sc *Scope, rng string) {
	cast := func(e string) string { return "((scalar)" + e + ")" }
	f := g.drawSuffix()
	sc.Funcs["gennrand_uniform"] = Func{Arity: 0, Expand: func([]string) string { return cast("gn_uniform" + f + "(" + rng + ")") }}
	sc.Funcs["gennrand_normal"] = Func{Arity: 0, Expand: func([]string) string { return cast("gn_normal" + f + "(" + rng + ")") }}
	sc.Funcs["gennrand_exponential"] = Func{Arity: 0, Expand: func([]string) string { return cast("gn_exponential" + f + "(" + rng + ")") }}
	sc.Funcs["gennrand_log_normal"] = Func{Arity: 2, Expand: func(a []string) string {
		return cast(fmt.Sprintf("gn_log_normal(%s, %s, %s)", rng, a[0], a[1]))
	}}
	sc.Funcs["gennrand_gamma"] = Func{Arity: 1, Expand: func(a []string) string { return cast(fmt.Sprintf("gn_gamma(%s, %s)", rng, a[0])) }}
	sc.Funcs["gennrand_binomial"] = Func{Arity: 2, Expand: func(a []string) string {
		return fmt.Sprintf("gn_binomial(%s, (unsigned int)(%s), %s)", rng, a[0], a[1])
	}}
	sc.Funcs["gennrand_poisson"] = Func{Arity: 1, Expand: func(a []string) string {
		return fmt.Sprintf("gn_poisson(%s, (double)(%s))", rng, a[0])
	}}
}

// site describes a code string for diagnostics.
func site(kind, group, path, model, field string, cp modelspec.CodePos, groupPos modelspec.Pos) Site {
	s := Site{Group: kind + " " + group, Model: model, Field: field, Path: path, Pos: groupPos}
	if p, ok := cp[field]; ok {
		s.Pos, s.Exact = p, true
	}
	return s
}

// code substitutes a code string and writes it, with #line directives for
// user code so C compiler errors point at the YAML file.
func (g *Generator) code(code string, sc *Scope, st Site) error {
	return g.codeRewritten(code, sc, st, nil)
}

// codeRewritten is code with the substituted text passed through rewrite
// (nil: unchanged).
func (g *Generator) codeRewritten(code string, sc *Scope, st Site, rewrite func(string) string) error {
	if strings.TrimSpace(code) == "" {
		return nil
	}
	out, err := Substitute(code, sc, st)
	if err != nil {
		return err
	}
	if rewrite != nil {
		out = rewrite(out)
	}
	out = EnsureFloatLiterals(out, g.Prec)
	if st.Exact && !g.noLines {
		g.W.LineDirective(st.Pos.Line, st.Pos.File)
		g.W.Code(out)
		g.W.RestoreLines(g.File)
		return nil
	}
	g.W.Code(out)
	return nil
}

// expr substitutes a code expression (threshold condition) into a string.
func (g *Generator) expr(code string, sc *Scope, st Site) (string, error) {
	out, err := Substitute(strings.TrimSpace(code), sc, st)
	if err != nil {
		return "", err
	}
	return EnsureFloatLiterals(out, g.Prec), nil
}

// Body runs fn with output going to a fresh writer and returns the text, so
// that declarations can be chosen by what the body uses.
func (g *Generator) Body(fn func() error) (string, error) {
	outer := g.W
	g.W = outer.Sub()
	err := fn()
	text := g.W.Text()
	g.W = outer
	return text, err
}

// DeclareUsed writes the pointer declarations among cands that text uses,
// then the text.
func (g *Generator) DeclareUsed(cands []VarEntry, text string) {
	for _, v := range cands {
		if containsIdent(text, v.Field) {
			g.ArrayPtr(v)
		}
	}
	g.W.Raw(text)
}

// isIdentByte reports whether c can be part of a C identifier (or number).
func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// containsIdent reports whether name occurs in text as a whole word (not
// preceded or followed by a letter, digit or underscore), like the regular
// expression \bname\b for the identifiers used here, without compiling one
// per array and function (large networks have thousands of both).
func containsIdent(text, name string) bool {
	for off := 0; ; {
		i := strings.Index(text[off:], name)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(name)
		if (i == 0 || !isIdentByte(text[i-1])) && (j == len(text) || !isIdentByte(text[j])) {
			return true
		}
		off = i + 1
	}
}

func popField(p *modelspec.Population, v string) string { return p.Name + "_" + v }

func quoteC(s string) string { return strconv.Quote(s) }

func isPointer(t string) bool { return strings.HasSuffix(strings.TrimSpace(t), "*") }

// describe builds the module's JSON description.
func (g *Generator) describe() string {
	d := Description{ABI: ABIVersion, Backend: g.B.Name(), Precision: g.Prec, DT: g.Net.Sim.DT,
		Runtime: append([]string{}, g.Opts.Runtime...)}
	if d.Runtime == nil {
		d.Runtime = []string{}
	}
	for _, p := range g.Net.Populations {
		d.Populations = append(d.Populations, PopDesc{Name: p.Name, Size: p.Size, RecordSpikes: p.RecordSpikes, RecordSpikeEvents: p.RecordSpikeEvents})
	}
	d.CustomUpdateGroups = g.CustomUpdateGroups()
	d.SetRuntime = g.Require(FeatureRuntimeParameters, "") == nil
	d.CurrentSpikes = g.Require(FeatureCurrentSpikes, "") == nil
	for _, s := range g.Net.Synapses {
		d.Synapses = append(d.Synapses, SynapseDesc{Name: s.Name, Source: s.Source.Name, Target: s.Target.Name,
			Matrix: s.Matrix, MaxRowLength: g.MaxRow[s], SharedConnectivity: g.ShareConn[s]})
	}
	for _, v := range g.Exported() {
		d.Vars = append(d.Vars, v.Desc)
	}
	d.EGPs = []EGPDesc{}
	for _, e := range g.EGPs {
		d.EGPs = append(d.EGPs, e.Desc)
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Package cpu generates single-threaded C for a network: one module
// simulating a batch of variants, exporting the gennctl ABI.
//
// Layout: every state array is variant-major ([variant][element]); runtime
// parameters are read per variant from ctx->rt; the time step is
//
//	synapse update (spikes emitted delay_steps+1 steps ago reach inSyn)
//	neuron update  (postsynaptic input and decay, current sources, sim code,
//	                threshold, reset, spike recording)
//
// as in GeNN 4's stepTime.
package cpu

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// Random stream ids: the high byte says which kind of use site.
const (
	streamNeuron       = 0x01000000
	streamVarInit      = 0x02000000
	streamConnectivity = 0x03000000
	streamHostInit     = 0x04000000 // host initialisation of connectivity (row lengths)
	// $(gennrand_*) in weight-update code, one kind per code string; the
	// low 24 bits are the synapse group's index in the network.
	streamSimCode     = 0x05000000 // sim_code
	streamEventCode   = 0x06000000 // event_code
	streamLearnPost   = 0x07000000 // learn_post_code
	streamSynDynamics = 0x08000000 // synapse_dynamics_code
)

// ModuleFile is the name of the generated C file.
const ModuleFile = "module.c"

type gen struct {
	net     *modelspec.Network
	opts    codegen.Options
	rtIndex map[string]int
	prec    string
	w       *codegen.Writer
	slots   map[*modelspec.Population]int // spike delay slots
	maxRow  map[*modelspec.SynapseGroup]int
	maxCol  map[*modelspec.SynapseGroup]int // column stride for learn_post on sparse groups
	indiv   map[*modelspec.SynapseGroup]bool
	// procW: groups with procedural weights (codegen.ProceduralWeights).
	procW map[*modelspec.SynapseGroup]bool
	// procRNG makes buildLoop declare the row's stream even when the
	// connectivity code draws nothing (procedural weights draw from it).
	procRNG bool
	vars    []varEntry // arrays of the context: accessible variables, then internal ones
	egps    []egpEntry // extra global parameters (per-variant context data)
	initID  uint32     // next var-init stream id
	// Spike times: whether a population tracks $(sT) / $(prev_sT).
	sT, prevST map[*modelspec.Population]bool
	// queued neuron variables (one copy per delay slot), by population.
	queued map[*modelspec.Population]map[string]bool
	// denDelay is the number of dendritic delay slots of a group (0: none).
	denDelay map[*modelspec.SynapseGroup]int
	// events: groups whose source emits spike-like events for them.
	events map[*modelspec.SynapseGroup]bool
	// synIndex is the position of a group in the network (random streams).
	synIndex map[*modelspec.SynapseGroup]int
	// kernel: sparse groups storing each synapse's kernel index for
	// $(id_kernel) (a variable initialised by a snippet that uses it, e.g.
	// Kernel on Conv2D); kernelDims their kernel sizes.
	kernel     map[*modelspec.SynapseGroup]bool
	kernelDims map[*modelspec.SynapseGroup][]int
	// hostInit: groups whose connectivity snippet has host initialisation.
	hostInit map[*modelspec.SynapseGroup]bool
	// shareConn: groups whose stored connectivity (rows, bitmask, host
	// arrays, kernel and column indices) is kept once per distinct
	// realisation in a batch, not once per variant: with
	// simulation.connectivity_seed, variants with equal connectivity inputs
	// share it (see emitShare).
	shareConn map[*modelspec.SynapseGroup]bool
	// noLines suppresses #line directives around user code (code spliced
	// into another code string, e.g. procedural connectivity).
	noLines bool
	// split: populations whose update is a state pass then a spike
	// compaction pass (see splitSpikes); maxSplit is the largest one's size.
	split    map[*modelspec.Population]bool
	maxSplit int
	// restrict marks array pointers declared by arrayPtr as restrict.
	restrict bool
	// calls of the synapse update functions, in step order
	dynCalls, preCalls, postCalls []string
	// cuda: generate the CUDA module (see cuda.go): host code in module.c,
	// kernels in module.cu, the context in gn_module.h.
	cuda bool
	// file is the generated file g.w writes (#line directives point back at it).
	file string
	// atomic: accumulations into postsynaptic arrays ($(addToInSyn), ...)
	// are atomic, for kernels in which threads share a target.
	atomic bool
}

type varEntry struct {
	desc  codegen.VarDesc
	field string // ctx field
	ctype string
	// slots > 1: the array holds one copy of Count elements per delay slot;
	// gn_get_var/gn_set_var use the most recently written one.
	slots int
	// internal arrays (spike times, queues, connectivity helpers) are not
	// listed in the description and not accessible through the ABI.
	internal bool
	// conn: the array is shared connectivity storage of this group
	// (shareConn): variant b's part starts at realisation ctx-><S>_cslot[b].
	conn *modelspec.SynapseGroup
	// readOnly: gn_set_var refuses it (connectivityOwner).
	readOnly bool
}

// Generate returns the C source of the module.
func Generate(net *modelspec.Network, opts codegen.Options) (codegen.Files, error) {
	g := newGen(net, opts)
	if err := g.prepare(); err != nil {
		return nil, err
	}
	if err := g.emit(); err != nil {
		return nil, err
	}
	return codegen.Files{
		"gn_abi.h":     codegen.ABIHeader,
		"gn_runtime.h": codegen.RuntimeHeader,
		ModuleFile:     g.w.String(),
	}, nil
}

func newGen(net *modelspec.Network, opts codegen.Options) *gen {
	return &gen{net: net, opts: opts, file: ModuleFile, rtIndex: opts.RuntimeIndex(), prec: net.Sim.Precision, w: &codegen.Writer{},
		slots: map[*modelspec.Population]int{}, maxRow: map[*modelspec.SynapseGroup]int{}, maxCol: map[*modelspec.SynapseGroup]int{},
		indiv: map[*modelspec.SynapseGroup]bool{}, sT: map[*modelspec.Population]bool{}, prevST: map[*modelspec.Population]bool{},
		queued: map[*modelspec.Population]map[string]bool{}, denDelay: map[*modelspec.SynapseGroup]int{},
		events: map[*modelspec.SynapseGroup]bool{}, synIndex: map[*modelspec.SynapseGroup]int{}, split: map[*modelspec.Population]bool{},
		kernel: map[*modelspec.SynapseGroup]bool{}, kernelDims: map[*modelspec.SynapseGroup][]int{}, hostInit: map[*modelspec.SynapseGroup]bool{},
		shareConn: map[*modelspec.SynapseGroup]bool{}, procW: map[*modelspec.SynapseGroup]bool{}}
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

func (g *gen) prepare() error {
	for _, p := range g.net.Populations {
		g.slots[p] = 1
		g.queued[p] = map[string]bool{}
		nc := []string{p.Model.SimCode, p.Model.ThresholdConditionCode, p.Model.ResetCode}
		g.sT[p] = usesToken(nc, "sT")
		g.prevST[p] = usesToken(nc, "prev_sT")
	}
	need := func(p *modelspec.Population, n int) {
		if n > g.slots[p] {
			g.slots[p] = n
		}
	}
	for si, s := range g.net.Synapses {
		g.synIndex[s] = si
		wu := s.WeightUpdate.Model
		codes := synapseCodes(wu)
		path := "synapses." + s.Name
		preST := wu.PreSpikeTimeRequired || usesToken(codes, "sT_pre")
		postST := wu.PostSpikeTimeRequired || usesToken(codes, "sT_post")
		prevPre, prevPost := usesToken(codes, "prev_sT_pre"), usesToken(codes, "prev_sT_post")
		g.sT[s.Source] = g.sT[s.Source] || preST || prevPre
		g.sT[s.Target] = g.sT[s.Target] || postST || prevPost
		g.prevST[s.Source] = g.prevST[s.Source] || prevPre
		g.prevST[s.Target] = g.prevST[s.Target] || prevPost
		need(s.Source, s.DelaySteps+1)
		need(s.Target, s.BackPropDelaySteps+1)
		// $(prev_sT_*) reads the slot one step before the delayed one: keep
		// it distinct from the slot being written (GeNN 4.9 aliases them
		// when the delay is the largest one of the population).
		if prevPre && s.DelaySteps > 0 {
			need(s.Source, s.DelaySteps+2)
		}
		if prevPost && s.BackPropDelaySteps > 0 {
			need(s.Target, s.BackPropDelaySteps+2)
		}
		switch s.Weights {
		case modelspec.WeightsGlobal:
			g.indiv[s] = false
			for _, v := range wu.Vars {
				if vi := s.WeightUpdate.Vars[v.Name]; vi != nil && vi.Kind != modelspec.InitConstant {
					return fmt.Errorf("%s: %s.weights: global weights need one constant value per variable, but %s.weight_update.vars.%s is not a constant", s.Pos, path, path, v.Name)
				}
			}
		case modelspec.WeightsIndividual:
			g.indiv[s] = true
		default:
			g.indiv[s] = codegen.IndividualWeights(s)
			g.procW[s] = codegen.ProceduralWeights(s)
		}
		if g.procW[s] {
			for _, v := range wu.Vars {
				if vi := s.WeightUpdate.Vars[v.Name]; vi.Kind == modelspec.InitSnippet && usesToken([]string{vi.Snippet.Code}, "id_kernel") {
					return fmt.Errorf("%s: %s: variable initialisation snippet %s uses $(id_kernel), which procedural weights do not support yet; use matrix: sparse", vi.Pos, vi.Path, vi.Snippet.Name)
				}
			}
		}
		if usesToken(codes, "addToInSynDelay") {
			g.denDelay[s] = s.MaxDendriticDelay
			if g.denDelay[s] == 0 {
				g.denDelay[s] = 1
			}
		} else if s.MaxDendriticDelay > 0 {
			return fmt.Errorf("%s: %s.max_dendritic_delay_steps: model %s does not use $(addToInSynDelay, x, d)", s.Pos, path, wu.Name)
		}
		if codeNonEmpty(wu.EventThresholdConditionCode) != codeNonEmpty(wu.EventCode) {
			return fmt.Errorf("%s: %s.weight_update: model %s needs both event_code and event_threshold_condition_code for spike-like events", s.Pos, path, wu.Name)
		}
		g.events[s] = codeNonEmpty(wu.EventCode)
		switch s.Matrix {
		case modelspec.MatrixBitmask, modelspec.MatrixProcedural:
			if g.indiv[s] {
				return fmt.Errorf("%s: %s.matrix: a %s matrix stores no per-synapse values, so model %s needs global weights (each variable one constant) or, with matrix: procedural, procedural weights (each variable a constant or an initialisation snippet); no code may assign them (or use matrix: sparse)", s.Pos, path, s.Matrix, wu.Name)
			}
			if codeNonEmpty(wu.LearnPostCode) || codeNonEmpty(wu.SynapseDynamicsCode) {
				return fmt.Errorf("%s: %s.matrix: learn_post_code and synapse_dynamics_code need a dense or sparse matrix (GeNN has the same restriction)", s.Pos, path)
			}
		}
		if s.Matrix == modelspec.MatrixSparse {
			n, err := g.rowLength(s)
			if err != nil {
				return err
			}
			g.maxRow[s] = n
		}
		// Column indices serve learn_post_code; CUDA kernels also walk
		// columns for synapse dynamics and, with postsynaptic span, for the
		// presynaptic update, one thread per postsynaptic neuron (cuda.go).
		if s.Matrix == modelspec.MatrixSparse && (codeNonEmpty(wu.LearnPostCode) ||
			g.cuda && codeNonEmpty(wu.SynapseDynamicsCode) ||
			g.cuda && !g.presynapticSpan(s) && (codeNonEmpty(wu.SimCode) || codeNonEmpty(wu.EventCode))) {
			n, ok := g.opts.MaxColLength[s.Name]
			if !ok {
				var err error
				if n, err = codegen.MaxColLength(s); err != nil {
					return err
				}
			}
			g.maxCol[s] = n
		}
		if c := s.Connectivity; c != nil {
			if err := g.prepareConnectivity(s); err != nil {
				return err
			}
			g.shareConn[s] = g.net.Sim.ConnectivitySeed != nil &&
				(s.Matrix == modelspec.MatrixSparse || s.Matrix == modelspec.MatrixBitmask || g.hostInit[s])
		}
	}
	for _, p := range g.net.Populations {
		var incoming, outgoing []*modelspec.SynapseGroup
		for _, s := range g.net.Synapses {
			if s.Target == p {
				incoming = append(incoming, s)
			}
			if s.Source == p {
				outgoing = append(outgoing, s)
			}
		}
		if !g.cuda && g.splitSpikes(p, incoming, outgoing) {
			g.split[p] = true
			if p.Size > g.maxSplit {
				g.maxSplit = p.Size
			}
		}
	}
	// Neuron variables read by synapse code through a delay are kept per slot.
	for _, s := range g.net.Synapses {
		codes := synapseCodes(s.WeightUpdate.Model)
		for _, v := range s.Source.Model.Vars {
			if g.slots[s.Source] > 1 && usesToken(codes, v.Name+"_pre") {
				g.queued[s.Source][v.Name] = true
			}
		}
		for _, v := range s.Target.Model.Vars {
			if g.slots[s.Target] > 1 && usesToken(codes, v.Name+"_post") {
				g.queued[s.Target][v.Name] = true
			}
		}
	}
	return nil
}

// prepareConnectivity checks what the generator supports of a group's
// connectivity snippet and decides its kernel and host initialisation.
func (g *gen) prepareConnectivity(s *modelspec.SynapseGroup) error {
	c := s.Connectivity
	snip := c.Snippet
	path := "synapses." + s.Name + ".connectivity"
	switch {
	case isColBuild(snip) && s.Matrix == modelspec.MatrixProcedural:
		return fmt.Errorf("%s: %s: snippet %s builds columns (col_build_code), which a procedural matrix cannot regenerate per row (GeNN has the same restriction); use matrix: sparse or bitmask", c.Pos, path, snip.Name)
	case strings.TrimSpace(snip.RowBuildCode) == "" && !isColBuild(snip):
		return fmt.Errorf("%s: %s: snippet %s has neither row_build_code nor col_build_code", c.Pos, path, snip.Name)
	}
	g.hostInit[s] = snip.HostInitCode != ""
	// $(id_kernel) in the initialisation of a per-synapse variable.
	uses := false
	if g.indiv[s] {
		for _, v := range s.WeightUpdate.Model.Vars {
			if vi := s.WeightUpdate.Vars[v.Name]; vi != nil && vi.Kind == modelspec.InitSnippet && usesToken([]string{vi.Snippet.Code}, "id_kernel") {
				uses = true
				if len(snip.KernelSize) == 0 || s.Matrix != modelspec.MatrixSparse || isColBuild(snip) {
					return fmt.Errorf("%s: %s: variable initialisation snippet %s uses $(id_kernel), which needs a sparse matrix whose connectivity snippet has a kernel (e.g. Conv2D); %s has none", vi.Pos, vi.Path, vi.Snippet.Name, snip.Name)
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
func (g *gen) rowLength(s *modelspec.SynapseGroup) (int, error) {
	if n, ok := g.opts.MaxRowLength[s.Name]; ok {
		return n, nil
	}
	return codegen.MaxRowLength(s)
}

// ---- names and values ----

// value is the C expression of a number: a literal, or the variant's
// runtime slot when the value differs across the structure group.
func (g *gen) value(v modelspec.Value) string {
	if k, ok := g.rtIndex[v.Path]; ok {
		return fmt.Sprintf("((scalar)rt[%d])", k)
	}
	return codegen.Literal(v.V, g.prec)
}

// bindParams adds params and derived params to a scope.
func (g *gen) bindParams(sc *codegen.Scope, names []string, ps modelspec.Params, dps []modelspec.DerivedParam, ds modelspec.Params) {
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

func (g *gen) usesRuntime() bool { return len(g.opts.Runtime) > 0 }

// connSeed is the C expression of the key of variant b's connectivity
// streams: the variant's seed, or simulation.connectivity_seed when the
// document gives one (a literal, or a runtime slot when it differs in the
// structure group; below 2^53, so exact as a double).
func (g *gen) connSeed() string {
	cs := g.net.Sim.ConnectivitySeed
	if cs == nil {
		return "ctx->seed[b]"
	}
	if k, ok := g.rtIndex[cs.Path]; ok {
		return fmt.Sprintf("((uint64_t)rt[%d])", k)
	}
	return fmt.Sprintf("((uint64_t)%dull)", uint64(cs.V))
}

// rngFuncs adds the $(gennrand_*) functions drawing from rng.
func (g *gen) rngFuncs(sc *codegen.Scope, rng string) {
	cast := func(e string) string { return "((scalar)" + e + ")" }
	sc.Funcs["gennrand_uniform"] = codegen.Func{Arity: 0, Expand: func([]string) string { return cast("gn_uniform(" + rng + ")") }}
	sc.Funcs["gennrand_normal"] = codegen.Func{Arity: 0, Expand: func([]string) string { return cast("gn_normal(" + rng + ")") }}
	sc.Funcs["gennrand_exponential"] = codegen.Func{Arity: 0, Expand: func([]string) string { return cast("gn_exponential(" + rng + ")") }}
	sc.Funcs["gennrand_log_normal"] = codegen.Func{Arity: 2, Expand: func(a []string) string {
		return cast(fmt.Sprintf("gn_log_normal(%s, %s, %s)", rng, a[0], a[1]))
	}}
	sc.Funcs["gennrand_gamma"] = codegen.Func{Arity: 1, Expand: func(a []string) string { return cast(fmt.Sprintf("gn_gamma(%s, %s)", rng, a[0])) }}
	sc.Funcs["gennrand_binomial"] = codegen.Func{Arity: 2, Expand: func(a []string) string {
		return fmt.Sprintf("gn_binomial(%s, (unsigned int)(%s), %s)", rng, a[0], a[1])
	}}
}

// site describes a code string for diagnostics.
func site(kind, group, path, model, field string, cp modelspec.CodePos, groupPos modelspec.Pos) codegen.Site {
	s := codegen.Site{Group: kind + " " + group, Model: model, Field: field, Path: path, Pos: groupPos}
	if p, ok := cp[field]; ok {
		s.Pos, s.Exact = p, true
	}
	return s
}

// code substitutes a code string and writes it, with #line directives for
// user code so C compiler errors point at the YAML file.
func (g *gen) code(code string, sc *codegen.Scope, st codegen.Site) error {
	if strings.TrimSpace(code) == "" {
		return nil
	}
	out, err := codegen.Substitute(code, sc, st)
	if err != nil {
		return err
	}
	out = codegen.EnsureFloatLiterals(out, g.prec)
	if st.Exact && !g.noLines {
		g.w.LineDirective(st.Pos.Line, st.Pos.File)
		g.w.Code(out)
		g.w.RestoreLines(g.file)
		return nil
	}
	g.w.Code(out)
	return nil
}

// expr substitutes a code expression (threshold condition) into a string.
func (g *gen) expr(code string, sc *codegen.Scope, st codegen.Site) (string, error) {
	out, err := codegen.Substitute(strings.TrimSpace(code), sc, st)
	if err != nil {
		return "", err
	}
	return codegen.EnsureFloatLiterals(out, g.prec), nil
}

// body runs fn with output going to a fresh writer and returns the text, so
// that declarations can be chosen by what the body uses.
func (g *gen) body(fn func() error) (string, error) {
	outer := g.w
	g.w = outer.Sub()
	err := fn()
	text := g.w.Text()
	g.w = outer
	return text, err
}

// declareUsed writes the pointer declarations among cands that text uses,
// then the text.
func (g *gen) declareUsed(cands []varEntry, text string) {
	for _, v := range cands {
		if containsIdent(text, v.field) {
			g.arrayPtr(v)
		}
	}
	g.w.Raw(text)
}

// containsIdent reports whether name occurs in text as a whole word (not
// preceded or followed by a letter, digit or underscore), like the regular
// expression \bname\b for the identifiers used here, without compiling one
// per array and function (large networks have thousands of both).
func containsIdent(text, name string) bool {
	isWord := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for off := 0; ; {
		i := strings.Index(text[off:], name)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(name)
		if (i == 0 || !isWord(text[i-1])) && (j == len(text) || !isWord(text[j])) {
			return true
		}
		off = i + 1
	}
}

func popField(p *modelspec.Population, v string) string { return p.Name + "_" + v }

func quoteC(s string) string { return strconv.Quote(s) }

func isPointer(t string) bool { return strings.HasSuffix(strings.TrimSpace(t), "*") }

// describe builds the module's JSON description.
func (g *gen) describe() string {
	backend := "cpu"
	if g.cuda {
		backend = "cuda"
	}
	d := codegen.Description{ABI: codegen.ABIVersion, Name: g.net.Name, Backend: backend, Precision: g.prec, DT: g.net.Sim.DT,
		Runtime: append([]string{}, g.opts.Runtime...)}
	if d.Runtime == nil {
		d.Runtime = []string{}
	}
	for _, p := range g.net.Populations {
		d.Populations = append(d.Populations, codegen.PopDesc{Name: p.Name, Size: p.Size, RecordSpikes: p.RecordSpikes})
	}
	for _, s := range g.net.Synapses {
		d.Synapses = append(d.Synapses, codegen.SynapseDesc{Name: s.Name, Source: s.Source.Name, Target: s.Target.Name,
			Matrix: s.Matrix, MaxRowLength: g.maxRow[s], SharedConnectivity: g.shareConn[s]})
	}
	for _, v := range g.exported() {
		d.Vars = append(d.Vars, v.desc)
	}
	d.EGPs = []codegen.EGPDesc{}
	for _, e := range g.egps {
		d.EGPs = append(d.EGPs, e.desc)
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return string(b)
}

package codegen

import (
	"fmt"

	"github.com/gennctl/gennctl/modelspec"
)

// Synapse updates, in GeNN 4's order within a time step τ (t = τ·DT):
//
//  1. synapse_dynamics_code of every group, for every synapse;
//  2. presynaptic update of every group: spike-like events, then true
//     spikes, emitted by the source in step τ-1-delay_steps;
//  3. learn_post_code of every group, for every synapse onto a target
//     neuron that spiked in step τ-1-back_prop_delay_steps.
//
// then the neuron updates of step τ. Spike times seen by synapse code are
// GeNN 4.9's: $(sT_pre) is DT·(delay_steps+1) plus the time of the source's
// latest spike at or before step τ-1-delay_steps (so in sim_code it equals
// $(t)); $(prev_sT_pre) is the same offset plus the latest spike at or before
// step τ-2-delay_steps; _post likewise with back_prop_delay_steps. A neuron
// that has not spiked has spike time -GN_TIME_MAX (the most negative number).

// SlotExprs declares the delay-slot indices group s reads in step timestep.
func (g *Generator) SlotExprs(s *modelspec.SynapseGroup) {
	w := g.W
	ss, ts := g.Slots[s.Source], g.Slots[s.Target]
	d, bp := s.DelaySteps, s.BackPropDelaySteps
	w.Line("const uint32_t preSlot = (uint32_t)((timestep + %d) %% %d), prePrevSlot = (uint32_t)((timestep + %d) %% %d);", ss-1-d, ss, 2*ss-2-d, ss)
	w.Line("const uint32_t postSlot = (uint32_t)((timestep + %d) %% %d), postPrevSlot = (uint32_t)((timestep + %d) %% %d);", ts-1-bp, ts, 2*ts-2-bp, ts)
	w.Line("(void)preSlot; (void)prePrevSlot; (void)postSlot; (void)postPrevSlot;")
}

// neuronScope adds a population's variables, parameters and spike times as
// seen from synapse code with suffix _pre or _post; slot and prevSlot are
// the C names of the delay slots read, delay the delay in steps.
func (g *Generator) neuronScope(sc *Scope, p *modelspec.Population, suffix, idx, slot, prevSlot string, delay int) {
	m := p.Model
	for _, v := range m.Vars {
		ve, _ := g.Array(p.Name, "neuron", v.Name)
		sc.Vars[v.Name+suffix] = slotRef(ve, slot, ve.Index(idx))
	}
	for _, n := range m.Params {
		if v, ok := p.Params[n]; ok {
			sc.Vars[n+suffix] = g.value(v)
		}
	}
	for _, dp := range m.DerivedParams {
		if v, ok := p.Derived[dp.Name]; ok {
			sc.Vars[dp.Name+suffix] = g.value(v)
		}
	}
	for _, e := range m.ExtraGlobalParams {
		if ref := g.egpRef("populations." + p.Name + ".extra_global_params." + e.Name); ref != "" {
			sc.Vars[e.Name+suffix] = ref
		}
	}
	off := Literal(g.Net.Sim.DT*float64(delay+1), g.Prec)
	if g.SpikeTime[p] {
		sc.Vars["sT"+suffix] = fmt.Sprintf("(%s + %s_sT[(size_t)%s * %d + %s])", off, p.Name, slot, p.Size, idx)
	}
	if g.PrevSpikeTime[p] {
		sc.Vars["prev_sT"+suffix] = fmt.Sprintf("(%s + %s_prevST[(size_t)%s * %d + %s])", off, p.Name, prevSlot, p.Size, idx)
	}
	if g.EventTime[p] {
		sc.Vars["seT"+suffix] = fmt.Sprintf("(%s + %s_seT[(size_t)%s * %d + %s])", off, p.Name, slot, p.Size, idx)
	}
	if g.PrevEventTime[p] {
		sc.Vars["prev_seT"+suffix] = fmt.Sprintf("(%s + %s_prevSET[(size_t)%s * %d + %s])", off, p.Name, prevSlot, p.Size, idx)
	}
}

// slotRef is the C expression of element idx of array ve in delay slot
// slot (the only copy when it is not kept per slot).
func slotRef(ve VarEntry, slot, idx string) string {
	if ve.Slots > 1 {
		return fmt.Sprintf("%s[(size_t)%s * %d + %s]", ve.Field, slot, ve.Desc.Count, idx)
	}
	return ve.Field + "[" + idx + "]"
}

// synapseScope is what weight-update code sees in group s. withSyn says
// whether synapses have an index (not in procedural connectivity).
func (g *Generator) synapseScope(s *modelspec.SynapseGroup, withSyn bool) (*Scope, error) {
	wu := s.WeightUpdate
	m := wu.Model
	sc := NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	for _, v := range m.Vars {
		if g.Indiv[s] {
			ve, _ := g.Array(s.Name, "synapse", v.Name)
			sc.Vars[v.Name] = ve.Field + "[id_syn]"
		} else if g.KernelW[s] {
			ve, _ := g.Array(s.Name, "synapse", v.Name)
			sc.Vars[v.Name] = ve.Field + "[id_kernel]" // id_kernel: see KernelIndex
		} else if g.ProcW[s] && wu.Vars[v.Name].Kind == modelspec.InitSnippet {
			sc.Vars[v.Name] = "l" + v.Name // computed by procWeights
		} else {
			sc.Vars[v.Name] = g.value(wu.Vars[v.Name].Constant)
		}
	}
	// pre (post) variables kept per delay slot are read in the slot of the
	// delayed spikes, as GeNN 4.9 does (preDelayOffset, postDelayOffset).
	for _, v := range m.PreVars {
		ve, _ := g.Array(s.Name, "pre", v.Name)
		sc.Vars[v.Name] = slotRef(ve, "preSlot", ve.Index("id_pre"))
	}
	for _, v := range m.PostVars {
		ve, _ := g.Array(s.Name, "post", v.Name)
		sc.Vars[v.Name] = slotRef(ve, "postSlot", ve.Index("id_post"))
	}
	if g.KernelW[s] {
		sc.Vars["id_kernel"] = "id_kernel"
	}
	g.neuronScope(sc, s.Source, "_pre", "id_pre", "preSlot", "prePrevSlot", s.DelaySteps)
	g.neuronScope(sc, s.Target, "_post", "id_post", "postSlot", "postPrevSlot", s.BackPropDelaySteps)
	sc.Vars["id_pre"] = "id_pre"
	sc.Vars["id_post"] = "id_post"
	if withSyn {
		sc.Vars["id_syn"] = "id_syn"
	}
	sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
	sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
	sc.Vars["num_batch"] = "1"
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	in := g.PSTarget(s).Name // the group whose buffers hold s's input
	if n := g.DenDelay[s]; n > 0 {
		sc.Funcs["addToInSynDelay"] = Func{Arity: 2, Expand: func(a []string) string {
			// (timestep mod n) is loop-invariant, so only a 32-bit
			// modulo is left per synapse.
			return g.accumulate(fmt.Sprintf("%s_denDelay[(size_t)(((uint32_t)(timestep %% %d) + (uint32_t)(%s)) %% %d) * %d + id_post]", in, n, a[1], n, s.Target.Size), a[0])
		}}
	} else {
		sc.Funcs["addToInSyn"] = Func{Arity: 1, Expand: func(a []string) string { return g.accumulate(in+"_inSyn[id_post]", a[0]) }}
	}
	if g.PreOutput[s] {
		sc.Funcs["addToPre"] = Func{Arity: 1, Expand: func(a []string) string { return g.accumulate(s.Name+"_revInSyn[id_pre]", a[0]) }}
	}
	sc.Funcs["updatelinsyn"] = Func{Arity: 0, Expand: func([]string) string { return "" }}
	err := g.bindEGPs(sc, s.Name, "synapses."+s.Name+".weight_update", m.ExtraGlobalParams, wu.EGPs,
		append(synapseCodes(m), m.PreSpikeCode, m.PostSpikeCode), s.Pos)
	return sc, err
}

// accumulate is the C statement adding x to the array element target:
// atomic in kernels whose threads share targets (g.Atomic).
func (g *Generator) accumulate(target, x string) string {
	if g.Atomic {
		return fmt.Sprintf("atomicAdd(&%s, (scalar)(%s))", target, x)
	}
	return fmt.Sprintf("%s += (%s)", target, x)
}

// RowLoop writes the loop over the synapses of presynaptic neuron id_pre,
// defining id_post (and id_syn), with the code string code of kind stream
// (StreamSimCode, ...) written inside (see synCode).
func (g *Generator) RowLoop(s *modelspec.SynapseGroup, stream uint32, code string, sc *Scope, st Site) error {
	w := g.W
	npost := s.Target.Size
	inner := func() error { return g.SynCode(s, stream, code, sc, st, s.Matrix != modelspec.MatrixProcedural) }
	switch s.Matrix {
	case modelspec.MatrixSparse:
		w.Line("const %s *row = %s_ind + (size_t)id_pre * %d;", g.IndType(s), s.Name, g.MaxRow[s])
		w.Open("for (uint32_t j = 0; j < %s_rowLength[id_pre]; j++) {", s.Name)
		w.Line("const uint32_t id_syn = id_pre * %d + j;", g.MaxRow[s])
		w.Line("const uint32_t id_post = row[j];")
	case modelspec.MatrixBitmask:
		w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", npost)
		w.Line("const uint32_t id_syn = id_pre * %d + id_post;", npost)
		w.Line("if (!(%s_gp[id_syn / 32] & (1u << (id_syn %% 32)))) continue;", s.Name)
	case modelspec.MatrixProcedural:
		// The row is regenerated: the synapse code becomes the expansion
		// of $(addSynapse, j). User #line directives are left out, since
		// the code is spliced into another code string.
		saved := g.noLines
		g.noLines = true
		text, err := g.Body(func() error {
			g.W.Line("const uint32_t id_post = (uint32_t)(gn_add_j);")
			return inner()
		})
		g.noLines = saved
		if err != nil {
			return err
		}
		add := func(a []string) string {
			return "{\nconst uint32_t gn_add_j = (uint32_t)(" + a[0] + ");\n" + g.kernelLine(s, a) + text + "}"
		}
		g.procRNG = g.procWeightsRNG(s)
		defer func() { g.procRNG = false }()
		if !UsesRNG(code) {
			return g.rowBuild(g.SynIndex[s], s, add)
		}
		// Procedural rows have no synapse index: one stream per row
		// (id_pre, time step), drawn from in the order of the row.
		w.Open("{")
		w.Line("gn_rng gn_srng;")
		w.Line("gn_rng_init(&gn_srng, ctx->seed[b], 0x%08xu, id_pre, timestep);", stream|uint32(g.SynIndex[s]))
		if err := g.rowBuild(g.SynIndex[s], s, add); err != nil {
			return err
		}
		w.Close("}")
		return nil
	default:
		w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", npost)
		w.Line("const uint32_t id_syn = id_pre * %d + id_post;", npost)
	}
	w.Line("(void)id_syn;")
	if err := inner(); err != nil {
		return err
	}
	w.Close("}")
	return nil
}

// kernelLine declares id_kernel, the kernel entry of the synapse
// $(addSynapse, j, k0, k1, ...) adds, in a group with kernel weights or
// procedural weights that read it.
func (g *Generator) kernelLine(s *modelspec.SynapseGroup, a []string) string {
	if !g.KernelW[s] && !g.procKernel[s] {
		return ""
	}
	return "const uint32_t id_kernel = " + g.kernelFlat(s, a[1:]) + ";\n"
}

// ToeplitzRows is the number of diagonals of a Toeplitz group (its
// snippet's maximum row length).
func (g *Generator) ToeplitzRows(s *modelspec.SynapseGroup) (int, error) {
	t := s.Toeplitz
	if f := t.Snippet.MaxRowLengthFunc; f != nil {
		vars := map[string]float64{}
		for k, v := range t.Params {
			vars[k] = v.V
		}
		return f(s.Source.Size, s.Target.Size, vars), nil
	}
	vars := map[string]float64{"num_pre": float64(s.Source.Size), "num_post": float64(s.Target.Size)}
	for k, v := range t.Params {
		vars[k] = v.V
	}
	for k, v := range t.Derived {
		vars[k] = v.V
	}
	v, err := evalLength(t.Snippet.MaxRowLength, vars, 1)
	if err != nil {
		return 0, configError(t.Pos, "synapses."+s.Name+".connectivity", "number of diagonals of %s: %v", t.Snippet.Name, err)
	}
	return int(v), nil
}

// ToeplitzLoop writes the presynaptic update of code string code of a
// Toeplitz group in GeNN 4.9's order (its single-threaded CPU backend):
// for each diagonal $(id_diag) its state variables, then for each spike
// (openSpikes opens the loop over them, defining id_pre; it is closed
// here) the diagonal build code, in which $(addSynapse, id_post, k0, k1,
// ...) runs code for that synapse, whose weights are the kernel entry of
// k0, k1, ... (id_kernel). Nothing is stored, so nothing draws random
// numbers (there is no stream to key them by).
func (g *Generator) ToeplitzLoop(s *modelspec.SynapseGroup, code string, sc *Scope, st Site, openSpikes func()) error {
	t := s.Toeplitz
	snip := t.Snippet
	w := g.W
	path := "synapses." + s.Name + ".connectivity"
	if UsesRNG(code) || UsesRNG(snip.DiagonalBuildCode) {
		return configError(st.Pos, st.Path, "a toeplitz matrix stores no synapses, so its code cannot draw random numbers")
	}
	rows, err := g.ToeplitzRows(s)
	if err != nil {
		return err
	}
	saved := g.noLines
	g.noLines = true
	text, err := g.Body(func() error {
		g.W.Line("const uint32_t id_post = (uint32_t)(gn_add_j);")
		return g.code(code, sc, st)
	})
	g.noLines = saved
	if err != nil {
		return err
	}
	csc := NewScope()
	g.bindParams(csc, snip.Params, t.Params, snip.DerivedParams, t.Derived)
	if err := g.bindEGPs(csc, "snippet "+snip.Name, path, snip.ExtraGlobalParams, t.EGPs, []string{snip.DiagonalBuildCode}, t.Pos); err != nil {
		return err
	}
	csc.Vars["id_diag"] = "id_diag"
	csc.Vars["id_pre"] = "id_pre"
	csc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
	csc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
	ndims := len(g.kernelDims[s])
	csc.Funcs["addSynapse"] = Func{Arity: 1 + ndims, Expand: func(a []string) string {
		return "{\nconst uint32_t gn_add_j = (uint32_t)(" + a[0] + ");\n" + g.kernelLine(s, a) + text + "}"
	}}
	w.Open("for (uint32_t id_diag = 0; id_diag < %d; id_diag++) {", rows)
	for _, sv := range snip.DiagonalBuildStateVars {
		init, err := Substitute(sv.Init, csc, site("synapse group", s.Name, path, snip.Name, "diagonal_build_state_vars", snip.CodePos, t.Pos))
		if err != nil {
			return err
		}
		w.Line("%s %s = %s;", CType(sv.Type), sv.Name, EnsureFloatLiterals(init, g.Prec))
		csc.Vars[sv.Name] = sv.Name
	}
	openSpikes()
	if err := g.code(snip.DiagonalBuildCode, csc, site("synapse group", s.Name, path, snip.Name, "diagonal_build_code", snip.CodePos, t.Pos)); err != nil {
		return err
	}
	w.Close("}")
	w.Close("}")
	return nil
}

// SynCode writes code string code of group s for one synapse. Code that
// draws random numbers gets its own Philox stream per synapse and step:
// key the variant's seed, stream the code kind (StreamSimCode, ...) with the
// group's index, id the synapse index id_syn, counter the time step; so a
// variant draws the same numbers alone or in a batch, and the numbers do
// not depend on the order synapses are processed in. Procedural rows, which
// have no synapse index, use a stream per row (see rowLoop).
func (g *Generator) SynCode(s *modelspec.SynapseGroup, stream uint32, code string, sc *Scope, st Site, perSyn bool) error {
	if g.ProcW[s] {
		if err := g.procWeights(s); err != nil {
			return err
		}
	}
	if !UsesRNG(code) {
		return g.code(code, sc, st)
	}
	rsc := sc.Clone()
	g.rngFuncs(rsc, "&gn_srng")
	if perSyn {
		g.W.Line("gn_rng gn_srng;")
		g.W.Line("gn_rng_init(&gn_srng, ctx->seed[b], 0x%08xu, id_syn, timestep);", stream|uint32(g.SynIndex[s]))
	}
	return g.code(code, rsc, st)
}

// procWeights declares the procedural weights of the synapse (id_pre,
// id_post) of group s, as GeNN 4.9 does: each variable initialised by a
// snippet becomes a local l<name> computed by the snippet's code, which
// draws from the row's connectivity stream (the rng of buildLoop: key the
// connectivity seed, stream StreamConnectivity | group index, id id_pre),
// interleaved with the row_build_code's own draws. Regenerating the row
// replays the stream, so a synapse gets the same values at every spike.
func (g *Generator) procWeights(s *modelspec.SynapseGroup) error {
	wu := s.WeightUpdate
	for _, v := range wu.Model.Vars {
		vi := wu.Vars[v.Name]
		if vi.Kind != modelspec.InitSnippet {
			continue
		}
		snip := vi.Snippet
		sc := NewScope()
		if err := g.bindEGPs(sc, "snippet "+snip.Name, vi.Path, snip.ExtraGlobalParams, vi.EGPs, []string{snip.Code}, vi.Pos); err != nil {
			return err
		}
		g.bindParams(sc, snip.Params, vi.Params, snip.DerivedParams, vi.Derived)
		sc.Vars["value"] = "value"
		sc.Vars["id_pre"] = "id_pre"
		sc.Vars["id_post"] = "id_post"
		if g.procKernel[s] {
			sc.Vars["id_kernel"] = "id_kernel"
		}
		sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
		sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
		g.rngFuncs(sc, "&rng")
		ctype := CType(typeName(v.Type, g.Prec))
		g.W.Line("%s l%s;", ctype, v.Name)
		g.W.Open("{")
		g.W.Line("scalar value = 0;")
		if err := g.code(snip.Code, sc, site("variable", vi.Path, vi.Path, snip.Name, "var_init_code", snip.CodePos, vi.Pos)); err != nil {
			return err
		}
		g.W.Line("l%s = (%s)value;", v.Name, ctype)
		g.W.Close("}")
	}
	return nil
}

// procWeightsRNG reports whether group s's procedural weights draw random numbers.
func (g *Generator) procWeightsRNG(s *modelspec.SynapseGroup) bool {
	if !g.ProcW[s] {
		return false
	}
	for _, v := range s.WeightUpdate.Vars {
		if v.Kind == modelspec.InitSnippet && UsesRNG(v.Snippet.Code) {
			return true
		}
	}
	return false
}

// WeightUpdateCode is what the synapse code of group s needs: its model,
// the diagnostics site of each code field and the scope the code sees.
func (g *Generator) WeightUpdateCode(s *modelspec.SynapseGroup) (*modelspec.WeightUpdateModel, func(field string) Site, *Scope, error) {
	m := s.WeightUpdate.Model
	path := "synapses." + s.Name + ".weight_update"
	st := func(field string) Site {
		return site("synapse group", s.Name, path, m.Name, field, m.CodePos, s.Pos)
	}
	sc, err := g.synapseScope(s, s.Matrix != modelspec.MatrixProcedural)
	return m, st, sc, err
}

package cpu

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
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

// slotExprs declares the delay-slot indices group s reads in step timestep.
func (g *gen) slotExprs(s *modelspec.SynapseGroup) {
	w := g.w
	ss, ts := g.slots[s.Source], g.slots[s.Target]
	d, bp := s.DelaySteps, s.BackPropDelaySteps
	w.Line("const uint32_t preSlot = (uint32_t)((timestep + %d) %% %d), prePrevSlot = (uint32_t)((timestep + %d) %% %d);", ss-1-d, ss, 2*ss-2-d, ss)
	w.Line("const uint32_t postSlot = (uint32_t)((timestep + %d) %% %d), postPrevSlot = (uint32_t)((timestep + %d) %% %d);", ts-1-bp, ts, 2*ts-2-bp, ts)
	w.Line("(void)preSlot; (void)prePrevSlot; (void)postSlot; (void)postPrevSlot;")
}

// neuronScope adds a population's variables, parameters and spike times as
// seen from synapse code with suffix _pre or _post; slot and prevSlot are
// the C names of the delay slots read, delay the delay in steps.
func (g *gen) neuronScope(sc *codegen.Scope, p *modelspec.Population, suffix, idx, slot, prevSlot string, delay int) {
	m := p.Model
	for _, v := range m.Vars {
		ve, _ := g.varEntry(p.Name, "neuron", v.Name)
		if ve.slots > 1 {
			sc.Vars[v.Name+suffix] = fmt.Sprintf("%s[(size_t)%s * %d + %s]", ve.field, slot, p.Size, idx)
		} else {
			sc.Vars[v.Name+suffix] = fmt.Sprintf("%s[%s]", ve.field, idx)
		}
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
	off := codegen.Literal(g.net.Sim.DT*float64(delay+1), g.prec)
	if g.sT[p] {
		sc.Vars["sT"+suffix] = fmt.Sprintf("(%s + %s_sT[(size_t)%s * %d + %s])", off, p.Name, slot, p.Size, idx)
	}
	if g.prevST[p] {
		sc.Vars["prev_sT"+suffix] = fmt.Sprintf("(%s + %s_prevST[(size_t)%s * %d + %s])", off, p.Name, prevSlot, p.Size, idx)
	}
}

// slotRef is the C expression of element idx of array ve in delay slot
// slot (the only copy when it is not kept per slot).
func slotRef(ve varEntry, slot, idx string) string {
	if ve.slots > 1 {
		return fmt.Sprintf("%s[(size_t)%s * %d + %s]", ve.field, slot, ve.desc.Count, idx)
	}
	return ve.field + "[" + idx + "]"
}

// synapseScope is what weight-update code sees in group s. withSyn says
// whether synapses have an index (not in procedural connectivity).
func (g *gen) synapseScope(s *modelspec.SynapseGroup, withSyn bool) (*codegen.Scope, error) {
	wu := s.WeightUpdate
	m := wu.Model
	sc := codegen.NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	for _, v := range m.Vars {
		if g.indiv[s] {
			ve, _ := g.varEntry(s.Name, "synapse", v.Name)
			sc.Vars[v.Name] = ve.field + "[id_syn]"
		} else if g.procW[s] && wu.Vars[v.Name].Kind == modelspec.InitSnippet {
			sc.Vars[v.Name] = "l" + v.Name // computed by procWeights
		} else {
			sc.Vars[v.Name] = g.value(wu.Vars[v.Name].Constant)
		}
	}
	// pre (post) variables kept per delay slot are read in the slot of the
	// delayed spikes, as GeNN 4.9 does (preDelayOffset, postDelayOffset).
	for _, v := range m.PreVars {
		ve, _ := g.varEntry(s.Name, "pre", v.Name)
		sc.Vars[v.Name] = slotRef(ve, "preSlot", "id_pre")
	}
	for _, v := range m.PostVars {
		ve, _ := g.varEntry(s.Name, "post", v.Name)
		sc.Vars[v.Name] = slotRef(ve, "postSlot", "id_post")
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
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	if n := g.denDelay[s]; n > 0 {
		sc.Funcs["addToInSynDelay"] = codegen.Func{Arity: 2, Expand: func(a []string) string {
			// (timestep mod n) is loop-invariant, so only a 32-bit
			// modulo is left per synapse.
			return g.accumulate(fmt.Sprintf("%s_denDelay[(size_t)(((uint32_t)(timestep %% %d) + (uint32_t)(%s)) %% %d) * %d + id_post]", s.Name, n, a[1], n, s.Target.Size), a[0])
		}}
	} else {
		sc.Funcs["addToInSyn"] = codegen.Func{Arity: 1, Expand: func(a []string) string { return g.accumulate(s.Name+"_inSyn[id_post]", a[0]) }}
	}
	sc.Funcs["updatelinsyn"] = codegen.Func{Arity: 0, Expand: func([]string) string { return "" }}
	err := g.bindEGPs(sc, s.Name, "synapses."+s.Name+".weight_update", m.ExtraGlobalParams, wu.EGPs,
		append(synapseCodes(m), m.PreSpikeCode, m.PostSpikeCode), s.Pos)
	return sc, err
}

// accumulate is the C statement adding x to the array element target:
// atomic in kernels whose threads share targets (g.atomic).
func (g *gen) accumulate(target, x string) string {
	if g.atomic {
		return fmt.Sprintf("atomicAdd(&%s, (scalar)(%s))", target, x)
	}
	return fmt.Sprintf("%s += (%s)", target, x)
}

// synapseFunc writes the update <name>_<S> of group s: on the CPU static
// void <name>_<S>(ctx, timestep) looping over the variants, in a CUDA module
// a kernel with one thread per element idx < n of each variant (idx and n
// are unused on the CPU). body writes the per-variant part.
func (g *gen) synapseFunc(s *modelspec.SynapseGroup, name, comment, idx string, n int, body func() error) error {
	w := g.w
	w.Line("/* synapse group %s: %s */", s.Name, comment)
	if g.cuda {
		g.kernelHead(name+"_"+s.Name, idx, n)
	} else {
		w.Line("static void %s_%s(gn_ctx *ctx, uint64_t timestep)", name, s.Name)
		w.Open("{")
	}
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	g.slotExprs(s)
	if !g.cuda {
		w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	}
	g.variantPrologue()
	text, err := g.body(body)
	if err != nil {
		return err
	}
	g.declareUsed(g.vars, text)
	if !g.cuda {
		w.Close("}")
	}
	w.Close("}")
	w.Line("")
	return nil
}

// prefetchDistance is how many spikes ahead the synapse update prefetches
// a sparse row: rows of different spikes are far apart in memory, and
// fetching them early hides most of the cache misses of the update.
const prefetchDistance = 2

// prefetchRow writes prefetches of the row length and the indices of the
// sparse row of the spike prefetchDistance places after k in list.
func (g *gen) prefetchRow(s *modelspec.SynapseGroup, list, n string) {
	if s.Matrix != modelspec.MatrixSparse {
		return
	}
	w := g.w
	w.Open("if (k + %d < %s) {", prefetchDistance, n)
	w.Line("const uint32_t pf = %s[k + %d];", list, prefetchDistance)
	w.Line("GN_PREFETCH(%s_rowLength + pf);", s.Name)
	w.Line("const char *const pfRow = (const char *)(%s_ind + (size_t)pf * %d);", s.Name, g.maxRow[s])
	bytes := g.maxRow[s] * 2
	if g.indType(s) == "uint32_t" {
		bytes = g.maxRow[s] * 4
	}
	if bytes > 512 {
		bytes = 512 // long rows: the hardware prefetcher follows the stream
	}
	w.Line("for (uint32_t o = 0; o < %d; o += 64) GN_PREFETCH(pfRow + o);", bytes+63)
	w.Close("}")
}

// rowLoop writes the loop over the synapses of presynaptic neuron id_pre,
// defining id_post (and id_syn), with the code string code of kind stream
// (streamSimCode, ...) written inside (see synCode).
func (g *gen) rowLoop(s *modelspec.SynapseGroup, stream uint32, code string, sc *codegen.Scope, st codegen.Site) error {
	w := g.w
	npost := s.Target.Size
	inner := func() error { return g.synCode(s, stream, code, sc, st, s.Matrix != modelspec.MatrixProcedural) }
	switch s.Matrix {
	case modelspec.MatrixSparse:
		w.Line("const %s *row = %s_ind + (size_t)id_pre * %d;", g.indType(s), s.Name, g.maxRow[s])
		w.Open("for (uint32_t j = 0; j < %s_rowLength[id_pre]; j++) {", s.Name)
		w.Line("const uint32_t id_syn = id_pre * %d + j;", g.maxRow[s])
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
		text, err := g.body(func() error {
			g.w.Line("const uint32_t id_post = (uint32_t)(gn_add_j);")
			return inner()
		})
		g.noLines = saved
		if err != nil {
			return err
		}
		add := func(a []string) string {
			return "{\nconst uint32_t gn_add_j = (uint32_t)(" + a[0] + ");\n" + text + "}"
		}
		g.procRNG = g.procWeightsRNG(s)
		defer func() { g.procRNG = false }()
		if !codegen.UsesRNG(code) {
			return g.rowBuild(g.synIndex[s], s, add)
		}
		// Procedural rows have no synapse index: one stream per row
		// (id_pre, time step), drawn from in the order of the row.
		w.Open("{")
		w.Line("gn_rng gn_srng;")
		w.Line("gn_rng_init(&gn_srng, ctx->seed[b], 0x%08xu, id_pre, timestep);", stream|uint32(g.synIndex[s]))
		if err := g.rowBuild(g.synIndex[s], s, add); err != nil {
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

// synCode writes code string code of group s for one synapse. Code that
// draws random numbers gets its own Philox stream per synapse and step:
// key the variant's seed, stream the code kind (streamSimCode, ...) with the
// group's index, id the synapse index id_syn, counter the time step; so a
// variant draws the same numbers alone or in a batch, and the numbers do
// not depend on the order synapses are processed in. Procedural rows, which
// have no synapse index, use a stream per row (see rowLoop).
func (g *gen) synCode(s *modelspec.SynapseGroup, stream uint32, code string, sc *codegen.Scope, st codegen.Site, perSyn bool) error {
	if g.procW[s] {
		if err := g.procWeights(s); err != nil {
			return err
		}
	}
	if !codegen.UsesRNG(code) {
		return g.code(code, sc, st)
	}
	rsc := sc.Clone()
	g.rngFuncs(rsc, "&gn_srng")
	if perSyn {
		g.w.Line("gn_rng gn_srng;")
		g.w.Line("gn_rng_init(&gn_srng, ctx->seed[b], 0x%08xu, id_syn, timestep);", stream|uint32(g.synIndex[s]))
	}
	return g.code(code, rsc, st)
}

// procWeights declares the procedural weights of the synapse (id_pre,
// id_post) of group s, as GeNN 4.9 does: each variable initialised by a
// snippet becomes a local l<name> computed by the snippet's code, which
// draws from the row's connectivity stream (the rng of buildLoop: key the
// connectivity seed, stream streamConnectivity | group index, id id_pre),
// interleaved with the row_build_code's own draws. Regenerating the row
// replays the stream, so a synapse gets the same values at every spike.
func (g *gen) procWeights(s *modelspec.SynapseGroup) error {
	wu := s.WeightUpdate
	for _, v := range wu.Model.Vars {
		vi := wu.Vars[v.Name]
		if vi.Kind != modelspec.InitSnippet {
			continue
		}
		snip := vi.Snippet
		sc := codegen.NewScope()
		if err := g.bindEGPs(sc, "snippet "+snip.Name, vi.Path, snip.ExtraGlobalParams, vi.EGPs, []string{snip.Code}, vi.Pos); err != nil {
			return err
		}
		g.bindParams(sc, snip.Params, vi.Params, snip.DerivedParams, vi.Derived)
		sc.Vars["value"] = "value"
		sc.Vars["id_pre"] = "id_pre"
		sc.Vars["id_post"] = "id_post"
		sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
		sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
		g.rngFuncs(sc, "&rng")
		ctype := codegen.CType(typeName(v.Type, g.prec))
		g.w.Line("%s l%s;", ctype, v.Name)
		g.w.Open("{")
		g.w.Line("scalar value = 0;")
		if err := g.code(snip.Code, sc, site("variable", vi.Path, vi.Path, snip.Name, "var_init_code", snip.CodePos, vi.Pos)); err != nil {
			return err
		}
		g.w.Line("l%s = (%s)value;", v.Name, ctype)
		g.w.Close("}")
	}
	return nil
}

// procWeightsRNG reports whether group s's procedural weights draw random numbers.
func (g *gen) procWeightsRNG(s *modelspec.SynapseGroup) bool {
	if !g.procW[s] {
		return false
	}
	for _, v := range s.WeightUpdate.Vars {
		if v.Kind == modelspec.InitSnippet && codegen.UsesRNG(v.Snippet.Code) {
			return true
		}
	}
	return false
}

// weightUpdateCode is what the synapse code of group s needs: its model,
// the diagnostics site of each code field and the scope the code sees.
func (g *gen) weightUpdateCode(s *modelspec.SynapseGroup) (*modelspec.WeightUpdateModel, func(field string) codegen.Site, *codegen.Scope, error) {
	m := s.WeightUpdate.Model
	path := "synapses." + s.Name + ".weight_update"
	st := func(field string) codegen.Site {
		return site("synapse group", s.Name, path, m.Name, field, m.CodePos, s.Pos)
	}
	sc, err := g.synapseScope(s, s.Matrix != modelspec.MatrixProcedural)
	return m, st, sc, err
}

// emitSynapseUpdates writes the update functions of group s and returns the
// calls, in GeNN's order: dynamics, presynaptic, postsynaptic learning.
func (g *gen) emitSynapseUpdates(s *modelspec.SynapseGroup) (dyn, pre, post []string, err error) {
	m, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return nil, nil, nil, err
	}
	npre, npost := s.Source.Size, s.Target.Size
	if codeNonEmpty(m.SynapseDynamicsCode) {
		err := g.synapseFunc(s, "synapse_dynamics", fmt.Sprintf("synapse_dynamics_code of %s, every step for every synapse", m.Name), "", 0, func() error {
			w := g.w
			w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", npre)
			if err := g.rowLoop(s, streamSynDynamics, m.SynapseDynamicsCode, sc, st("synapse_dynamics_code")); err != nil {
				return err
			}
			w.Close("}")
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		dyn = append(dyn, "synapse_dynamics_"+s.Name)
	}
	if g.events[s] || codeNonEmpty(m.SimCode) {
		comment := fmt.Sprintf("%s -> %s, %s matrix, %s, delay %d step(s)", s.Source.Name, s.Target.Name, s.Matrix, m.Name, s.DelaySteps)
		err := g.synapseFunc(s, "synapse_update", comment, "", 0, func() error {
			w := g.w
			ss := g.slots[s.Source]
			if g.events[s] {
				w.Open("{ /* spike-like events */")
				w.Line("const uint32_t nevt = %s_evCnt[preSlot];", s.Name)
				w.Line("const uint32_t *evt = %s_ev + (size_t)preSlot * %d;", s.Name, npre)
				w.Open("for (uint32_t k = 0; k < nevt; k++) {")
				w.Line("const uint32_t id_pre = evt[k];")
				if err := g.rowLoop(s, streamEventCode, m.EventCode, sc, st("event_code")); err != nil {
					return err
				}
				w.Close("}")
				w.Close("}")
			}
			if codeNonEmpty(m.SimCode) {
				w.Line("const uint32_t nspk = ctx->%s_spkCnt[(size_t)b * %d + preSlot];", s.Source.Name, ss)
				w.Line("const uint32_t *spk = ctx->%s_spk + ((size_t)b * %d + preSlot) * %d;", s.Source.Name, ss, npre)
				w.Open("for (uint32_t k = 0; k < nspk; k++) {")
				w.Line("const uint32_t id_pre = spk[k];")
				g.prefetchRow(s, "spk", "nspk")
				if err := g.rowLoop(s, streamSimCode, m.SimCode, sc, st("sim_code")); err != nil {
					return err
				}
				w.Close("}")
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		pre = append(pre, "synapse_update_"+s.Name)
	}
	if codeNonEmpty(m.LearnPostCode) {
		comment := fmt.Sprintf("learn_post_code of %s for spikes of %s, back-propagation delay %d step(s)", m.Name, s.Target.Name, s.BackPropDelaySteps)
		err := g.synapseFunc(s, "learn_post", comment, "", 0, func() error {
			w := g.w
			ts := g.slots[s.Target]
			w.Line("const uint32_t nspk = ctx->%s_spkCnt[(size_t)b * %d + postSlot];", s.Target.Name, ts)
			w.Line("const uint32_t *spk = ctx->%s_spk + ((size_t)b * %d + postSlot) * %d;", s.Target.Name, ts, npost)
			w.Open("for (uint32_t k = 0; k < nspk; k++) {")
			w.Line("const uint32_t id_post = spk[k];")
			if s.Matrix == modelspec.MatrixSparse {
				w.Open("for (uint32_t c = 0; c < %s_colLength[id_post]; c++) {", s.Name)
				w.Line("const uint32_t id_syn = %s_remap[%s];", s.Name, g.remapIndex(s, "id_post", "c"))
				w.Line("const uint32_t id_pre = id_syn / %d;", g.maxRow[s])
			} else {
				w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", npre)
				w.Line("const uint32_t id_syn = id_pre * %d + id_post;", npost)
			}
			w.Line("(void)id_syn;")
			if err := g.synCode(s, streamLearnPost, m.LearnPostCode, sc, st("learn_post_code"), true); err != nil {
				return err
			}
			w.Close("}")
			w.Close("}")
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		post = append(post, "learn_post_"+s.Name)
	}
	return dyn, pre, post, nil
}

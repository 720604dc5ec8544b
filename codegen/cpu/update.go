package cpu

import (
	"strconv"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// emitNeuronUpdate writes the update of population p: input from each
// incoming synapse group's postsynaptic model (apply input, then decay),
// current sources, sim code, threshold with GeNN's auto-refractory rule,
// reset, weight-update pre/post spike code and spike recording.
func (g *gen) emitNeuronUpdate(pi int, p *modelspec.Population) error {
	m := p.Model
	w := g.w
	path := "populations." + p.Name
	slots := g.slots[p]
	var incoming, outgoing []*modelspec.SynapseGroup
	for _, s := range g.net.Synapses {
		if s.Target == p {
			incoming = append(incoming, s)
		}
		if s.Source == p {
			outgoing = append(outgoing, s)
		}
	}
	var sources []*modelspec.CurrentSource
	for _, c := range g.net.CurrentSources {
		if c.Target == p {
			sources = append(sources, c)
		}
	}

	// The scope of the neuron's own code; local copies l<var> as in GeNN (some built-in code uses lV directly).
	sc := codegen.NewScope()
	g.bindParams(sc, m.Params, p.Params, m.DerivedParams, p.Derived)
	for _, v := range m.Vars {
		sc.Vars[v.Name] = "l" + v.Name
	}
	sc.Vars["Isyn"] = "Isyn"
	for _, a := range m.AdditionalInputVars {
		sc.Vars[a.Name] = a.Name
	}
	sc.Vars["id"] = "id"
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	sc.Vars["num"] = strconv.Itoa(p.Size)
	if g.sT[p] {
		sc.Vars["sT"] = "lsT"
	}
	if g.prevST[p] {
		sc.Vars["prev_sT"] = "lprevST"
	}
	g.rngFuncs(sc, "&rng")
	if err := g.bindEGPs(sc, p.Name, path, m.ExtraGlobalParams, p.EGPs,
		[]string{m.SimCode, m.ThresholdConditionCode, m.ResetCode}, p.Pos); err != nil {
		return err
	}
	codes := []string{m.SimCode, m.ThresholdConditionCode, m.ResetCode}
	for _, s := range incoming {
		codes = append(codes, s.Postsynaptic.Model.ApplyInputCode, s.Postsynaptic.Model.DecayCode)
	}
	for _, c := range sources {
		codes = append(codes, c.Model.InjectionCode)
	}
	usesRNG := codegen.UsesRNG(codes...)

	w.Line("/* population %s: %s, %d neurons */", p.Name, m.Name, p.Size)
	if g.cuda {
		g.kernelHead("neuron_update_"+p.Name, "id", p.Size)
	} else {
		w.Line("static void neuron_update_%s(gn_ctx *ctx, uint64_t timestep)", p.Name)
		w.Open("{")
	}
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	w.Line("const uint32_t slot = (uint32_t)(timestep %% %d);", slots)
	if slots > 1 {
		w.Line("const uint32_t rslot = (uint32_t)((timestep + %d) %% %d); /* the previous step's slot */", slots-1, slots)
		w.Line("(void)rslot;")
	}
	// GeNN: neurons that spiked in the previous step get prev_sT = t - DT in
	// that step's slot (last), before anything is overwritten.
	last := "slot"
	if slots > 1 {
		last = "rslot"
	}
	if !g.cuda {
		w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	}
	g.variantPrologue()
	if g.prevST[p] && !g.cuda {
		w.Open("{ /* previous spike times */")
		w.Line("const uint32_t n = ctx->%s_spkCnt[(size_t)b * %d + %s];", p.Name, slots, last)
		w.Line("const uint32_t *ls = ctx->%s_spk + ((size_t)b * %d + %s) * %d;", p.Name, slots, last, p.Size)
		w.Line("scalar *const prevST = ctx->%s_prevST + ((size_t)b * %d + %s) * %d;", p.Name, slots, last, p.Size)
		w.Line("for (uint32_t i = 0; i < n; i++) prevST[ls[i]] = t - DT;")
		w.Close("}")
	}
	if !g.cuda {
		w.Line("uint32_t *const spk = ctx->%s_spk + ((size_t)b * %d + slot) * %d;", p.Name, slots, p.Size)
		w.Line("uint32_t nspk = 0;")
	}
	split := g.split[p]
	if split {
		// Two passes: the state update writes a spike flag per neuron and
		// has no loop-carried dependence (the compiler vectorises it);
		// then the flags are compacted into the spike list, in order.
		w.Line("uint8_t *restrict const spkFlag = ctx->spkFlag;")
	}
	var cands []varEntry
	for _, v := range g.vars {
		own := v.desc.Owner == p.Name
		for _, s := range incoming {
			own = own || v.desc.Owner == s.Name && (v.desc.Kind == "postsynaptic" || v.desc.Kind == "post")
		}
		for _, s := range outgoing {
			own = own || v.desc.Owner == s.Name && v.desc.Kind == "pre"
		}
		for _, c := range sources {
			own = own || v.desc.Owner == c.Name
		}
		if own {
			cands = append(cands, v)
		}
	}
	text, err := g.body(func() error {
		w := g.w
		if g.cuda {
			w.Open("{")
			w.Line("int gn_spike = 0;")
			if g.prevST[p] {
				w.Line("/* previous spike times: the neuron spiked in the previous step */")
				w.Line("if (%s_spkFlag[(size_t)%s * %d + id]) %s_prevST[(size_t)%s * %d + id] = t - DT;", p.Name, last, p.Size, p.Name, last, p.Size)
			}
		} else {
			for _, s := range outgoing {
				if g.events[s] {
					w.Line("uint32_t nev_%s = 0;", s.Name)
				}
			}
			w.Open("for (uint32_t id = 0; id < %d; id++) {", p.Size)
		}
		for _, v := range m.Vars {
			ve, _ := g.varEntry(p.Name, "neuron", v.Name)
			if ve.slots > 1 {
				w.Line("%s l%s = %s[(size_t)rslot * %d + id];", ve.ctype, v.Name, ve.field, p.Size)
			} else {
				w.Line("%s l%s = %s[id];", ve.ctype, v.Name, ve.field)
			}
		}
		rs := "0"
		if slots > 1 {
			rs = "rslot"
		}
		if g.sT[p] {
			w.Line("const scalar lsT = %s_sT[(size_t)%s * %d + id];", p.Name, rs, p.Size)
		}
		if g.prevST[p] {
			w.Line("const scalar lprevST = %s_prevST[(size_t)%s * %d + id];", p.Name, rs, p.Size)
		}
		w.Line("scalar Isyn = 0;")
		for _, a := range m.AdditionalInputVars {
			w.Line("%s %s = %s;", codegen.CType(a.Type), a.Name, codegen.Literal(a.Init, g.prec))
		}
		if usesRNG {
			w.Line("gn_rng rng;")
			w.Line("gn_rng_init(&rng, ctx->seed[b], 0x%08xu, id, timestep);", streamNeuron|uint32(pi))
		}
		for _, s := range incoming {
			ps := s.Postsynaptic
			pm := ps.Model
			psc := sc.Clone()
			g.bindParams(psc, pm.Params, ps.Params, pm.DerivedParams, ps.Derived)
			for _, v := range pm.Vars {
				ve, _ := g.varEntry(s.Name, "postsynaptic", v.Name)
				psc.Vars[v.Name] = ve.field + "[id]"
			}
			psc.Vars["inSyn"] = "linSyn"
			pspath := "synapses." + s.Name + ".postsynaptic"
			w.Open("{ /* input from %s: %s */", s.Name, pm.Name)
			w.Line("scalar linSyn = %s_inSyn[id];", s.Name)
			if n := g.denDelay[s]; n > 0 {
				w.Line("scalar *const denDelayFront = &%s_denDelay[(size_t)(timestep %% %d) * %d + id];", s.Name, n, p.Size)
				w.Line("linSyn += *denDelayFront;")
				w.Line("*denDelayFront = 0;")
			}
			if err := g.code(pm.ApplyInputCode, psc, site("synapse group", s.Name, pspath, pm.Name, "apply_input_code", pm.CodePos, s.Pos)); err != nil {
				return err
			}
			if err := g.code(pm.DecayCode, psc, site("synapse group", s.Name, pspath, pm.Name, "decay_code", pm.CodePos, s.Pos)); err != nil {
				return err
			}
			w.Line("%s_inSyn[id] = linSyn;", s.Name)
			w.Close("}")
		}
		for _, c := range sources {
			cm := c.Model
			csc := sc.Clone()
			g.bindParams(csc, cm.Params, c.Params, cm.DerivedParams, c.Derived)
			for _, v := range cm.Vars {
				ve, _ := g.varEntry(c.Name, "current_source", v.Name)
				csc.Vars[v.Name] = ve.field + "[id]"
			}
			csc.Funcs["injectCurrent"] = codegen.Func{Arity: 1, Expand: func(a []string) string { return "Isyn += (" + a[0] + ")" }}
			cpath := "current_sources." + c.Name
			if err := g.bindEGPs(csc, c.Name, cpath, cm.ExtraGlobalParams, c.EGPs, []string{cm.InjectionCode}, c.Pos); err != nil {
				return err
			}
			w.Open("{ /* current source %s: %s */", c.Name, cm.Name)
			if err := g.code(cm.InjectionCode, csc, site("current source", c.Name, cpath, cm.Name, "injection_code", cm.CodePos, c.Pos)); err != nil {
				return err
			}
			w.Close("}")
		}
		var threshold string
		thSite := site("population", p.Name, path, m.Name, "threshold_condition_code", m.CodePos, p.Pos)
		if codeNonEmpty(m.ThresholdConditionCode) {
			var err error
			threshold, err = g.expr(m.ThresholdConditionCode, sc, thSite)
			if err != nil {
				return err
			}
			if m.AutoRefractoryRequired {
				g.userLine(thSite, func() { w.Line("const int oldSpike = (%s);", threshold) })
			}
		}
		if err := g.code(m.SimCode, sc, site("population", p.Name, path, m.Name, "sim_code", m.CodePos, p.Pos)); err != nil {
			return err
		}
		for _, s := range outgoing {
			if g.events[s] {
				if err := g.eventCondition(s, sc); err != nil {
					return err
				}
			}
		}
		if threshold != "" && split {
			g.userLine(thSite, func() {
				if m.AutoRefractoryRequired {
					w.Line("const int gn_spike = (%s) && !oldSpike;", threshold)
				} else {
					w.Line("const int gn_spike = (%s);", threshold)
				}
			})
			w.Open("if (gn_spike) {")
			if err := g.code(m.ResetCode, sc, site("population", p.Name, path, m.Name, "reset_code", m.CodePos, p.Pos)); err != nil {
				return err
			}
			w.Close("}")
		} else if threshold != "" {
			g.userLine(thSite, func() {
				if m.AutoRefractoryRequired {
					w.Open("if ((%s) && !oldSpike) {", threshold)
				} else {
					w.Open("if (%s) {", threshold)
				}
			})
			if g.cuda {
				w.Line("gn_spike = 1;")
			} else {
				w.Line("spk[nspk++] = id;")
			}
			if g.sT[p] {
				w.Line("%s_sT[(size_t)slot * %d + id] = t;", p.Name, p.Size)
			}
			if g.prevST[p] && slots > 1 {
				w.Line("%s_prevST[(size_t)slot * %d + id] = lprevST;", p.Name, p.Size)
			}
			if err := g.code(m.ResetCode, sc, site("population", p.Name, path, m.Name, "reset_code", m.CodePos, p.Pos)); err != nil {
				return err
			}
			for _, s := range outgoing {
				if err := g.spikeCode(s, s.WeightUpdate.Model.PreSpikeCode, "pre_spike_code", s.Source, "_pre"); err != nil {
					return err
				}
			}
			for _, s := range incoming {
				if err := g.spikeCode(s, s.WeightUpdate.Model.PostSpikeCode, "post_spike_code", s.Target, "_post"); err != nil {
					return err
				}
			}
			copyVars := g.slottedSpikeVars(incoming, outgoing)
			if slots > 1 && (g.sT[p] || g.prevST[p] || len(copyVars) > 0) {
				w.Close("}")
				w.Open("else {")
				if g.sT[p] {
					w.Line("%s_sT[(size_t)slot * %d + id] = lsT;", p.Name, p.Size)
				}
				if g.prevST[p] {
					w.Line("%s_prevST[(size_t)slot * %d + id] = lprevST;", p.Name, p.Size)
				}
				for _, ve := range copyVars {
					w.Line("%s[(size_t)slot * %d + id] = %s[(size_t)rslot * %d + id];", ve.field, ve.desc.Count, ve.field, ve.desc.Count)
				}
			}
			w.Close("}")
		}
		for _, v := range m.Vars {
			ve, _ := g.varEntry(p.Name, "neuron", v.Name)
			if ve.slots > 1 {
				w.Line("%s[(size_t)slot * %d + id] = l%s;", ve.field, p.Size, v.Name)
			} else {
				w.Line("%s[id] = l%s;", ve.field, v.Name)
			}
		}
		if split {
			w.Line("spkFlag[id] = (uint8_t)gn_spike;")
		}
		if g.cuda {
			w.Line("%s_spkFlag[(size_t)slot * %d + id] = (uint8_t)gn_spike;", p.Name, p.Size)
			if g.spikeBits(p) {
				g.writeSpikeBits(p)
			}
			if p.RecordSpikes {
				w.Line("if (gn_spike) gn_dev_record(ctx, %d, b, id, timestep);", pi)
			}
			w.Close("}")
			return nil
		}
		w.Close("}")
		if split {
			w.Line("nspk = gn_compact_spikes(spkFlag, %d, spk);", p.Size)
		}
		for _, s := range outgoing {
			if g.events[s] {
				w.Line("%s_evCnt[slot] = nev_%s;", s.Name, s.Name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	g.restrict = true
	g.declareUsed(append(cands, g.internalOf(p, incoming, outgoing)...), text)
	g.restrict = false
	if g.cuda {
		w.Close("}")
		w.Line("")
		return nil
	}
	w.Line("ctx->%s_spkCnt[(size_t)b * %d + slot] = nspk;", p.Name, slots)
	if p.RecordSpikes {
		w.Line("gn_record(ctx, %d, b, spk, nspk, timestep);", pi)
	}
	w.Close("}")
	w.Close("}")
	w.Line("")
	return nil
}

// spikeCode writes a weight update's pre_spike_code or post_spike_code, run
// when the neuron `id` of population p spikes; it sees the group's pre (or
// post) variables and the neuron's own variables with the suffix.
func (g *gen) spikeCode(s *modelspec.SynapseGroup, code, field string, p *modelspec.Population, suffix string) error {
	if !codeNonEmpty(code) {
		return nil
	}
	wu := s.WeightUpdate
	m := wu.Model
	sc := codegen.NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	kind, decl := "pre", m.PreVars
	if suffix == "_post" {
		kind, decl = "post", m.PostVars
	}
	// Variables kept per delay slot: read from the previous step's slot
	// and written to this step's, as GeNN 4.9 does.
	var slotted []varEntry
	for _, v := range decl {
		ve, _ := g.varEntry(s.Name, kind, v.Name)
		if ve.slots > 1 {
			slotted = append(slotted, ve)
			sc.Vars[v.Name] = "gn_l" + v.Name
		} else {
			sc.Vars[v.Name] = ve.field + "[id]"
		}
	}
	for _, v := range p.Model.Vars {
		sc.Vars[v.Name+suffix] = "l" + v.Name
	}
	sc.Vars["id"+suffix] = "id"
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	if err := g.bindEGPs(sc, s.Name, "synapses."+s.Name+".weight_update", m.ExtraGlobalParams, wu.EGPs, []string{code}, s.Pos); err != nil {
		return err
	}
	g.w.Open("{ /* %s of %s */", field, s.Name)
	for _, ve := range slotted {
		g.w.Line("%s gn_l%s = %s[(size_t)rslot * %d + id];", ve.ctype, ve.desc.Name, ve.field, ve.desc.Count)
	}
	err := g.code(code, sc, site("synapse group", s.Name, "synapses."+s.Name+".weight_update", m.Name, field, m.CodePos, s.Pos))
	for _, ve := range slotted {
		g.w.Line("%s[(size_t)slot * %d + id] = gn_l%s;", ve.field, ve.desc.Count, ve.desc.Name)
	}
	g.w.Close("}")
	return err
}

// slottedSpikeVars are the pre (post) variables of the outgoing (incoming)
// groups of a population that are kept per delay slot and have
// pre_spike_code (post_spike_code): a neuron that does not spike copies
// them from the previous step's slot to this step's (GeNN 4.9; groups
// without spike code are not copied, as in GeNN).
func (g *gen) slottedSpikeVars(incoming, outgoing []*modelspec.SynapseGroup) []varEntry {
	var out []varEntry
	for _, s := range outgoing {
		if codeNonEmpty(s.WeightUpdate.Model.PreSpikeCode) {
			for _, v := range s.WeightUpdate.Model.PreVars {
				if ve, _ := g.varEntry(s.Name, "pre", v.Name); ve.slots > 1 {
					out = append(out, ve)
				}
			}
		}
	}
	for _, s := range incoming {
		if codeNonEmpty(s.WeightUpdate.Model.PostSpikeCode) {
			for _, v := range s.WeightUpdate.Model.PostVars {
				if ve, _ := g.varEntry(s.Name, "post", v.Name); ve.slots > 1 {
					out = append(out, ve)
				}
			}
		}
	}
	return out
}

// userLine writes a generated line that contains user code (a threshold
// condition) between #line directives, so a C error in it points at YAML.
func (g *gen) userLine(st codegen.Site, emit func()) {
	if !st.Exact {
		emit()
		return
	}
	g.w.LineDirective(st.Pos.Line, st.Pos.File)
	emit()
	g.w.RestoreLines(g.file)
}

// splitSpikes reports whether the update of p can be split into a state
// pass and a spike compaction pass: it can when nothing but the spike list
// happens for a spiking neuron after its reset (no spike times, no
// weight-update pre/post spike code, no spike-like events), so all of the
// per-neuron work stays in the first pass in its original order.
func (g *gen) splitSpikes(p *modelspec.Population, incoming, outgoing []*modelspec.SynapseGroup) bool {
	if !codeNonEmpty(p.Model.ThresholdConditionCode) || g.sT[p] || g.prevST[p] {
		return false
	}
	for _, s := range outgoing {
		if g.events[s] || codeNonEmpty(s.WeightUpdate.Model.PreSpikeCode) {
			return false
		}
	}
	for _, s := range incoming {
		if codeNonEmpty(s.WeightUpdate.Model.PostSpikeCode) {
			return false
		}
	}
	return true
}

func codeNonEmpty(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return true
		}
	}
	return false
}

// internalOf lists the internal arrays the update of p may use.
func (g *gen) internalOf(p *modelspec.Population, incoming, outgoing []*modelspec.SynapseGroup) []varEntry {
	var out []varEntry
	for _, v := range g.vars {
		if !v.internal {
			continue
		}
		own := false // the population's own arrays are candidates already
		for _, s := range incoming {
			own = own || v.desc.Owner == s.Name && v.desc.Name == "denDelay"
		}
		for _, s := range outgoing {
			own = own || v.desc.Owner == s.Name && (v.desc.Name == "evCnt" || v.desc.Name == "ev" || v.desc.Name == "evFlag")
		}
		if own {
			out = append(out, v)
		}
	}
	return out
}

// eventCondition writes the spike-like event test of group s for neuron id
// of its source, after the neuron's sim code (GeNN: the threshold sees the
// neuron's variables with suffix _pre, the group's parameters, extra global
// parameters and presynaptic variables).
func (g *gen) eventCondition(s *modelspec.SynapseGroup, nsc *codegen.Scope) error {
	wu := s.WeightUpdate
	m := wu.Model
	sc := codegen.NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	for _, v := range m.PreVars {
		ve, _ := g.varEntry(s.Name, "pre", v.Name)
		sc.Vars[v.Name] = slotRef(ve, "rslot", "id") // GeNN reads the previous step's slot
	}
	for _, v := range s.Source.Model.Vars {
		sc.Vars[v.Name+"_pre"] = "l" + v.Name
	}
	for _, n := range s.Source.Model.Params {
		if v, ok := nsc.Vars[n]; ok {
			sc.Vars[n+"_pre"] = v
		}
	}
	for _, dp := range s.Source.Model.DerivedParams {
		if v, ok := nsc.Vars[dp.Name]; ok {
			sc.Vars[dp.Name+"_pre"] = v
		}
	}
	sc.Vars["id"] = "id"
	sc.Vars["id_pre"] = "id"
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	path := "synapses." + s.Name + ".weight_update"
	if err := g.bindEGPs(sc, s.Name, path, m.ExtraGlobalParams, wu.EGPs, []string{m.EventThresholdConditionCode}, s.Pos); err != nil {
		return err
	}
	st := site("synapse group", s.Name, path, m.Name, "event_threshold_condition_code", m.CodePos, s.Pos)
	cond, err := g.expr(m.EventThresholdConditionCode, sc, st)
	if err != nil {
		return err
	}
	g.userLine(st, func() {
		if g.cuda {
			g.w.Line("%s_evFlag[(size_t)slot * %d + id] = (uint8_t)(%s);", s.Name, s.Source.Size, cond)
			return
		}
		g.w.Line("if (%s) %s_ev[(size_t)slot * %d + nev_%s++] = id;", cond, s.Name, s.Source.Size, s.Name)
	})
	return nil
}

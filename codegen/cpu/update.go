package cpu

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// neuronVarScope maps a population's variables to expressions indexed by idx
// (e.g. "E_V[id_pre]"), with a suffix such as "_pre".
func (g *gen) neuronVarScope(sc *codegen.Scope, p *modelspec.Population, suffix, idx string) {
	for _, v := range p.Model.Vars {
		ve, _ := g.varEntry(p.Name, "neuron", v.Name)
		sc.Vars[v.Name+suffix] = fmt.Sprintf("%s[%s]", ve.field, idx)
	}
}

// synapseScope is what weight-update code sees in group s.
func (g *gen) synapseScope(s *modelspec.SynapseGroup) (*codegen.Scope, error) {
	wu := s.WeightUpdate
	m := wu.Model
	sc := codegen.NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	for _, v := range m.Vars {
		if g.indiv[s] {
			ve, _ := g.varEntry(s.Name, "synapse", v.Name)
			sc.Vars[v.Name] = ve.field + "[id_syn]"
		} else {
			sc.Vars[v.Name] = g.value(wu.Vars[v.Name].Constant)
		}
	}
	for _, v := range m.PreVars {
		ve, _ := g.varEntry(s.Name, "pre", v.Name)
		sc.Vars[v.Name] = ve.field + "[id_pre]"
	}
	for _, v := range m.PostVars {
		ve, _ := g.varEntry(s.Name, "post", v.Name)
		sc.Vars[v.Name] = ve.field + "[id_post]"
	}
	g.neuronVarScope(sc, s.Source, "_pre", "id_pre")
	g.neuronVarScope(sc, s.Target, "_post", "id_post")
	sc.Vars["id_pre"] = "id_pre"
	sc.Vars["id_post"] = "id_post"
	sc.Vars["id_syn"] = "id_syn"
	sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
	sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	add := func(a []string) string { return fmt.Sprintf("%s_inSyn[id_post] += (%s)", s.Name, a[0]) }
	sc.Funcs["addToInSyn"] = codegen.Func{Arity: 1, Expand: add}
	sc.Funcs["updatelinsyn"] = codegen.Func{Arity: 0, Expand: func([]string) string { return "" }}
	err := g.bindEGPs(sc, s.Name, "synapses."+s.Name+".weight_update", m.ExtraGlobalParams, wu.EGPs,
		[]string{m.SimCode, m.PreSpikeCode, m.PostSpikeCode}, s.Pos)
	return sc, err
}

// emitSynapseUpdate writes the presynaptic-spike loop of group s: spikes of
// the source emitted delay_steps+1 steps before now run the weight update's
// sim code for each of their synapses.
func (g *gen) emitSynapseUpdate(s *modelspec.SynapseGroup) error {
	m := s.WeightUpdate.Model
	w := g.w
	slots := g.slots[s.Source]
	w.Line("/* synapse group %s: %s -> %s, %s matrix, %s, delay %d step(s) */", s.Name, s.Source.Name, s.Target.Name, s.Matrix, m.Name, s.DelaySteps)
	w.Line("static void synapse_update_%s(gn_ctx *ctx, uint64_t timestep)", s.Name)
	w.Open("{")
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	w.Line("const uint32_t slot = (uint32_t)((timestep + %d) %% %d);", slots-1-s.DelaySteps, slots)
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.variantPrologue()
	w.Line("const uint32_t nspk = ctx->%s_spkCnt[(size_t)b * %d + slot];", s.Source.Name, slots)
	w.Line("const uint32_t *spk = ctx->%s_spk + ((size_t)b * %d + slot) * %d;", s.Source.Name, slots, s.Source.Size)
	var cands []varEntry
	for _, v := range g.vars {
		if (v.desc.Owner == s.Name || v.desc.Owner == s.Source.Name || v.desc.Owner == s.Target.Name) && v.desc.Kind != "current_source" {
			cands = append(cands, v)
		}
	}
	sc, err := g.synapseScope(s)
	if err != nil {
		return err
	}
	path := "synapses." + s.Name + ".weight_update"
	text, err := g.body(func() error {
		w := g.w
		w.Open("for (uint32_t k = 0; k < nspk; k++) {")
		w.Line("const uint32_t id_pre = spk[k];")
		if s.Matrix == modelspec.MatrixSparse {
			w.Line("const uint32_t *row = %s_ind + (size_t)id_pre * %d;", s.Name, g.maxRow[s])
			w.Open("for (uint32_t j = 0; j < %s_rowLength[id_pre]; j++) {", s.Name)
			w.Line("const uint32_t id_syn = id_pre * %d + j;", g.maxRow[s])
			w.Line("const uint32_t id_post = row[j];")
		} else {
			w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", s.Target.Size)
			w.Line("const uint32_t id_syn = id_pre * %d + id_post;", s.Target.Size)
		}
		w.Line("(void)id_syn;")
		if err := g.code(m.SimCode, sc, site("synapse group", s.Name, path, m.Name, "sim_code", m.CodePos, s.Pos)); err != nil {
			return err
		}
		w.Close("}")
		w.Close("}")
		return nil
	})
	if err != nil {
		return err
	}
	g.declareUsed(cands, text)
	w.Close("}")
	w.Close("}")
	w.Line("")
	return nil
}

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
	w.Line("static void neuron_update_%s(gn_ctx *ctx, uint64_t timestep)", p.Name)
	w.Open("{")
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	w.Line("const uint32_t slot = (uint32_t)(timestep %% %d);", slots)
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.variantPrologue()
	w.Line("uint32_t *const spk = ctx->%s_spk + ((size_t)b * %d + slot) * %d;", p.Name, slots, p.Size)
	w.Line("uint32_t nspk = 0;")
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
		w.Open("for (uint32_t id = 0; id < %d; id++) {", p.Size)
		for _, v := range m.Vars {
			ve, _ := g.varEntry(p.Name, "neuron", v.Name)
			w.Line("%s l%s = %s[id];", ve.ctype, v.Name, ve.field)
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
		if threshold != "" {
			g.userLine(thSite, func() {
				if m.AutoRefractoryRequired {
					w.Open("if ((%s) && !oldSpike) {", threshold)
				} else {
					w.Open("if (%s) {", threshold)
				}
			})
			w.Line("spk[nspk++] = id;")
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
			w.Close("}")
		}
		for _, v := range m.Vars {
			ve, _ := g.varEntry(p.Name, "neuron", v.Name)
			w.Line("%s[id] = l%s;", ve.field, v.Name)
		}
		w.Close("}")
		return nil
	})
	if err != nil {
		return err
	}
	g.declareUsed(cands, text)
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
	for _, v := range decl {
		ve, _ := g.varEntry(s.Name, kind, v.Name)
		sc.Vars[v.Name] = ve.field + "[id]"
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
	err := g.code(code, sc, site("synapse group", s.Name, "synapses."+s.Name+".weight_update", m.Name, field, m.CodePos, s.Pos))
	g.w.Close("}")
	return err
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
	g.w.RestoreLines(ModuleFile)
}

func codeNonEmpty(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return true
		}
	}
	return false
}

package codegen

import (
	"strconv"

	"github.com/gennctl/gennctl/modelspec"
)

// NeuronUpdate is what the update of one population needs: the groups and
// current sources around it and the scope of its code. A backend writes the
// loop or kernel around NeuronBody.
type NeuronUpdate struct {
	Index    int // in the network's populations (spike records, random streams)
	P        *modelspec.Population
	Incoming []*modelspec.SynapseGroup // groups onto P
	Outgoing []*modelspec.SynapseGroup // groups from P
	Sources  []*modelspec.CurrentSource
	// UsesRNG: some code of the update draws random numbers.
	UsesRNG bool
	// Split: the threshold's result goes into a local gn_spike and a
	// spiking neuron only resets (see the CPU backend's two-pass update;
	// only when nothing else happens for a spiking neuron).
	Split bool
	scope *Scope
}

// NewNeuronUpdate prepares the update of population pi of the network.
func (g *Generator) NewNeuronUpdate(pi int, p *modelspec.Population) (*NeuronUpdate, error) {
	m := p.Model
	u := &NeuronUpdate{Index: pi, P: p}
	for _, s := range g.Net.Synapses {
		if s.Target == p {
			u.Incoming = append(u.Incoming, s)
		}
		if s.Source == p {
			u.Outgoing = append(u.Outgoing, s)
		}
	}
	for _, c := range g.Net.CurrentSources {
		if c.Target == p {
			u.Sources = append(u.Sources, c)
		}
	}
	// The scope of the neuron's own code; local copies l<var> as in GeNN (some built-in code uses lV directly).
	sc := NewScope()
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
	if g.SpikeTime[p] {
		sc.Vars["sT"] = "lsT"
	}
	if g.PrevSpikeTime[p] {
		sc.Vars["prev_sT"] = "lprevST"
	}
	g.rngFuncs(sc, "&rng")
	if err := g.bindEGPs(sc, p.Name, "populations."+p.Name, m.ExtraGlobalParams, p.EGPs,
		[]string{m.SimCode, m.ThresholdConditionCode, m.ResetCode}, p.Pos); err != nil {
		return nil, err
	}
	codes := []string{m.SimCode, m.ThresholdConditionCode, m.ResetCode}
	for _, s := range u.Incoming {
		codes = append(codes, s.Postsynaptic.Model.ApplyInputCode, s.Postsynaptic.Model.DecayCode)
	}
	for _, c := range u.Sources {
		codes = append(codes, c.Model.InjectionCode)
	}
	u.UsesRNG = UsesRNG(codes...)
	u.scope = sc
	return u, nil
}

// NeuronArrays are the arrays the update of a population may use: its
// own, the postsynaptic and post variables of the groups onto it, the pre
// variables of the groups from it, its current sources' and the internal
// arrays of its spike-like events and dendritic delays.
func (g *Generator) NeuronArrays(u *NeuronUpdate) []VarEntry {
	var out []VarEntry
	for _, v := range g.Vars {
		own := v.Desc.Owner == u.P.Name
		for _, s := range u.Incoming {
			own = own || v.Desc.Owner == s.Name && (v.Desc.Kind == "postsynaptic" || v.Desc.Kind == "post")
		}
		for _, s := range u.Outgoing {
			own = own || v.Desc.Owner == s.Name && v.Desc.Kind == "pre"
		}
		for _, c := range u.Sources {
			own = own || v.Desc.Owner == c.Name
		}
		if own {
			out = append(out, v)
		}
	}
	return append(out, g.internalOf(u.P, u.Incoming, u.Outgoing)...)
}

// NeuronEmitter is what a backend writes at the two places of a neuron's
// code where backends differ.
type NeuronEmitter interface {
	// Spike is the statement that records that neuron id spiked (inside
	// the threshold branch).
	Spike() string
	// Event is the statement that records the spike-like event test cond
	// of group s for neuron id.
	Event(s *modelspec.SynapseGroup, cond string) string
}

// NeuronBody writes the code of neuron id of variant b: local copies of
// its variables, input from each incoming group's postsynaptic model
// (apply input, then decay), current sources, the sim code, spike-like
// event tests, the threshold with GeNN's auto-refractory rule, reset,
// spike times, weight-update pre/post spike code and the stores. The
// backend declares b, id, t, timestep, slot (this step's delay slot) and,
// with several delay slots, rslot (the previous step's).
func (g *Generator) NeuronBody(u *NeuronUpdate, e NeuronEmitter) error {
	p, m, sc, w := u.P, u.P.Model, u.scope, g.W
	path := "populations." + p.Name
	slots, split, incoming, outgoing, sources, pi := g.Slots[p], u.Split, u.Incoming, u.Outgoing, u.Sources, u.Index
	usesRNG := u.UsesRNG
	for _, v := range m.Vars {
		ve, _ := g.Array(p.Name, "neuron", v.Name)
		if ve.Slots > 1 {
			w.Line("%s l%s = %s[(size_t)rslot * %d + id];", ve.CType, v.Name, ve.Field, p.Size)
		} else {
			w.Line("%s l%s = %s[id];", ve.CType, v.Name, ve.Field)
		}
	}
	rs := "0"
	if slots > 1 {
		rs = "rslot"
	}
	if g.SpikeTime[p] {
		w.Line("const scalar lsT = %s_sT[(size_t)%s * %d + id];", p.Name, rs, p.Size)
	}
	if g.PrevSpikeTime[p] {
		w.Line("const scalar lprevST = %s_prevST[(size_t)%s * %d + id];", p.Name, rs, p.Size)
	}
	w.Line("scalar Isyn = 0;")
	for _, a := range m.AdditionalInputVars {
		w.Line("%s %s = %s;", CType(a.Type), a.Name, Literal(a.Init, g.Prec))
	}
	if usesRNG {
		w.Line("gn_rng rng;")
		w.Line("gn_rng_init(&rng, ctx->seed[b], 0x%08xu, id, timestep);", StreamNeuron|uint32(pi))
	}
	for _, s := range incoming {
		ps := s.Postsynaptic
		pm := ps.Model
		psc := sc.Clone()
		g.bindParams(psc, pm.Params, ps.Params, pm.DerivedParams, ps.Derived)
		for _, v := range pm.Vars {
			ve, _ := g.Array(s.Name, "postsynaptic", v.Name)
			psc.Vars[v.Name] = ve.Field + "[id]"
		}
		psc.Vars["inSyn"] = "linSyn"
		pspath := "synapses." + s.Name + ".postsynaptic"
		w.Open("{ /* input from %s: %s */", s.Name, pm.Name)
		w.Line("scalar linSyn = %s_inSyn[id];", s.Name)
		if n := g.DenDelay[s]; n > 0 {
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
			ve, _ := g.Array(c.Name, "current_source", v.Name)
			csc.Vars[v.Name] = ve.Field + "[id]"
		}
		csc.Funcs["injectCurrent"] = Func{Arity: 1, Expand: func(a []string) string { return "Isyn += (" + a[0] + ")" }}
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
	if CodeNonEmpty(m.ThresholdConditionCode) {
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
		if g.Events[s] {
			if err := g.eventCondition(s, sc, e); err != nil {
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
		w.Line("%s", e.Spike())
		if g.SpikeTime[p] {
			w.Line("%s_sT[(size_t)slot * %d + id] = t;", p.Name, p.Size)
		}
		if g.PrevSpikeTime[p] && slots > 1 {
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
		if slots > 1 && (g.SpikeTime[p] || g.PrevSpikeTime[p] || len(copyVars) > 0) {
			w.Close("}")
			w.Open("else {")
			if g.SpikeTime[p] {
				w.Line("%s_sT[(size_t)slot * %d + id] = lsT;", p.Name, p.Size)
			}
			if g.PrevSpikeTime[p] {
				w.Line("%s_prevST[(size_t)slot * %d + id] = lprevST;", p.Name, p.Size)
			}
			for _, ve := range copyVars {
				w.Line("%s[(size_t)slot * %d + id] = %s[(size_t)rslot * %d + id];", ve.Field, ve.Desc.Count, ve.Field, ve.Desc.Count)
			}
		}
		w.Close("}")
	}
	for _, v := range m.Vars {
		ve, _ := g.Array(p.Name, "neuron", v.Name)
		if ve.Slots > 1 {
			w.Line("%s[(size_t)slot * %d + id] = l%s;", ve.Field, p.Size, v.Name)
		} else {
			w.Line("%s[id] = l%s;", ve.Field, v.Name)
		}
	}
	return nil
}

// spikeCode writes a weight update's pre_spike_code or post_spike_code, run
// when the neuron `id` of population p spikes; it sees the group's pre (or
// post) variables and the neuron's own variables with the suffix.
func (g *Generator) spikeCode(s *modelspec.SynapseGroup, code, field string, p *modelspec.Population, suffix string) error {
	if !CodeNonEmpty(code) {
		return nil
	}
	wu := s.WeightUpdate
	m := wu.Model
	sc := NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	kind, decl := "pre", m.PreVars
	if suffix == "_post" {
		kind, decl = "post", m.PostVars
	}
	// Variables kept per delay slot: read from the previous step's slot
	// and written to this step's, as GeNN 4.9 does.
	var slotted []VarEntry
	for _, v := range decl {
		ve, _ := g.Array(s.Name, kind, v.Name)
		if ve.Slots > 1 {
			slotted = append(slotted, ve)
			sc.Vars[v.Name] = "gn_l" + v.Name
		} else {
			sc.Vars[v.Name] = ve.Field + "[id]"
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
	g.W.Open("{ /* %s of %s */", field, s.Name)
	for _, ve := range slotted {
		g.W.Line("%s gn_l%s = %s[(size_t)rslot * %d + id];", ve.CType, ve.Desc.Name, ve.Field, ve.Desc.Count)
	}
	err := g.code(code, sc, site("synapse group", s.Name, "synapses."+s.Name+".weight_update", m.Name, field, m.CodePos, s.Pos))
	for _, ve := range slotted {
		g.W.Line("%s[(size_t)slot * %d + id] = gn_l%s;", ve.Field, ve.Desc.Count, ve.Desc.Name)
	}
	g.W.Close("}")
	return err
}

// slottedSpikeVars are the pre (post) variables of the outgoing (incoming)
// groups of a population that are kept per delay slot and have
// pre_spike_code (post_spike_code): a neuron that does not spike copies
// them from the previous step's slot to this step's (GeNN 4.9; groups
// without spike code are not copied, as in GeNN).
func (g *Generator) slottedSpikeVars(incoming, outgoing []*modelspec.SynapseGroup) []VarEntry {
	var out []VarEntry
	for _, s := range outgoing {
		if CodeNonEmpty(s.WeightUpdate.Model.PreSpikeCode) {
			for _, v := range s.WeightUpdate.Model.PreVars {
				if ve, _ := g.Array(s.Name, "pre", v.Name); ve.Slots > 1 {
					out = append(out, ve)
				}
			}
		}
	}
	for _, s := range incoming {
		if CodeNonEmpty(s.WeightUpdate.Model.PostSpikeCode) {
			for _, v := range s.WeightUpdate.Model.PostVars {
				if ve, _ := g.Array(s.Name, "post", v.Name); ve.Slots > 1 {
					out = append(out, ve)
				}
			}
		}
	}
	return out
}

// userLine writes a generated line that contains user code (a threshold
// condition) between #line directives, so a C error in it points at YAML.
func (g *Generator) userLine(st Site, emit func()) {
	if !st.Exact {
		emit()
		return
	}
	g.W.LineDirective(st.Pos.Line, st.Pos.File)
	emit()
	g.W.RestoreLines(g.File)
}

// CodeNonEmpty reports whether a code string has anything but white space.
func CodeNonEmpty(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return true
		}
	}
	return false
}

// internalOf lists the internal arrays the update of p may use.
func (g *Generator) internalOf(p *modelspec.Population, incoming, outgoing []*modelspec.SynapseGroup) []VarEntry {
	var out []VarEntry
	for _, v := range g.Vars {
		if !v.Internal {
			continue
		}
		own := false // the population's own arrays are candidates already
		for _, s := range incoming {
			own = own || v.Desc.Owner == s.Name && v.Desc.Name == "denDelay"
		}
		for _, s := range outgoing {
			own = own || v.Desc.Owner == s.Name && (v.Desc.Name == "evCnt" || v.Desc.Name == "ev" || v.Desc.Name == "evFlag")
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
func (g *Generator) eventCondition(s *modelspec.SynapseGroup, nsc *Scope, e NeuronEmitter) error {
	wu := s.WeightUpdate
	m := wu.Model
	sc := NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	for _, v := range m.PreVars {
		ve, _ := g.Array(s.Name, "pre", v.Name)
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
	g.userLine(st, func() { g.W.Line("%s", e.Event(s, cond)) })
	return nil
}

// NeuronSlots declares t and the delay slots of population p's update in
// step timestep: slot, written this step, and with several slots rslot,
// the previous step's. It returns the name of the previous step's slot.
func (g *Generator) NeuronSlots(p *modelspec.Population) (last string) {
	w, slots := g.W, g.Slots[p]
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	w.Line("const uint32_t slot = (uint32_t)(timestep %% %d);", slots)
	if slots == 1 {
		return "slot"
	}
	w.Line("const uint32_t rslot = (uint32_t)((timestep + %d) %% %d); /* the previous step's slot */", slots-1, slots)
	w.Line("(void)rslot;")
	return "rslot"
}

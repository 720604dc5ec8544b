package codegen

import (
	"cmp"
	"strconv"
	"strings"

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
	// FirstBlocks, when not "", is the C array that holds the first block
	// of the neurons' streams of the step (word j of neuron id at
	// [j * BlockStride + BlockIndex], see gn_philox_first), filled by the
	// backend before their updates: the stream continues from it
	// (gn_rng_resume).
	FirstBlocks string
	BlockStride int
	// BlockIndex is where neuron id's first block is in FirstBlocks
	// ("": id).
	BlockIndex string
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
	sc.Vars["num_batch"] = "1" // a variant is a GeNN model of batch size 1
	if g.SpikeTime[p] {
		sc.Vars["sT"] = "lsT"
	}
	if g.PrevSpikeTime[p] {
		sc.Vars["prev_sT"] = "lprevST"
	}
	g.rngFuncs(sc, "&rng")
	sc.Funcs["gennrand_poisson"] = g.poissonFunc(p.Name, "&rng")
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

// Stream is the id of the random streams of the update's neurons (with
// the neuron and the time step).
func (u *NeuronUpdate) Stream() uint32 { return StreamNeuron | uint32(u.Index) }

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
	slots, split, incoming, outgoing, sources := g.Slots[p], u.Split, u.Incoming, u.Outgoing, u.Sources
	usesRNG := u.UsesRNG
	for _, v := range m.Vars {
		ve, _ := g.Array(p.Name, "neuron", v.Name)
		if ve.Slots > 1 {
			w.Line("%s l%s = %s[(size_t)rslot * %d + %s];", ve.CType, v.Name, ve.Field, ve.Desc.Count, ve.Index("id"))
		} else {
			w.Line("%s l%s = %s[%s];", ve.CType, v.Name, ve.Field, ve.Index("id"))
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
	if g.EventTime[p] {
		w.Line("const scalar lseT = %s_seT[(size_t)%s * %d + id];", p.Name, rs, p.Size)
	}
	if g.PrevEventTime[p] {
		w.Line("const scalar lprevSET = %s_prevSET[(size_t)%s * %d + id];", p.Name, rs, p.Size)
	}
	w.Line("scalar Isyn = 0;")
	for _, a := range m.AdditionalInputVars {
		w.Line("%s %s = %s;", CType(a.Type), a.Name, Literal(a.Init, g.Prec))
	}
	if usesRNG {
		w.Line("gn_rng rng;")
		if blk, n := u.FirstBlocks, u.BlockStride; blk != "" {
			i := cmp.Or(u.BlockIndex, "id")
			w.Line("gn_rng_resume(&rng, ctx->seed[b], 0x%08xu, id, timestep, %s[%s], %s[%d + %s], %s[%d + %s], %s[%d + %s]);",
				u.Stream(), blk, i, blk, n, i, blk, 2*n, i, blk, 3*n, i)
		} else {
			w.Line("gn_rng_init(&rng, ctx->seed[b], 0x%08xu, id, timestep);", u.Stream())
		}
	}
	for _, s := range incoming {
		if g.PSTarget(s) != s {
			continue // merged into an earlier group's input
		}
		ps := s.Postsynaptic
		pm := ps.Model
		psc := sc.Clone()
		g.bindParams(psc, pm.Params, ps.Params, pm.DerivedParams, ps.Derived)
		for _, v := range pm.Vars {
			ve, _ := g.Array(s.Name, "postsynaptic", v.Name)
			psc.Vars[v.Name] = ve.Field + "[" + ve.Index("id") + "]"
		}
		psc.Vars["inSyn"] = "linSyn"
		if s.PSTargetVar != "" {
			psc.Vars["Isyn"] = s.PSTargetVar
		}
		pspath := "synapses." + s.Name + ".postsynaptic"
		if err := g.bindEGPs(psc, s.Name, pspath, pm.ExtraGlobalParams, ps.EGPs, []string{pm.ApplyInputCode, pm.DecayCode}, s.Pos); err != nil {
			return err
		}
		var from []string
		for _, o := range g.PSMerged(s) {
			from = append(from, o.Name)
		}
		w.Open("{ /* input from %s: %s */", strings.Join(from, ", "), pm.Name)
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
	for _, s := range outgoing {
		if g.PreOutput[s] {
			target := "Isyn"
			if s.PreTargetVar != "" {
				target = s.PreTargetVar
			}
			w.Line("%s += %s_revInSyn[id]; /* presynaptic output of %s */", target, s.Name, s.Name)
			w.Line("%s_revInSyn[id] = 0;", s.Name)
		}
	}
	for _, c := range sources {
		cm := c.Model
		csc := sc.Clone()
		g.bindParams(csc, cm.Params, c.Params, cm.DerivedParams, c.Derived)
		for _, v := range cm.Vars {
			ve, _ := g.Array(c.Name, "current_source", v.Name)
			csc.Vars[v.Name] = ve.Field + "[" + ve.Index("id") + "]"
		}
		csc.Funcs["gennrand_poisson"] = g.poissonFunc(c.Name, "&rng")
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
	// GeNN 4.9: the weight updates' pre and post dynamics after the sim code
	for _, s := range outgoing {
		if err := g.spikeCode(s, s.WeightUpdate.Model.PreDynamicsCode, "pre_dynamics_code", s.Source, "_pre"); err != nil {
			return err
		}
	}
	for _, s := range incoming {
		if err := g.spikeCode(s, s.WeightUpdate.Model.PostDynamicsCode, "post_dynamics_code", s.Target, "_post"); err != nil {
			return err
		}
	}
	if err := g.events(u, sc, e); err != nil {
		return err
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
				if !ve.Shared {
					w.Line("%s[(size_t)slot * %d + id] = %s[(size_t)rslot * %d + id];", ve.Field, ve.Desc.Count, ve.Field, ve.Desc.Count)
				}
			}
		}
		w.Close("}")
	}
	// as GeNN 4.9, variables the code may not assign are not written back,
	// unless they are kept per delay slot
	for _, v := range m.Vars {
		ve, _ := g.Array(p.Name, "neuron", v.Name)
		switch {
		case ve.Slots > 1:
			w.Line("%s[(size_t)slot * %d + %s] = l%s;", ve.Field, ve.Desc.Count, ve.Index("id"), v.Name)
		case !ve.ReadOnly:
			w.Line("%s[id] = l%s;", ve.Field, v.Name)
		}
	}
	return nil
}

// events writes the spike-like event tests of the groups from population
// u.P. Where the population tracks spike-like event times or lists the
// neurons with any event (AnyEvents), a neuron has an event when the test
// of any group holds, as GeNN 4.9's spikeLikeEvent: its time is set and the
// emitter records it (the emitter then implements PopulationEventEmitter).
func (g *Generator) events(u *NeuronUpdate, sc *Scope, e NeuronEmitter) error {
	p, w := u.P, g.W
	union := g.EventTime[p] || g.AnyEvents[p]
	if union {
		w.Line("int gn_event = 0;")
	}
	for _, s := range u.Outgoing {
		if !g.Events[s] {
			continue
		}
		if err := g.eventCondition(s, sc, e, union); err != nil {
			return err
		}
	}
	if !union {
		return nil
	}
	w.Open("if (gn_event) {")
	if g.EventTime[p] {
		w.Line("%s_seT[(size_t)slot * %d + id] = t;", p.Name, p.Size)
	}
	if g.PrevEventTime[p] && g.Slots[p] > 1 {
		w.Line("%s_prevSET[(size_t)slot * %d + id] = lprevSET;", p.Name, p.Size)
	}
	if g.AnyEvents[p] {
		pe, ok := e.(PopulationEventEmitter)
		if !ok {
			return configError(p.Pos, "populations."+p.Name, "%s is not supported by the %s backend yet", FeatureSpikeEventRecord, g.B.Name())
		}
		for _, l := range strings.Split(pe.PopulationEvent(p), "\n") {
			w.Line("%s", l)
		}
	}
	if g.Slots[p] > 1 && (g.EventTime[p] || g.PrevEventTime[p]) {
		w.Close("}")
		w.Open("else {")
		if g.EventTime[p] {
			w.Line("%s_seT[(size_t)slot * %d + id] = lseT;", p.Name, p.Size)
		}
		if g.PrevEventTime[p] {
			w.Line("%s_prevSET[(size_t)slot * %d + id] = lprevSET;", p.Name, p.Size)
		}
	}
	w.Close("}")
	return nil
}

// PopulationEventEmitter is a NeuronEmitter that also lists, per
// population, the neurons with any spike-like event in a step (the list
// prev_seT and spike-like event recording read).
type PopulationEventEmitter interface {
	// PopulationEvent is the statement (or lines of statements) that adds
	// neuron id of p to the list of the step's delay slot.
	PopulationEvent(p *modelspec.Population) string
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
	// and written to this step's, as GeNN 4.9 does. Spike code after
	// dynamics code reads what the dynamics code wrote (GeNN 4.9 reads the
	// previous step's slot again, losing the dynamics' update of a spiking
	// neuron).
	readSlot := "rslot"
	if strings.HasSuffix(field, "_spike_code") && CodeNonEmpty(dynamicsCode(m, suffix)) {
		readSlot = "slot"
	}
	var slotted []VarEntry
	for _, v := range decl {
		ve, _ := g.Array(s.Name, kind, v.Name)
		if ve.Slots > 1 {
			slotted = append(slotted, ve)
			sc.Vars[v.Name] = "gn_l" + v.Name
		} else {
			sc.Vars[v.Name] = ve.Field + "[" + ve.Index("id") + "]"
		}
	}
	for _, v := range p.Model.Vars {
		sc.Vars[v.Name+suffix] = "l" + v.Name
	}
	sc.Vars["id"+suffix] = "id"
	sc.Vars["num"] = strconv.Itoa(p.Size)
	sc.Vars["num_batch"] = "1"
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	if err := g.bindEGPs(sc, s.Name, "synapses."+s.Name+".weight_update", m.ExtraGlobalParams, wu.EGPs, []string{code}, s.Pos); err != nil {
		return err
	}
	g.W.Open("{ /* %s of %s */", field, s.Name)
	for _, ve := range slotted {
		g.W.Line("%s gn_l%s = %s[(size_t)%s * %d + %s];", ve.CType, ve.Desc.Name, ve.Field, readSlot, ve.Desc.Count, ve.Index("id"))
	}
	err := g.code(code, sc, site("synapse group", s.Name, "synapses."+s.Name+".weight_update", m.Name, field, m.CodePos, s.Pos))
	for _, ve := range slotted {
		if !ve.Shared {
			g.W.Line("%s[(size_t)slot * %d + id] = gn_l%s;", ve.Field, ve.Desc.Count, ve.Desc.Name)
		}
	}
	g.W.Close("}")
	return err
}

// dynamicsCode is a weight-update model's pre (suffix _pre) or post
// dynamics code.
func dynamicsCode(m *modelspec.WeightUpdateModel, suffix string) string {
	if suffix == "_post" {
		return m.PostDynamicsCode
	}
	return m.PreDynamicsCode
}

// slottedSpikeVars are the pre (post) variables of the outgoing (incoming)
// groups of a population that are kept per delay slot and have
// pre_spike_code (post_spike_code) but no pre (post) dynamics code: a
// neuron that does not spike copies them from the previous step's slot to
// this step's (GeNN 4.9; groups without spike code are not copied, as in
// GeNN, and dynamics code writes every neuron's).
func (g *Generator) slottedSpikeVars(incoming, outgoing []*modelspec.SynapseGroup) []VarEntry {
	var out []VarEntry
	for _, s := range outgoing {
		if CodeNonEmpty(s.WeightUpdate.Model.PreSpikeCode) && !CodeNonEmpty(s.WeightUpdate.Model.PreDynamicsCode) {
			for _, v := range s.WeightUpdate.Model.PreVars {
				if ve, _ := g.Array(s.Name, "pre", v.Name); ve.Slots > 1 {
					out = append(out, ve)
				}
			}
		}
	}
	for _, s := range incoming {
		if CodeNonEmpty(s.WeightUpdate.Model.PostSpikeCode) && !CodeNonEmpty(s.WeightUpdate.Model.PostDynamicsCode) {
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
			own = own || v.Desc.Owner == s.Name && (v.Desc.Name == "evCnt" || v.Desc.Name == "ev" || v.Desc.Name == "evFlag" || v.Desc.Name == "revInSyn")
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
func (g *Generator) eventCondition(s *modelspec.SynapseGroup, nsc *Scope, e NeuronEmitter, union bool) error {
	wu := s.WeightUpdate
	m := wu.Model
	sc := NewScope()
	g.bindParams(sc, m.Params, wu.Params, m.DerivedParams, wu.Derived)
	for _, v := range m.PreVars {
		ve, _ := g.Array(s.Name, "pre", v.Name)
		sc.Vars[v.Name] = slotRef(ve, "rslot", ve.Index("id")) // GeNN reads the previous step's slot
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
	if !union {
		g.userLine(st, func() { g.W.Line("%s", e.Event(s, cond)) })
		return nil
	}
	g.W.Open("{")
	g.userLine(st, func() { g.W.Line("const int gn_ev = (%s);", cond) })
	g.W.Line("%s", e.Event(s, "gn_ev"))
	g.W.Line("gn_event |= gn_ev;")
	g.W.Close("}")
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
	w.Line("(void)slot;")
	if slots == 1 {
		return "slot"
	}
	w.Line("const uint32_t rslot = (uint32_t)((timestep + %d) %% %d); /* the previous step's slot */", slots-1, slots)
	w.Line("(void)rslot;")
	return "rslot"
}

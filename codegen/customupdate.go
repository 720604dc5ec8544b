package codegen

import (
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/gennctl/gennctl/modelspec"
)

// Custom updates (GeNN 4.9): gn_custom_update(ctx, group, variant) runs the
// custom updates of one update group for one variant (or every variant),
// in GeNN's order: the updates over neurons, then those over synapses,
// then those writing transposes, each in document order. As in GeNN, an
// update reads its variables and references into locals l<name>, runs its
// update code with them and writes back what it may write (READ_WRITE);
// $(t) is the time of the next step. Reductions follow GeNN's single-
// threaded CPU backend: a reduction over neurons (REDUCE_NEURON_*, or a
// REDUCE_* reference to a READ_ONLY_SHARED_NEURON variable) accumulates
// the values the code assigns over the neurons (sum from 0, max from the
// lowest value) into the one shared value; a reduction over the batch
// (REDUCE_BATCH_*) reduces over one copy, since a variant is a GeNN model
// of batch size 1, so it stores the value assigned.

// CustomUpdateGroups lists the update groups of the network's custom
// updates in order of first appearance: gn_custom_update's group numbers.
func (g *Generator) CustomUpdateGroups() []string {
	var out []string
	seen := map[string]bool{}
	for _, cu := range g.Net.CustomUpdates {
		if !seen[cu.Group] {
			seen[cu.Group] = true
			out = append(out, cu.Group)
		}
	}
	return out
}

// prepareCustomUpdates checks what the generator supports of the custom
// updates.
func (g *Generator) prepareCustomUpdates() error {
	for _, cu := range g.Net.CustomUpdates {
		where := cu.Pos.String() + ": custom_updates." + cu.Name
		if err := g.Require(FeatureCustomUpdates, where); err != nil {
			return err
		}
		m := cu.Model
		if err := checkReadOnly(m.Vars, m.Name, "custom_updates."+cu.Name, cu.Pos, m.CodePos, "update_code", m.UpdateCode); err != nil {
			return err
		}
		for _, r := range m.VarRefs {
			if loc := assignRE(r.Name).FindStringIndex(m.UpdateCode); r.ReadOnly() && loc != nil {
				at := cu.Pos
				if p, ok := m.CodePos["update_code"]; ok {
					at = tokenPos(m.UpdateCode, loc[0], Site{Pos: p, Exact: true})
				}
				return configError(at, "models.custom_updates."+m.Name+".update_code", "update_code of model %s (custom update %s) assigns reference %s, which is READ_ONLY", m.Name, cu.Name, r.Name)
			}
		}
		if s := cu.Synapses; s != nil && !g.Indiv[s] && !g.KernelW[s] {
			return fmt.Errorf("%s.wu_var_refs: synapse group %s has no per-synapse storage (its weights are %s): a custom update over synapses needs individual or kernel weights (weights: individual)", where, s.Name, weightsName(g, s))
		}
		if s := cu.Synapses; s != nil && s.Matrix != modelspec.MatrixDense && s.Matrix != modelspec.MatrixSparse && !g.KernelW[s] {
			return fmt.Errorf("%s.wu_var_refs: a custom update over synapses needs a dense or sparse matrix or kernel weights, not %s (GeNN has the same restriction)", where, s.Matrix)
		}
	}
	return nil
}

func weightsName(g *Generator, s *modelspec.SynapseGroup) string {
	switch {
	case g.ProcW[s]:
		return "procedural"
	case g.KernelW[s]:
		return "kernel"
	case g.Indiv[s]:
		return "individual"
	}
	return "global"
}

// maxReductions reports whether a custom update has a maximum reduction.
func (g *Generator) maxReductions() bool {
	for _, cu := range g.Net.CustomUpdates {
		for _, v := range cu.Model.Vars {
			if v.Reduction() == "max" {
				return true
			}
		}
		for _, r := range cu.Model.VarRefs {
			if r.Reduction() == "max" {
				return true
			}
		}
	}
	return false
}

// customUpdateSize is the number of elements of a custom update's
// variables: its neurons, or the synapse storage of its synapse group.
func (g *Generator) customUpdateSize(cu *modelspec.CustomUpdate) int {
	if cu.Synapses != nil {
		return g.numSynapses(cu.Synapses)
	}
	return cu.Size
}

// transposes reports whether a custom update writes a transpose.
func transposes(cu *modelspec.CustomUpdate) bool {
	for _, t := range cu.VarRefs {
		if t.Transpose != nil {
			return true
		}
	}
	return false
}

// targetArray is the array of a referenced variable.
func (g *Generator) targetArray(t modelspec.VarTarget) VarEntry {
	ve, _ := g.Array(t.Owner, t.Kind, t.Var)
	return ve
}

// refIndex is the C expression of element idx of a referenced array in the
// delay slot the next step reads (the one written last), for variables
// kept per delay slot.
func refIndex(ve VarEntry, idx string) string {
	idx = ve.Index(idx)
	if ve.Slots > 1 {
		return fmt.Sprintf("(size_t)((timestep + %d) %% %d) * %d + %s", ve.Slots-1, ve.Slots, ve.Desc.Count, idx)
	}
	return idx
}

// EmitCustomUpdates writes gn_custom_update and, for each custom update
// of a group the host runs, custom_update_<U>. A group the backend runs
// itself (CustomUpdateDevice) is one statement of gn_custom_update; the
// others run on the host's copy of the state, between CustomUpdateBegin
// and CustomUpdateEnd.
func (g *Generator) EmitCustomUpdates() error {
	w := g.W
	groups := g.CustomUpdateGroups()
	device := make([]string, len(groups))
	read, written := map[string][]string{}, map[string][]string{} // per update group
	for gi, name := range groups {
		device[gi] = g.B.CustomUpdateDevice(gi, name)
	}
	for _, cu := range g.Net.CustomUpdates {
		if device[slices.Index(groups, cu.Group)] != "" {
			continue
		}
		p, err := g.planCustomUpdate(cu)
		if err != nil {
			return err
		}
		r, err := g.emitCustomUpdate(p)
		if err != nil {
			return err
		}
		read[cu.Group] = append(read[cu.Group], r...)
		written[cu.Group] = append(written[cu.Group], p.Written()...)
	}
	w.Line("int gn_custom_update(gn_ctx *ctx, uint32_t group, uint32_t variant)")
	w.Open("{")
	w.Line("if (variant != GN_ALL_VARIANTS && variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
	w.Line("const uint32_t lo = variant == GN_ALL_VARIANTS ? 0 : variant, hi = variant == GN_ALL_VARIANTS ? ctx->batch : variant + 1;")
	w.Line("(void)lo; (void)hi;")
	w.Open("switch (group) {")
	for gi, name := range groups {
		w.Open("case %d: /* %s */", gi, name)
		if device[gi] != "" {
			w.Line("%s", device[gi])
			w.Close("")
			continue
		}
		g.B.CustomUpdateBegin(sortedSet(read[name]))
		w.Open("for (uint32_t b = lo; b < hi; b++) {")
		for _, cu := range g.CustomUpdatesInOrder(name) {
			w.Line("custom_update_%s(ctx, b);", cu.Name)
		}
		w.Close("}")
		g.B.CustomUpdateEnd(sortedSet(written[name]))
		w.Line("return ctx->failed;")
		w.Close("")
	}
	w.Close("}")
	w.Line("snprintf(ctx->err, sizeof ctx->err, \"no custom update group %%u\", group);")
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
	return nil
}

// CustomUpdatesInOrder lists the custom updates of update group name in
// the order they run, GeNN's: those over neurons, those over synapses,
// those writing transposes, each in document order.
func (g *Generator) CustomUpdatesInOrder(name string) []*modelspec.CustomUpdate {
	var out []*modelspec.CustomUpdate
	for _, pass := range []func(*modelspec.CustomUpdate) bool{
		func(cu *modelspec.CustomUpdate) bool { return cu.Synapses == nil },
		func(cu *modelspec.CustomUpdate) bool { return cu.Synapses != nil && !transposes(cu) },
		func(cu *modelspec.CustomUpdate) bool { return cu.Synapses != nil && transposes(cu) },
	} {
		for _, cu := range g.Net.CustomUpdates {
			if cu.Group == name && pass(cu) {
				out = append(out, cu)
			}
		}
	}
	return out
}

// cuLocal is a variable or reference of a custom update as its code sees
// it: the local l<name> read from (and written back to) element index of
// array.
type cuLocal struct {
	name, ctype string
	array       VarEntry
	index       func(idx string) string
	readOnly    bool
	reduce      string // "sum" or "max" for a reduction target
	neuronRed   bool   // reduced over the neurons into one value
	transpose   *VarEntry
}

// written reports whether the update writes the local's array.
func (l cuLocal) written() bool { return l.reduce != "" || !l.readOnly }

// CustomUpdatePlan is a custom update prepared for generation: the scope
// of its code and its locals.
type CustomUpdatePlan struct {
	cu        *modelspec.CustomUpdate
	sc        *Scope
	st        Site
	locals    []cuLocal
	perNeuron bool // over neurons: per neuron (else only element 0, every variable shared)
	neuronRed bool // some local is reduced over the neurons
}

func (g *Generator) planCustomUpdate(cu *modelspec.CustomUpdate) (*CustomUpdatePlan, error) {
	m := cu.Model
	path := "custom_updates." + cu.Name
	sc := NewScope()
	g.bindParams(sc, m.Params, cu.Params, m.DerivedParams, cu.Derived)
	if err := g.bindEGPs(sc, cu.Name, path, m.ExtraGlobalParams, cu.EGPs, []string{m.UpdateCode}, cu.Pos); err != nil {
		return nil, err
	}
	for _, e := range m.ExtraGlobalParamRefs {
		sc.Vars[e.Name] = g.egpRef(cu.EGPRefs[e.Name])
	}
	sc.Vars["t"] = "t"
	sc.Vars["DT"] = "DT"
	sc.Vars["num_batch"] = "1"
	sc.Vars["batch"] = "0" // a variant is a GeNN model of batch size 1
	p := &CustomUpdatePlan{cu: cu, sc: sc, perNeuron: cu.Synapses != nil,
		st: site("custom update", cu.Name, path, m.Name, "update_code", m.CodePos, cu.Pos)}
	for _, v := range m.Vars {
		ve, _ := g.Array(cu.Name, "custom_update", v.Name)
		p.locals = append(p.locals, cuLocal{name: v.Name, ctype: CType(typeName(v.Type, g.Prec)), array: ve, index: ve.Index,
			readOnly: v.ReadOnly(), reduce: v.Reduction(), neuronRed: v.Reduction() != "" && v.SharedNeuron()})
		p.perNeuron = p.perNeuron || !v.SharedNeuron()
	}
	for _, r := range m.VarRefs {
		t := cu.VarRefs[r.Name]
		ve := g.targetArray(t)
		l := cuLocal{name: r.Name, ctype: CType(typeName(r.Type, g.Prec)), array: ve,
			index:    func(idx string) string { return refIndex(ve, idx) },
			readOnly: r.ReadOnly(), reduce: r.Reduction(), neuronRed: r.Reduction() != "" && ve.Shared}
		if t.Transpose != nil {
			te := g.targetArray(*t.Transpose)
			l.transpose = &te
		}
		p.locals = append(p.locals, l)
		p.perNeuron = p.perNeuron || !ve.Shared
	}
	for _, l := range p.locals {
		sc.Vars[l.name] = "l" + l.name
		p.neuronRed = p.neuronRed || l.neuronRed
	}
	return p, nil
}

// Written lists the context arrays (fields) the custom update writes.
func (p *CustomUpdatePlan) Written() []string {
	var out []string
	for _, l := range p.locals {
		if l.written() {
			out = append(out, l.array.Field)
		}
		if l.transpose != nil {
			out = append(out, l.transpose.Field)
		}
	}
	return out
}

// Parallel reports whether the elements of the custom update are
// independent, so that a thread per element may run it: no value reduced
// over the neurons, and no variable shared by the neurons written by an
// update per neuron (on the host the last neuron's value stays).
func (p *CustomUpdatePlan) Parallel() bool {
	if p.neuronRed {
		return false
	}
	for _, l := range p.locals {
		if p.perNeuron && l.written() && l.array.Shared {
			return false
		}
	}
	return true
}

// emitCustomUpdate writes custom_update_<U>, the custom update of plan p
// on the host, and returns the context arrays (fields) it reads.
func (g *Generator) emitCustomUpdate(p *CustomUpdatePlan) ([]string, error) {
	cu, w := p.cu, g.W
	w.Line("/* custom update %s (group %s): %s over %s */", cu.Name, cu.Group, cu.Model.Name, cuElements(cu))
	w.Line("static void custom_update_%s(gn_ctx *ctx, uint32_t b)", cu.Name)
	w.Open("{")
	w.Line("const uint64_t timestep = ctx->timestep;")
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	g.VariantPrologue()
	text, err := g.Body(func() error {
		for _, l := range p.locals {
			if l.neuronRed {
				g.W.Line("%s lr%s = %s;", l.ctype, l.name, reductionInit(l.reduce, l.ctype))
			}
		}
		if err := g.customUpdateLoop(p, func(idx string) error { return g.emitCustomUpdateElement(p, idx) }); err != nil {
			return err
		}
		for _, l := range p.locals {
			if l.neuronRed {
				g.W.Line("%s[%s] = lr%s;", l.array.Field, l.index("0"), l.name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	code, _ := g.Body(func() error { g.DeclareUsed(g.Vars, text); return nil })
	w.Raw(code)
	w.Close("}")
	w.Line("")
	return ctxFields(code), nil
}

// emitCustomUpdateElement writes the custom update's code for one element,
// index idx of its arrays: the locals read, the update code, the values
// written back (a neuron reduction into its accumulator lr<name>).
func (g *Generator) emitCustomUpdateElement(p *CustomUpdatePlan, idx string) error {
	w := g.W
	for _, l := range p.locals {
		qual := ""
		if l.readOnly {
			qual = "const "
		}
		if l.reduce != "" {
			w.Line("%s l%s;", l.ctype, l.name) // the code assigns it
			continue
		}
		w.Line("%s%s l%s = %s[%s];", qual, l.ctype, l.name, l.array.Field, l.index(idx))
	}
	if err := g.code(p.cu.Model.UpdateCode, p.sc, p.st); err != nil {
		return err
	}
	for _, l := range p.locals {
		switch {
		case l.neuronRed:
			w.Line("%s;", reductionOp("lr"+l.name, "l"+l.name, l.reduce, l.ctype))
		case l.written():
			w.Line("%s[%s] = l%s;", l.array.Field, l.index(idx), l.name)
		}
		if l.transpose != nil {
			w.Line("%s[(size_t)id_post * %d + id_pre] = l%s; /* the transpose */", l.transpose.Field, p.cu.Synapses.Source.Size, l.name)
		}
	}
	return nil
}

// PlanCustomUpdates prepares the custom updates of update group name, in
// the order they run (CustomUpdatesInOrder), for a backend that runs them.
func (g *Generator) PlanCustomUpdates(name string) ([]*CustomUpdatePlan, error) {
	var out []*CustomUpdatePlan
	for _, cu := range g.CustomUpdatesInOrder(name) {
		p, err := g.planCustomUpdate(cu)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Name is the custom update's.
func (p *CustomUpdatePlan) Name() string { return p.cu.Name }

// CustomUpdateElements is the number of elements of a custom update per
// variant, the threads of a kernel running it (EmitCustomUpdateThread): its
// neurons (1 when every variable is shared by them), or the slots of its
// synapse group's storage (sparse rows at their bound, the dense matrix,
// the kernel).
func (g *Generator) CustomUpdateElements(p *CustomUpdatePlan) int {
	s := p.cu.Synapses
	switch {
	case s == nil && !p.perNeuron:
		return 1
	case s == nil:
		return p.cu.Size
	case g.KernelW[s]:
		return g.numSynapses(s)
	case s.Matrix == modelspec.MatrixSparse:
		return s.Source.Size * g.MaxRow[s]
	}
	return s.Source.Size * s.Target.Size
}

// EmitCustomUpdateThread writes a Parallel custom update for one element
// as a thread of a kernel: element gn_t (a uint64_t below
// CustomUpdateElements) of variant b, timestep the next step's (the caller
// declares the three); past the end of a sparse row the thread returns.
// ctx is the device's view of the context.
func (g *Generator) EmitCustomUpdateThread(p *CustomUpdatePlan) error {
	w, s := g.W, p.cu.Synapses
	w.Line("const scalar t = (scalar)(timestep * DT);")
	w.Line("(void)t;")
	g.VariantPrologue()
	text, err := g.Body(func() error {
		w := g.W
		idx := g.elementScope(p)
		switch {
		case s == nil:
			w.Line("const uint32_t id = (uint32_t)gn_t;")
		case g.KernelW[s]:
			w.Line("const uint32_t id_syn = (uint32_t)gn_t;")
		case s.Matrix == modelspec.MatrixSparse:
			w.Line("const uint32_t id_syn = (uint32_t)gn_t, id_pre = id_syn / %du;", g.MaxRow[s])
			w.Line("if (id_syn - id_pre * %du >= %s_rowLength[id_pre]) return; /* past the end of the row */", g.MaxRow[s], s.Name)
			w.Line("const uint32_t id_post = %s_ind[id_syn];", s.Name)
			w.Line("(void)id_post;")
		default:
			w.Line("const uint32_t id_syn = (uint32_t)gn_t, id_pre = id_syn / %du, id_post = id_syn %% %du;", s.Target.Size, s.Target.Size)
			w.Line("(void)id_pre; (void)id_post;")
		}
		return g.emitCustomUpdateElement(p, idx)
	})
	if err != nil {
		return err
	}
	g.DeclareUsed(g.Vars, text)
	return nil
}

// ctxFields lists the context fields code uses (ctx->field), as the
// custom update's array pointers and body do.
func ctxFields(code string) []string {
	var out []string
	for _, m := range ctxFieldRe.FindAllStringSubmatch(code, -1) {
		out = append(out, m[1])
	}
	return out
}

var ctxFieldRe = regexp.MustCompile(`\bctx->([A-Za-z_][A-Za-z0-9_]*)`)

// sortedSet is xs sorted, without repeats.
func sortedSet(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return slices.Compact(out)
}

// cuElements says what a custom update runs over, for comments.
func cuElements(cu *modelspec.CustomUpdate) string {
	if cu.Synapses != nil {
		return "the synapses of " + cu.Synapses.Name
	}
	return fmt.Sprintf("%d neurons of %s", cu.Size, cu.Of)
}

// elementScope binds the element's names of the custom update's code (id,
// num; id_syn, id_pre, id_post, num_pre, num_post, id_kernel) and returns
// the index of its arrays' elements.
func (g *Generator) elementScope(p *CustomUpdatePlan) string {
	sc, s := p.sc, p.cu.Synapses
	if s == nil {
		sc.Vars["id"], sc.Vars["num"] = "id", fmt.Sprint(p.cu.Size)
		return "id"
	}
	sc.Vars["id_syn"] = "id_syn"
	sc.Vars["num_pre"], sc.Vars["num_post"] = fmt.Sprint(s.Source.Size), fmt.Sprint(s.Target.Size)
	if g.KernelW[s] {
		sc.Vars["id_kernel"] = "id_syn"
	} else {
		sc.Vars["id_pre"], sc.Vars["id_post"] = "id_pre", "id_post"
	}
	return "id_syn"
}

// customUpdateLoop writes the loop over a custom update's elements around
// body: neurons (id; only id 0 when every variable and reference is
// shared by the neurons), or the synapses of its group (id_syn, id_pre,
// id_post; kernel entries with kernel weights). The loop of a Parallel
// update is shared among the context's threads (Backend.ParallelFor).
func (g *Generator) customUpdateLoop(p *CustomUpdatePlan, body func(idx string) error) error {
	w, s := g.W, p.cu.Synapses
	idx := g.elementScope(p)
	if pf := g.B.ParallelFor(); pf != "" && p.Parallel() && (s != nil || p.perNeuron) {
		w.Line("%s", pf)
	}
	close := 1
	switch {
	case s == nil && !p.perNeuron:
		w.Open("{")
		w.Line("const uint32_t id = 0;")
	case s == nil:
		w.Open("for (uint32_t id = 0; id < %d; id++) {", p.cu.Size)
	case g.KernelW[s]:
		w.Open("for (uint32_t id_syn = 0; id_syn < %d; id_syn++) {", g.numSynapses(s))
	case s.Matrix == modelspec.MatrixSparse:
		w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", s.Source.Size)
		w.Open("for (uint32_t k = 0; k < %s_rowLength[id_pre]; k++) {", s.Name)
		w.Line("const uint32_t id_syn = id_pre * %d + k, id_post = %s_ind[id_syn];", g.MaxRow[s], s.Name)
		close = 2
	default:
		w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", s.Source.Size)
		w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", s.Target.Size)
		w.Line("const uint32_t id_syn = id_pre * %d + id_post;", s.Target.Size)
		close = 2
	}
	if err := body(idx); err != nil {
		return err
	}
	for ; close > 0; close-- {
		w.Close("}")
	}
	return nil
}

// reductionInit is GeNN's initial value of a reduction: 0 for a sum, the
// lowest value of the type for a maximum.
func reductionInit(op, ctype string) string {
	if op == "sum" {
		return "0"
	}
	switch ctype {
	case "float":
		return "-FLT_MAX"
	case "double":
		return "-DBL_MAX"
	case "int", "int32_t":
		return "INT32_MIN"
	case "int8_t":
		return "INT8_MIN"
	case "int16_t":
		return "INT16_MIN"
	case "int64_t":
		return "INT64_MIN"
	}
	return "0" // unsigned types
}

// reductionOp is GeNN's reduction of value into red (fmax for floating
// point, max otherwise).
func reductionOp(red, value, op, ctype string) string {
	if op == "sum" {
		return red + " += " + value
	}
	if modelspec.IsIntegerType(ctype) {
		return fmt.Sprintf("%s = (%s > %s) ? %s : %s", red, value, red, value, red)
	}
	return fmt.Sprintf("%s = fmax(%s, %s)", red, red, value)
}

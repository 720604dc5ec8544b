package cpu

import (
	"fmt"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// emitInit writes init_connectivity_<S> per sparse group and gn_init, which
// builds connectivity first (synapse variables depend on row lengths) and then
// initialises every variable of every variant.
func (g *gen) emitInit() error {
	for si, s := range g.net.Synapses {
		if s.Matrix == modelspec.MatrixSparse || s.Matrix == modelspec.MatrixBitmask {
			if err := g.emitConnectivity(si, s); err != nil {
				return err
			}
		}
		if g.maxCol[s] > 0 {
			g.emitColumns(s)
		}
	}
	w := g.w
	w.Line("int gn_init(gn_ctx *ctx)")
	w.Open("{")
	w.Line("ctx->timestep = 0;")
	w.Line("ctx->rec_len = ctx->rec_head = 0;")
	for _, p := range g.net.Populations {
		w.Line("memset(ctx->%s_spkCnt, 0, (size_t)ctx->batch * %d * sizeof(uint32_t));", p.Name, g.slots[p])
	}
	for _, v := range g.vars {
		if v.internal && (v.desc.Name == "evCnt" || v.desc.Name == "denDelay") {
			w.Line("memset(ctx->%s, 0, (size_t)ctx->batch * %d * sizeof *ctx->%s);", v.field, v.desc.Count*v.slots, v.field)
		}
		if v.internal && (v.desc.Name == "sT" || v.desc.Name == "prevST") {
			w.Line("for (size_t k = 0; k < (size_t)ctx->batch * %d; k++) ctx->%s[k] = -GN_TIME_MAX;", v.desc.Count*v.slots, v.field)
		}
	}
	for _, s := range g.net.Synapses {
		if s.Matrix == modelspec.MatrixSparse || s.Matrix == modelspec.MatrixBitmask {
			w.Line("if (init_connectivity_%s(ctx)) return 1;", s.Name)
		}
		if g.maxCol[s] > 0 {
			w.Line("if (init_columns_%s(ctx)) return 1;", s.Name)
		}
	}
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.variantPrologue()
	for _, p := range g.net.Populations {
		for _, v := range p.Model.Vars {
			if err := g.initVar(p.Name, "neuron", v.Name, p.Vars[v.Name], "populations."+p.Name, p.Size, nil); err != nil {
				return err
			}
			if ve, _ := g.varEntry(p.Name, "neuron", v.Name); ve.slots > 1 {
				w.Open("{ /* every delay slot starts with the initial values */")
				g.arrayPtr(ve)
				w.Line("for (uint32_t s = 1; s < %d; s++) memcpy(%s + (size_t)s * %d, %s, %d * sizeof *%s);", ve.slots, ve.field, p.Size, ve.field, p.Size, ve.field)
				w.Close("}")
			}
		}
	}
	for _, s := range g.net.Synapses {
		path := "synapses." + s.Name
		ve, _ := g.varEntry(s.Name, "postsynaptic", "inSyn")
		w.Line("memset(ctx->%s + (size_t)b * %d, 0, %d * sizeof(scalar));", ve.field, ve.desc.Count, ve.desc.Count)
		for _, v := range s.Postsynaptic.Model.Vars {
			if err := g.initVar(s.Name, "postsynaptic", v.Name, s.Postsynaptic.Vars[v.Name], path+".postsynaptic", s.Target.Size, nil); err != nil {
				return err
			}
		}
		if g.indiv[s] {
			for _, v := range s.WeightUpdate.Model.Vars {
				if err := g.initVar(s.Name, "synapse", v.Name, s.WeightUpdate.Vars[v.Name], path+".weight_update", 0, s); err != nil {
					return err
				}
			}
		}
		for _, v := range s.WeightUpdate.Model.PreVars {
			if err := g.initVar(s.Name, "pre", v.Name, s.WeightUpdate.PreVars[v.Name], path+".weight_update", s.Source.Size, nil); err != nil {
				return err
			}
		}
		for _, v := range s.WeightUpdate.Model.PostVars {
			if err := g.initVar(s.Name, "post", v.Name, s.WeightUpdate.PostVars[v.Name], path+".weight_update", s.Target.Size, nil); err != nil {
				return err
			}
		}
	}
	for _, c := range g.net.CurrentSources {
		for _, v := range c.Model.Vars {
			if err := g.initVar(c.Name, "current_source", v.Name, c.Vars[v.Name], "current_sources."+c.Name, c.Target.Size, nil); err != nil {
				return err
			}
		}
	}
	w.Close("}")
	w.Line("return ctx->failed;")
	w.Close("}")
	w.Line("")
	return nil
}

// initVar writes the initialisation of one variable of variant b. For
// synapse variables of group syn, elements are synapses (id_pre, id_post).
func (g *gen) initVar(owner, kind, name string, vi *modelspec.VarInit, path string, size int, syn *modelspec.SynapseGroup) error {
	ve, _ := g.varEntry(owner, kind, name)
	w := g.w
	w.Open("{ /* %s */", vi.Path)
	g.arrayPtr(ve)
	elem := func(body func(target string)) {
		switch {
		case syn == nil:
			w.Open("for (uint32_t id = 0; id < %d; id++) {", size)
			body(ve.field + "[id]")
			w.Close("}")
		case syn.Matrix == modelspec.MatrixSparse:
			w.Line("const uint32_t *rowLength = ctx->%s_rowLength + (size_t)b * %d;", syn.Name, syn.Source.Size)
			w.Line("const %s *ind = ctx->%s_ind + (size_t)b * %d;", g.indType(syn), syn.Name, syn.Source.Size*g.maxRow[syn])
			w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", syn.Source.Size)
			w.Open("for (uint32_t k = 0; k < rowLength[id_pre]; k++) {")
			w.Line("const uint32_t id = id_pre * %d + k, id_post = ind[id];", g.maxRow[syn])
			w.Line("(void)id_post;")
			body(ve.field + "[id]")
			w.Close("}")
			w.Close("}")
		default:
			w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", syn.Source.Size)
			w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", syn.Target.Size)
			w.Line("const uint32_t id = id_pre * %d + id_post;", syn.Target.Size)
			body(ve.field + "[id]")
			w.Close("}")
			w.Close("}")
		}
	}
	switch vi.Kind {
	case modelspec.InitConstant:
		val := g.value(vi.Constant)
		elem(func(t string) { w.Line("%s = (%s)%s;", t, ve.ctype, val) })
	case modelspec.InitArray:
		vals := make([]string, len(vi.Values))
		for i, x := range vi.Values {
			vals[i] = codegen.Literal(x, "double")
		}
		w.Line("static const double init_values[%d] = {%s};", len(vals), strings.Join(vals, ", "))
		elem(func(t string) { w.Line("%s = (%s)init_values[id];", t, ve.ctype) })
	case modelspec.InitSnippet:
		snip := vi.Snippet
		if len(snip.ExtraGlobalParams) > 0 {
			return fmt.Errorf("%s: %s: variable initialisation snippet %s uses extra global parameters, which this version of gennctl does not support yet", vi.Pos, vi.Path, snip.Name)
		}
		sc := codegen.NewScope()
		g.bindParams(sc, snip.Params, vi.Params, snip.DerivedParams, vi.Derived)
		sc.Vars["value"] = "value"
		sc.Vars["id"] = "id"
		if syn != nil {
			sc.Vars["id_pre"] = "id_pre"
			sc.Vars["id_post"] = "id_post"
			sc.Vars["num_pre"] = fmt.Sprint(syn.Source.Size)
			sc.Vars["num_post"] = fmt.Sprint(syn.Target.Size)
		}
		g.rngFuncs(sc, "&rng")
		stream := streamVarInit | g.initID
		g.initID++
		st := site("variable", vi.Path, vi.Path, snip.Name, "var_init_code", snip.CodePos, vi.Pos)
		var err error
		elem(func(t string) {
			w.Line("scalar value = 0;")
			if codegen.UsesRNG(snip.Code) {
				w.Line("gn_rng rng;")
				w.Line("gn_rng_init(&rng, ctx->seed[b], 0x%08xu, id, 0);", stream)
			}
			if e := g.code(snip.Code, sc, st); e != nil && err == nil {
				err = e
			}
			w.Line("%s = (%s)value;", t, ve.ctype)
		})
		if err != nil {
			return err
		}
	}
	w.Close("}")
	return nil
}

// emitConnectivity writes the builder of a sparse or bitmask group: GeNN's
// row_build_code runs in a loop per presynaptic neuron until $(endRow).
func (g *gen) emitConnectivity(si int, s *modelspec.SynapseGroup) error {
	c := s.Connectivity
	snip := c.Snippet
	if len(snip.ExtraGlobalParams) > 0 {
		return fmt.Errorf("%s: synapses.%s.connectivity: snippet %s uses extra global parameters, which this version of gennctl does not support yet", c.Pos, s.Name, snip.Name)
	}
	maxRow := g.maxRow[s]
	w := g.w
	npost := s.Target.Size
	if s.Matrix == modelspec.MatrixBitmask {
		w.Line("/* synapse group %s: %s connectivity as a bitmask of %d x %d bits */", s.Name, snip.Name, s.Source.Size, npost)
	} else {
		w.Line("/* synapse group %s: %s connectivity, at most %d synapses per row */", s.Name, snip.Name, maxRow)
	}
	w.Line("static int init_connectivity_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.variantPrologue()
	var add func(a []string) string
	if s.Matrix == modelspec.MatrixBitmask {
		words := (s.Source.Size*npost + 31) / 32
		w.Line("uint32_t *const gp = ctx->%s_gp + (size_t)b * %d;", s.Name, words)
		w.Line("memset(gp, 0, %d * sizeof *gp);", words)
		w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", s.Source.Size)
		add = func(a []string) string {
			return fmt.Sprintf("do { const uint64_t gid = (uint64_t)id_pre * %d + (uint32_t)(%s); gp[gid / 32] |= 1u << (gid %% 32); } while (0)", npost, a[0])
		}
	} else {
		w.Line("uint32_t *const rowLength = ctx->%s_rowLength + (size_t)b * %d;", s.Name, s.Source.Size)
		w.Line("%s *const ind = ctx->%s_ind + (size_t)b * %d;", g.indType(s), s.Name, s.Source.Size*maxRow)
		w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", s.Source.Size)
		w.Line("%s *const row = ind + (size_t)id_pre * %d;", g.indType(s), maxRow)
		w.Line("uint32_t n = 0;")
		errMsg := fmt.Sprintf("synapse group %s: a row has more than %d synapses (the maximum row length of %s); set the snippet's max_row_length", s.Name, maxRow, snip.Name)
		add = func(a []string) string {
			return fmt.Sprintf("do { if (n == %d) return gn_fail(ctx, %s); row[n++] = (%s)(%s); } while (0)", maxRow, quoteC(errMsg), g.indType(s), a[0])
		}
	}
	if err := g.rowBuild(si, s, add); err != nil {
		return err
	}
	if s.Matrix != modelspec.MatrixBitmask {
		w.Line("rowLength[id_pre] = n;")
	}
	w.Close("}")
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	return nil
}

// rowBuild writes the row-building loop of presynaptic neuron id_pre of
// group s: the random stream, the state variables and the row_build_code
// with $(addSynapse, j) expanded by add. Sparse and bitmask initialisation
// and procedural connectivity use it with the same stream, so they realise
// the same connectivity for the same seed.
func (g *gen) rowBuild(si int, s *modelspec.SynapseGroup, add func(a []string) string) error {
	c := s.Connectivity
	snip := c.Snippet
	w := g.w
	path := "synapses." + s.Name + ".connectivity"
	sc := codegen.NewScope()
	g.bindParams(sc, snip.Params, c.Params, snip.DerivedParams, c.Derived)
	sc.Vars["id_pre"] = "id_pre"
	sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
	sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
	sc.Vars["num_threads"] = "1"
	sc.Vars["id_thread"] = "0"
	sc.Vars["id_post_begin"] = "0"
	g.rngFuncs(sc, "&rng")
	sc.Funcs["addSynapse"] = codegen.Func{Arity: -1, Expand: add}
	sc.Funcs["endRow"] = codegen.Func{Arity: 0, Expand: func([]string) string { return "break" }}
	w.Open("{")
	if codegen.UsesRNG(snip.RowBuildCode) {
		w.Line("gn_rng rng;")
		w.Line("gn_rng_init(&rng, ctx->seed[b], 0x%08xu, id_pre, 0);", streamConnectivity|uint32(si))
	}
	for _, sv := range snip.RowBuildStateVars {
		init, err := codegen.Substitute(sv.Init, sc, site("synapse group", s.Name, path, snip.Name, "row_build_state_vars", snip.CodePos, c.Pos))
		if err != nil {
			return err
		}
		w.Line("%s %s = %s;", codegen.CType(sv.Type), sv.Name, codegen.EnsureFloatLiterals(init, g.prec))
		sc.Vars[sv.Name] = sv.Name
	}
	w.Open("for (;;) {")
	if err := g.code(snip.RowBuildCode, sc, site("synapse group", s.Name, path, snip.Name, "row_build_code", snip.CodePos, c.Pos)); err != nil {
		return err
	}
	w.Close("}")
	w.Close("}")
	return nil
}

// emitColumns writes the column index of a sparse group whose model has
// learn_post_code: for each postsynaptic neuron, the row-major indices of
// its synapses in order of increasing id_pre (GeNN's colLength and remap).
func (g *gen) emitColumns(s *modelspec.SynapseGroup) {
	w := g.w
	npre, npost, maxRow, maxCol := s.Source.Size, s.Target.Size, g.maxRow[s], g.maxCol[s]
	errMsg := fmt.Sprintf("synapse group %s: a column has more than %d synapses (the maximum column length of %s); set the snippet's max_col_length", s.Name, maxCol, s.Connectivity.Snippet.Name)
	w.Line("/* synapse group %s: column index for learn_post_code, at most %d synapses per column */", s.Name, maxCol)
	w.Line("static int init_columns_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	w.Line("const uint32_t *const rowLength = ctx->%s_rowLength + (size_t)b * %d;", s.Name, npre)
	w.Line("const %s *const ind = ctx->%s_ind + (size_t)b * %d;", g.indType(s), s.Name, npre*maxRow)
	w.Line("uint32_t *const colLength = ctx->%s_colLength + (size_t)b * %d;", s.Name, npost)
	w.Line("uint32_t *const remap = ctx->%s_remap + (size_t)b * %d;", s.Name, npost*maxCol)
	w.Line("memset(colLength, 0, %d * sizeof *colLength);", npost)
	w.Open("for (uint32_t i = 0; i < %d; i++) {", npre)
	w.Open("for (uint32_t k = 0; k < rowLength[i]; k++) {")
	w.Line("const uint32_t syn = i * %d + k, j = ind[syn];", maxRow)
	w.Line("if (colLength[j] == %d) return gn_fail(ctx, %s);", maxCol, quoteC(errMsg))
	w.Line("remap[(size_t)j * %d + colLength[j]++] = syn;", maxCol)
	w.Close("}")
	w.Close("}")
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
}

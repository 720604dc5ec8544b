package cpu

import (
	"fmt"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// Extra global parameters are per-variant data of the context: a pointer
// (array) parameter is one heap array per variant with its length, a scalar
// one a value per variant. gn_create fills them from the values the module
// was generated with (the document's); gn_set_egp / gn_get_egp replace and
// read one variant's. Code reads them as ctx-><field>[b], so a value set
// between steps is seen by the next step, and values read by initialisation
// code (var-init snippets, connectivity) by the next gn_init.

type egpEntry struct {
	desc   codegen.EGPDesc
	field  string
	elem   string // C type of one element
	ptr    bool
	values []float64 // initial values
}

// collectEGPs lists every extra global parameter the document gives a
// value for, except those a connectivity snippet's host code computes.
func (g *gen) collectEGPs() {
	add := func(owner, kind, varName, path, fieldPrefix string, decl []modelspec.EGP, vals map[string][]float64) {
		for _, e := range decl {
			v, ok := vals[e.Name]
			if !ok {
				continue
			}
			ptr := isPointer(e.Type)
			base := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(e.Type), "*"))
			count := len(v)
			if !ptr {
				count = 1
			}
			g.egps = append(g.egps, egpEntry{
				desc: codegen.EGPDesc{Owner: owner, Kind: kind, Var: varName, Name: e.Name, Type: e.Type, Count: count,
					Path: path + ".extra_global_params." + e.Name},
				field: fieldPrefix + "egp_" + e.Name, elem: codegen.CType(base), ptr: ptr, values: v})
		}
	}
	vars := func(owner, kind string, decl []modelspec.Var, vis map[string]*modelspec.VarInit) {
		for _, v := range decl {
			if vi := vis[v.Name]; vi != nil && vi.Kind == modelspec.InitSnippet {
				add(owner, "var_init", v.Name, vi.Path, owner+"_"+kind+"_"+v.Name+"_", vi.Snippet.ExtraGlobalParams, vi.EGPs)
			}
		}
	}
	for _, p := range g.net.Populations {
		add(p.Name, "neuron", "", "populations."+p.Name, p.Name+"_", p.Model.ExtraGlobalParams, p.EGPs)
		vars(p.Name, "neuron", p.Model.Vars, p.Vars)
	}
	for _, s := range g.net.Synapses {
		path := "synapses." + s.Name
		wu := s.WeightUpdate
		add(s.Name, "weight_update", "", path+".weight_update", s.Name+"_", wu.Model.ExtraGlobalParams, wu.EGPs)
		vars(s.Name, "synapse", wu.Model.Vars, wu.Vars)
		vars(s.Name, "pre", wu.Model.PreVars, wu.PreVars)
		vars(s.Name, "post", wu.Model.PostVars, wu.PostVars)
		vars(s.Name, "postsynaptic", s.Postsynaptic.Model.Vars, s.Postsynaptic.Vars)
		if c := s.Connectivity; c != nil {
			var decl []modelspec.EGP
			for _, e := range c.Snippet.ExtraGlobalParams {
				if !c.Snippet.HostEGP(e.Name) {
					decl = append(decl, e)
				}
			}
			add(s.Name, "connectivity", "", path+".connectivity", s.Name+"_conn_", decl, c.EGPs)
		}
	}
	for _, c := range g.net.CurrentSources {
		add(c.Name, "current_source", "", "current_sources."+c.Name, c.Name+"_", c.Model.ExtraGlobalParams, c.EGPs)
		vars(c.Name, "current_source", c.Model.Vars, c.Vars)
	}
}

// egpRef is the C expression of variant b's value of the parameter at path
// (an array for a pointer type); "" when the document gives none.
func (g *gen) egpRef(path string) string {
	for _, e := range g.egps {
		if e.desc.Path == path {
			return "ctx->" + e.field + "[b]"
		}
	}
	return ""
}

// bindEGPs adds extra global parameters to a scope; a parameter the code
// uses but the document does not give is an error.
func (g *gen) bindEGPs(sc *codegen.Scope, owner, path string, decl []modelspec.EGP, vals map[string][]float64, codes []string, pos modelspec.Pos) error {
	for _, e := range decl {
		ref := g.egpRef(path + ".extra_global_params." + e.Name)
		if ref == "" {
			for _, c := range codes {
				if strings.Contains(c, "$("+e.Name+")") {
					return fmt.Errorf("%s: %s.extra_global_params: extra global parameter %q is used by the code of %s but has no value", pos, path, e.Name, owner)
				}
			}
			continue
		}
		sc.Vars[e.Name] = ref
	}
	return nil
}

// emitEGPFields declares the context fields (inside struct gn_ctx).
func (g *gen) emitEGPFields() {
	for _, e := range g.egps {
		if e.ptr {
			g.w.Line("%s **%s; /* [batch] arrays of %s_n[b] values: %s */", e.elem, e.field, e.field, e.desc.Path)
			g.w.Line("size_t *%s_n;", e.field)
		} else {
			g.w.Line("%s *%s; /* [batch]: %s */", e.elem, e.field, e.desc.Path)
		}
	}
}

// emitEGPs writes the initial values of the parameters (full double
// precision; gn_set_egp converts them like values set at run time).
func (g *gen) emitEGPs() {
	for _, e := range g.egps {
		parts := make([]string, 0, len(e.values))
		for _, x := range e.values {
			parts = append(parts, codegen.Literal(x, "double"))
		}
		if !e.ptr && len(parts) > 1 {
			parts = parts[:1]
		}
		n := len(parts)
		if len(parts) == 0 {
			parts = []string{"0"}
		}
		g.w.Line("static const double %s_init[%d] = {%s}; /* %d value(s) */", e.field, len(parts), strings.Join(parts, ", "), n)
	}
	if len(g.egps) > 0 {
		g.w.Line("")
	}
}

// egpInitLen is the number of initial values of e.
func (e egpEntry) initLen() int {
	if !e.ptr {
		return 1
	}
	return len(e.values)
}

// emitEGPCreate allocates and fills the parameters in gn_create.
func (g *gen) emitEGPCreate() {
	w := g.w
	for i, e := range g.egps {
		w.Line("GN_ALLOC(%s, batch);", e.field)
		if e.ptr {
			w.Line("GN_ALLOC(%s_n, batch);", e.field)
		}
		w.Line("for (uint32_t b = 0; b < batch; b++) if (gn_set_egp(ctx, %d, b, %s_init, %d)) goto oom;", i, e.field, e.initLen())
	}
}

// emitEGPDestroy frees the parameters in gn_destroy.
func (g *gen) emitEGPDestroy() {
	w := g.w
	for _, e := range g.egps {
		if e.ptr {
			w.Line("if (ctx->%s) for (uint32_t b = 0; b < ctx->batch; b++) free(ctx->%s[b]);", e.field, e.field)
			w.Line("free(ctx->%s_n);", e.field)
		}
		w.Line("free(ctx->%s);", e.field)
	}
}

// egpSet is the C expression gn_set_egp returns after setting parameter i:
// 0, or in a CUDA module the result of copying it to the device.
func (g *gen) egpSet(i int) string {
	if g.cuda {
		return fmt.Sprintf("gn_dev_egp(ctx, %d, variant)", i)
	}
	return "0"
}

// emitEGPABI writes gn_set_egp and gn_get_egp.
func (g *gen) emitEGPABI() {
	w := g.w
	w.Line("int gn_set_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, const double *values, size_t n)")
	w.Open("{")
	w.Line("if (variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
	w.Line("if (n > 0 && !values) { snprintf(ctx->err, sizeof ctx->err, \"gn_set_egp: values is NULL\"); return 1; }")
	w.Open("switch (egp) {")
	for i, e := range g.egps {
		if e.ptr {
			w.Open("case %d: { /* %s */", i, e.desc.Path)
			w.Line("%s *p = realloc(ctx->%s[variant], (n > 0 ? n : 1) * sizeof *p);", e.elem, e.field)
			w.Line("if (!p) { snprintf(ctx->err, sizeof ctx->err, \"out of memory for %%zu values of %s\", n); return 1; }", e.desc.Path)
			w.Line("for (size_t k = 0; k < n; k++) p[k] = (%s)values[k];", e.elem)
			w.Line("ctx->%s[variant] = p;", e.field)
			w.Line("ctx->%s_n[variant] = n;", e.field)
			w.Line("return %s;", g.egpSet(i))
			w.Close("}")
			continue
		}
		w.Line("case %d: /* %s */", i, e.desc.Path)
		w.Line("    if (n != 1) { snprintf(ctx->err, sizeof ctx->err, \"%s is a scalar: give 1 value, not %%zu\", n); return 1; }", e.desc.Path)
		w.Line("    ctx->%s[variant] = (%s)values[0];", e.field, e.elem)
		w.Line("    return %s;", g.egpSet(i))
	}
	w.Close("}")
	w.Line("snprintf(ctx->err, sizeof ctx->err, \"no extra global parameter %%u\", egp);")
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
	w.Line("int gn_get_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, double *out, size_t cap, size_t *n)")
	w.Open("{")
	w.Line("if (variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
	w.Line("if (cap > 0 && !out) { snprintf(ctx->err, sizeof ctx->err, \"gn_get_egp: out is NULL\"); return 1; }")
	w.Open("switch (egp) {")
	for i, e := range g.egps {
		if e.ptr {
			w.Open("case %d: {", i)
			w.Line("const size_t len = ctx->%s_n[variant];", e.field)
			w.Line("if (n) *n = len;")
			w.Line("for (size_t k = 0; k < len && k < cap; k++) out[k] = (double)ctx->%s[variant][k];", e.field)
			w.Line("return 0;")
			w.Close("}")
			continue
		}
		w.Line("case %d: if (n) *n = 1; if (cap > 0) out[0] = (double)ctx->%s[variant]; return 0;", i, e.field)
	}
	w.Close("}")
	w.Line("snprintf(ctx->err, sizeof ctx->err, \"no extra global parameter %%u\", egp);")
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
}

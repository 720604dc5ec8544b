package codegen

import (
	"strings"

	"github.com/gennctl/gennctl/modelspec"
)

// Extra global parameters are per-variant data of the context: a pointer
// (array) parameter is one heap array per variant with its length, a scalar
// one a value per variant. gn_create fills them from the values the module
// was generated with (the document's); gn_set_egp / gn_get_egp replace and
// read one variant's. Code reads them as ctx-><field>[b], so a value set
// between steps is seen by the next step, and values read by initialisation
// code (var-init snippets, connectivity) by the next gn_init.

// EGPEntry is an extra global parameter of the context.
type EGPEntry struct {
	Desc   EGPDesc
	Field  string
	Elem   string    // C type of one element
	Ptr    bool      // an array per variant (Field_n[b] values), else one value
	values []float64 // initial values
}

// collectEGPs lists every extra global parameter the document gives a
// value for, except those a connectivity snippet's host code computes.
func (g *Generator) collectEGPs() {
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
			g.EGPs = append(g.EGPs, EGPEntry{
				Desc: EGPDesc{Owner: owner, Kind: kind, Var: varName, Name: e.Name, Type: e.Type, Count: count,
					Path: path + ".extra_global_params." + e.Name},
				Field: fieldPrefix + "egp_" + e.Name, Elem: CType(base), Ptr: ptr, values: v})
		}
	}
	vars := func(owner, kind string, decl []modelspec.Var, vis map[string]*modelspec.VarInit) {
		for _, v := range decl {
			if vi := vis[v.Name]; vi != nil && vi.Kind == modelspec.InitSnippet {
				add(owner, "var_init", v.Name, vi.Path, owner+"_"+kind+"_"+v.Name+"_", vi.Snippet.ExtraGlobalParams, vi.EGPs)
			}
		}
	}
	for _, p := range g.Net.Populations {
		add(p.Name, "neuron", "", "populations."+p.Name, p.Name+"_", p.Model.ExtraGlobalParams, p.EGPs)
		vars(p.Name, "neuron", p.Model.Vars, p.Vars)
	}
	for _, s := range g.Net.Synapses {
		path := "synapses." + s.Name
		wu := s.WeightUpdate
		add(s.Name, "weight_update", "", path+".weight_update", s.Name+"_", wu.Model.ExtraGlobalParams, wu.EGPs)
		add(s.Name, "postsynaptic", "", path+".postsynaptic", s.Name+"_ps_", s.Postsynaptic.Model.ExtraGlobalParams, s.Postsynaptic.EGPs)
		vars(s.Name, "synapse", wu.Model.Vars, wu.Vars)
		vars(s.Name, "pre", wu.Model.PreVars, wu.PreVars)
		vars(s.Name, "post", wu.Model.PostVars, wu.PostVars)
		vars(s.Name, "postsynaptic", s.Postsynaptic.Model.Vars, s.Postsynaptic.Vars)
		if c := s.Connectivity; c != nil {
			// the parameters a custom snippet's host code allocates are
			// module data too, empty until gn_init runs it (the built-in
			// host code's are internal arrays)
			var decl []modelspec.EGP
			vals := map[string][]float64{}
			for k, v := range c.EGPs {
				vals[k] = v
			}
			for _, e := range c.Snippet.ExtraGlobalParams {
				switch {
				case !c.Snippet.HostEGP(e.Name):
					decl = append(decl, e)
				case !builtinHostInit(c.Snippet):
					decl = append(decl, e)
					vals[e.Name] = nil
				}
			}
			add(s.Name, "connectivity", "", path+".connectivity", s.Name+"_conn_", decl, vals)
		}
	}
	for _, c := range g.Net.CurrentSources {
		add(c.Name, "current_source", "", "current_sources."+c.Name, c.Name+"_", c.Model.ExtraGlobalParams, c.EGPs)
		vars(c.Name, "current_source", c.Model.Vars, c.Vars)
	}
	for _, cu := range g.Net.CustomUpdates {
		add(cu.Name, "custom_update", "", "custom_updates."+cu.Name, cu.Name+"_", cu.Model.ExtraGlobalParams, cu.EGPs)
	}
}

// egpRef is the C expression of variant b's value of the parameter at path
// (an array for a pointer type); "" when the document gives none.
func (g *Generator) egpRef(path string) string {
	for _, e := range g.EGPs {
		if e.Desc.Path == path {
			return "ctx->" + e.Field + "[b]"
		}
	}
	return ""
}

// bindEGPs adds extra global parameters to a scope; a parameter the code
// uses but the document does not give is an error.
func (g *Generator) bindEGPs(sc *Scope, owner, path string, decl []modelspec.EGP, vals map[string][]float64, codes []string, pos modelspec.Pos) error {
	for _, e := range decl {
		ref := g.egpRef(path + ".extra_global_params." + e.Name)
		if ref == "" {
			for _, c := range codes {
				if strings.Contains(c, "$("+e.Name+")") {
					return configError(pos, path+".extra_global_params", "extra global parameter %q is used by the code of %s but has no value", e.Name, owner)
				}
			}
			continue
		}
		sc.Vars[e.Name] = ref
	}
	return nil
}

// emitEGPFields declares the context fields (inside struct gn_ctx).
func (g *Generator) emitEGPFields() {
	for _, e := range g.EGPs {
		if e.Ptr {
			g.W.Line("%s **%s; /* [batch] arrays of %s_n[b] values: %s */", e.Elem, e.Field, e.Field, e.Desc.Path)
			g.W.Line("size_t *%s_n;", e.Field)
		} else {
			g.W.Line("%s *%s; /* [batch]: %s */", e.Elem, e.Field, e.Desc.Path)
		}
	}
}

// EmitEGPs writes the initial values of the parameters (full double
// precision; gn_set_egp converts them like values set at run time).
func (g *Generator) EmitEGPs() {
	for _, e := range g.EGPs {
		parts := make([]string, 0, len(e.values))
		for _, x := range e.values {
			parts = append(parts, Literal(x, "double"))
		}
		if !e.Ptr && len(parts) > 1 {
			parts = parts[:1]
		}
		n := len(parts)
		if len(parts) == 0 {
			parts = []string{"0"}
		}
		g.W.Line("static const double %s_init[%d] = {%s}; /* %d value(s) */", e.Field, len(parts), strings.Join(parts, ", "), n)
	}
	if len(g.EGPs) > 0 {
		g.W.Line("")
	}
}

// egpInitLen is the number of initial values of e.
func (e EGPEntry) initLen() int {
	if !e.Ptr {
		return 1
	}
	return len(e.values)
}

// emitEGPCreate allocates and fills the parameters in gn_create.
func (g *Generator) emitEGPCreate() {
	w := g.W
	for i, e := range g.EGPs {
		w.Line("GN_ALLOC(%s, batch);", e.Field)
		if e.Ptr {
			w.Line("GN_ALLOC(%s_n, batch);", e.Field)
		}
		w.Line("for (uint32_t b = 0; b < batch; b++) if (gn_set_egp(ctx, %d, b, %s_init, %d)) goto oom;", i, e.Field, e.initLen())
	}
}

// emitEGPDestroy frees the parameters in gn_destroy.
func (g *Generator) emitEGPDestroy() {
	w := g.W
	for _, e := range g.EGPs {
		if e.Ptr {
			w.Line("if (ctx->%s) for (uint32_t b = 0; b < ctx->batch; b++) free(ctx->%s[b]);", e.Field, e.Field)
			w.Line("free(ctx->%s_n);", e.Field)
		}
		w.Line("free(ctx->%s);", e.Field)
	}
}

// emitEGPABI writes gn_set_egp and gn_get_egp.
func (g *Generator) emitEGPABI() {
	w := g.W
	w.Line("int gn_set_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, const double *values, size_t n)")
	w.Open("{")
	w.Line("if (variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
	w.Line("if (n > 0 && !values) { snprintf(ctx->err, sizeof ctx->err, \"gn_set_egp: values is NULL\"); return 1; }")
	w.Open("switch (egp) {")
	for i, e := range g.EGPs {
		if e.Ptr {
			w.Open("case %d: { /* %s */", i, e.Desc.Path)
			w.Line("%s *p = realloc(ctx->%s[variant], (n > 0 ? n : 1) * sizeof *p);", e.Elem, e.Field)
			w.Line("if (!p) { snprintf(ctx->err, sizeof ctx->err, \"out of memory for %%zu values of %s\", n); return 1; }", e.Desc.Path)
			w.Line("for (size_t k = 0; k < n; k++) p[k] = (%s)values[k];", e.Elem)
			w.Line("ctx->%s[variant] = p;", e.Field)
			w.Line("ctx->%s_n[variant] = n;", e.Field)
			w.Line("return %s;", g.B.EGPChanged(i))
			w.Close("}")
			continue
		}
		w.Line("case %d: /* %s */", i, e.Desc.Path)
		w.Line("    if (n != 1) { snprintf(ctx->err, sizeof ctx->err, \"%s is a scalar: give 1 value, not %%zu\", n); return 1; }", e.Desc.Path)
		w.Line("    ctx->%s[variant] = (%s)values[0];", e.Field, e.Elem)
		w.Line("    return %s;", g.B.EGPChanged(i))
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
	for i, e := range g.EGPs {
		if e.Ptr {
			w.Open("case %d: {", i)
			w.Line("const size_t len = ctx->%s_n[variant];", e.Field)
			w.Line("if (n) *n = len;")
			w.Line("for (size_t k = 0; k < len && k < cap; k++) out[k] = (double)ctx->%s[variant][k];", e.Field)
			w.Line("return 0;")
			w.Close("}")
			continue
		}
		w.Line("case %d: if (n) *n = 1; if (cap > 0) out[0] = (double)ctx->%s[variant]; return 0;", i, e.Field)
	}
	w.Close("}")
	w.Line("snprintf(ctx->err, sizeof ctx->err, \"no extra global parameter %%u\", egp);")
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
}

package codegen

import (
	"fmt"

	"github.com/gennctl/gennctl/modelspec"
)

// EmitTypes writes the precision, the time step, the number of runtime
// slots and the macros that GeNN code may use. cxx: the file is also
// compiled as C++, where min and max come from CUDA (or its emulation).
func (g *Generator) EmitTypes(cxx bool) {
	w := g.W
	if g.Prec == "float" {
		// GeNN's code is C++, where exp(x) of a float x is the float
		// function (as in the CUDA backend's kernels); in C, tgmath.h
		// makes it so.
		if cxx {
			w.Line("#ifndef __cplusplus")
		}
		w.Line("#include <tgmath.h> /* math functions of float arguments in float, as GeNN's C++ */")
		if cxx {
			w.Line("#endif")
		}
	}
	w.Line("typedef %s scalar;", g.Prec)
	w.Line("#define DT %s", Literal(g.Net.Sim.DT, g.Prec))
	w.Line("#define GN_NUM_RUNTIME %d", len(g.Opts.Runtime))
	for _, p := range g.Net.Populations {
		if g.SpikeTime[p] || g.PrevSpikeTime[p] || g.EventTime[p] || g.PrevEventTime[p] {
			w.Line("#include <float.h>")
			if g.Prec == "float" {
				w.Line("#define GN_TIME_MAX FLT_MAX /* spike time of a neuron that has not spiked: -GN_TIME_MAX */")
			} else {
				w.Line("#define GN_TIME_MAX DBL_MAX /* spike time of a neuron that has not spiked: -GN_TIME_MAX */")
			}
			break
		}
	}
	if g.maxReductions() {
		w.Line("#include <float.h> /* the initial value of maximum reductions */")
	}
	if g.connMinMax() {
		w.Line("/* min and max of GeNN's connectivity code (e.g. Conv2D), as in C++ */")
		if cxx {
			w.Line("#ifndef __cplusplus /* C++: CUDA's min and max (the emulation's) */")
		}
		w.Line("#ifndef min")
		w.Line("#define min(a, b) ((a) < (b) ? (a) : (b))")
		w.Line("#endif")
		w.Line("#ifndef max")
		w.Line("#define max(a, b) ((a) > (b) ? (a) : (b))")
		w.Line("#endif")
		if cxx {
			w.Line("#endif")
		}
	}
}

// collectVars lists every array in the context with its accessible name:
// first the variables of the description (in gn_describe order), then
// internal arrays.
func (g *Generator) collectVars() {
	add := func(owner, kind, name, typ, field string, count int) {
		g.Vars = append(g.Vars, VarEntry{Desc: VarDesc{Owner: owner, Kind: kind, Name: name, Type: typ, Count: count},
			Field: field, CType: CType(typ), Slots: 1})
	}
	// addVar adds a model variable of count elements; one when the
	// variable is shared by the neurons.
	addVar := func(owner, kind string, v modelspec.Var, field string, count int) {
		if v.SharedNeuron() {
			count = 1
		}
		add(owner, kind, v.Name, typeName(v.Type, g.Prec), field, count)
		g.Vars[len(g.Vars)-1].Shared = v.SharedNeuron()
		g.Vars[len(g.Vars)-1].ReadOnly = v.ReadOnly()
	}
	for _, p := range g.Net.Populations {
		for _, v := range p.Model.Vars {
			addVar(p.Name, "neuron", v, popField(p, v.Name), p.Size)
			if g.queued[p][v.Name] {
				g.Vars[len(g.Vars)-1].Slots = g.Slots[p]
			}
		}
	}
	for _, s := range g.Net.Synapses {
		npre, npost := s.Source.Size, s.Target.Size
		if g.PSTarget(s) == s {
			add(s.Name, "postsynaptic", "inSyn", g.Prec, s.Name+"_inSyn", npost)
		}
		for _, v := range s.Postsynaptic.Model.Vars {
			addVar(s.Name, "postsynaptic", v, s.Name+"_ps_"+v.Name, npost)
		}
		if g.Indiv[s] || g.KernelW[s] {
			for _, v := range s.WeightUpdate.Model.Vars {
				addVar(s.Name, "synapse", v, s.Name+"_"+v.Name, g.numSynapses(s))
			}
		}
		// Kept per delay slot of the source (target) with an axonal
		// (back-propagation) delay, as GeNN 4.9 does.
		for _, v := range s.WeightUpdate.Model.PreVars {
			addVar(s.Name, "pre", v, s.Name+"_pre_"+v.Name, npre)
			if s.DelaySteps != 0 {
				g.Vars[len(g.Vars)-1].Slots = g.Slots[s.Source]
			}
		}
		for _, v := range s.WeightUpdate.Model.PostVars {
			addVar(s.Name, "post", v, s.Name+"_post_"+v.Name, npost)
			if s.BackPropDelaySteps != 0 {
				g.Vars[len(g.Vars)-1].Slots = g.Slots[s.Target]
			}
		}
		from := len(g.Vars)
		if s.Matrix == modelspec.MatrixSparse {
			add(s.Name, "connectivity", "rowLength", "uint32_t", s.Name+"_rowLength", npre)
			add(s.Name, "connectivity", "ind", g.IndType(s), s.Name+"_ind", npre*g.MaxRow[s])
		}
		if s.Matrix == modelspec.MatrixBitmask {
			add(s.Name, "connectivity", "gp", "uint32_t", s.Name+"_gp", (npre*npost+31)/32)
		}
		g.markConn(s, from)
		if g.ShareConn[s] {
			add(s.Name, "connectivity", "connectivityOwner", "uint32_t", s.Name+"_connectivityOwner", 1)
			g.Vars[len(g.Vars)-1].readOnly = true
		}
	}
	for _, c := range g.Net.CurrentSources {
		for _, v := range c.Model.Vars {
			addVar(c.Name, "current_source", v, c.Name+"_"+v.Name, c.Target.Size)
		}
	}
	for _, cu := range g.Net.CustomUpdates {
		for _, v := range cu.Model.Vars {
			addVar(cu.Name, "custom_update", v, cu.Name+"_"+v.Name, g.customUpdateSize(cu))
		}
	}
	internal := func(owner, name, typ, field string, count, slots int) {
		g.Internal(owner, name, typ, field, count, slots, false)
	}
	for _, p := range g.Net.Populations {
		g.B.PopulationArrays(p)
		if g.SpikeTime[p] {
			internal(p.Name, "sT", "scalar", p.Name+"_sT", p.Size, g.Slots[p])
		}
		if g.PrevSpikeTime[p] {
			internal(p.Name, "prevST", "scalar", p.Name+"_prevST", p.Size, g.Slots[p])
		}
		if g.EventTime[p] {
			internal(p.Name, "seT", "scalar", p.Name+"_seT", p.Size, g.Slots[p])
		}
		if g.PrevEventTime[p] {
			internal(p.Name, "prevSET", "scalar", p.Name+"_prevSET", p.Size, g.Slots[p])
		}
	}
	g.poissonArrays()
	for _, s := range g.Net.Synapses {
		from := len(g.Vars)
		if c := s.Connectivity; c != nil && builtinHostInit(c.Snippet) {
			for _, e := range c.Snippet.ExtraGlobalParams {
				if c.Snippet.HostEGP(e.Name) {
					internal(s.Name, e.Name, "uint32_t", s.Name+"_"+e.Name, s.Source.Size, 1)
				}
			}
		}
		if g.kernel[s] {
			internal(s.Name, "kernelInd", "uint32_t", s.Name+"_kernelInd", s.Source.Size*g.MaxRow[s], 1)
		}
		g.markConn(s, from)
		if g.Events[s] {
			g.B.EventArrays(s)
		}
		if n := g.DenDelay[s]; n > 0 && g.PSTarget(s) == s {
			g.Internal(s.Name, "denDelay", "scalar", s.Name+"_denDelay", s.Target.Size, n, true)
		}
		if g.PreOutput[s] {
			g.Internal(s.Name, "revInSyn", "scalar", s.Name+"_revInSyn", s.Source.Size, 1, true)
		}
		if n := g.MaxCol[s]; n > 0 {
			from := len(g.Vars)
			internal(s.Name, "colLength", "uint32_t", s.Name+"_colLength", s.Target.Size, 1)
			internal(s.Name, "remap", "uint32_t", s.Name+"_remap", s.Target.Size*n, 1)
			g.markConn(s, from)
		}
		g.B.SynapseArrays(s)
	}
}

// Internal adds an internal array of the context (not accessible through
// the ABI): count elements per variant and delay slot; zero: gn_init
// clears it.
func (g *Generator) Internal(owner, name, typ, field string, count, slots int, zero bool) {
	g.Vars = append(g.Vars, VarEntry{Desc: VarDesc{Owner: owner, Kind: "internal", Name: name, Type: typ, Count: count},
		Field: field, CType: CType(typ), Slots: slots, Internal: true, ZeroAtInit: zero})
}

// DeviceArray adds an internal array that lives on the device only (see
// VarEntry.DeviceOnly), cleared at gn_init.
func (g *Generator) DeviceArray(owner, name, typ, field string, count, slots int) {
	g.Internal(owner, name, typ, field, count, slots, true)
	g.Vars[len(g.Vars)-1].DeviceOnly = true
}

// markConn marks the arrays g.Vars[from:] as shared connectivity storage of
// group s when s shares its connectivity (shareConn).
func (g *Generator) markConn(s *modelspec.SynapseGroup, from int) {
	if !g.ShareConn[s] {
		return
	}
	for i := from; i < len(g.Vars); i++ {
		g.Vars[i].Conn = s
	}
}

// base is the C expression of the offset of variant b's part of array v:
// b times its per-variant length, or for shared connectivity storage the
// realisation variant b uses.
func (g *Generator) base(v VarEntry, b string) string {
	if v.Conn != nil {
		return fmt.Sprintf("(size_t)ctx->%s_cslot[%s] * %d", v.Conn.Name, b, v.Desc.Count*v.Slots)
	}
	return fmt.Sprintf("(size_t)%s * %d", b, v.Desc.Count*v.Slots)
}

// ConnPtr declares a local pointer name to variant b's part of connectivity
// array owner.name (kind connectivity or internal).
func (g *Generator) ConnPtr(qual, owner, kind, name, local string) {
	v, _ := g.Array(owner, kind, name)
	g.W.Line("%s%s *const %s = ctx->%s + %s;", qual, v.CType, local, v.Field, g.base(v, "b"))
}

// Exported are the variables listed in the description, in its order.
func (g *Generator) Exported() []VarEntry {
	var out []VarEntry
	for _, v := range g.Vars {
		if !v.Internal {
			out = append(out, v)
		}
	}
	return out
}

func typeName(t, prec string) string {
	if t == "scalar" {
		return prec
	}
	return t
}

// IndType is the C type of a sparse group's postsynaptic indices: 16 bits
// when the target population is small enough, halving the memory the
// synapse update streams through.
func (g *Generator) IndType(s *modelspec.SynapseGroup) string {
	if s.Target.Size <= 1<<16 {
		return "uint16_t"
	}
	return "uint32_t"
}

// numSynapses is the per-variant synapse count of a group's storage: its
// kernel's size with kernel weights.
func (g *Generator) numSynapses(s *modelspec.SynapseGroup) int {
	switch {
	case g.KernelW[s]:
		n := 1
		for _, d := range g.kernelDims[s] {
			n *= d
		}
		return n
	case s.Matrix == modelspec.MatrixSparse:
		return s.Source.Size * g.MaxRow[s]
	}
	return s.Source.Size * s.Target.Size
}

// Index is the index of element idx of an array holding one element per
// neuron (or synapse): 0 in a variable shared by the neurons.
func (v VarEntry) Index(idx string) string {
	if v.Shared {
		return "0"
	}
	return idx
}

// EmitContext writes struct gn_ctx: every array of the context, the
// realisation slots of shared connectivity, the extra global parameters
// and the backend's fields.
func (g *Generator) EmitContext() {
	w := g.W
	w.Open("struct gn_ctx {")
	w.Line("uint32_t batch;")
	w.Line("uint32_t threads;   /* gn_set_threads */")
	w.Line("uint64_t timestep;")
	w.Line("uint64_t *seed;     /* [batch] */")
	w.Line("double *rt;         /* [batch][GN_NUM_RUNTIME] */")
	w.Line("uint32_t *rec;      /* recorded spikes: (pop, variant, neuron, step) quads */")
	w.Line("size_t rec_len, rec_cap, rec_head;")
	w.Line("int failed;")
	w.Line("char err[512];")
	for _, p := range g.Net.Populations {
		w.Line("/* population %s: %s, %d neurons, %d delay slot(s) */", p.Name, p.Model.Name, p.Size, g.Slots[p])
		w.Line("uint32_t *%s_spkCnt; /* [batch][slots] */", p.Name)
		w.Line("uint32_t *%s_spk;    /* [batch][slots][%d] */", p.Name, p.Size)
	}
	for _, v := range g.Vars {
		where := ""
		if v.DeviceOnly {
			where = ", on the device only"
		}
		if v.Slots > 1 {
			w.Line("%s *%s; /* [batch][%d slots][%d] %s %s.%s%s */", v.CType, v.Field, v.Slots, v.Desc.Count, v.Desc.Kind, v.Desc.Owner, v.Desc.Name, where)
			continue
		}
		w.Line("%s *%s; /* [batch][%d] %s %s.%s%s */", v.CType, v.Field, v.Desc.Count, v.Desc.Kind, v.Desc.Owner, v.Desc.Name, where)
	}
	for _, s := range g.Net.Synapses {
		if g.ShareConn[s] {
			w.Line("uint32_t *%s_cslot; /* [batch]: the realisation of %s's connectivity variant b uses */", s.Name, s.Name)
		}
	}
	g.emitEGPFields()
	g.B.ContextFields()
	w.Close("};")
	w.Line("")
}

// EmitSupportCode writes the models' support code (helper functions and
// macros) at file scope, once per distinct text. C has no namespaces, so
// two models defining the same name collide; GeNN users give support code
// functions model-specific names anyway. The backend defines
// SUPPORT_CODE_FUNC, the qualifier GeNN's support code functions carry;
// supportFunc, when not "", is written as its definition before the first.
func (g *Generator) EmitSupportCode(supportFunc string) {
	seen := map[string]bool{}
	emit := func(code, field, model string, cp modelspec.CodePos) {
		if !CodeNonEmpty(code) || seen[code] {
			return
		}
		if len(seen) == 0 && supportFunc != "" {
			g.W.Line("#define SUPPORT_CODE_FUNC %s", supportFunc)
		}
		seen[code] = true
		g.W.Line("/* %s of %s */", field, model)
		if p, ok := cp[field]; ok {
			g.W.LineDirective(p.Line, p.File)
			g.W.Code(EnsureFloatLiterals(code, g.Prec))
			g.W.RestoreLines(g.File)
		} else {
			g.W.Code(EnsureFloatLiterals(code, g.Prec))
		}
		g.W.Line("")
	}
	for _, p := range g.Net.Populations {
		emit(p.Model.SupportCode, "support_code", p.Model.Name, p.Model.CodePos)
	}
	for _, s := range g.Net.Synapses {
		ps, wu := s.Postsynaptic.Model, s.WeightUpdate.Model
		emit(ps.SupportCode, "support_code", ps.Name, ps.CodePos)
		emit(wu.SimSupportCode, "sim_support_code", wu.Name, wu.CodePos)
		emit(wu.LearnPostSupportCode, "learn_post_support_code", wu.Name, wu.CodePos)
		emit(wu.SynapseDynamicsSupportCode, "synapse_dynamics_support_code", wu.Name, wu.CodePos)
	}
}

// EmitHelpers writes the helper functions every module's C file has.
func (g *Generator) EmitHelpers() {
	w := g.W
	w.Line("static int gn_fail(gn_ctx *ctx, const char *msg)")
	w.Open("{")
	w.Line("if (!ctx->failed) { snprintf(ctx->err, sizeof ctx->err, \"%%s\", msg); ctx->failed = 1; } /* the first error stands */")
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
}

// VariantPrologue declares the pointer to variant b's runtime parameters.
func (g *Generator) VariantPrologue() {
	if g.usesRuntime() {
		g.W.Line("const double *rt = ctx->rt + (size_t)b * GN_NUM_RUNTIME;")
		g.W.Line("(void)rt;")
	}
}

// ArrayPtr declares a local pointer to variant b's slice of a ctx array.
func (g *Generator) ArrayPtr(v VarEntry) {
	if g.Restrict {
		g.W.Line("%s *restrict const %s = ctx->%s + %s;", v.CType, v.Field, v.Field, g.base(v, "b"))
		return
	}
	g.W.Line("%s *const %s = ctx->%s + %s;", v.CType, v.Field, v.Field, g.base(v, "b"))
}

// Array finds an array of the context by owner, kind and name.
func (g *Generator) Array(owner, kind, name string) (VarEntry, bool) {
	for _, v := range g.Vars {
		if v.Desc.Owner == owner && v.Desc.Kind == kind && v.Desc.Name == name {
			return v, true
		}
	}
	return VarEntry{}, false
}

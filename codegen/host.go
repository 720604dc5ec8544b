package codegen

import (
	"fmt"

	"github.com/gennctl/gennctl/modelspec"
)

// EmitABI writes the exported functions of the module ABI, with the
// backend's parts (Backend's Destroy, Allocate, Created, CreatedShare,
// Step, SpikesPending, Drain, VarAccess, VarSync, SetVarDone, SetVarEnd).
func (g *Generator) EmitABI() error {
	w := g.W
	w.Line("static const char gn_description[] = %s;", quoteC(g.describe()))
	w.Line("")
	w.Line("const char *gn_describe(void) { return gn_description; }")
	w.Line("")

	w.Line("void gn_destroy(gn_ctx *ctx)")
	w.Open("{")
	w.Line("if (!ctx) return;")
	g.B.Destroy()
	w.Line("free(ctx->seed);")
	w.Line("free(ctx->rt);")
	w.Line("free(ctx->rec);")
	for _, p := range g.Net.Populations {
		w.Line("free(ctx->%s_spkCnt);", p.Name)
		w.Line("free(ctx->%s_spk);", p.Name)
	}
	for _, v := range g.Vars {
		w.Line("free(ctx->%s);", v.Field)
	}
	for _, s := range g.Net.Synapses {
		if g.ShareConn[s] {
			w.Line("free(ctx->%s_cslot);", s.Name)
		}
	}
	g.emitEGPDestroy()
	w.Line("free(ctx);")
	w.Close("}")
	w.Line("")

	w.Line("gn_ctx *gn_create(uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen)")
	w.Open("{")
	w.Open("if (batch == 0) {")
	w.Line("snprintf(err, errlen, \"batch size must be at least 1\");")
	w.Line("return NULL;")
	w.Close("}")
	w.Line("gn_ctx *ctx = calloc(1, sizeof *ctx);")
	w.Line("if (!ctx) goto oom;")
	w.Line("ctx->batch = batch;")
	w.Line("ctx->threads = 1;")
	w.Line("#define GN_ALLOC(field, n) do { ctx->field = calloc((size_t)(n) > 0 ? (size_t)(n) : 1, sizeof *ctx->field); if (!ctx->field) goto oom; } while (0)")
	w.Line("GN_ALLOC(seed, batch);")
	w.Line("memcpy(ctx->seed, seeds, batch * sizeof *seeds);")
	w.Line("GN_ALLOC(rt, (size_t)batch * GN_NUM_RUNTIME);")
	w.Line("if (GN_NUM_RUNTIME > 0) memcpy(ctx->rt, runtime, (size_t)batch * GN_NUM_RUNTIME * sizeof *runtime);")
	for _, p := range g.Net.Populations {
		w.Line("GN_ALLOC(%s_spkCnt, (size_t)batch * %d);", p.Name, g.Slots[p])
		w.Line("GN_ALLOC(%s_spk, (size_t)batch * %d * %d);", p.Name, g.Slots[p], p.Size)
	}
	for _, v := range g.Vars {
		if v.DeviceOnly {
			continue
		}
		if v.Conn != nil {
			// one realisation (every variant's until gn_init decides the sharing)
			w.Line("GN_ALLOC(%s, %d);", v.Field, v.Desc.Count*v.Slots)
			continue
		}
		w.Line("GN_ALLOC(%s, (size_t)batch * %d);", v.Field, v.Desc.Count*v.Slots)
	}
	for _, s := range g.Net.Synapses {
		if g.ShareConn[s] {
			w.Line("GN_ALLOC(%s_cslot, batch);", s.Name)
			g.B.CreatedShare(s)
		}
	}
	g.emitEGPCreate()
	g.B.Allocate()
	w.Line("#undef GN_ALLOC")
	g.B.Created()
	w.Line("return ctx;")
	w.Line("oom:")
	w.Line("snprintf(err, errlen, \"out of memory creating a batch of %%u variants\", batch);")
	w.Line("gn_destroy(ctx);")
	w.Line("return NULL;")
	w.Close("}")
	w.Line("")

	w.Line("int gn_step(gn_ctx *ctx, uint32_t n)")
	w.Open("{")
	g.B.Step()
	w.Close("}")
	w.Line("")

	w.Line("int gn_set_threads(gn_ctx *ctx, uint32_t n) { ctx->threads = n ? n : 1; return 0; }")
	w.Line("uint64_t gn_timestep(gn_ctx *ctx) { return ctx->timestep; }")
	w.Line("")
	g.B.SpikesPending()
	w.Line("")
	w.Line("size_t gn_drain_spikes(gn_ctx *ctx, uint32_t *pop, uint32_t *variant, uint32_t *neuron, uint32_t *step, size_t cap)")
	w.Open("{")
	g.B.Drain()
	w.Line("size_t n = 0;")
	w.Open("while (n < cap && ctx->rec_head < ctx->rec_len) {")
	w.Line("const uint32_t *r = ctx->rec + ctx->rec_head;")
	w.Line("pop[n] = r[0]; variant[n] = r[1]; neuron[n] = r[2]; step[n] = r[3];")
	w.Line("ctx->rec_head += 4;")
	w.Line("n++;")
	w.Close("}")
	w.Line("if (ctx->rec_head == ctx->rec_len) ctx->rec_head = ctx->rec_len = 0;")
	w.Line("return n;")
	w.Close("}")
	w.Line("")

	g.B.VarAccess()
	for _, dir := range []string{"get", "set"} {
		if dir == "get" {
			w.Line("int gn_get_var(gn_ctx *ctx, uint32_t var, uint32_t variant, double *out)")
		} else {
			w.Line("int gn_set_var(gn_ctx *ctx, uint32_t var, uint32_t variant, const double *in)")
		}
		w.Open("{")
		w.Line("if (variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
		g.B.VarSync(dir)
		w.Open("switch (var) {")
		for i, v := range g.Exported() {
			base := g.latest(v, "variant")
			done := "return 0;"
			if d := g.B.SetVarDone(); d != "" && dir == "set" {
				done = d
			}
			if dir == "get" {
				w.Line("case %d: for (size_t k = 0; k < %d; k++) out[k] = (double)ctx->%s[%s + k]; return 0;", i, v.Desc.Count, v.Field, base)
			} else if v.readOnly {
				w.Line("case %d: snprintf(ctx->err, sizeof ctx->err, \"%s.%s is read-only\"); return 1;", i, v.Desc.Owner, v.Desc.Name)
			} else {
				w.Line("case %d: for (size_t k = 0; k < %d; k++) ctx->%s[%s + k] = (%s)in[k]; %s", i, v.Desc.Count, v.Field, base, v.CType, done)
			}
		}
		if dir == "set" && g.B.SetVarDone() != "" {
			w.Line("default: snprintf(ctx->err, sizeof ctx->err, \"no variable %%u\", var); return 1;")
			w.Close("}")
			g.B.SetVarEnd()
			w.Close("}")
			w.Line("")
			continue
		}
		w.Close("}")
		w.Line("snprintf(ctx->err, sizeof ctx->err, \"no variable %%u\", var);")
		w.Line("return 1;")
		w.Close("}")
		w.Line("")
	}
	g.emitEGPABI()
	g.B.FindNonFinite()
	w.Line("")
	if err := g.EmitCustomUpdates(); err != nil {
		return err
	}
	g.emitSetRuntime()
	g.emitCurrentSpikes()
	w.Line("const char *gn_error(gn_ctx *ctx) { return ctx->err; }")
	return nil
}

// CurrentSpikesWriter is implemented by backends whose spikes are not the
// core's host lists (FeatureCurrentSpikes).
type CurrentSpikesWriter interface {
	// CurrentSpikes writes the case of population p (index pi) of
	// gn_current_spikes (set false: fill out up to cap, and *n) or
	// gn_set_current_spikes (set true: in and n, already checked), for
	// the spikes of the last step, up to its return.
	CurrentSpikes(pi int, p *modelspec.Population, set bool)
}

// emitCurrentSpikes writes gn_current_spikes and gn_set_current_spikes: the
// spikes of the last step, the spike list of the delay slot it wrote
// (where the backend keeps the core's spike lists on the host; a
// CurrentSpikesWriter writes its own; they fail where the backend does
// not support FeatureCurrentSpikes).
func (g *Generator) emitCurrentSpikes() {
	w := g.W
	err := g.Require(FeatureCurrentSpikes, "gn_current_spikes")
	for _, set := range []bool{false, true} {
		if set {
			w.Line("int gn_set_current_spikes(gn_ctx *ctx, uint32_t pop, uint32_t variant, const uint32_t *in, size_t n)")
		} else {
			w.Line("int gn_current_spikes(gn_ctx *ctx, uint32_t pop, uint32_t variant, uint32_t *out, size_t cap, size_t *n)")
		}
		w.Open("{")
		if err != nil {
			if set {
				w.Line("(void)pop; (void)variant; (void)in; (void)n;")
			} else {
				w.Line("(void)pop; (void)variant; (void)out; (void)cap; (void)n;")
			}
			w.Line("snprintf(ctx->err, sizeof ctx->err, \"%%s\", %s);", quoteC(err.Error()))
			w.Line("return 1;")
			w.Close("}")
			w.Line("")
			continue
		}
		w.Line("if (variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
		w.Open("switch (pop) {")
		for i, p := range g.Net.Populations {
			slots := g.Slots[p]
			w.Open("case %d: { /* %s */", i, p.Name)
			if cw, ok := g.B.(CurrentSpikesWriter); ok {
				if set {
					g.checkSpikes(p)
				}
				cw.CurrentSpikes(i, p, set)
				w.Close("}")
				continue
			}
			w.Line("const size_t slot = (size_t)variant * %d + (size_t)((ctx->timestep + %d) %% %d);", slots, slots-1, slots)
			w.Line("uint32_t *const spk = ctx->%s_spk + slot * %d;", p.Name, p.Size)
			if set {
				g.checkSpikes(p)
				w.Line("memcpy(spk, in, n * sizeof *spk);")
				w.Line("ctx->%s_spkCnt[slot] = (uint32_t)n;", p.Name)
			} else {
				w.Line("*n = ctx->%s_spkCnt[slot];", p.Name)
				w.Line("memcpy(out, spk, (*n < cap ? *n : cap) * sizeof *out);")
			}
			w.Line("return 0;")
			w.Close("}")
		}
		w.Close("}")
		w.Line("snprintf(ctx->err, sizeof ctx->err, \"no population %%u\", pop);")
		w.Line("return 1;")
		w.Close("}")
		w.Line("")
	}
}

// checkSpikes writes gn_set_current_spikes's check of the n spikes in of
// population p.
func (g *Generator) checkSpikes(p *modelspec.Population) {
	g.W.Line("if (n > %d) { snprintf(ctx->err, sizeof ctx->err, \"%s has %d neurons, not %%zu spikes\", n); return 1; }", p.Size, p.Name, p.Size)
	g.W.Line("for (size_t k = 0; k < n; k++) if (in[k] >= %d) { snprintf(ctx->err, sizeof ctx->err, \"neuron %%u out of range (%s has %d)\", in[k]); return 1; }", p.Size, p.Name, p.Size)
}

// emitSetRuntime writes gn_set_runtime: the runtime slots are read from
// ctx->rt at each step, so a value set between steps is used by the next
// (where the backend supports it; it fails otherwise).
func (g *Generator) emitSetRuntime() {
	w := g.W
	w.Line("int gn_set_runtime(gn_ctx *ctx, uint32_t slot, uint32_t variant, double value)")
	w.Open("{")
	if err := g.Require(FeatureRuntimeParameters, "gn_set_runtime"); err != nil {
		w.Line("(void)slot; (void)variant; (void)value;")
		w.Line("snprintf(ctx->err, sizeof ctx->err, \"%%s\", %s);", quoteC(err.Error()))
		w.Line("return 1;")
		w.Close("}")
		w.Line("")
		return
	}
	w.Line("if (variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, \"variant %%u out of range (batch %%u)\", variant, ctx->batch); return 1; }")
	w.Line("if (slot >= GN_NUM_RUNTIME) { snprintf(ctx->err, sizeof ctx->err, \"no runtime parameter %%u (the module has %%d)\", slot, GN_NUM_RUNTIME); return 1; }")
	w.Line("ctx->rt[(size_t)variant * GN_NUM_RUNTIME + slot] = value;")
	w.Line("return %s;", g.B.RuntimeChanged())
	w.Close("}")
	w.Line("")
}

// EmitHostFiniteScan writes gn_find_nonfinite as a scan of the host's
// arrays, each variable's most recently written slot; fresh, when not nil,
// gives a statement that brings array v's host copy up to date first.
func (g *Generator) EmitHostFiniteScan(fresh func(v VarEntry) string) {
	w := g.W
	w.Line("int gn_find_nonfinite(gn_ctx *ctx, uint32_t *first)")
	w.Open("{")
	w.Line("for (uint32_t b = 0; b < 2 * ctx->batch; b++) first[b] = UINT32_MAX;")
	for i, v := range g.Exported() {
		if !FiniteChecked(v.Desc) {
			continue
		}
		w.Open("{ /* %s.%s */", v.Desc.Owner, v.Desc.Name)
		if fresh != nil {
			w.Line("%s", fresh(v))
		}
		w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
		w.Line("if (first[2 * b] != UINT32_MAX) continue;")
		w.Line("const %s *x = ctx->%s + %s;", v.CType, v.Field, g.latest(v, "b"))
		w.Line("for (uint32_t k = 0; k < %d; k++) if (!isfinite(x[k])) { first[2 * b] = %d; first[2 * b + 1] = k; break; }", v.Desc.Count, i)
		w.Close("}")
		w.Close("}")
	}
	w.Line("return 0;")
	w.Close("}")
}

// latest is the C expression of the offset of variant b's most recently
// written slot of array v (the one the next step reads).
func (g *Generator) latest(v VarEntry, b string) string {
	if v.Slots > 1 {
		return fmt.Sprintf("((size_t)%s * %d + (size_t)((ctx->timestep + %d) %% %d)) * %d", b, v.Slots, v.Slots-1, v.Slots, v.Desc.Count)
	}
	return g.base(v, b)
}

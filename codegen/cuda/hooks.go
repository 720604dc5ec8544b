package cuda

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// The codegen.Backend methods of the CUDA backend: where the host part of
// a CUDA module differs from a CPU module, it mirrors state on the device.

func (g *gen) Name() string { return "cuda" }

// ColumnIndex: kernels walk columns for synapse dynamics and, with
// postsynaptic span, for the presynaptic update, one thread per
// postsynaptic neuron.
func (g *gen) ColumnIndex(s *modelspec.SynapseGroup) bool {
	wu := s.WeightUpdate.Model
	return codegen.CodeNonEmpty(wu.SynapseDynamicsCode) ||
		!g.presynapticSpan(s) && (codegen.CodeNonEmpty(wu.SimCode) || codegen.CodeNonEmpty(wu.EventCode))
}

// PopulationArrays: spike flags per delay slot, what kernels read instead
// of spike lists, and for sources of postsynaptic-span groups a spike
// bitmask per slot.
func (g *gen) PopulationArrays(p *modelspec.Population) {
	g.Internal(p.Name, "spkFlag", "uint8_t", p.Name+"_spkFlag", p.Size, g.Slots[p], true)
	if g.spikeBits(p) {
		g.Internal(p.Name, "spkBits", "uint32_t", p.Name+"_spkBits", spikeWords(p), g.Slots[p]+1, true)
	}
}

// EventArrays: a spike-like event flag per source neuron and delay slot.
func (g *gen) EventArrays(s *modelspec.SynapseGroup) {
	g.Internal(s.Name, "evFlag", "uint8_t", s.Name+"_evFlag", s.Source.Size, g.Slots[s.Source], true)
}

func (g *gen) ContextFields() { g.emitDeviceFields() }

func (g *gen) ShareAllocated(s *modelspec.SynapseGroup) {
	g.W.Line("ctx->%s_nconn = n;", s.Name)
}

func (g *gen) Initialised() {
	g.W.Line("if (!ctx->failed && gn_dev_upload(ctx)) return 1; /* the device starts from this state */")
}

func (g *gen) EGPChanged(i int) string { return fmt.Sprintf("gn_dev_egp(ctx, %d, variant)", i) }

func (g *gen) Destroy()  { g.W.Line("gn_dev_destroy(ctx);") }
func (g *gen) Allocate() {}

func (g *gen) Created() {
	w := g.W
	w.Open("if (gn_dev_create(ctx)) {")
	w.Line("snprintf(err, errlen, \"%%s\", ctx->err);")
	w.Line("gn_destroy(ctx);")
	w.Line("return NULL;")
	w.Close("}")
}

func (g *gen) CreatedShare(s *modelspec.SynapseGroup) {
	g.W.Line("ctx->%s_nconn = 1;", s.Name)
}

func (g *gen) Step() {
	g.W.Line("if (ctx->failed) return 1;")
	g.W.Line("return gn_dev_step(ctx, n) || ctx->failed;")
}

func (g *gen) SpikesPending() {
	w := g.W
	w.Line("size_t gn_spikes_pending(gn_ctx *ctx)")
	w.Open("{")
	w.Line("gn_dev_fetch_spikes(ctx); /* a failure is in gn_error and fails the next step */")
	w.Line("return (ctx->rec_len - ctx->rec_head) / 4;")
	w.Close("}")
}

func (g *gen) Drain()             { g.W.Line("gn_dev_fetch_spikes(ctx);") }
func (g *gen) VarAccess()         { g.emitVarTable() }
func (g *gen) VarSync(dir string) { g.emitVarSync(dir) }

// SetVarDone: a variable set on the host is then copied to the device.
func (g *gen) SetVarDone() string { return "break;" }
func (g *gen) SetVarEnd()         { g.emitVarPut() }

// FindNonFinite scans the host copies, each brought up to date first.
func (g *gen) FindNonFinite() {
	g.EmitHostFiniteScan(func(v codegen.VarEntry) string {
		return fmt.Sprintf("if (gn_dev_get(ctx, %d)) return 1;", g.devIndex(v.Field))
	})
}

package cuda

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// The codegen.Backend methods of the CUDA backend: where the host part of
// a CUDA module differs from a CPU module, it mirrors state on the device.

func (g *gen) Name() string { return "cuda" }

// Supports: the features of the core the CUDA backend generates (see
// supported).
func (g *gen) Supports(f codegen.Feature) bool { return supported[f] }

// supported lists them. Host initialisation code runs in module.c and the
// arrays it fills are uploaded with the other extra global parameters;
// run-time parameters are copied to the device when set; Toeplitz groups
// and kernel weights run in rowPerSpike sections; presynaptic output is an
// atomic sum (weightUpdateCode).
var supported = map[codegen.Feature]bool{
	codegen.FeatureHostInitCode:      true,
	codegen.FeatureRuntimeParameters: true,
	codegen.FeatureToeplitz:          true,
	codegen.FeatureKernelWeights:     true,
	codegen.FeatureCustomUpdates:     true,
	codegen.FeaturePresynapticOutput: true,
	codegen.FeatureSpikeEventTimes:   true,
	codegen.FeatureSpikeEventRecord:  true,
	codegen.FeatureCurrentSpikes:     true,
}

// ParallelFor: module.c runs on one thread (the custom updates that could
// share their elements among threads run on the device).
func (g *gen) ParallelFor() string { return "" }

// InitTasks: module.c's share of the initialisation, in order.
func (g *gen) InitTasks(n, task string) { g.SequentialTasks(n, task) }

// CustomUpdateBegin: custom updates run in module.c on the host's copy of
// the state, so the arrays an update group reads are brought up to date
// first (each at most once per step, see gn_dev_get) and those it writes
// are copied back after (CustomUpdateEnd): a reset of one population's
// variables moves those, not the whole state, across the bus.
func (g *gen) CustomUpdateBegin(read []string)  { g.mirror("gn_dev_get", read) }
func (g *gen) CustomUpdateEnd(written []string) { g.mirror("gn_dev_put", written) }

// mirror calls copy (gn_dev_get or gn_dev_put) for each mirrored device
// array (devArray.mirrored) among fields.
func (g *gen) mirror(copy string, fields []string) {
	var ks []string
	for k, a := range g.devArrays() {
		if a.mirrored() && slices.Contains(fields, a.field) {
			ks = append(ks, fmt.Sprint(k))
		}
	}
	if len(ks) == 0 {
		return
	}
	g.W.Open("{")
	g.W.Line("static const uint32_t gn_mirrored[] = {%s};", strings.Join(ks, ", "))
	g.W.Line("for (size_t k = 0; k < sizeof gn_mirrored / sizeof *gn_mirrored; k++) if (%s(ctx, gn_mirrored[k])) return 1;", copy)
	g.W.Close("}")
}

// CurrentSpikes (codegen.CurrentSpikesWriter): the spikes of the last step
// are its slot of the population's spike bit ring on the device
// (gn_dev_spike_words): read and listed in increasing order, or replaced
// by the bits of the given neurons, which the next step then propagates.
func (g *gen) CurrentSpikes(pi int, p *modelspec.Population, set bool) {
	w, nw, slots := g.W, words(p), g.bitSlots(p)
	w.Line("const size_t first = ((size_t)variant * %d + (size_t)((ctx->timestep + %d) %% %d)) * %d; /* the last step's slot */", slots, slots-1, slots, nw)
	w.Line("uint32_t *const bits = calloc(%d, sizeof *bits);", nw)
	w.Line("if (!bits) { snprintf(ctx->err, sizeof ctx->err, \"out of memory\"); return 1; }")
	if set {
		w.Line("for (size_t k = 0; k < n; k++) bits[in[k] / 32] |= 1u << (in[k] %% 32);")
		w.Line("const int e = gn_dev_spike_words(ctx, %d, first, %d, bits, 1);", pi, nw)
	} else {
		w.Line("const int e = gn_dev_spike_words(ctx, %d, first, %d, bits, 0);", pi, nw)
		w.Line("size_t k = 0;")
		w.Line("for (uint32_t i = 0; i < %d; i++) for (uint32_t j = 0; j < 32; j++) if (bits[i] >> j & 1u) { if (k < cap) out[k] = i * 32 + j; k++; }", nw)
		w.Line("*n = k;")
	}
	w.Line("free(bits);")
	w.Line("return e;")
}

// ColumnIndex: kernels walk columns for synapse dynamics, and the
// presynaptic strategies targetPull (sparse) and rowScatter use them.
func (g *gen) ColumnIndex(s *modelspec.SynapseGroup) bool {
	if codegen.CodeNonEmpty(s.WeightUpdate.Model.SynapseDynamicsCode) {
		return true
	}
	p := g.pre[s]
	return p != nil && p.columns(s)
}

// PopulationArrays: the spike bitmask ring (see bitSlots), on the device
// only, instead of spike lists; where $(prev_seT_pre) needs the neurons
// with any spike-like event of the previous step, a ring of their bits too
// (see spikeBits.PopulationEvent).
func (g *gen) PopulationArrays(p *modelspec.Population) {
	g.DeviceArray(p.Name, "spkBits", "uint32_t", p.Name+"_spkBits", words(p), g.bitSlots(p))
	if g.PrevEventTime[p] {
		g.DeviceArray(p.Name, "evAnyBits", "uint32_t", p.Name+"_evAnyBits", words(p), g.bitSlots(p))
	}
}

// EventArrays: a bitmask ring of spike-like events, like the spikes'.
func (g *gen) EventArrays(s *modelspec.SynapseGroup) {
	g.DeviceArray(s.Name, "evBits", "uint32_t", s.Name+"_evBits", words(s.Source), g.bitSlots(s.Source))
}

// SynapseArrays: the input bins of a rowScatter group, per target neuron a
// count and binSize entries (synapse, input, dendritic delay).
func (g *gen) SynapseArrays(s *modelspec.SynapseGroup) {
	if _, ok := g.pre[s].(rowScatter); !ok {
		return
	}
	k, n := binSize(g, s), s.Target.Size
	g.DeviceArray(s.Name, "binCnt", "uint32_t", s.Name+"_binCnt", n, 1)
	g.DeviceArray(s.Name, "binKey", "uint32_t", s.Name+"_binKey", n*k, 1)
	g.DeviceArray(s.Name, "binVal", "double", s.Name+"_binVal", n*k, 1)
	if g.DenDelay[s] > 0 {
		g.DeviceArray(s.Name, "binDel", "uint32_t", s.Name+"_binDel", n*k, 1)
	}
}

func (g *gen) ContextFields() { g.emitDeviceFields() }

func (g *gen) ShareAllocated(s *modelspec.SynapseGroup) {
	g.W.Line("ctx->%s_nconn = n;", s.Name)
}

func (g *gen) Initialised() {
	g.W.Line("if (!ctx->failed && gn_dev_upload(ctx)) return 1; /* the device starts from this state */")
}

func (g *gen) EGPChanged(i int) string { return fmt.Sprintf("gn_dev_egp(ctx, %d, variant)", i) }

// RuntimeChanged: the kernels read the runtime parameters from the device.
func (g *gen) RuntimeChanged() string { return fmt.Sprintf("gn_dev_put(ctx, %d)", g.devIndex("rt")) }

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

// FindNonFinite: a kernel checks the device's arrays.
func (g *gen) FindNonFinite() {
	g.W.Line("int gn_find_nonfinite(gn_ctx *ctx, uint32_t *first) { return gn_dev_find_nonfinite(ctx, first); }")
}

// RemapIndex: neighbouring threads walk neighbouring columns in step, so
// entry c of every column is contiguous (the ELL layout of GPU sparse
// matrices) and a warp's loads coalesce.
func (g *gen) RemapIndex(s *modelspec.SynapseGroup, post, c string) string {
	return fmt.Sprintf("(size_t)(%s) * %d + %s", c, s.Target.Size, post)
}

// InitOnDevice: every variable is initialised by a kernel (see init.go)
// but those the host must check (codegen.VarInit.HostOnly).
func (g *gen) InitOnDevice(v codegen.VarInit) bool { return !v.HostOnly }

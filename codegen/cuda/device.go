package cuda

import (
	"fmt"
	"strings"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// The device side of a context: the fields of struct gn_ctx that hold it,
// the mirrored arrays and their copies, creation (block sizes, start
// tables, the recording buffer), the time step loop and its graphs.

// emitDeviceFields declares the device side of the context (inside struct
// gn_ctx). dview is the host's image of the device copy: its array fields
// are device pointers, and kernels read the copy of it at dev.
func (g *gen) emitDeviceFields() {
	w := g.W
	n := len(g.devArrays())
	w.Line("/* CUDA: the device copy of this context, whose arrays are device memory */")
	w.Line("gn_ctx *dev;         /* device */")
	w.Line("gn_ctx *dview;       /* host image of *dev */")
	w.Line("size_t dsize[%d];    /* bytes of each device array (gn_dev_get / gn_dev_put numbering) */", n)
	w.Line("uint64_t hfresh[%d]; /* timestep + 1 when the host copy of each was last the device's */", n)
	w.Line("int dev_ready;       /* the device holds the state (after gn_init) */")
	w.Line("int view_stale;      /* dview changed since it was copied to dev */")
	w.Line("void *stream;        /* the cudaStream_t of the time steps */")
	w.Line("uint64_t *dstep;     /* device: the step graph launches start from */")
	w.Line("int step_stale;      /* *dstep is not the context's time step */")
	w.Line("void *graph;         /* cudaGraphExec_t of graph_steps time steps, once captured */")
	w.Line("uint32_t graph_steps;")
	w.Line("int step_mode;       /* GN_STEP_LAUNCHES, GN_STEP_GRAPHS or GN_STEP_PERSISTENT */")
	w.Line("uint32_t block_persistent, pblocks[%d]; /* gn_persistent's threads per block; blocks of each section at that size */", max(g.sections(), 1))
	for _, k := range g.kernels {
		w.Line("uint32_t block_%s, start_%s[%d]; /* threads per block; first block of each section */", k.name, k.name, len(k.sections)+1)
	}
	w.Line("uint32_t *drec_bits; /* device: recorded spikes, [rec_window][rec_words] bits */")
	w.Line("uint32_t rec_words;  /* words of a step: batch x the recorded populations' bitmasks */")
	w.Line("uint32_t rec_window; /* steps drec_bits holds */")
	w.Line("uint64_t rec_base;   /* the step of its first row */")
	w.Line("uint32_t since_fetch; /* rows filled */")
	w.Line("uint32_t *drec_blocks; /* device: spikes per compaction block, then the first index of each */")
	w.Line("unsigned long long *drec_total; /* device: spikes compacted */")
	w.Line("uint32_t *drec_out;  /* device: compacted (pop, variant, neuron, step) quads */")
	w.Line("unsigned long long rec_out_cap;")
	w.Line("unsigned long long *dfinite; /* device: per variant, the first non-finite value's (var << 32 | element) */")
	w.Line("uint32_t *dlongest;  /* device: per group built on the device, its longest row and column beyond the bounds */")
	for _, s := range g.Net.Synapses {
		if g.ShareConn[s] {
			w.Line("uint32_t %s_nconn; /* realisations of %s's connectivity held */", s.Name, s.Name)
		}
	}
	for _, e := range g.EGPs {
		if e.Ptr {
			w.Line("%s **%s_dtab; /* [batch] device copies of %s */", e.Elem, e.Field, e.Field)
		}
	}
}

// devArray is an array of the context mirrored on the device.
type devArray struct {
	field string // ctx field (device pointer in dview)
	host  string // the host array copied to it ("" for an array on the device only)
	ctype string // its element type
	count string // its number of elements (a C expression in ctx)
}

// mirrored reports whether an array has a host copy that the device may
// change (so gn_dev_get copies it back): not the seeds, runtime
// parameters and extra global parameter tables, which only the host
// changes, nor arrays on the device only.
func (a devArray) mirrored() bool {
	return a.host != "" && !strings.HasSuffix(a.host, "_dtab") && a.field != "seed" && a.field != "rt"
}

// devArrays lists the mirrored arrays; the position is the array number of
// gn_dev_get and gn_dev_put.
func (g *gen) devArrays() []devArray {
	out := []devArray{
		{"seed", "ctx->seed", "uint64_t", "(size_t)ctx->batch"},
		{"rt", "ctx->rt", "double", "(size_t)ctx->batch * GN_NUM_RUNTIME"},
	}
	for _, v := range g.Vars {
		n := fmt.Sprintf("(size_t)ctx->batch * %d", v.Desc.Count*v.Slots)
		if v.Conn != nil {
			n = fmt.Sprintf("(size_t)ctx->%s_nconn * %d", v.Conn.Name, v.Desc.Count*v.Slots)
		}
		host := "ctx->" + v.Field
		if v.DeviceOnly {
			host = ""
		}
		out = append(out, devArray{v.Field, host, v.CType, n})
	}
	for _, s := range g.Net.Synapses {
		if g.ShareConn[s] {
			out = append(out, devArray{s.Name + "_cslot", "ctx->" + s.Name + "_cslot", "uint32_t", "(size_t)ctx->batch"})
		}
	}
	for _, e := range g.EGPs {
		host, ctype := "ctx->"+e.Field, e.Elem
		if e.Ptr {
			host, ctype = "ctx->"+e.Field+"_dtab", e.Elem+" *"
		}
		out = append(out, devArray{e.Field, host, ctype, "(size_t)ctx->batch"})
	}
	return out
}

// devIndex is the array number of a context field.
func (g *gen) devIndex(field string) int {
	for i, a := range g.devArrays() {
		if a.field == field {
			return i
		}
	}
	panic("cuda: no device array " + field)
}

// emitVarTable writes the device array of each accessible variable (module.c).
func (g *gen) emitVarTable() {
	var idx []string
	for _, v := range g.Exported() {
		idx = append(idx, fmt.Sprint(g.devIndex(v.Field)))
	}
	if len(idx) == 0 {
		idx = []string{"0"}
	}
	g.W.Line("/* the device array of each variable of gn_describe */")
	g.W.Line("static const uint32_t gn_var_array[] = {%s};", strings.Join(idx, ", "))
	g.W.Line("#define GN_NUM_VARS %d", len(g.Exported()))
	g.W.Line("")
}

// columnGroups are the sparse groups with column indices, with the
// variable numbers of their row lengths and indices.
func (g *gen) columnGroups() (groups []*modelspec.SynapseGroup, rowLength, ind []int) {
	for _, s := range g.Net.Synapses {
		if g.MaxCol[s] == 0 {
			continue
		}
		groups = append(groups, s)
		for i, v := range g.Exported() {
			if v.Desc.Owner == s.Name && v.Desc.Kind == "connectivity" && v.Desc.Name == "rowLength" {
				rowLength = append(rowLength, i)
			}
			if v.Desc.Owner == s.Name && v.Desc.Kind == "connectivity" && v.Desc.Name == "ind" {
				ind = append(ind, i)
			}
		}
	}
	return groups, rowLength, ind
}

// emitVarSync brings a variable's host copy up to date before gn_get_var
// reads it or gn_set_var changes one variant of it (the others must not be
// overwritten with stale values when it is copied back). Setting sparse
// connectivity also needs the rest of it, to rebuild the column index.
func (g *gen) emitVarSync(dir string) {
	w := g.W
	w.Line("if (var < GN_NUM_VARS && gn_dev_get(ctx, gn_var_array[var])) return 1;")
	if dir != "set" {
		return
	}
	groups, rl, ind := g.columnGroups()
	for i, s := range groups {
		w.Line("if ((var == %d || var == %d) && (gn_dev_get(ctx, %d) || gn_dev_get(ctx, %d))) return 1; /* %s */",
			rl[i], ind[i], g.devIndex(s.Name+"_rowLength"), g.devIndex(s.Name+"_ind"), s.Name)
	}
}

// emitVarPut copies a variable set by gn_set_var to the device, and rebuilds
// the column index of changed sparse connectivity.
func (g *gen) emitVarPut() {
	w := g.W
	w.Line("if (gn_dev_put(ctx, gn_var_array[var])) return 1;")
	groups, rl, ind := g.columnGroups()
	for i, s := range groups {
		w.Line("if ((var == %d || var == %d) && (init_columns_%s(ctx) || gn_dev_put(ctx, %d) || gn_dev_put(ctx, %d))) return 1;",
			rl[i], ind[i], s.Name, g.devIndex(s.Name+"_colLength"), g.devIndex(s.Name+"_remap"))
	}
	w.Line("return 0;")
}

// emitCUDAErrors writes GN_CUDA, which records a failed runtime call in
// the context and returns 1.
func (g *gen) emitCUDAErrors() {
	w := g.W
	w.Line("#define GN_CUDA(call) do { const cudaError_t gn_e = (call); if (gn_e != cudaSuccess) return gn_cuda_fail(ctx, #call, gn_e); } while (0)")
	w.Line("")
	w.Line("static int gn_cuda_fail(gn_ctx *ctx, const char *call, cudaError_t e)")
	w.Open("{")
	w.Line("if (!ctx->failed) snprintf(ctx->err, sizeof ctx->err, \"CUDA: %%s (%%s)\", cudaGetErrorString(e), call);")
	w.Line("ctx->failed = 1;")
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
	w.Line("static int gn_dev_sync_view(gn_ctx *ctx);")
	w.Line("")
}

// emitDeviceGlue writes the gn_dev_* functions of module.cu.
func (g *gen) emitDeviceGlue() {
	w := g.W
	arrays := g.devArrays()
	w.Line("/* Copy bytes of host (NULL: zeros) to device array k, (re)allocating it when its size changed. */")
	w.Line("static int gn_dev_copy_in(gn_ctx *ctx, uint32_t k, void **dptr, const void *host, size_t bytes)")
	w.Open("{")
	w.Open("if (ctx->dsize[k] != bytes || !*dptr) {")
	w.Line("if (*dptr) GN_CUDA(cudaFree(*dptr));")
	w.Line("*dptr = NULL;")
	w.Line("ctx->dsize[k] = 0;")
	w.Line("GN_CUDA(cudaMalloc(dptr, bytes > 0 ? bytes : 1));")
	w.Line("ctx->dsize[k] = bytes;")
	w.Line("ctx->view_stale = 1;")
	w.Close("}")
	w.Line("if (bytes > 0 && host) GN_CUDA(cudaMemcpy(*dptr, host, bytes, cudaMemcpyHostToDevice));")
	w.Line("if (bytes > 0 && !host) GN_CUDA(cudaMemset(*dptr, 0, bytes));")
	w.Line("ctx->hfresh[k] = ctx->timestep + 1;")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	w.Line("static int gn_dev_sync_view(gn_ctx *ctx)")
	w.Open("{")
	w.Line("if (ctx->view_stale) GN_CUDA(cudaMemcpy(ctx->dev, ctx->dview, sizeof *ctx->dview, cudaMemcpyHostToDevice));")
	w.Line("ctx->view_stale = 0;")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	w.Line("/* Copy array k to the device (copy 0: clear it). */")
	w.Line("static int gn_dev_put_array(gn_ctx *ctx, uint32_t k, int copy)")
	w.Open("{")
	w.Line("(void)copy;")
	w.Open("switch (k) {")
	for k, a := range arrays {
		host := "NULL"
		if a.host != "" {
			host = "copy ? " + a.host + " : NULL"
		}
		w.Line("case %d: return gn_dev_copy_in(ctx, %d, (void **)&ctx->dview->%s, %s, (%s) * sizeof(%s));", k, k, a.field, host, a.count, a.ctype)
	}
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_put(gn_ctx *ctx, uint32_t k)")
	w.Open("{")
	w.Line("if (!ctx->dev_ready) return 0; /* gn_init uploads everything */")
	w.Line("return gn_dev_put_array(ctx, k, 1) || gn_dev_sync_view(ctx);")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_get(gn_ctx *ctx, uint32_t k)")
	w.Open("{")
	w.Line("if (!ctx->dev_ready) return 0; /* the host copy is the state */")
	w.Line("if (ctx->hfresh[k] == ctx->timestep + 1) return 0; /* no step since the last copy */")
	w.Open("switch (k) {")
	for k, a := range arrays {
		if !a.mirrored() {
			continue
		}
		w.Line("case %d: GN_CUDA(cudaMemcpy(%s, ctx->dview->%s, ctx->dsize[%d], cudaMemcpyDeviceToHost)); break;", k, a.host, a.field, k)
	}
	w.Close("}")
	w.Line("ctx->hfresh[k] = ctx->timestep + 1;")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	g.emitSpikeWords()
	g.emitEGPGlue()
	g.emitCreate()
	g.emitUploadDestroy()
	g.emitStepLoop()
}

// emitSpikeWords writes gn_dev_spike_words, the copy of words [first,
// first+n) of a population's spike bit ring from (put 0) or to (put 1) the
// device, for gn_current_spikes; before gn_init there are no spikes.
func (g *gen) emitSpikeWords() {
	w := g.W
	w.Line("extern \"C\" int gn_dev_spike_words(gn_ctx *ctx, uint32_t pop, size_t first, size_t n, uint32_t *words, int put)")
	w.Open("{")
	w.Open("if (!ctx->dev_ready) {")
	w.Line("if (!put) memset(words, 0, n * sizeof *words);")
	w.Line("return 0;")
	w.Close("}")
	w.Line("uint32_t *d = NULL;")
	w.Open("switch (pop) {")
	for i, p := range g.Net.Populations {
		w.Line("case %d: d = ctx->dview->%s_spkBits; break;", i, p.Name)
	}
	w.Close("}")
	w.Line("if (!d) return 0;")
	w.Line("if (put) GN_CUDA(cudaMemcpy(d + first, words, n * sizeof *words, cudaMemcpyHostToDevice));")
	w.Line("else GN_CUDA(cudaMemcpy(words, d + first, n * sizeof *words, cudaMemcpyDeviceToHost));")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
}

// emitEGPGlue writes the copies of extra global parameters to the device.
func (g *gen) emitEGPGlue() {
	w := g.W
	w.Line("/* Copy variant b's extra global parameter egp to the device. */")
	w.Line("static int gn_dev_egp_copy(gn_ctx *ctx, uint32_t egp, uint32_t b)")
	w.Open("{")
	w.Line("(void)b;")
	w.Open("switch (egp) {")
	for i, e := range g.EGPs {
		k := g.devIndex(e.Field)
		if !e.Ptr {
			w.Line("case %d: return gn_dev_put_array(ctx, %d, 1);", i, k)
			continue
		}
		w.Open("case %d: {", i)
		w.Line("const size_t bytes = (ctx->%s_n[b] > 0 ? ctx->%s_n[b] : 1) * sizeof **ctx->%s;", e.Field, e.Field, e.Field)
		w.Line("if (ctx->%s_dtab[b]) GN_CUDA(cudaFree(ctx->%s_dtab[b]));", e.Field, e.Field)
		w.Line("ctx->%s_dtab[b] = NULL;", e.Field)
		w.Line("GN_CUDA(cudaMalloc((void **)&ctx->%s_dtab[b], bytes));", e.Field)
		w.Line("GN_CUDA(cudaMemcpy(ctx->%s_dtab[b], ctx->%s[b], bytes, cudaMemcpyHostToDevice));", e.Field, e.Field)
		w.Line("return gn_dev_put_array(ctx, %d, 1);", k)
		w.Close("}")
	}
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant)")
	w.Open("{")
	w.Line("if (!ctx->dev_ready) return 0;")
	w.Line("return gn_dev_egp_copy(ctx, egp, variant) || gn_dev_sync_view(ctx);")
	w.Close("}")
	w.Line("")
}

// emitCreate writes gn_dev_create: the device copy, the stream, the block
// size of each step kernel (from the occupancy calculator, or
// GENNCTL_CUDA_BLOCK) and its start table, the recording buffer sized to
// at most 64 MiB (a window of up to 4096 steps) and the graph length.
func (g *gen) emitCreate() {
	w := g.W
	w.Line("/* Threads per block: the occupancy calculator's suggestion, or GENNCTL_CUDA_BLOCK;")
	w.Line("   a multiple of 32 from 32 to GN_MAX_BLOCK. */")
	w.Line("static uint32_t gn_block_size(int suggested)")
	w.Open("{")
	w.Line("const char *env = getenv(\"GENNCTL_CUDA_BLOCK\");")
	w.Line("long b = env && *env ? strtol(env, NULL, 10) : suggested;")
	w.Line("b = b / 32 * 32;")
	w.Line("return (uint32_t)(b < 32 ? 32 : b > GN_MAX_BLOCK ? GN_MAX_BLOCK : b);")
	w.Close("}")
	w.Line("")
	w.Line("enum { GN_STEP_LAUNCHES, GN_STEP_GRAPHS, GN_STEP_PERSISTENT };")
	w.Line("")
	w.Line("/* The step mode: GENNCTL_CUDA_STEP (launches, graphs or persistent), else persistent when the")
	w.Line("   batch has two variants per multiprocessor or more (every block busy), else graphs. */")
	w.Line("static int gn_step_mode(const gn_ctx *ctx)")
	w.Open("{")
	w.Line("const char *m = getenv(\"GENNCTL_CUDA_STEP\");")
	w.Line("if (m && !strcmp(m, \"launches\")) return GN_STEP_LAUNCHES;")
	w.Line("if (m && !strcmp(m, \"graphs\")) return GN_STEP_GRAPHS;")
	w.Line("if (m && !strcmp(m, \"persistent\")) return GN_STEP_PERSISTENT;")
	w.Line("int dev = 0, sms = 1;")
	w.Line("if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) sms = 1;")
	w.Line("return ctx->batch >= 2u * (uint32_t)sms ? GN_STEP_PERSISTENT : GN_STEP_GRAPHS;")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_create(gn_ctx *ctx)")
	w.Open("{")
	w.Open("if (ctx->batch > 65535) {")
	w.Line("snprintf(ctx->err, sizeof ctx->err, \"the CUDA backend runs at most 65535 variants per batch, not %%u\", ctx->batch);")
	w.Line("return 1;")
	w.Close("}")
	w.Line("ctx->dview = (gn_ctx *)calloc(1, sizeof *ctx->dview);")
	w.Line("if (!ctx->dview) { snprintf(ctx->err, sizeof ctx->err, \"out of memory\"); return 1; }")
	w.Line("gn_ctx *const v = ctx->dview;")
	w.Line("v->batch = ctx->batch;")
	for _, e := range g.EGPs {
		if e.Ptr {
			w.Line("ctx->%s_dtab = (%s **)calloc(ctx->batch, sizeof *ctx->%s_dtab);", e.Field, e.Elem, e.Field)
			w.Line("if (!ctx->%s_dtab) { snprintf(ctx->err, sizeof ctx->err, \"out of memory\"); return 1; }", e.Field)
		}
	}
	w.Line("GN_CUDA(cudaMalloc((void **)&ctx->dev, sizeof *ctx->dev));")
	w.Line("cudaStream_t st;")
	w.Line("GN_CUDA(cudaStreamCreate(&st));")
	w.Line("ctx->stream = (void *)st;")
	w.Line("GN_CUDA(cudaMalloc((void **)&v->dstep, sizeof *v->dstep));")
	w.Line("GN_CUDA(cudaMalloc((void **)&v->dfinite, (size_t)ctx->batch * sizeof *v->dfinite));")
	if n := len(g.deviceBuilt()); n > 0 {
		w.Line("GN_CUDA(cudaMalloc((void **)&v->dlongest, %d * sizeof *v->dlongest));", 2*n)
	}
	for _, k := range g.kernels {
		w.Open("{ /* gn_%s */", k.name)
		w.Line("int grid = 0, block = 0;")
		w.Line("GN_CUDA(cudaOccupancyMaxPotentialBlockSize(&grid, &block, gn_%s, 0, GN_MAX_BLOCK));", k.name)
		w.Line("const uint32_t B = ctx->block_%s = v->block_%s = gn_block_size(block);", k.name, k.name)
		w.Line("uint32_t *const s = v->start_%s;", k.name)
		w.Line("s[0] = 0;")
		for i, sec := range k.sections {
			w.Line("s[%d] = s[%d] + %s; /* %s */", i+1, i, sec.blocks, sec.fn)
		}
		w.Line("memcpy(ctx->start_%s, s, sizeof ctx->start_%s);", k.name, k.name)
		w.Close("}")
	}
	w.Open("{ /* gn_persistent: the sections' blocks at its block size */")
	w.Line("int grid = 0, block = 0;")
	w.Line("GN_CUDA(cudaOccupancyMaxPotentialBlockSize(&grid, &block, gn_persistent, 0, GN_MAX_BLOCK));")
	w.Line("const uint32_t B = ctx->block_persistent = v->block_persistent = gn_block_size(block);")
	i := 0
	for _, k := range g.kernels {
		for _, sec := range k.sections {
			w.Line("v->pblocks[%d] = %s; /* %s */", i, sec.blocks, sec.fn)
			i++
		}
	}
	w.Line("memcpy(ctx->pblocks, v->pblocks, sizeof ctx->pblocks);")
	w.Close("}")
	w.Line("ctx->step_mode = gn_step_mode(ctx);")
	w.Line("const char *gs = getenv(\"GENNCTL_CUDA_GRAPH_STEPS\");")
	w.Line("ctx->graph_steps = gs && *gs ? (uint32_t)strtoul(gs, NULL, 10) : 64;")
	w.Line("if (ctx->step_mode == GN_STEP_GRAPHS && ctx->graph_steps == 0) ctx->step_mode = GN_STEP_LAUNCHES; /* graphs of 0 steps */")
	w.Line("if (ctx->step_mode != GN_STEP_GRAPHS) ctx->graph_steps = 0;")
	if rw := g.recordWords(); rw > 0 {
		w.Line("/* spike recording: a window of steps of bits, at most 64 MiB */")
		w.Line("ctx->rec_words = v->rec_words = ctx->batch * %du;", rw)
		w.Line("unsigned long long window = (64ull << 20) / (4ull * ctx->rec_words);")
		w.Line("window = window < 1 ? 1 : window > 4096 ? 4096 : window;")
		w.Line("if (ctx->graph_steps > window) ctx->graph_steps = (uint32_t)window;")
		w.Line("if (ctx->graph_steps > 0) window -= window %% ctx->graph_steps; /* whole graphs between drains */")
		w.Line("ctx->rec_window = v->rec_window = (uint32_t)window;")
		w.Line("const unsigned long long words = window * ctx->rec_words;")
		w.Line("GN_CUDA(cudaMalloc((void **)&v->drec_bits, words * sizeof *v->drec_bits));")
		w.Line("GN_CUDA(cudaMalloc((void **)&v->drec_blocks, 2 * ((words + GN_REC_CHUNK - 1) / GN_REC_CHUNK) * sizeof *v->drec_blocks));")
		w.Line("GN_CUDA(cudaMalloc((void **)&v->drec_total, sizeof *v->drec_total));")
		w.Line("ctx->rec_out_cap = 4096;")
		w.Line("GN_CUDA(cudaMalloc((void **)&v->drec_out, 4 * ctx->rec_out_cap * sizeof *v->drec_out));")
	}
	w.Line("ctx->view_stale = 1;")
	w.Line("return gn_dev_sync_view(ctx);")
	w.Close("}")
	w.Line("")
}

// emitUploadDestroy writes gn_dev_upload (gn_init's copy of the state to
// the device) and gn_dev_destroy.
func (g *gen) emitUploadDestroy() {
	w := g.W
	arrays := g.devArrays()
	w.Line("extern \"C\" int gn_dev_upload(gn_ctx *ctx)")
	w.Open("{")
	if len(g.EGPs) > 0 {
		w.Line("for (uint32_t b = 0; b < ctx->batch; b++)")
		w.Line("    for (uint32_t e = 0; e < %d; e++) if (gn_dev_egp_copy(ctx, e, b)) return 1;", len(g.EGPs))
	}
	onDevice := g.initOnDevice()
	copied := make([]string, len(arrays))
	for k, a := range arrays {
		copied[k] = "1"
		if onDevice[a.field] {
			copied[k] = "0"
		}
	}
	w.Line("/* whether the host's copy of each array is the initial state (else the device initialises it) */")
	w.Line("static const uint8_t gn_copied[%d] = {%s};", len(arrays), strings.Join(copied, ", "))
	w.Line("for (uint32_t k = 0; k < %d; k++) if (gn_dev_put_array(ctx, k, gn_copied[k])) return 1; /* arrays on the device only are cleared */", len(arrays))
	w.Line("if (ctx->rec_words) GN_CUDA(cudaMemset(ctx->dview->drec_bits, 0, (size_t)ctx->rec_window * ctx->rec_words * sizeof(uint32_t)));")
	w.Line("ctx->dview->rec_base = 0;")
	w.Line("ctx->since_fetch = 0;")
	w.Line("ctx->step_stale = 1;")
	w.Line("ctx->view_stale = 1;")
	w.Line("ctx->dev_ready = 1;")
	w.Line("if (gn_dev_sync_view(ctx)) return 1;")
	g.emitConnectivityLaunches()
	g.emitInitLaunches()
	w.Line("GN_CUDA(cudaStreamSynchronize((cudaStream_t)ctx->stream)); /* gn_init returns with the state initialised: a fault shows here */")
	g.emitBoundCheck()
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" void gn_dev_destroy(gn_ctx *ctx)")
	w.Open("{")
	w.Line("if (!ctx->dview) return;")
	w.Line("gn_ctx *const v = ctx->dview;")
	for _, a := range arrays {
		w.Line("cudaFree(v->%s);", a.field)
	}
	for _, e := range g.EGPs {
		if e.Ptr {
			w.Line("if (ctx->%s_dtab) for (uint32_t b = 0; b < ctx->batch; b++) cudaFree(ctx->%s_dtab[b]);", e.Field, e.Field)
			w.Line("free(ctx->%s_dtab);", e.Field)
		}
	}
	for _, f := range []string{"drec_bits", "drec_blocks", "drec_total", "drec_out", "dfinite", "dlongest", "dstep"} {
		w.Line("cudaFree(v->%s);", f)
	}
	w.Line("if (ctx->graph) cudaGraphExecDestroy((cudaGraphExec_t)ctx->graph);")
	w.Line("if (ctx->stream) cudaStreamDestroy((cudaStream_t)ctx->stream);")
	w.Line("cudaFree(ctx->dev);")
	w.Line("free(v);")
	w.Line("ctx->dview = NULL;")
	w.Close("}")
	w.Line("")
}

// emitStepLoop writes the time step: gn_launch_step enqueues one step's
// kernels; gn_dev_step runs n steps, as whole CUDA graphs of graph_steps
// steps where it can, draining the recording buffer when its window is
// full. Nothing in it waits for the device but those drains.
func (g *gen) emitStepLoop() {
	w := g.W
	w.Line("/* Set the device's step counter (the start of the next graph launch). */")
	w.Line("__global__ void gn_set_step(const gn_ctx *ctx, uint64_t step) { *ctx->dstep = step; }")
	w.Line("__global__ void gn_advance(const gn_ctx *ctx, uint32_t n) { *ctx->dstep += n; }")
	w.Line("")
	w.Line("/* Enqueue the kernels of one step: step tbase + k, or with tbase UINT64_MAX the device's counter + k. */")
	w.Line("static void gn_launch_step(gn_ctx *ctx, uint64_t tbase, uint32_t k)")
	w.Open("{")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	for _, k := range g.kernels {
		launch := "GN_LAUNCH"
		if k.sync {
			launch = "GN_LAUNCH_SYNC"
		}
		w.Line("%s(gn_%s, dim3(ctx->start_%s[%d], ctx->batch), dim3(ctx->block_%s), st)(ctx->dev, tbase, k);", launch, k.name, k.name, len(k.sections), k.name)
	}
	w.Close("}")
	w.Line("")
	w.Line("/* Capture graph_steps steps and the counter's advance as one graph, once. */")
	w.Line("static int gn_graph(gn_ctx *ctx)")
	w.Open("{")
	w.Line("if (ctx->graph) return 0;")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	w.Line("cudaGraph_t graph;")
	w.Line("GN_CUDA(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));")
	w.Line("for (uint32_t k = 0; k < ctx->graph_steps; k++) gn_launch_step(ctx, UINT64_MAX, k);")
	w.Line("GN_LAUNCH(gn_advance, dim3(1), dim3(1), st)(ctx->dev, ctx->graph_steps);")
	w.Line("GN_CUDA(cudaStreamEndCapture(st, &graph));")
	w.Line("cudaGraphExec_t exec;")
	w.Line("const cudaError_t e = cudaGraphInstantiateWithFlags(&exec, graph, 0);")
	w.Line("cudaGraphDestroy(graph);")
	w.Line("GN_CUDA(e);")
	w.Line("ctx->graph = (void *)exec;")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_step(gn_ctx *ctx, uint32_t n)")
	w.Open("{")
	w.Line("if (!ctx->dev_ready) { snprintf(ctx->err, sizeof ctx->err, \"gn_step before gn_init\"); ctx->failed = 1; return 1; }")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	w.Open("for (uint32_t k = 0; k < n && !ctx->failed;) {")
	w.Line("if (ctx->rec_words && ctx->since_fetch == ctx->rec_window && gn_dev_fetch_spikes(ctx)) return 1;")
	w.Line("uint64_t left = n - k;")
	w.Line("if (ctx->rec_words && left > ctx->rec_window - ctx->since_fetch) left = ctx->rec_window - ctx->since_fetch;")
	w.Open("if (ctx->step_mode == GN_STEP_PERSISTENT) {")
	w.Line("GN_LAUNCH_SYNC(gn_persistent, dim3(1, ctx->batch), dim3(ctx->block_persistent), st)(ctx->dev, ctx->timestep, (uint32_t)left);")
	w.Line("ctx->timestep += left;")
	w.Line("ctx->since_fetch += (uint32_t)left;")
	w.Line("k += (uint32_t)left;")
	w.Line("continue;")
	w.Close("}")
	w.Open("if (ctx->step_mode == GN_STEP_GRAPHS && left >= ctx->graph_steps) {")
	w.Line("if (gn_graph(ctx)) return 1;")
	w.Line("if (ctx->step_stale) GN_LAUNCH(gn_set_step, dim3(1), dim3(1), st)(ctx->dev, ctx->timestep);")
	w.Line("ctx->step_stale = 0;")
	w.Line("GN_CUDA(cudaGraphLaunch((cudaGraphExec_t)ctx->graph, st));")
	w.Line("ctx->timestep += ctx->graph_steps;")
	w.Line("ctx->since_fetch += ctx->graph_steps;")
	w.Line("k += ctx->graph_steps;")
	w.Line("continue;")
	w.Close("}")
	w.Line("gn_launch_step(ctx, ctx->timestep, 0);")
	w.Line("ctx->step_stale = 1;")
	w.Line("ctx->timestep++;")
	w.Line("ctx->since_fetch++;")
	w.Line("k++;")
	w.Close("}")
	w.Line("GN_CUDA(cudaGetLastError()); /* launch errors now; faults in kernels at the next copy */")
	w.Line("return ctx->failed;")
	w.Close("}")
}

// checked lists the variables gn_find_nonfinite checks, with their
// indices in the description.
func (g *gen) checked() (vars []codegen.VarEntry, index []int) {
	for i, v := range g.Exported() {
		if codegen.FiniteChecked(v.Desc) {
			vars, index = append(vars, v), append(index, i)
		}
	}
	return vars, index
}

// emitFiniteKernel writes gn_find_nonfinite's kernel: one thread per
// element of each checked variable (its most recently written slot) and
// variant keeps the smallest (variable, element) that is not finite.
func (g *gen) emitFiniteKernel() {
	w := g.W
	vars, index := g.checked()
	const block = 128
	w.Line("#define GN_FINITE_BLOCK %d", block)
	w.Line("/* the first non-finite value of each variant, in description order */")
	w.Line("__global__ void gn_finite(const gn_ctx *__restrict__ ctx, uint64_t timestep)")
	w.Open("{")
	w.Line("const uint32_t b = blockIdx.y;")
	w.Line("(void)timestep; (void)b;")
	start := 0
	for i, v := range vars {
		n := (v.Desc.Count + block - 1) / block
		w.Open("if (blockIdx.x < %d) { /* %s.%s */", start+n, v.Desc.Owner, v.Desc.Name)
		w.Line("const uint32_t id = (blockIdx.x - %d) * GN_FINITE_BLOCK + threadIdx.x;", start)
		w.Line("if (id >= %d) return;", v.Desc.Count)
		base := fmt.Sprintf("(size_t)b * %d", v.Desc.Count)
		if v.Slots > 1 {
			base = fmt.Sprintf("((size_t)b * %d + (size_t)((timestep + %d) %% %d)) * %d", v.Slots, v.Slots-1, v.Slots, v.Desc.Count)
		}
		w.Line("if (!isfinite(ctx->%s[%s + id])) atomicMin(&ctx->dfinite[b], ((unsigned long long)%d << 32) | id);", v.Field, base, index[i])
		w.Line("return;")
		w.Close("}")
		start += n
	}
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_find_nonfinite(gn_ctx *ctx, uint32_t *first)")
	w.Open("{")
	w.Line("for (uint32_t b = 0; b < 2 * ctx->batch; b++) first[b] = UINT32_MAX;")
	if start == 0 {
		w.Line("return 0; /* nothing to check */")
		w.Close("}")
		w.Line("")
		return
	}
	w.Line("if (!ctx->dev_ready) return 0; /* not initialised yet */")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	w.Line("GN_CUDA(cudaMemsetAsync(ctx->dview->dfinite, 0xff, (size_t)ctx->batch * sizeof(unsigned long long), st));")
	w.Line("GN_LAUNCH(gn_finite, dim3(%d, ctx->batch), dim3(GN_FINITE_BLOCK), st)(ctx->dev, ctx->timestep);", start)
	w.Line("unsigned long long *found = (unsigned long long *)malloc((size_t)ctx->batch * sizeof *found);")
	w.Line("if (!found) { snprintf(ctx->err, sizeof ctx->err, \"out of memory\"); return 1; }")
	w.Line("const cudaError_t e = cudaMemcpy(found, ctx->dview->dfinite, (size_t)ctx->batch * sizeof *found, cudaMemcpyDeviceToHost);")
	w.Line("if (e == cudaSuccess)")
	w.Line("    for (uint32_t b = 0; b < ctx->batch; b++)")
	w.Line("        if (found[b] != ~0ull) { first[2 * b] = (uint32_t)(found[b] >> 32); first[2 * b + 1] = (uint32_t)found[b]; }")
	w.Line("free(found);")
	w.Line("GN_CUDA(e);")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
}

package cuda

// Spike recording: the neuron kernel sets a bit per recorded neuron and
// spike (or spike-like event) in a buffer of rec_window steps
// ([step][recordedMask][variant][word], rec_words words a step). A drain
// (gn_dev_fetch_spikes: when the window is full, or when the host asks for
// spikes) compacts the filled rows on the device into (population,
// variant, neuron, step) quads, sorted by step, population index, variant
// and neuron (the CPU backend's order of spikes; it sends a variant's
// spike-like events of a step before its spikes, which the demultiplexer
// of a batch separates anyway), clears them, and copies the quads out:
// three small kernels (counts per block, their prefix sums, the writes)
// and two copies, instead of a copy per step or a host-side sort.

// emitRecordingKernels writes the compaction kernels (for modules that
// record spikes) and gn_dev_fetch_spikes.
func (g *gen) emitRecordingKernels() {
	w := g.W
	if g.recordWords() == 0 {
		w.Line("extern \"C\" int gn_dev_fetch_spikes(gn_ctx *ctx) { (void)ctx; return 0; /* nothing is recorded */ }")
		w.Line("")
		return
	}
	w.Line("#define GN_REC_THREADS 128 /* threads of a compaction block */")
	w.Line("#define GN_REC_PER 8       /* words per thread */")
	w.Line("#define GN_REC_CHUNK (GN_REC_THREADS * GN_REC_PER)")
	w.Line("")
	w.Line("/* The first of a compaction thread's GN_REC_PER words, and their spikes (words below nwords). */")
	w.Line("static __device__ __forceinline__ unsigned long long gn_rec_first()")
	w.Open("{")
	w.Line("return (unsigned long long)blockIdx.x * GN_REC_CHUNK + threadIdx.x * GN_REC_PER;")
	w.Close("}")
	w.Line("static __device__ uint32_t gn_rec_count_words(const gn_ctx *ctx, unsigned long long w0, unsigned long long nwords)")
	w.Open("{")
	w.Line("uint32_t n = 0;")
	w.Line("for (uint32_t i = 0; i < GN_REC_PER && w0 + i < nwords; i++) n += __popc(ctx->drec_bits[w0 + i]);")
	w.Line("return n;")
	w.Close("}")
	w.Line("")
	w.Line("/* Spikes in each block's words of the first nwords of the buffer. */")
	w.Line("__global__ void gn_rec_count(const gn_ctx *__restrict__ ctx, unsigned long long nwords)")
	w.Open("{")
	w.Line("__shared__ uint32_t c[GN_REC_THREADS];")
	w.Line("const unsigned long long w0 = gn_rec_first();")
	w.Line("gn_block_scan(c, gn_rec_count_words(ctx, w0, nwords));")
	w.Line("if (threadIdx.x == GN_REC_THREADS - 1) ctx->drec_blocks[blockIdx.x] = c[GN_REC_THREADS - 1];")
	w.Close("}")
	w.Line("")
	w.Line("/* One block: the first spike index of each of nblocks blocks (after their counts), and the total. */")
	w.Line("__global__ void gn_rec_scan(const gn_ctx *__restrict__ ctx, uint32_t nblocks)")
	w.Open("{")
	w.Line("__shared__ uint32_t c[GN_REC_THREADS];")
	w.Line("__shared__ uint32_t carry;")
	w.Line("if (threadIdx.x == 0) carry = 0;")
	w.Open("for (uint32_t base = 0; base < nblocks; base += GN_REC_THREADS) {")
	w.Line("__syncthreads();")
	w.Line("const uint32_t i = base + threadIdx.x;")
	w.Line("const uint32_t v = i < nblocks ? ctx->drec_blocks[i] : 0;")
	w.Line("const uint32_t upto = gn_block_scan(c, v);")
	w.Line("if (i < nblocks) ctx->drec_blocks[nblocks + i] = carry + upto - v;")
	w.Line("__syncthreads();")
	w.Line("if (threadIdx.x == GN_REC_THREADS - 1) carry += c[threadIdx.x];")
	w.Close("}")
	w.Line("__syncthreads();")
	w.Line("if (threadIdx.x == 0) *ctx->drec_total = carry;")
	w.Close("}")
	w.Line("")
	w.Line("/* Write the spikes of the first nwords words in order as quads, and clear the words. */")
	w.Line("__global__ void gn_rec_write(const gn_ctx *__restrict__ ctx, unsigned long long nwords, uint32_t nblocks)")
	w.Open("{")
	w.Line("__shared__ uint32_t c[GN_REC_THREADS];")
	w.Line("const unsigned long long w0 = gn_rec_first();")
	w.Line("const uint32_t n = gn_rec_count_words(ctx, w0, nwords);")
	w.Line("uint32_t pos = ctx->drec_blocks[nblocks + blockIdx.x] + gn_block_scan(c, n) - n;")
	w.Open("for (uint32_t i = 0; i < GN_REC_PER && w0 + i < nwords; i++) {")
	w.Line("const unsigned long long wi = w0 + i;")
	w.Line("uint32_t x = ctx->drec_bits[wi];")
	w.Line("if (x == 0) continue;")
	w.Line("ctx->drec_bits[wi] = 0;")
	w.Line("const uint32_t step = (uint32_t)(ctx->rec_base + wi / ctx->rec_words);")
	w.Line("const uint32_t r = (uint32_t)(wi %% ctx->rec_words);")
	w.Line("uint32_t pop, variant, word;")
	for i, m := range g.recordedMasks() {
		off, n := m.offset, words(m.p)
		cond, what := "else if", "spikes"
		if i == 0 {
			cond = "if"
		}
		if m.events {
			what = "spike-like events"
		}
		w.Line("%s (r < ctx->batch * %du) { pop = %d; variant = (r - ctx->batch * %du) / %d; word = (r - ctx->batch * %du) %% %d; } /* %s of %s */",
			cond, off+n, m.pop, off, n, off, n, what, m.p.Name)
	}
	w.Line("else return; /* unreachable: r < rec_words */")
	w.Open("for (; x != 0; x &= x - 1) {")
	w.Line("uint32_t *const q = ctx->drec_out + 4 * (size_t)pos++;")
	w.Line("q[0] = pop; q[1] = variant; q[2] = word * 32 + (uint32_t)(__ffs(x) - 1); q[3] = step;")
	w.Close("}")
	w.Close("}")
	w.Close("}")
	w.Line("")
	w.Line("extern \"C\" int gn_dev_fetch_spikes(gn_ctx *ctx)")
	w.Open("{")
	w.Line("if (!ctx->dev_ready || ctx->since_fetch == 0) return 0;")
	w.Line("gn_ctx *const v = ctx->dview;")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	w.Line("const unsigned long long nwords = (unsigned long long)ctx->since_fetch * ctx->rec_words;")
	w.Line("const uint32_t nblocks = (uint32_t)((nwords + GN_REC_CHUNK - 1) / GN_REC_CHUNK);")
	w.Line("GN_LAUNCH_SYNC(gn_rec_count, dim3(nblocks), dim3(GN_REC_THREADS), st)(ctx->dev, nwords);")
	w.Line("GN_LAUNCH_SYNC(gn_rec_scan, dim3(1), dim3(GN_REC_THREADS), st)(ctx->dev, nblocks);")
	w.Line("unsigned long long n = 0;")
	w.Line("GN_CUDA(cudaMemcpy(&n, v->drec_total, sizeof n, cudaMemcpyDeviceToHost));")
	w.Open("if (n > 0) {")
	w.Open("if (n > ctx->rec_out_cap) {")
	w.Line("GN_CUDA(cudaFree(v->drec_out));")
	w.Line("v->drec_out = NULL;")
	w.Line("while (ctx->rec_out_cap < n) ctx->rec_out_cap *= 2;")
	w.Line("GN_CUDA(cudaMalloc((void **)&v->drec_out, 4 * ctx->rec_out_cap * sizeof *v->drec_out));")
	w.Line("ctx->view_stale = 1;")
	w.Line("if (gn_dev_sync_view(ctx)) return 1;")
	w.Close("}")
	w.Open("if (ctx->rec_len + 4 * n > ctx->rec_cap) {")
	w.Line("size_t cap = ctx->rec_cap ? ctx->rec_cap : 4096;")
	w.Line("while (cap < ctx->rec_len + 4 * n) cap *= 2;")
	w.Line("uint32_t *p = (uint32_t *)realloc(ctx->rec, cap * sizeof *p);")
	w.Line("if (!p) { snprintf(ctx->err, sizeof ctx->err, \"out of memory for spike recording\"); ctx->failed = 1; return 1; }")
	w.Line("ctx->rec = p;")
	w.Line("ctx->rec_cap = cap;")
	w.Close("}")
	w.Line("GN_LAUNCH_SYNC(gn_rec_write, dim3(nblocks), dim3(GN_REC_THREADS), st)(ctx->dev, nwords, nblocks);")
	w.Line("GN_CUDA(cudaMemcpy(ctx->rec + ctx->rec_len, v->drec_out, 4 * n * sizeof *ctx->rec, cudaMemcpyDeviceToHost));")
	w.Line("ctx->rec_len += 4 * n;")
	w.Close("}")
	w.Line("v->rec_base += ctx->since_fetch;")
	w.Line("ctx->since_fetch = 0;")
	w.Line("ctx->view_stale = 1;")
	w.Line("return gn_dev_sync_view(ctx);")
	w.Close("}")
	w.Line("")
}

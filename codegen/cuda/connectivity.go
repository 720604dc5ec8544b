package cuda

import (
	"fmt"
	"slices"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// Connectivity built on the device, as GeNN's initialisation kernels do:
// gn_build_<S> runs a sparse group's row_build_code with one thread per
// row (presynaptic neuron) and blockIdx.y the variant, from the stream the
// host would draw from (connectivity seed, StreamConnectivity | group,
// id_pre), so that the rows, integer decisions only, are the CPU
// backend's bit for bit (decisions taken from log, exp or pow too: both
// backends compute those alike in connectivity code, codegen.ConnMath);
// a bitmask group's rows (or columns) set their
// bits with atomicOr. A sparse group built by col_build_code
// (FixedNumberPreWithReplacement) runs a thread per column, which appends
// to rows with an integer atomic, and then sorts each row by postsynaptic
// neuron (gn_sort_rows_<S>, a block per row, bitonic in shared memory):
// the host appends in order of id_post, so the rows are the host's. The
// split of FixedNumberTotalWithReplacement's total over the rows is drawn
// on the device too (gn_split_<S>). A group with a column index then
// counts its columns (gn_columns_<S>, a thread per row slot taking column
// entries with an integer atomic) and sorts each by synapse
// (gn_sort_columns_<S>), which is the host's order. Rows and columns
// longer than their bounds are counted to their ends into dlongest, which
// gn_dev_upload reads back to fail as the host would (the sweep retries
// with bigger bounds).
//
// Connectivity stays on the host (init_connectivity_<S>) for groups with
// a variable the host initialises (it reads the rows) and for lines the
// sort cannot hold (columns, or rows built by columns, longer than
// sortMax); a custom snippet's host_init_code always runs on the host.

// sortMax is the longest line (column, or row built by columns) the sorts
// hold in shared memory.
const sortMax = 8192

// ConnectivityOnDevice reports whether group s's connectivity is built on
// the device (see above).
func (g *gen) ConnectivityOnDevice(s *modelspec.SynapseGroup) bool {
	if g.onDevice == nil {
		g.onDevice = map[*modelspec.SynapseGroup]bool{}
		hostVars := map[*modelspec.SynapseGroup]bool{}
		for _, v := range g.VarInits() {
			if v.Syn != nil && !g.InitOnDevice(v) {
				hostVars[v.Syn] = true
			}
		}
		for _, s := range g.Net.Synapses {
			g.onDevice[s] = g.buildable(s) && !hostVars[s]
		}
	}
	return g.onDevice[s]
}

// buildable reports whether the device can build group s's connectivity
// the host's way.
func (g *gen) buildable(s *modelspec.SynapseGroup) bool {
	switch {
	case s.Connectivity == nil:
		return false
	case s.Matrix == modelspec.MatrixSparse:
		return g.MaxCol[s] <= sortMax && (!codegen.IsColBuild(s.Connectivity.Snippet) || g.MaxRow[s] <= sortMax)
	default:
		return s.Matrix == modelspec.MatrixBitmask
	}
}

// deviceBuilt lists the groups whose connectivity is built on the device;
// group i's longest row beyond its bound is dlongest[2i], its longest
// column dlongest[2i+1].
func (g *gen) deviceBuilt() []*modelspec.SynapseGroup {
	var out []*modelspec.SynapseGroup
	for _, s := range g.Net.Synapses {
		if g.ConnectivityOnDevice(s) {
			out = append(out, s)
		}
	}
	return out
}

// buildThreads is the number of threads per variant of gn_build_<S>: a
// row (presynaptic neuron) each, or a column each for a snippet that
// builds columns.
func buildThreads(s *modelspec.SynapseGroup) int {
	if codegen.IsColBuild(s.Connectivity.Snippet) {
		return s.Target.Size
	}
	return s.Source.Size
}

// builtArrays are the arrays of group s the device builds.
func (g *gen) builtArrays(s *modelspec.SynapseGroup) []codegen.VarEntry {
	var out []codegen.VarEntry
	if split, ok, _ := g.TotalSplit(s); ok {
		out = append(out, split.RowLength)
	}
	for _, k := range [][2]string{{"connectivity", "rowLength"}, {"connectivity", "ind"}, {"connectivity", "gp"}, {"internal", "kernelInd"}, {"internal", "colLength"}, {"internal", "remap"}} {
		if ve, ok := g.Array(s.Name, k[0], k[1]); ok {
			out = append(out, ve)
		}
	}
	return out
}

// line is what gn_sort_<lines>_<S> sorts: the rows or the columns of a
// sparse group, each a count and its entries.
type line struct {
	name           string    // rows or columns
	count, entries [2]string // kind and name of the arrays
	index          func(line, c string) string
	cast           string // of a sorted key to an entry
	bound          int    // entries a line holds
	slot           int    // of dlongest
	what, order    string // for the comment
}

// sortSize is the shared array of a sort: the power of two that holds a
// line of bound entries.
func sortSize(bound int) int {
	p := 2
	for p < bound {
		p *= 2
	}
	return p
}

// sortThreads is the block of a sort: a thread per pair of the shared
// array, within 32 and GN_INIT_BLOCK.
func sortThreads(bound int) int {
	return min(initBlock, max(32, sortSize(bound)/2))
}

// emitSortKernel writes gn_sort_<lines>_<S>: a block per line and variant
// sorts the line's entries, which threads appended in any order, in
// increasing order (bitonically, in shared memory), and clamps a count
// beyond the bound to it, recording the longest in dlongest.
func (g *gen) emitSortKernel(s *modelspec.SynapseGroup, l line) {
	w, p := g.W, sortSize(l.bound)
	w.Line("/* synapse group %s: each %s's entries in order of %s, one block per %s and variant */", s.Name, l.what, l.order, l.what)
	w.Line("__global__ void __launch_bounds__(GN_INIT_BLOCK) gn_sort_%s_%s(const gn_ctx *__restrict__ ctx)", l.name, s.Name)
	w.Open("{")
	w.Line("__shared__ uint32_t key[%d];", p)
	w.Line("const uint32_t b = blockIdx.y, j = blockIdx.x;")
	g.skipShared(s)
	g.ConnPtr("", s.Name, l.count[0], l.count[1], "count")
	g.ConnPtr("", s.Name, l.entries[0], l.entries[1], "entry")
	w.Line("const uint32_t n = count[j], m = n < %du ? n : %du;", l.bound, l.bound)
	w.Line("for (uint32_t c = threadIdx.x; c < %du; c += blockDim.x) key[c] = c < m ? (uint32_t)entry[%s] : UINT32_MAX;", p, l.index("j", "c"))
	w.Line("__syncthreads();")
	w.Open("for (uint32_t k = 2; k <= %du; k <<= 1) { /* bitonic merges of runs of k */", p)
	w.Open("for (uint32_t h = k >> 1; h > 0; h >>= 1) {")
	w.Open("for (uint32_t i = threadIdx.x; i < %du; i += blockDim.x) {", p)
	w.Line("const uint32_t l = i ^ h, x = key[i], y = key[l];")
	w.Line("if (l > i && ((i & k) == 0 ? x > y : x < y)) { key[i] = y; key[l] = x; }")
	w.Close("}")
	w.Line("__syncthreads();")
	w.Close("}")
	w.Close("}")
	w.Line("for (uint32_t c = threadIdx.x; c < m; c += blockDim.x) entry[%s] = %skey[c];", l.index("j", "c"), l.cast)
	w.Line("if (threadIdx.x == 0 && n > %du) { atomicMax(&ctx->dlongest[%d], n); count[j] = %du; }", l.bound, l.slot, l.bound)
	w.Close("}")
	w.Line("")
}

// emitConnectivityKernels writes the kernels that build connectivity on
// the device.
func (g *gen) emitConnectivityKernels() error {
	w := g.W
	for i, s := range g.deviceBuilt() {
		si := g.SynIndex[s]
		npre, maxRow, maxCol := s.Source.Size, g.MaxRow[s], g.MaxCol[s]
		colBuild := codegen.IsColBuild(s.Connectivity.Snippet)
		what, id := "row", "id_pre"
		if colBuild {
			what, id = "column", "id_post"
		}
		if err := g.emitSplitKernel(s); err != nil {
			return err
		}
		w.Line("/* synapse group %s: %s connectivity built on the device, one thread per %s and variant */", s.Name, s.Connectivity.Snippet.Name, what)
		w.Line("__global__ void __launch_bounds__(GN_INIT_BLOCK) gn_build_%s(const gn_ctx *__restrict__ ctx)", s.Name)
		w.Open("{")
		w.Line("const uint32_t b = blockIdx.y;")
		w.Line("const uint32_t %s = blockIdx.x * blockDim.x + threadIdx.x;", id)
		w.Line("if (%s >= %du) return;", id, buildThreads(s))
		g.skipShared(s)
		g.VariantPrologue()
		g.DeclareConnArrays(s)
		var err error
		switch {
		case s.Matrix == modelspec.MatrixBitmask:
			g.ConnPtr("", s.Name, "connectivity", "gp", "gp")
			err = g.EmitBitmaskBuild(si, s, "atomicOr(&gp[gid / 32], 1u << (gid % 32))")
		case colBuild:
			err = g.EmitSparseColumn(si, s, fmt.Sprintf("const uint32_t c_ = atomicAdd(&rowLength[i_], 1u); if (c_ < %du) ind[(size_t)i_ * %d + c_] = (%s)id_post;", maxRow, maxRow, g.IndType(s)))
		default:
			err = g.EmitSparseRow(si, s, fmt.Sprintf("atomicMax(&ctx->dlongest[%d], n);", 2*i))
		}
		if err != nil {
			return err
		}
		w.Close("}")
		w.Line("")
		if s.Matrix == modelspec.MatrixSparse && colBuild {
			g.emitSortKernel(s, line{name: "rows", count: [2]string{"connectivity", "rowLength"}, entries: [2]string{"connectivity", "ind"},
				index: func(i, c string) string { return fmt.Sprintf("(size_t)%s * %d + %s", i, maxRow, c) }, cast: "(" + g.IndType(s) + ")", bound: maxRow, slot: 2 * i, what: "row", order: "postsynaptic neuron, as the host appends them"})
		}
		if maxCol == 0 {
			continue
		}
		w.Line("/* synapse group %s: its columns' entries, one thread per slot of a row and variant, in any order */", s.Name)
		w.Line("__global__ void __launch_bounds__(GN_INIT_BLOCK) gn_columns_%s(const gn_ctx *__restrict__ ctx)", s.Name)
		w.Open("{")
		w.Line("const uint32_t b = blockIdx.y;")
		w.Line("const uint64_t gn_t = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;")
		w.Line("if (gn_t >= %du) return;", npre*maxRow)
		w.Line("const uint32_t syn = (uint32_t)gn_t, id_pre = syn / %du;", maxRow)
		g.skipShared(s)
		g.DeclareColumnArrays(s)
		w.Line("if (syn - id_pre * %du >= rowLength[id_pre]) return; /* past the end of the row */", maxRow)
		w.Line("const uint32_t j = ind[syn], c = atomicAdd(&colLength[j], 1u);")
		w.Line("if (c < %du) remap[%s] = syn; /* counted, not stored, beyond the bound */", maxCol, g.RemapIndex(s, "j", "c"))
		w.Close("}")
		w.Line("")
		g.emitSortKernel(s, line{name: "columns", count: [2]string{"internal", "colLength"}, entries: [2]string{"internal", "remap"},
			index: func(j, c string) string { return g.RemapIndex(s, j, c) }, bound: maxCol, slot: 2*i + 1, what: "column", order: "synapse, as the host's"})
	}
	return nil
}

// emitSplitKernel writes gn_split_<S>, the split of a
// FixedNumberTotalWithReplacement group's total over its rows
// (codegen.TotalSplit): a thread per four draws (one Philox block) and
// variant counts them into the rows' lengths with integer atomics, so the
// lengths are the host's whatever the order.
func (g *gen) emitSplitKernel(s *modelspec.SynapseGroup) error {
	split, ok, err := g.TotalSplit(s)
	if err != nil || !ok {
		return err
	}
	w := g.W
	w.Line("/* synapse group %s: row lengths, a multinomial split of total over the rows, one thread per Philox block of draws and variant */", s.Name)
	w.Line("__global__ void __launch_bounds__(GN_INIT_BLOCK) gn_split_%s(const gn_ctx *__restrict__ ctx)", s.Name)
	w.Open("{")
	w.Line("const uint32_t b = blockIdx.y;")
	w.Line("const uint64_t blk = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;")
	g.skipShared(s)
	g.VariantPrologue()
	w.Line("const uint64_t total = (uint64_t)(%s);", split.Total)
	w.Line("if (4 * blk >= total) return;")
	g.ArrayPtr(split.RowLength)
	w.Line("gn_rng rng;")
	w.Line("gn_rng_init(&rng, %s, 0x%08xu, 0, 0);", g.ConnSeed(), split.Stream)
	w.Line("rng.ctr[0] = (uint32_t)blk; /* draws 4 blk .. 4 blk + 3 of the stream */")
	w.Line("for (uint64_t k = 4 * blk; k < total && k < 4 * blk + 4; k++) atomicAdd(&%s[(uint32_t)(((uint64_t)gn_next_u32(&rng) * %du) >> 32)], 1u);", split.RowLength.Field, s.Source.Size)
	w.Close("}")
	w.Line("")
	return nil
}

// skipShared writes, for a group whose variants share connectivity, the
// return of a thread of a variant that uses an earlier variant's
// realisation (gn_share_<S> made it on the host).
func (g *gen) skipShared(s *modelspec.SynapseGroup) {
	if g.ShareConn[s] {
		g.W.Line("if (ctx->%s_connectivityOwner[b] != b) return; /* uses an earlier variant's realisation */", s.Name)
	}
}

// emitConnectivityLaunches writes, in gn_dev_upload, the launches that
// build connectivity on the device, in order of the groups (the device's
// view current, its arrays cleared).
func (g *gen) emitConnectivityLaunches() {
	built := g.deviceBuilt()
	if len(built) == 0 {
		return
	}
	w := g.W
	w.Open("{ /* connectivity built on the device */")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	w.Line("GN_CUDA(cudaMemsetAsync(ctx->dview->dlongest, 0, %d * sizeof(uint32_t), st));", 2*len(built))
	for _, s := range built {
		if split, ok, _ := g.TotalSplit(s); ok {
			w.Open("{ /* %s: a thread per Philox block of the largest total of the batch */", s.Name)
			w.Line("uint64_t blocks = 0;")
			w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
			g.VariantPrologue()
			w.Line("const uint64_t n = ((uint64_t)(%s) + 3) / 4;", split.Total)
			w.Line("if (n > blocks) blocks = n;")
			w.Close("}")
			w.Line("if (blocks > 0) GN_LAUNCH(gn_split_%s, dim3((unsigned)((blocks + GN_INIT_BLOCK - 1) / GN_INIT_BLOCK), ctx->batch), dim3(GN_INIT_BLOCK), st)(ctx->dev);", s.Name)
			w.Close("}")
		}
		threads := buildThreads(s)
		if threads == 0 {
			continue // an empty grid is not a launch
		}
		w.Line("GN_LAUNCH(gn_build_%s, dim3(%d, ctx->batch), dim3(GN_INIT_BLOCK), st)(ctx->dev);", s.Name, initBlocks(threads))
		if s.Matrix == modelspec.MatrixSparse && codegen.IsColBuild(s.Connectivity.Snippet) && s.Source.Size > 0 {
			w.Line("GN_LAUNCH_SYNC(gn_sort_rows_%s, dim3(%d, ctx->batch), dim3(%d), st)(ctx->dev);", s.Name, s.Source.Size, sortThreads(g.MaxRow[s]))
		}
		if g.MaxCol[s] > 0 && s.Source.Size > 0 && s.Target.Size > 0 && g.MaxRow[s] > 0 {
			w.Line("GN_LAUNCH(gn_columns_%s, dim3(%d, ctx->batch), dim3(GN_INIT_BLOCK), st)(ctx->dev);", s.Name, initBlocks(s.Source.Size*g.MaxRow[s]))
			w.Line("GN_LAUNCH_SYNC(gn_sort_columns_%s, dim3(%d, ctx->batch), dim3(%d), st)(ctx->dev);", s.Name, s.Target.Size, sortThreads(g.MaxCol[s]))
		}
	}
	w.Line("GN_CUDA(cudaGetLastError());")
	for _, s := range built {
		for _, a := range g.builtArrays(s) {
			g.deviceWrote(a.Field, a.Field)
		}
	}
	w.Close("}")
}

// emitBoundCheck writes, in gn_dev_upload after the initialisation
// kernels, the failure of a row or column built on the device beyond its
// bound, in the host's words.
func (g *gen) emitBoundCheck() {
	built := g.deviceBuilt()
	if !slices.ContainsFunc(built, func(s *modelspec.SynapseGroup) bool { return s.Matrix == modelspec.MatrixSparse }) {
		return // bitmasks have no bounds
	}
	w := g.W
	w.Open("{ /* rows and columns built on the device beyond their bounds */")
	w.Line("uint32_t longest[%d];", 2*len(built))
	w.Line("GN_CUDA(cudaMemcpy(longest, ctx->dview->dlongest, sizeof longest, cudaMemcpyDeviceToHost));")
	for i, s := range built {
		if s.Matrix != modelspec.MatrixSparse {
			continue
		}
		w.Open("{")
		w.Line("const uint32_t gn_longest = longest[%d];", 2*i)
		g.BoundFail(s, "row", g.MaxRow[s])
		w.Close("}")
		if g.MaxCol[s] > 0 {
			w.Open("{")
			w.Line("const uint32_t gn_longest = longest[%d];", 2*i+1)
			g.BoundFail(s, "column", g.MaxCol[s])
			w.Close("}")
		}
	}
	w.Close("}")
}

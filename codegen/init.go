package codegen

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
)

// EmitInit writes init_connectivity_<S> per sparse group and gn_init, which
// builds connectivity first (synapse variables depend on row lengths) and then
// initialises every variable of every variant, but the connectivity and
// variables the backend builds on the device (ConnectivityOnDevice,
// InitOnDevice). init_columns_<S> is written for every group with columns:
// gn_set_var rebuilds them on the host when connectivity is set.
func (g *Generator) EmitInit() error {
	for si, s := range g.Net.Synapses {
		if g.ShareConn[s] {
			g.emitShare(s)
		}
		if g.hostInit[s] {
			if err := g.emitHostInit(si, s); err != nil {
				return err
			}
		}
		if (s.Matrix == modelspec.MatrixSparse || s.Matrix == modelspec.MatrixBitmask) && !g.B.ConnectivityOnDevice(s) {
			if err := g.emitConnectivity(si, s); err != nil {
				return err
			}
		}
		if g.MaxCol[s] > 0 {
			g.emitColumns(s)
		}
	}
	var hostVars []VarInit
	for _, v := range g.VarInits() {
		if g.B.InitOnDevice(v) {
			continue
		}
		if err := g.emitVarInit(v); err != nil {
			return err
		}
		hostVars = append(hostVars, v)
	}
	nConn := g.emitConnectivityTasks()
	if len(hostVars) > 0 {
		g.emitVariableTasks(hostVars)
	}
	w := g.W
	w.Line("int gn_init(gn_ctx *ctx)")
	w.Open("{")
	w.Line("ctx->timestep = 0;")
	w.Line("ctx->rec_len = ctx->rec_head = 0;")
	w.Line("ctx->failed = 0; /* initialising again starts afresh */")
	w.Line("ctx->err[0] = 0;")
	for _, p := range g.Net.Populations {
		w.Line("memset(ctx->%s_spkCnt, 0, (size_t)ctx->batch * %d * sizeof(uint32_t));", p.Name, g.Slots[p])
	}
	for _, v := range g.Vars {
		if v.ZeroAtInit && !v.DeviceOnly {
			w.Line("memset(ctx->%s, 0, (size_t)ctx->batch * %d * sizeof *ctx->%s);", v.Field, v.Desc.Count*v.Slots, v.Field)
		}
		if v.Internal && (v.Desc.Name == "sT" || v.Desc.Name == "prevST" || v.Desc.Name == "seT" || v.Desc.Name == "prevSET") {
			w.Line("for (size_t k = 0; k < (size_t)ctx->batch * %d; k++) ctx->%s[k] = -GN_TIME_MAX;", v.Desc.Count*v.Slots, v.Field)
		}
	}
	if nConn > 0 {
		g.B.InitTasks(fmt.Sprint(nConn), "gn_init_connectivity")
	}
	if len(hostVars) > 0 {
		g.B.InitTasks(fmt.Sprintf("ctx->batch * %du", len(hostVars)), "gn_init_variable")
	}
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	g.VariantPrologue()
	for _, s := range g.Net.Synapses {
		if ve, ok := g.Array(s.Name, "postsynaptic", "inSyn"); ok {
			w.Line("memset(ctx->%s + (size_t)b * %d, 0, %d * sizeof(scalar));", ve.Field, ve.Desc.Count, ve.Desc.Count)
		}
	}
	g.emitPoissonInit()
	w.Close("}")
	g.B.Initialised()
	w.Line("return ctx->failed;")
	w.Close("}")
	w.Line("")
	return nil
}

// emitConnectivityTasks writes gn_init_connectivity(ctx, k), task k of
// gn_init (Backend.InitTasks): the host's connectivity of the k-th synapse
// group that has some (shared realisations, host_init_code, the rows, the
// column index, in this order), and returns the number of tasks. Groups
// are independent of each other, so the tasks may run in any order.
func (g *Generator) emitConnectivityTasks() int {
	w := g.W
	var cases [][]string
	for _, s := range g.Net.Synapses {
		var calls []string
		if g.ShareConn[s] {
			calls = append(calls, "gn_share_"+s.Name)
		}
		if g.hostInit[s] {
			calls = append(calls, "init_host_"+s.Name)
		}
		if (s.Matrix == modelspec.MatrixSparse || s.Matrix == modelspec.MatrixBitmask) && !g.B.ConnectivityOnDevice(s) {
			calls = append(calls, "init_connectivity_"+s.Name)
		}
		if g.MaxCol[s] > 0 && !g.B.ConnectivityOnDevice(s) {
			calls = append(calls, "init_columns_"+s.Name)
		}
		if len(calls) > 0 {
			cases = append(cases, calls)
		}
	}
	if len(cases) == 0 {
		return 0
	}
	w.Line("/* Task k of gn_init: one synapse group's connectivity on the host. */")
	w.Line("static int gn_init_connectivity(gn_ctx *ctx, uint32_t k)")
	w.Open("{")
	w.Open("switch (k) {")
	for k, calls := range cases {
		for i, c := range calls {
			calls[i] = c + "(ctx)"
		}
		w.Line("case %d: return %s;", k, strings.Join(calls, " || "))
	}
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	return len(cases)
}

// emitVariableTasks writes gn_init_variable(ctx, k), task k of gn_init
// (Backend.InitTasks): variable k % n of variant k / n initialised on the
// host (n of them, vars), after the connectivity.
func (g *Generator) emitVariableTasks(vars []VarInit) {
	w := g.W
	w.Line("/* Task k of gn_init: one variable of one variant on the host. */")
	w.Line("static int gn_init_variable(gn_ctx *ctx, uint32_t k)")
	w.Open("{")
	w.Line("const uint32_t b = k / %du;", len(vars))
	w.Open("switch (k %% %du) {", len(vars))
	for i, v := range vars {
		w.Line("case %d: return init_var_%s(ctx, b);", i, g.varField(v))
	}
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
}

// SequentialTasks writes gn_init's running of tasks 0 to n - 1 (n a C
// expression) of task, an int task(gn_ctx *, uint32_t) that is nonzero on
// failure, in order: the first failure ends gn_init.
func (g *Generator) SequentialTasks(n, task string) {
	g.W.Line("for (uint32_t k = 0; k < %s; k++) if (%s(ctx, k)) return 1;", n, task)
}

// fillSlots copies slot 0 of a variable kept per delay slot, just
// initialised, into the other slots: every slot starts with the initial values.
func (g *Generator) fillSlots(ve VarEntry) {
	if ve.Slots <= 1 {
		return
	}
	w, n := g.W, ve.Desc.Count
	w.Open("{ /* every delay slot starts with the initial values */")
	g.ArrayPtr(ve)
	w.Line("for (uint32_t s = 1; s < %d; s++) memcpy(%s + (size_t)s * %d, %s, %d * sizeof *%s);", ve.Slots, ve.Field, n, ve.Field, n, ve.Field)
	w.Close("}")
}

// varField is the array of variable v.
func (g *Generator) varField(v VarInit) string {
	ve, _ := g.Array(v.Owner, v.Kind, v.Name)
	return ve.Field
}

// emitVarInit writes init_var_<field>, the initialisation of variable v of
// variant b on the host. For synapse variables, elements are synapses
// (id_pre, id_post). Each is a function of its own, never inlined into
// gn_init: GCC 12 vectorises no loop of a function as large as a gn_init
// with the microcircuit's 110 variables inline (gn_philox_first's and the
// first normals' loops below).
func (g *Generator) emitVarInit(v VarInit) error {
	ve, _ := g.Array(v.Owner, v.Kind, v.Name)
	code, err := g.elementCode(v, ve, "gn_nrm[gn_j]")
	if err != nil {
		return err
	}
	syn := v.Syn
	w := g.W
	w.Line("/* %s */", v.Init.Path)
	w.Line("static GN_NOINLINE int init_var_%s(gn_ctx *ctx, uint32_t b)", ve.Field)
	w.Open("{")
	g.VariantPrologue()
	g.ArrayPtr(ve)
	code.decl()
	// elem writes body for every element (id). With blocks, the elements
	// go in runs of consecutive ids of at most initBlock, each run first
	// computing the first Philox block of its elements' streams in one
	// vectorised loop (gn_philox_first into gn_blk; the element's is
	// gn_j of the run), and code drawing normals their first normals in a
	// second one (gn_nrm).
	elem := func(blocks bool, body func(target string)) {
		// run writes the loop over the n (C expression) elements from id0
		// (the id of the first), declaring the element's indices with decl.
		run := func(id0, n string, decl func()) {
			if !blocks {
				decl()
				return
			}
			w.Line("const uint32_t gn_n = %s < %d ? %s : %d;", n, initBlock, n, initBlock)
			w.Line("gn_philox_first(gn_blk, gn_blk + %d, gn_blk + %d, gn_blk + %d, %s, gn_n, ctx->seed[b], 0x%08xu, 0);", initBlock, 2*initBlock, 3*initBlock, id0, v.Stream)
			if code.normal {
				first := fmt.Sprintf("gn_normal_first(gn_blk[gn_j], gn_blk[%d + gn_j])", initBlock)
				if g.Prec == "float" {
					first = "gn_normal_f_first(gn_blk[gn_j])"
				}
				w.Line("for (uint32_t gn_j = 0; gn_j < gn_n; gn_j++) gn_nrm[gn_j] = %s;", first)
			}
			w.Open("for (uint32_t gn_j = 0; gn_j < gn_n; gn_j++) {")
			decl()
		}
		if blocks {
			w.Line("uint32_t gn_blk[4 * %d];", initBlock)
		}
		if code.normal {
			w.Line("scalar gn_nrm[%d]; /* the first normal of each stream of the run (NaN: not precomputed) */", initBlock)
		}
		// elements (a C expression) ids from 0: one loop, or runs of initBlock
		flat := func(count int, comment string) {
			if !blocks {
				w.Open("for (uint32_t id = 0; id < %d; id++) {%s", count, comment)
				body(ve.Field + "[id]")
				w.Close("}")
				return
			}
			w.Open("for (uint32_t gn_id0 = 0; gn_id0 < %d; gn_id0 += %d) {%s", count, initBlock, comment)
			run("gn_id0", fmt.Sprintf("%du - gn_id0", count), func() { w.Line("const uint32_t id = gn_id0 + gn_j;") })
			body(ve.Field + "[id]")
			w.Close("}")
			w.Close("}")
		}
		switch {
		case syn == nil:
			// one element of a variable shared by the neurons
			flat(ve.Desc.Count, "")
		case g.KernelW[syn]:
			flat(ve.Desc.Count, " /* kernel entries */")
		case syn.Matrix == modelspec.MatrixSparse:
			g.ConnPtr("const ", syn.Name, "connectivity", "rowLength", "rowLength")
			g.ConnPtr("const ", syn.Name, "connectivity", "ind", "ind")
			w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", syn.Source.Size)
			if blocks {
				w.Open("for (uint32_t gn_k0 = 0; gn_k0 < rowLength[id_pre]; gn_k0 += %d) {", initBlock)
				run(fmt.Sprintf("id_pre * %d + gn_k0", g.MaxRow[syn]), "rowLength[id_pre] - gn_k0", func() {
					w.Line("const uint32_t k = gn_k0 + gn_j;")
				})
			} else {
				w.Open("for (uint32_t k = 0; k < rowLength[id_pre]; k++) {")
			}
			w.Line("const uint32_t id = id_pre * %d + k, id_post = ind[id];", g.MaxRow[syn])
			w.Line("(void)id_post;")
			body(ve.Field + "[id]")
			if blocks {
				w.Close("}")
			}
			w.Close("}")
			w.Close("}")
		default:
			w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", syn.Source.Size)
			if blocks {
				w.Open("for (uint32_t gn_p0 = 0; gn_p0 < %d; gn_p0 += %d) {", syn.Target.Size, initBlock)
				run(fmt.Sprintf("id_pre * %d + gn_p0", syn.Target.Size), fmt.Sprintf("%du - gn_p0", syn.Target.Size), func() {
					w.Line("const uint32_t id_post = gn_p0 + gn_j;")
				})
			} else {
				w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", syn.Target.Size)
			}
			w.Line("const uint32_t id = id_pre * %d + id_post;", syn.Target.Size)
			body(ve.Field + "[id]")
			if blocks {
				w.Close("}")
			}
			w.Close("}")
			w.Close("}")
		}
	}
	elem(code.rng, func(t string) {
		if code.rng {
			w.Line("gn_rng rng;")
			w.Line("gn_rng_resume(&rng, ctx->seed[b], 0x%08xu, id, 0, gn_blk[gn_j], gn_blk[%d + gn_j], gn_blk[%d + gn_j], gn_blk[%d + gn_j]);",
				v.Stream, initBlock, 2*initBlock, 3*initBlock)
		}
		if e := code.body(t); e != nil && err == nil {
			err = e
		}
	})
	if err != nil {
		return err
	}
	g.fillSlots(ve)
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	return nil
}

// EmitElementInit writes the initialisation of element id of variant b's
// variable v as one thread of a device kernel: the declarations its code
// needs, its random stream (the host's: seed[b], v.Stream, id) and the code,
// which assigns the value to target. The caller declares b, id (for synapse
// variables id_pre and id_post too), rt and the array's ArrayPtr.
func (g *Generator) EmitElementInit(v VarInit, target string) error {
	ve, _ := g.Array(v.Owner, v.Kind, v.Name)
	code, err := g.elementCode(v, ve, "")
	if err != nil {
		return err
	}
	code.decl()
	if code.rng {
		g.W.Line("gn_rng rng;")
		g.W.Line("gn_rng_init(&rng, ctx->seed[b], 0x%08xu, id, 0);", v.Stream)
	}
	return code.body(target)
}

// elementInit is the code of one element of a variable's initialisation.
type elementInit struct {
	decl   func()                    // declarations its code needs, once per variant (after the array's ArrayPtr)
	rng    bool                      // the code draws from the element's stream, gn_rng rng
	normal bool                      // it draws normals, the first of them firstNormal (see elementCode)
	body   func(target string) error // the element's code, which assigns target
}

// elementCode prepares the per-element code of variable v (array ve).
// With firstNormal (a C expression: the stream's gn_normal_first, computed
// by the caller), code drawing normals takes its first from it
// (gn_normal_after).
func (g *Generator) elementCode(v VarInit, ve VarEntry, firstNormal string) (elementInit, error) {
	vi, syn, w := v.Init, v.Syn, g.W
	switch vi.Kind {
	case modelspec.InitConstant:
		val := g.value(vi.Constant)
		return elementInit{decl: func() {}, body: func(t string) error {
			w.Line("%s = (%s)%s;", t, ve.CType, val)
			return nil
		}}, nil
	case modelspec.InitArray:
		vals := make([]string, len(vi.Values))
		for i, x := range vi.Values {
			vals[i] = Literal(x, "double")
		}
		return elementInit{
			decl: func() { w.Line("static const double init_values[%d] = {%s};", len(vals), strings.Join(vals, ", ")) },
			body: func(t string) error {
				w.Line("%s = (%s)init_values[id];", t, ve.CType)
				return nil
			}}, nil
	}
	snip := vi.Snippet
	sc := NewScope()
	if err := g.bindEGPs(sc, "snippet "+snip.Name, vi.Path, snip.ExtraGlobalParams, vi.EGPs, []string{snip.Code}, vi.Pos); err != nil {
		return elementInit{}, err
	}
	decl := func() {}
	if syn != nil && g.KernelW[syn] {
		sc.Vars["id_kernel"] = "id"
	} else if usesToken([]string{snip.Code}, "id_kernel") {
		if syn == nil || !g.kernel[syn] {
			return elementInit{}, configError(vi.Pos, vi.Path, "variable initialisation snippet %s uses $(id_kernel), which needs a per-synapse variable of a sparse matrix whose connectivity snippet has a kernel (e.g. Conv2D)", snip.Name)
		}
		kve, _ := g.Array(syn.Name, "internal", "kernelInd")
		sc.Vars["id_kernel"] = kve.Field + "[id]"
		size := 1
		for _, d := range g.kernelDims[syn] {
			size *= d
		}
		decl = func() {
			g.ArrayPtr(kve)
			// a kernel array shorter than the kernel would be read out of bounds
			for _, e := range g.EGPs {
				if e.Ptr && strings.HasPrefix(e.Desc.Path, vi.Path+".extra_global_params.") {
					w.Line("if (ctx->%s_n[b] < %d) return gn_fail(ctx, %s);", e.Field, size,
						quoteC(fmt.Sprintf("%s has fewer values than the kernel's %d (%v)", e.Desc.Path, size, g.kernelDims[syn])))
				}
			}
		}
	}
	g.bindParams(sc, snip.Params, vi.Params, snip.DerivedParams, vi.Derived)
	sc.Vars["value"] = "value"
	sc.Vars["id"] = "id"
	sc.Vars["num_batch"] = "1"
	if syn == nil {
		sc.Vars["num"] = fmt.Sprint(v.Size)
	} else {
		if !g.KernelW[syn] {
			sc.Vars["id_pre"] = "id_pre"
			sc.Vars["id_post"] = "id_post"
		}
		sc.Vars["num_pre"] = fmt.Sprint(syn.Source.Size)
		sc.Vars["num_post"] = fmt.Sprint(syn.Target.Size)
	}
	g.rngFuncs(sc, "&rng")
	normal := firstNormal != "" && usesToken([]string{snip.Code}, "gennrand_normal")
	if normal {
		sc.Funcs["gennrand_normal"] = Func{Arity: 0, Expand: func([]string) string {
			return fmt.Sprintf("((scalar)gn_normal%s_after(&rng, %s))", g.drawSuffix(), firstNormal)
		}}
	}
	st := site("variable", vi.Path, vi.Path, snip.Name, "var_init_code", snip.CodePos, vi.Pos)
	return elementInit{decl: decl, rng: UsesRNG(snip.Code), normal: normal, body: func(t string) error {
		w.Line("scalar value = 0;")
		if err := g.code(snip.Code, sc, st); err != nil {
			return err
		}
		w.Line("%s = (%s)value;", t, ve.CType)
		return nil
	}}, nil
}

// initBlock is the length of the runs of elements whose first Philox
// blocks variable initialisation computes at once (4 words each, on the
// stack).
const initBlock = 256

// emitConnectivity writes the builder of a sparse or bitmask group: GeNN's
// row_build_code runs in a loop per presynaptic neuron until $(endRow); a
// snippet with col_build_code instead (FixedNumberPreWithReplacement) runs
// per postsynaptic neuron until $(endCol), and $(addSynapse, i) appends the
// column's id_post to row i, so that the rows come out sorted by id_post
// (the transpose of the columns, built in place). It is never inlined:
// CUBA's four builders inlined into gn_init took 1.6 times as long.
func (g *Generator) emitConnectivity(si int, s *modelspec.SynapseGroup) error {
	c := s.Connectivity
	snip := c.Snippet
	maxRow := g.MaxRow[s]
	w := g.W
	npre, npost := s.Source.Size, s.Target.Size
	colBuild := IsColBuild(snip)
	if s.Matrix == modelspec.MatrixBitmask {
		w.Line("/* synapse group %s: %s connectivity as a bitmask of %d x %d bits */", s.Name, snip.Name, npre, npost)
	} else {
		w.Line("/* synapse group %s: %s connectivity, at most %d synapses per row */", s.Name, snip.Name, maxRow)
	}
	w.Line("static GN_NOINLINE int init_connectivity_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	if s.Matrix != modelspec.MatrixBitmask {
		w.Line("uint32_t gn_longest = 0; /* the longest row beyond the bound, in any variant */")
	}
	g.connVariantLoop(s)
	g.VariantPrologue()
	g.DeclareConnArrays(s)
	if s.Matrix == modelspec.MatrixSparse && !colBuild {
		w.Open("for (uint32_t id_pre = 0; id_pre < %d; id_pre++) {", npre)
		if err := g.EmitSparseRow(si, s, "if (n > gn_longest) gn_longest = n;"); err != nil {
			return err
		}
		w.Close("}")
	} else if err := g.emitBuildLoop(si, s); err != nil {
		return err
	}
	w.Close("}")
	if s.Matrix != modelspec.MatrixBitmask {
		g.BoundFail(s, "row", maxRow)
	}
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	return nil
}

// emitBuildLoop writes the loop of a bitmask group's builder over its rows
// (or columns), or of a sparse group's over its columns (the rows' lengths
// clamped to the bound after it).
func (g *Generator) emitBuildLoop(si int, s *modelspec.SynapseGroup) error {
	w, maxRow := g.W, g.MaxRow[s]
	npre, npost := s.Source.Size, s.Target.Size
	colBuild := IsColBuild(s.Connectivity.Snippet)
	if s.Matrix == modelspec.MatrixBitmask {
		loopVar, loopN := "id_pre", npre
		if colBuild {
			loopVar, loopN = "id_post", npost
		}
		g.ConnPtr("", s.Name, "connectivity", "gp", "gp")
		w.Line("memset(gp, 0, %d * sizeof *gp);", (npre*npost+31)/32)
		w.Open("for (uint32_t %s = 0; %s < %d; %s++) {", loopVar, loopVar, loopN, loopVar)
		if err := g.EmitBitmaskBuild(si, s, "gp[gid / 32] |= 1u << (gid % 32)"); err != nil {
			return err
		}
		w.Close("}")
		return nil
	}
	// A row longer than the bound is counted to its end, not stored
	// beyond it, so that the failure says how long the longest row is.
	w.Line("memset(rowLength, 0, %d * sizeof *rowLength);", npre)
	w.Open("for (uint32_t id_post = 0; id_post < %d; id_post++) {", npost)
	if err := g.EmitSparseColumn(si, s, fmt.Sprintf("if (rowLength[i_] < %d) ind[(size_t)i_ * %d + rowLength[i_]] = (%s)id_post; rowLength[i_]++;", maxRow, maxRow, g.IndType(s))); err != nil {
		return err
	}
	w.Close("}")
	w.Line("for (uint32_t i = 0; i < %d; i++) if (rowLength[i] > %d) { if (rowLength[i] > gn_longest) gn_longest = rowLength[i]; rowLength[i] = %d; }", npre, maxRow, maxRow)
	return nil
}

// EmitSparseColumn writes the building of column id_post of sparse group
// s by its col_build_code: each synapse appends id_post to row i_ (a
// uint32_t in scope) by appendRow, a statement.
func (g *Generator) EmitSparseColumn(si int, s *modelspec.SynapseGroup, appendRow string) error {
	return g.colBuild(si, s, func(a []string) string {
		return fmt.Sprintf("do { const uint32_t i_ = (uint32_t)(%s); %s } while (0)", a[0], appendRow)
	})
}

// EmitBitmaskBuild writes the building of row id_pre (or, for a snippet
// with col_build_code, column id_post) of bitmask group s: each synapse
// sets bit gid (a uint64_t, id_pre * num_post + id_post) of gp by setBit,
// a statement.
func (g *Generator) EmitBitmaskBuild(si int, s *modelspec.SynapseGroup, setBit string) error {
	colBuild := IsColBuild(s.Connectivity.Snippet)
	add := func(a []string) string {
		pre, post := "id_pre", a[0]
		if colBuild {
			pre, post = a[0], "id_post"
		}
		return fmt.Sprintf("do { const uint64_t gid = (uint64_t)(uint32_t)(%s) * %d + (uint32_t)(%s); %s; } while (0)", pre, s.Target.Size, post, setBit)
	}
	if colBuild {
		return g.colBuild(si, s, add)
	}
	return g.rowBuild(si, s, add)
}

// DeclareConnArrays declares, for variant b, the local pointers the
// connectivity builder of group s writes and reads: the host-computed
// arrays of its snippet, its kernel index where its weights come from a
// kernel, and a sparse group's rowLength and ind.
func (g *Generator) DeclareConnArrays(s *modelspec.SynapseGroup) {
	for _, v := range g.hostArrays(s) {
		g.ArrayPtr(v)
	}
	if ve, ok := g.Array(s.Name, "internal", "kernelInd"); ok && g.kernel[s] {
		g.ArrayPtr(ve)
	}
	if s.Matrix == modelspec.MatrixSparse {
		g.ConnPtr("", s.Name, "connectivity", "rowLength", "rowLength")
		g.ConnPtr("", s.Name, "connectivity", "ind", "ind")
	}
}

// DeclareColumnArrays declares, for variant b, the local pointers the
// building of sparse group s's column index reads (rowLength, ind) and
// writes (colLength, remap).
func (g *Generator) DeclareColumnArrays(s *modelspec.SynapseGroup) {
	g.ConnPtr("const ", s.Name, "connectivity", "rowLength", "rowLength")
	g.ConnPtr("const ", s.Name, "connectivity", "ind", "ind")
	g.ConnPtr("", s.Name, "internal", "colLength", "colLength")
	g.ConnPtr("", s.Name, "internal", "remap", "remap")
}

// EmitSparseRow writes the building of row id_pre of sparse group s (the
// arrays of DeclareConnArrays in scope): its row_build_code stores up to
// the bound and counts to the end, and overflow, a statement, runs with n
// the row's length when the row is longer than the bound (which is then
// its stored length). The host builds rows one after another; a device
// backend may build each in a thread of its own.
func (g *Generator) EmitSparseRow(si int, s *modelspec.SynapseGroup, overflow string) error {
	w, maxRow := g.W, g.MaxRow[s]
	kernelInd := ""
	if ve, ok := g.Array(s.Name, "internal", "kernelInd"); ok && g.kernel[s] {
		kernelInd = ve.Field
	}
	w.Line("%s *const row = ind + (size_t)id_pre * %d;", g.IndType(s), maxRow)
	w.Line("uint32_t n = 0;")
	add := func(a []string) string {
		kernel := ""
		if kernelInd != "" {
			kernel = fmt.Sprintf("%s[(size_t)id_pre * %d + n] = (uint32_t)(%s); ", kernelInd, maxRow, g.kernelFlat(s, a[1:]))
		}
		return fmt.Sprintf("do { if (n < %d) { %srow[n] = (%s)(%s); } n++; } while (0)", maxRow, kernel, g.IndType(s), a[0])
	}
	if err := g.rowBuild(si, s, add); err != nil {
		return err
	}
	w.Line("if (n > %d) { %s n = %d; }", maxRow, overflow, maxRow)
	w.Line("rowLength[id_pre] = n;")
	return nil
}

// BoundFail writes the failure of a connectivity builder that found a row
// or column (what) of up to gn_longest synapses beyond its bound (0: none),
// in the form ParseBoundOverflow reads.
func (g *Generator) BoundFail(s *modelspec.SynapseGroup, what string, bound int) {
	key := "max_row_length"
	if what == "column" {
		key = "max_col_length"
	}
	format := fmt.Sprintf(boundOverflowFormat, s.Name, what, "%u", what, bound, key)
	g.W.Line("if (gn_longest) { if (!ctx->failed) { snprintf(ctx->err, sizeof ctx->err, %s, gn_longest); ctx->failed = 1; } return 1; }", quoteC(format))
}

// boundOverflowFormat is the message of a row or column longer than its
// bound: group, row or column, its length, row or column, the bound and
// the config key that sets it.
const boundOverflowFormat = "synapse group %s: a %s has %s synapses, more than the %s bound %d (%s)"

// boundOverflowRE reads boundOverflowFormat.
var boundOverflowRE = regexp.MustCompile(`synapse group (\w+): a (row|column) has (\d+) synapses, more than the (?:row|column) bound (\d+)`)

// BoundOverflow is a row or column of a sparse group's connectivity that
// was longer than the module's bound.
type BoundOverflow struct {
	Group  string // synapse group
	Column bool   // a column (else a row)
	Length int    // the longest row or column of the batch
	Bound  int    // the module's bound
}

// ParseBoundOverflow finds a module's report of a row or column longer
// than its bound in an error message.
func ParseBoundOverflow(msg string) (BoundOverflow, bool) {
	m := boundOverflowRE.FindStringSubmatch(msg)
	if m == nil {
		return BoundOverflow{}, false
	}
	n, err1 := strconv.Atoi(m[3])
	b, err2 := strconv.Atoi(m[4])
	if err1 != nil || err2 != nil {
		return BoundOverflow{}, false
	}
	return BoundOverflow{Group: m[1], Column: m[2] == "column", Length: n, Bound: b}, true
}

// IsColBuild reports whether a snippet builds columns (no row-build code).
func IsColBuild(snip *modelspec.ConnectivitySnippet) bool {
	return strings.TrimSpace(snip.RowBuildCode) == "" && strings.TrimSpace(snip.ColBuildCode) != ""
}

// kernelSize evaluates the dimensions of a group's connectivity kernel
// (GeNN's calcKernelSizeFunc) from the parameters of its connectivity or
// Toeplitz snippet.
func (g *Generator) kernelSize(s *modelspec.SynapseGroup) ([]int, error) {
	path := "synapses." + s.Name + ".connectivity"
	var name string
	var params []string
	var ps, ds modelspec.Params
	var exprs []string
	var pos modelspec.Pos
	switch {
	case s.Toeplitz != nil:
		t := s.Toeplitz
		name, params, ps, ds, exprs, pos = t.Snippet.Name, t.Snippet.Params, t.Params, t.Derived, t.Snippet.KernelSize, t.Pos
	case s.Connectivity != nil:
		c := s.Connectivity
		name, params, ps, ds, exprs, pos = c.Snippet.Name, c.Snippet.Params, c.Params, c.Derived, c.Snippet.KernelSize, c.Pos
	}
	vars := map[string]float64{"num_pre": float64(s.Source.Size), "num_post": float64(s.Target.Size)}
	for _, n := range params {
		v, ok := ps[n]
		if !ok {
			continue
		}
		if _, rt := g.rtIndex[v.Path]; rt {
			return nil, configError(pos, fmt.Sprintf("%s.params.%s", path, n), "the kernel size of %s depends on it, so it must be the same in every variant of a structure group", name)
		}
		vars[n] = v.V
	}
	for k, v := range ds {
		vars[k] = v.V
	}
	var out []int
	for _, e := range exprs {
		v, err := modelspec.EvalExpr(e, vars)
		if err != nil {
			return nil, configError(pos, path, "kernel size of %s: %v", name, err)
		}
		out = append(out, int(v))
	}
	return out, nil
}

// prepareKernel decides the kernel of a group with kernel weights or a
// Toeplitz matrix.
func (g *Generator) prepareKernel(s *modelspec.SynapseGroup) error {
	if _, done := g.kernelDims[s]; done {
		return nil
	}
	dims, err := g.kernelSize(s)
	if err != nil {
		return err
	}
	if len(dims) == 0 {
		return configError(s.Pos, "synapses."+s.Name+".weights", "kernel weights need a connectivity snippet with a kernel (calc_kernel_size_func, e.g. Conv2D)")
	}
	g.kernelDims[s] = dims
	return nil
}

// kernelFlat is the row-major index into the kernel of the kernel
// coordinates a ($(addSynapse, j, k0, k1, ...)), as GeNN's $(id_kernel).
func (g *Generator) kernelFlat(s *modelspec.SynapseGroup, a []string) string {
	ks := g.kernelDims[s]
	if len(a) != len(ks) {
		return fmt.Sprintf("GN_KERNEL_ARGS_MISMATCH_%d_%d", len(a), len(ks)) // unreachable: checked in prepare
	}
	expr := "(uint32_t)(" + a[0] + ")"
	for i := 1; i < len(a); i++ {
		expr = fmt.Sprintf("(%s * %du + (uint32_t)(%s))", expr, ks[i], a[i])
	}
	return expr
}

// hostArrays are the internal arrays a group's host initialisation fills
// (GeNN's host-allocated extra global parameters, e.g. preCalcRowLength).
func (g *Generator) hostArrays(s *modelspec.SynapseGroup) []VarEntry {
	var out []VarEntry
	if s.Connectivity == nil {
		return nil
	}
	for _, e := range s.Connectivity.Snippet.ExtraGlobalParams {
		if s.Connectivity.Snippet.HostEGP(e.Name) && builtinHostInit(s.Connectivity.Snippet) {
			if ve, ok := g.Array(s.Name, "internal", e.Name); ok {
				out = append(out, ve)
			}
		}
	}
	return out
}

// fixedNumberTotalHostInit is the host initialisation code of GeNN 4.9's
// FixedNumberTotalWithReplacement, whose C++ the generator translates.
var fixedNumberTotalHostInit = modelspec.Builtins().Connectivity["FixedNumberTotalWithReplacement"].HostInitCode

// builtinHostInit reports whether a snippet's host code is the built-in
// FixedNumberTotalWithReplacement's.
func builtinHostInit(snip *modelspec.ConnectivitySnippet) bool {
	return snip.HostInitCode == fixedNumberTotalHostInit
}

// emitHostInit writes init_host_<S>: the host initialisation code of group
// s's connectivity snippet, run for every variant (or realisation) before
// its rows are built.
//
// A custom snippet's host_init_code is C (GeNN's is C++): it sees the
// snippet's parameters, derived parameters and extra global parameters,
// $(num_pre), $(num_post), $(num_threads) (1), and random numbers
// ($(gennrand_uniform), ...) from the variant's host-initialisation stream
// (StreamHostInit | group index); $(allocateX, n) gives extra global
// parameter X n zeroed elements, which the row and column build code then
// read; $(pushX, n) and $(pullX, n) do nothing (the module's memory is the
// host's). GeNN's $(rng), a C++ random engine, has no C counterpart.
//
// The built-in FixedNumberTotalWithReplacement's C++ is translated: GeNN
// splits $(total) connections over the rows by a chain of conditional
// binomial draws (row i gets Binomial(remaining, num_post / remaining
// matrix size), the last row the rest): a multinomial split with equal
// probabilities 1/num_pre. Here each of the total connections picks its
// row uniformly (Lemire's multiply of a 32-bit draw), which is the same
// multinomial distribution, exact for any total (the inversion binomial
// sampler underflows for large means), in O(total) like the row building
// that follows. The draws come from the variant's Philox stream
// (StreamHostInit | group index), so the row lengths, and then the rows,
// are the same alone or in any batch.
//
// A backend that builds the connectivity on the device draws the split
// there too (ConnectivityOnDevice): init_host_<S> then only checks the
// totals.
func (g *Generator) emitHostInit(si int, s *modelspec.SynapseGroup) error {
	c := s.Connectivity
	snip := c.Snippet
	split, ok, err := g.TotalSplit(s)
	if err != nil {
		return err
	}
	if !ok {
		return g.emitCustomHostInit(si, s)
	}
	npre := s.Source.Size
	device := g.B.ConnectivityOnDevice(s)
	w := g.W
	if device {
		w.Line("/* synapse group %s: the totals of %s, whose split over the rows the device draws */", s.Name, snip.Name)
	} else {
		w.Line("/* synapse group %s: row lengths of %s, a multinomial split of total over the %d rows */", s.Name, snip.Name, npre)
	}
	w.Line("static int init_host_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	g.connVariantLoop(s)
	g.VariantPrologue()
	rowLen := split.RowLength.Field
	if !device {
		g.ArrayPtr(split.RowLength)
		w.Line("memset(%s, 0, %d * sizeof *%s);", rowLen, npre, rowLen)
	}
	w.Line("const double total = %s;", split.Total)
	w.Line("if (!(total >= 0.0) || total > 4294967295.0) return gn_fail(ctx, %s);", quoteC(fmt.Sprintf("synapse group %s: total must be in [0, 2^32)", s.Name)))
	if !device {
		w.Line("gn_rng rng;")
		w.Line("gn_rng_init(&rng, %s, 0x%08xu, 0, 0);", g.ConnSeed(), split.Stream)
		w.Line("for (uint32_t k = 0; k < (uint32_t)total; k++) %s[(uint32_t)(((uint64_t)gn_next_u32(&rng) * %du) >> 32)]++;", rowLen, npre)
	}
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	return nil
}

// TotalSplit is the split of a FixedNumberTotalWithReplacement group's
// total over its rows (see emitHostInit): draw k of variant b's split
// is the k-th 32-bit word of stream (connectivity seed, Stream, 0, 0),
// and picks row (word × num_pre) >> 32.
type TotalSplit struct {
	RowLength VarEntry // the rows' lengths (preCalcRowLength)
	Total     string   // C expression of the total, a double (rt, the variant's runtime slots, in scope)
	Stream    uint32
}

// TotalSplit returns group s's split, if its snippet is the built-in
// FixedNumberTotalWithReplacement.
func (g *Generator) TotalSplit(s *modelspec.SynapseGroup) (TotalSplit, bool, error) {
	c := s.Connectivity
	if c == nil || !builtinHostInit(c.Snippet) {
		return TotalSplit{}, false, nil
	}
	arrays := g.hostArrays(s)
	if len(arrays) != 1 {
		return TotalSplit{}, false, fmt.Errorf("%s: synapses.%s.connectivity: snippet %s: internal error: %d host arrays", c.Pos, s.Name, c.Snippet.Name, len(arrays))
	}
	total, ok := c.Params["total"]
	if !ok {
		return TotalSplit{}, false, configError(c.Pos, "synapses."+s.Name+".connectivity", "snippet %s has no parameter total", c.Snippet.Name)
	}
	totalC := Literal(total.V, "double") // full precision: a count, not a scalar
	if k, ok := g.rtIndex[total.Path]; ok {
		totalC = fmt.Sprintf("rt[%d]", k)
	}
	return TotalSplit{RowLength: arrays[0], Total: totalC, Stream: StreamHostInit | uint32(g.SynIndex[s])}, true, nil
}

// emitCustomHostInit writes init_host_<S> for a custom snippet's C host
// code (see emitHostInit).
func (g *Generator) emitCustomHostInit(si int, s *modelspec.SynapseGroup) error {
	c := s.Connectivity
	snip := c.Snippet
	path := "synapses." + s.Name + ".connectivity"
	// The host code runs on the host in every backend; a procedural
	// matrix reads what it computed on the device.
	if s.Matrix == modelspec.MatrixProcedural {
		if err := g.Require(FeatureHostInitCode, c.Pos.String()+": "+path); err != nil {
			return err
		}
	}
	sc := NewScope()
	g.bindParams(sc, snip.Params, c.Params, snip.DerivedParams, c.Derived)
	sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
	sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
	sc.Vars["num_threads"] = "1"
	g.rngFuncs(sc, "&rng")
	if err := g.bindConnEGPs(sc, s, []string{snip.HostInitCode}); err != nil {
		return err
	}
	for _, e := range g.EGPs {
		name, ok := strings.CutPrefix(e.Desc.Path, path+".extra_global_params.")
		if !ok || !e.Ptr {
			continue
		}
		msg := quoteC(fmt.Sprintf("out of memory allocating %s in the host code of %s", e.Desc.Path, snip.Name))
		sc.Funcs["allocate"+name] = Func{Arity: 1, Expand: func(a []string) string {
			return fmt.Sprintf("do { const size_t gn_n = (size_t)(%s); %s *p = realloc(ctx->%s[b], (gn_n ? gn_n : 1) * sizeof *p); if (!p) return gn_fail(ctx, %s); memset(p, 0, gn_n * sizeof *p); ctx->%s[b] = p; ctx->%s_n[b] = gn_n; } while (0)",
				a[0], e.Elem, e.Field, msg, e.Field, e.Field)
		}}
		sc.Funcs["push"+name] = Func{Arity: 1, Expand: func([]string) string { return "do { } while (0) /* the module's memory is the host's */" }}
		sc.Funcs["pull"+name] = sc.Funcs["push"+name]
	}
	st := site("synapse group", s.Name, path, snip.Name, "host_init_code", snip.CodePos, c.Pos)
	if strings.Contains(snip.HostInitCode, "$(rng)") {
		p := tokenPos(snip.HostInitCode, strings.Index(snip.HostInitCode, "$(rng)"), st)
		return configError(p, path, "host_init_code of %s uses $(rng), GeNN's C++ random engine: gennctl's host code is C; draw with $(gennrand_uniform), $(gennrand_normal), $(gennrand_binomial, n, p), ...", snip.Name)
	}
	w := g.W
	w.Line("/* synapse group %s: host initialisation code of %s */", s.Name, snip.Name)
	w.Line("static int init_host_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	g.connVariantLoop(s)
	g.VariantPrologue()
	if UsesRNG(snip.HostInitCode) {
		w.Line("gn_rng rng;")
		w.Line("gn_rng_init(&rng, %s, 0x%08xu, 0, 0);", g.ConnSeed(), StreamHostInit|uint32(si))
	}
	w.Open("{")
	if err := g.code(snip.HostInitCode, sc, st); err != nil {
		return err
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
func (g *Generator) rowBuild(si int, s *modelspec.SynapseGroup, add func(a []string) string) error {
	snip := s.Connectivity.Snippet
	return g.buildLoop(si, s, add, buildSide{id: "id_pre", begin: "id_post_begin", end: "endRow",
		code: snip.RowBuildCode, codeField: "row_build_code", vars: snip.RowBuildStateVars, varsField: "row_build_state_vars"})
}

// colBuild writes the column-building loop of postsynaptic neuron id_post
// of group s (GeNN's col_build_code and col_build_state_vars; $(endCol)
// ends the column).
func (g *Generator) colBuild(si int, s *modelspec.SynapseGroup, add func(a []string) string) error {
	snip := s.Connectivity.Snippet
	return g.buildLoop(si, s, add, buildSide{id: "id_post", begin: "id_pre_begin", end: "endCol",
		code: snip.ColBuildCode, codeField: "col_build_code", vars: snip.ColBuildStateVars, varsField: "col_build_state_vars"})
}

// buildSide is what distinguishes building rows from building columns.
type buildSide struct {
	id, begin, end  string // the element's index token, the other side's begin token, the end token
	code, codeField string
	vars            []modelspec.StateVar
	varsField       string
}

// buildLoop writes one row's (or column's) build loop: the random stream
// of the element, its state variables and the build code until $(endRow)
// (or $(endCol)), its calls of log, exp and pow renamed (ConnMath) so that
// every backend makes the same decisions.
func (g *Generator) buildLoop(si int, s *modelspec.SynapseGroup, add func(a []string) string, side buildSide) error {
	c := s.Connectivity
	snip := c.Snippet
	w := g.W
	path := "synapses." + s.Name + ".connectivity"
	sc := NewScope()
	g.bindParams(sc, snip.Params, c.Params, snip.DerivedParams, c.Derived)
	sc.Vars[side.id] = side.id
	sc.Vars["num_pre"] = fmt.Sprint(s.Source.Size)
	sc.Vars["num_post"] = fmt.Sprint(s.Target.Size)
	sc.Vars["num_threads"] = "1"
	sc.Vars["id_thread"] = "0"
	sc.Vars[side.begin] = "0"
	g.rngFuncs(sc, "&rng")
	sc.Funcs["addSynapse"] = Func{Arity: -1, Expand: add}
	sc.Funcs[side.end] = Func{Arity: 0, Expand: func([]string) string { return "break" }}
	if err := g.bindConnEGPs(sc, s, []string{side.code}); err != nil {
		return err
	}
	w.Open("{")
	if UsesRNG(side.code) || g.procRNG {
		w.Line("gn_rng rng;")
		w.Line("gn_rng_init(&rng, %s, 0x%08xu, %s, 0);", g.ConnSeed(), StreamConnectivity|uint32(si), side.id)
	}
	for _, sv := range side.vars {
		init, err := Substitute(sv.Init, sc, site("synapse group", s.Name, path, snip.Name, side.varsField, snip.CodePos, c.Pos))
		if err != nil {
			return err
		}
		w.Line("%s %s = %s;", CType(sv.Type), sv.Name, EnsureFloatLiterals(ConnMath(init), g.Prec))
		sc.Vars[sv.Name] = sv.Name
	}
	w.Open("for (;;) {")
	if err := g.codeRewritten(side.code, sc, site("synapse group", s.Name, path, snip.Name, side.codeField, snip.CodePos, c.Pos), ConnMath); err != nil {
		return err
	}
	w.Close("}")
	w.Close("}")
	return nil
}

// emitColumns writes the column index of a sparse group whose model has
// learn_post_code: for each postsynaptic neuron, the row-major indices of
// its synapses in order of increasing id_pre (GeNN's colLength and remap).
func (g *Generator) emitColumns(s *modelspec.SynapseGroup) {
	w := g.W
	npre, npost, maxRow, maxCol := s.Source.Size, s.Target.Size, g.MaxRow[s], g.MaxCol[s]
	w.Line("/* synapse group %s: column index for learn_post_code, at most %d synapses per column */", s.Name, maxCol)
	w.Line("static int init_columns_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	w.Line("uint32_t gn_longest = 0; /* the longest column beyond the bound, in any variant */")
	g.connVariantLoop(s)
	g.DeclareColumnArrays(s)
	w.Line("memset(colLength, 0, %d * sizeof *colLength);", npost)
	w.Open("for (uint32_t i = 0; i < %d; i++) {", npre)
	w.Open("for (uint32_t k = 0; k < rowLength[i]; k++) {")
	w.Line("const uint32_t syn = i * %d + k, j = ind[syn];", maxRow)
	w.Line("if (colLength[j] >= %d) { colLength[j]++; continue; } /* counted, not stored */", maxCol)
	w.Line("remap[%s] = syn;", g.B.RemapIndex(s, "j", "colLength[j]++"))
	w.Close("}")
	w.Close("}")
	w.Line("for (uint32_t j = 0; j < %d; j++) if (colLength[j] > %d) { if (colLength[j] > gn_longest) gn_longest = colLength[j]; colLength[j] = %d; }", npost, maxCol, maxCol)
	w.Close("}")
	g.BoundFail(s, "column", maxCol)
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
}

// bindConnEGPs adds a connectivity snippet's extra global parameters to a
// scope: host-computed ones as the group's internal array, the others as
// per-variant data.
func (g *Generator) bindConnEGPs(sc *Scope, s *modelspec.SynapseGroup, codes []string) error {
	c := s.Connectivity
	var user []modelspec.EGP
	for _, e := range c.Snippet.ExtraGlobalParams {
		if c.Snippet.HostEGP(e.Name) && builtinHostInit(c.Snippet) {
			if ve, ok := g.Array(s.Name, "internal", e.Name); ok {
				sc.Vars[e.Name] = ve.Field
			}
			continue
		}
		user = append(user, e)
	}
	for _, sv := range append(append([]modelspec.StateVar{}, c.Snippet.RowBuildStateVars...), c.Snippet.ColBuildStateVars...) {
		codes = append(codes, sv.Init)
	}
	return g.bindEGPs(sc, "snippet "+c.Snippet.Name, "synapses."+s.Name+".connectivity", user, c.EGPs, codes, c.Pos)
}

// connMinMax reports whether connectivity code calls min or max (C++'s
// std::min/max in GeNN), which C lacks.
func (g *Generator) connMinMax() bool {
	for _, s := range g.Net.Synapses {
		c := s.Connectivity
		if c == nil {
			continue
		}
		codes := []string{c.Snippet.RowBuildCode, c.Snippet.ColBuildCode}
		for _, sv := range append(append([]modelspec.StateVar{}, c.Snippet.RowBuildStateVars...), c.Snippet.ColBuildStateVars...) {
			codes = append(codes, sv.Init)
		}
		for _, code := range codes {
			if containsIdent(code, "min") || containsIdent(code, "max") {
				return true
			}
		}
	}
	return false
}

// connVariantLoop opens the loop over the variants whose connectivity of
// group s is built: every variant, or with shared connectivity the first
// variant of each realisation (gn_share_<S> numbers the realisations in
// order of their first variant).
func (g *Generator) connVariantLoop(s *modelspec.SynapseGroup) {
	if !g.ShareConn[s] {
		g.W.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
		return
	}
	g.W.Open("for (uint32_t b = 0, next = 0; b < ctx->batch; b++) {")
	g.W.Line("if (ctx->%s_cslot[b] != next) continue; /* uses an earlier variant's realisation */", s.Name)
	g.W.Line("next++;")
}

// emitShare writes gn_conn_same_<S>, which says whether two variants have
// equal connectivity inputs for group s, and gn_share_<S>, which gn_init
// calls first: it gives every variant of the batch the realisation of the
// first earlier variant with equal inputs (or a new one), and allocates
// storage for the distinct realisations only.
//
// The inputs of a group's connectivity are the connectivity seed, the
// snippet's parameters and derived parameters, its extra global parameters
// and the sizes (structure). Literals are equal in every variant; runtime
// slots and extra global parameters are compared bit for bit.
func (g *Generator) emitShare(s *modelspec.SynapseGroup) {
	w := g.W
	c := s.Connectivity
	var slots []int
	seen := map[int]bool{}
	addPath := func(path string) {
		if k, ok := g.rtIndex[path]; ok && !seen[k] {
			seen[k] = true
			slots = append(slots, k)
		}
	}
	addPath(g.Net.Sim.ConnectivitySeed.Path)
	for _, n := range c.Snippet.Params {
		if v, ok := c.Params[n]; ok {
			addPath(v.Path)
		}
	}
	for _, dp := range c.Snippet.DerivedParams {
		if v, ok := c.Derived[dp.Name]; ok {
			addPath(v.Path)
		}
	}
	w.Line("/* synapse group %s: whether variants a and b have equal connectivity inputs */", s.Name)
	w.Line("static int gn_conn_same_%s(const gn_ctx *ctx, uint32_t a, uint32_t b)", s.Name)
	w.Open("{")
	w.Line("(void)ctx; (void)a; (void)b;")
	for _, k := range slots {
		w.Line("if (memcmp(ctx->rt + (size_t)a * GN_NUM_RUNTIME + %d, ctx->rt + (size_t)b * GN_NUM_RUNTIME + %d, sizeof(double))) return 0; /* %s */", k, k, g.Opts.Runtime[k])
	}
	prefix := "synapses." + s.Name + ".connectivity.extra_global_params."
	for _, e := range g.EGPs {
		if !strings.HasPrefix(e.Desc.Path, prefix) {
			continue
		}
		if e.Ptr {
			w.Line("if (ctx->%s_n[a] != ctx->%s_n[b] || memcmp(ctx->%s[a], ctx->%s[b], ctx->%s_n[a] * sizeof *ctx->%s[a])) return 0; /* %s */",
				e.Field, e.Field, e.Field, e.Field, e.Field, e.Field, e.Desc.Path)
		} else {
			w.Line("if (memcmp(&ctx->%s[a], &ctx->%s[b], sizeof *ctx->%s)) return 0; /* %s */", e.Field, e.Field, e.Field, e.Desc.Path)
		}
	}
	w.Line("return 1;")
	w.Close("}")
	w.Line("")
	w.Line("/* synapse group %s: share the connectivity of variants with equal inputs */", s.Name)
	w.Line("static int gn_share_%s(gn_ctx *ctx)", s.Name)
	w.Open("{")
	w.Line("uint32_t *const owner = ctx->%s_connectivityOwner;", s.Name)
	w.Line("uint32_t n = 0;")
	w.Open("for (uint32_t b = 0; b < ctx->batch; b++) {")
	w.Line("uint32_t a = 0;")
	w.Line("while (a < b && !(owner[a] == a && gn_conn_same_%s(ctx, a, b))) a++;", s.Name)
	w.Line("owner[b] = a;")
	w.Line("ctx->%s_cslot[b] = a < b ? ctx->%s_cslot[a] : n++;", s.Name, s.Name)
	w.Close("}")
	w.Line("/* fresh zeroed storage for n realisations, as gn_create gives a batch without sharing */")
	for _, v := range g.Vars {
		if v.Conn != s {
			continue
		}
		w.Open("{")
		w.Line("%s *p = calloc((size_t)n * %d, sizeof *p);", v.CType, v.Desc.Count*v.Slots)
		w.Line("if (!p) goto oom;")
		w.Line("free(ctx->%s);", v.Field)
		w.Line("ctx->%s = p;", v.Field)
		w.Close("}")
	}
	g.B.ShareAllocated(s)
	w.Line("return 0;")
	w.Line("oom: /* arrays hold one realisation at least: let every variant use the first */")
	w.Line("memset(ctx->%s_cslot, 0, ctx->batch * sizeof *ctx->%s_cslot);", s.Name, s.Name)
	w.Line("memset(owner, 0, ctx->batch * sizeof *owner);")
	w.Line("return gn_fail(ctx, %s);", quoteC("out of memory for the connectivity of synapse group "+s.Name))
	w.Close("}")
	w.Line("")
}

// VarInit is the initialisation of one variable of the network (one of
// VarInits): which array, whose elements, and its initialiser.
type VarInit struct {
	Owner, Kind, Name string
	Init              *modelspec.VarInit
	Path              string                  // config path of the owner (diagnostics)
	Size              int                     // elements of a variable per neuron (unused for synapse variables)
	Syn               *modelspec.SynapseGroup // for a synapse variable, the group whose synapses (or kernel entries) are its elements
	// Stream is the random stream of a snippet's elements, StreamVarInit
	// and the snippet's number in the order of VarInits: element id of
	// variant b draws from stream (seed[b], Stream, id) on every backend.
	Stream uint32
	// HostOnly: the initialisation reads a table of values or checks the
	// length of an extra global parameter: it runs on the host on every
	// backend.
	HostOnly bool
}

// VarInits lists the initialisation of every variable, in gn_init's order:
// populations, synapse groups (postsynaptic, weight update, pre and post
// variables), current sources, custom updates.
func (g *Generator) VarInits() []VarInit {
	var out []VarInit
	add := func(owner, kind string, vars []modelspec.Var, inits map[string]*modelspec.VarInit, path string, size int, syn *modelspec.SynapseGroup) {
		for _, v := range vars {
			out = append(out, VarInit{Owner: owner, Kind: kind, Name: v.Name, Init: inits[v.Name], Path: path, Size: size, Syn: syn})
		}
	}
	for _, p := range g.Net.Populations {
		add(p.Name, "neuron", p.Model.Vars, p.Vars, "populations."+p.Name, p.Size, nil)
	}
	for _, s := range g.Net.Synapses {
		path := "synapses." + s.Name
		add(s.Name, "postsynaptic", s.Postsynaptic.Model.Vars, s.Postsynaptic.Vars, path+".postsynaptic", s.Target.Size, nil)
		if g.Indiv[s] || g.KernelW[s] {
			add(s.Name, "synapse", s.WeightUpdate.Model.Vars, s.WeightUpdate.Vars, path+".weight_update", 0, s)
		}
		add(s.Name, "pre", s.WeightUpdate.Model.PreVars, s.WeightUpdate.PreVars, path+".weight_update", s.Source.Size, nil)
		add(s.Name, "post", s.WeightUpdate.Model.PostVars, s.WeightUpdate.PostVars, path+".weight_update", s.Target.Size, nil)
	}
	for _, c := range g.Net.CurrentSources {
		add(c.Name, "current_source", c.Model.Vars, c.Vars, "current_sources."+c.Name, c.Target.Size, nil)
	}
	for _, c := range g.Net.CustomUpdates {
		add(c.Name, "custom_update", c.Model.Vars, c.Vars, "custom_updates."+c.Name, c.Size, c.Synapses)
	}
	var n uint32
	for i := range out {
		v := &out[i]
		switch v.Init.Kind {
		case modelspec.InitArray:
			v.HostOnly = true
		case modelspec.InitSnippet:
			v.Stream = StreamVarInit | n
			n++
			v.HostOnly = g.kernelIndChecked(*v)
		}
	}
	return out
}

// kernelIndChecked reports whether v's snippet reads $(id_kernel) through a
// sparse group's kernel index and has array extra global parameters, whose
// lengths gn_init checks against the kernel's size.
func (g *Generator) kernelIndChecked(v VarInit) bool {
	if v.Syn == nil || g.KernelW[v.Syn] || !g.kernel[v.Syn] || !usesToken([]string{v.Init.Snippet.Code}, "id_kernel") {
		return false
	}
	for _, e := range g.EGPs {
		if e.Ptr && strings.HasPrefix(e.Desc.Path, v.Init.Path+".extra_global_params.") {
			return true
		}
	}
	return false
}

package cuda

import (
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// Variable initialisation on the device, as GeNN's initialisation kernels:
// every variable the host need not initialise (InitOnDevice) has a kernel
// of its own, gn_init_<array>, with one thread per element (a synapse
// variable: per slot of its sparse rows, or per entry of its dense matrix
// or kernel) and blockIdx.y the variant. gn_dev_upload launches them once
// the host's state, connectivity included, is on the device; the host
// copy of their arrays is not written and is fetched when asked for
// (gn_dev_get). Each element draws from the stream the host would draw
// from (seed, codegen.VarInit.Stream, element id), so a variable
// initialised by integer arithmetic or draws alone is the CPU backend's
// bit for bit, and one computed with math functions (log, sqrt, exp, ...)
// differs at most where the device's libdevice rounds differently from
// the host's libm in the last bit.

// initBlock is the number of threads per block of an initialisation (or
// custom update) kernel.
const initBlock = 256

// initBlocks is the number of blocks of initBlock threads n threads take.
func initBlocks(n int) int { return (n + initBlock - 1) / initBlock }

// deviceWrote writes the marking of context array field's host copy as
// stale, the device's copy being the state (what names it in the comment).
func (g *gen) deviceWrote(field, what string) {
	g.W.Line("ctx->hfresh[%d] = 0; /* %s: the device's copy is the state */", g.devIndex(field), what)
}

// deviceInit is a variable initialised on the device.
type deviceInit struct {
	codegen.VarInit
	array   codegen.VarEntry
	threads int // per variant: one per element
}

// deviceInits lists the variables initialised on the device, in gn_init's order.
func (g *gen) deviceInits() []deviceInit {
	var out []deviceInit
	for _, v := range g.VarInits() {
		if !g.InitOnDevice(v) {
			continue
		}
		ve, _ := g.Array(v.Owner, v.Kind, v.Name)
		n := ve.Desc.Count
		if s := v.Syn; s != nil && !g.KernelW[s] {
			n = s.Source.Size * s.Target.Size
			if s.Matrix == modelspec.MatrixSparse {
				n = s.Source.Size * g.MaxRow[s]
			}
		}
		out = append(out, deviceInit{v, ve, n})
	}
	return out
}

// kernelName is the initialisation kernel of d.
func (d deviceInit) kernelName() string { return "gn_init_" + d.array.Field }

// emitInitKernels writes the initialisation kernel of every variable
// initialised on the device.
func (g *gen) emitInitKernels() error {
	w := g.W
	for _, d := range g.deviceInits() {
		ve, s := d.array, d.Syn
		what := "element"
		switch {
		case s != nil && g.KernelW[s]:
			what = "kernel entry"
		case s != nil && s.Matrix == modelspec.MatrixSparse:
			what = "slot of a row"
		case s != nil:
			what = "synapse of the matrix"
		}
		w.Line("/* %s: initialised on the device, one thread per %s and variant */", d.Init.Path, what)
		w.Line("__global__ void __launch_bounds__(GN_INIT_BLOCK) %s(const gn_ctx *__restrict__ ctx)", d.kernelName())
		w.Open("{")
		w.Line("const uint32_t b = blockIdx.y;")
		w.Line("const uint64_t gn_t = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;")
		w.Line("if (gn_t >= %du) return;", d.threads)
		g.VariantPrologue()
		g.ArrayPtr(ve)
		switch {
		case s == nil || g.KernelW[s]:
			w.Line("const uint32_t id = (uint32_t)gn_t;")
		case s.Matrix == modelspec.MatrixSparse:
			g.ConnPtr("const ", s.Name, "connectivity", "rowLength", "rowLength")
			g.ConnPtr("const ", s.Name, "connectivity", "ind", "ind")
			w.Line("const uint32_t id = (uint32_t)gn_t, id_pre = id / %du;", g.MaxRow[s])
			w.Line("if (id - id_pre * %du >= rowLength[id_pre]) return; /* past the end of the row */", g.MaxRow[s])
			w.Line("const uint32_t id_post = ind[id];")
			w.Line("(void)id_post;")
		default:
			w.Line("const uint32_t id = (uint32_t)gn_t, id_pre = id / %du, id_post = id %% %du;", s.Target.Size, s.Target.Size)
			w.Line("(void)id_pre; (void)id_post;")
		}
		if ve.Slots <= 1 {
			if err := g.EmitElementInit(d.VarInit, ve.Field+"[id]"); err != nil {
				return err
			}
		} else {
			w.Line("%s gn_value;", ve.CType)
			if err := g.EmitElementInit(d.VarInit, "gn_value"); err != nil {
				return err
			}
			w.Line("for (uint32_t s = 0; s < %d; s++) %s[(size_t)s * %d + id] = gn_value; /* every delay slot starts with it */", ve.Slots, ve.Field, ve.Desc.Count)
		}
		w.Close("}")
		w.Line("")
	}
	return nil
}

// emitInitLaunches writes the launches of the initialisation kernels (in
// gn_dev_upload, the device's view current) and marks the host copies of
// their arrays stale.
func (g *gen) emitInitLaunches() {
	inits := g.deviceInits()
	if len(inits) == 0 {
		return
	}
	w := g.W
	w.Open("{ /* the variables initialised on the device */")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	for _, d := range inits {
		if d.threads == 0 {
			continue // an empty grid is not a launch
		}
		w.Line("GN_LAUNCH(%s, dim3(%d, ctx->batch), dim3(GN_INIT_BLOCK), st)(ctx->dev);", d.kernelName(), initBlocks(d.threads))
	}
	w.Line("GN_CUDA(cudaGetLastError());")
	for _, d := range inits {
		g.deviceWrote(d.array.Field, d.Init.Path)
	}
	w.Close("}")
}

// initOnDevice lists the arrays of the variables initialised and the
// connectivity built on the device, which gn_dev_upload clears instead of
// copying the host's.
func (g *gen) initOnDevice() map[string]bool {
	m := map[string]bool{}
	for _, d := range g.deviceInits() {
		m[d.array.Field] = true
	}
	for _, s := range g.deviceBuilt() {
		for _, a := range g.builtArrays(s) {
			m[a.Field] = true
		}
	}
	return m
}

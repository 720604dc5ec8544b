package cuda

import (
	"fmt"
	"slices"

	"github.com/gennctl/gennctl/codegen"
)

// Custom updates on the device, as GeNN's custom update kernels: an update
// group whose custom updates all have independent elements
// (codegen.CustomUpdatePlan.Parallel) runs as one kernel per update,
// gn_cu_<U>, with one thread per element and blockIdx.y the variant,
// launched in GeNN's order on the step's stream by gn_dev_custom_update;
// no state crosses the bus, and the arrays they write are then the
// device's (their host copies are fetched when asked for). Each element
// is written by one thread, so the results are the host's, run after run.
// A group with a reduction over the neurons, or a variable shared by the
// neurons that an update per neuron writes, runs on the host's copy of the
// state (module.c), copying only the arrays it reads and writes (see
// CustomUpdateBegin).

// deviceUpdates returns the custom updates of update group name, in the
// order they run, when the device runs the group.
func (g *gen) deviceUpdates(name string) ([]*codegen.CustomUpdatePlan, bool) {
	plans, err := g.PlanCustomUpdates(name)
	if err != nil {
		return nil, false // the host's custom_update_<U> reports it
	}
	for _, p := range plans {
		if !p.Parallel() {
			return nil, false
		}
	}
	return plans, true
}

// CustomUpdateDevice: groups the device runs are a call of
// gn_dev_custom_update.
func (g *gen) CustomUpdateDevice(gi int, name string) string {
	if _, ok := g.deviceUpdates(name); !ok {
		return ""
	}
	return fmt.Sprintf("return gn_dev_custom_update(ctx, %d, lo, hi);", gi)
}

// emitCustomUpdateKernels writes the kernel of every custom update the
// device runs and gn_dev_custom_update, which launches a group's.
func (g *gen) emitCustomUpdateKernels() error {
	w := g.W
	type group struct {
		gi    int
		name  string
		plans []*codegen.CustomUpdatePlan
	}
	var groups []group
	for gi, name := range g.CustomUpdateGroups() {
		plans, ok := g.deviceUpdates(name)
		if !ok {
			continue
		}
		groups = append(groups, group{gi, name, plans})
		for _, p := range plans {
			w.Line("/* custom update %s (group %s): one thread per element and variant (from lo) */", p.Name(), name)
			w.Line("__global__ void __launch_bounds__(GN_INIT_BLOCK) gn_cu_%s(const gn_ctx *__restrict__ ctx, uint32_t lo, uint64_t timestep)", p.Name())
			w.Open("{")
			w.Line("const uint32_t b = lo + blockIdx.y;")
			w.Line("const uint64_t gn_t = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;")
			w.Line("if (gn_t >= %du) return;", g.CustomUpdateElements(p))
			if err := g.EmitCustomUpdateThread(p); err != nil {
				return err
			}
			w.Close("}")
			w.Line("")
		}
	}
	w.Line("/* Run update group group's custom updates for the variants lo to hi - 1 on the device. */")
	w.Line("extern \"C\" int gn_dev_custom_update(gn_ctx *ctx, uint32_t group, uint32_t lo, uint32_t hi)")
	w.Open("{")
	if len(groups) == 0 {
		w.Line("(void)ctx; (void)group; (void)lo; (void)hi;")
		w.Line("return 0;")
		w.Close("}")
		w.Line("")
		return nil
	}
	w.Line("if (!ctx->dev_ready) { snprintf(ctx->err, sizeof ctx->err, \"gn_custom_update before gn_init\"); return 1; }")
	w.Line("cudaStream_t st = (cudaStream_t)ctx->stream;")
	w.Open("switch (group) {")
	for _, gr := range groups {
		w.Open("case %d: /* %s */", gr.gi, gr.name)
		var written []string
		for _, p := range gr.plans {
			if n := g.CustomUpdateElements(p); n > 0 {
				w.Line("GN_LAUNCH(gn_cu_%s, dim3(%d, hi - lo), dim3(GN_INIT_BLOCK), st)(ctx->dev, lo, ctx->timestep);", p.Name(), initBlocks(n))
			}
			written = append(written, p.Written()...)
		}
		w.Line("GN_CUDA(cudaGetLastError());")
		slices.Sort(written)
		for _, f := range slices.Compact(written) {
			g.deviceWrote(f, f)
		}
		w.Line("return 0;")
		w.Close("")
	}
	w.Close("}")
	w.Line("return 0;")
	w.Close("}")
	w.Line("")
	return nil
}

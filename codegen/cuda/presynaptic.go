package cuda

import (
	"fmt"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
)

// presynaptic is a strategy for the presynaptic update of a synapse group
// (its section of the presynaptic-update kernel): which threads do what
// for the spikes and spike-like events that reach the group.
type presynaptic interface {
	// blocks is the C expression of the section's blocks per variant for
	// B threads per block.
	blocks(g *gen, s *modelspec.SynapseGroup) string
	// columns reports whether the strategy needs the group's column index.
	columns(s *modelspec.SynapseGroup) bool
	// emit writes the section.
	emit(g *gen, s *modelspec.SynapseGroup) error
}

// choosePresynaptic picks the strategy of a group with sim or event code
// (nil for a group without).
func choosePresynaptic(s *modelspec.SynapseGroup) presynaptic {
	m := s.WeightUpdate.Model
	events := codegen.CodeNonEmpty(m.EventCode)
	if !events && !codegen.CodeNonEmpty(m.SimCode) {
		return nil
	}
	switch {
	case s.Matrix == modelspec.MatrixProcedural || s.Matrix == modelspec.MatrixToeplitz || s.Span == modelspec.SpanPresynaptic:
		return rowPerSpike{}
	case s.Matrix == modelspec.MatrixSparse && !events && !codegen.CodeNonEmpty(m.LearnPostCode) && codegen.OnlyAddsInput(s):
		return rowScatter{}
	}
	return targetPull{}
}

// ---- staging spikes in shared memory ----

// emitStaging declares the shared arrays of staged spikes: one set for the
// whole presynaptic-update kernel (a block runs one section).
func (g *gen) emitStaging() {
	w := g.W
	w.Line("/* spikes staged in shared memory by the presynaptic update (one section per block) */")
	w.Line("__shared__ uint32_t gn_sh_words[GN_STAGE_WORDS];  /* bitmask words */")
	w.Line("__shared__ uint32_t gn_sh_count[GN_MAX_BLOCK];    /* spikes per thread's words, then their prefix sums */")
	w.Line("__shared__ uint32_t gn_sh_spikes[GN_STAGE_SPIKES]; /* the staged neurons, in increasing order */")
	w.Line("")
	w.Line("/* Inclusive prefix sums over the block of each thread's v, through sh[blockDim.x]; every thread")
	w.Line("   of the block calls it. */")
	w.Line("static __device__ uint32_t gn_block_scan(uint32_t *sh, uint32_t v)")
	w.Open("{")
	w.Line("sh[threadIdx.x] = v;")
	w.Line("__syncthreads();")
	w.Open("for (uint32_t off = 1; off < blockDim.x; off <<= 1) {")
	w.Line("const uint32_t x = threadIdx.x >= off ? sh[threadIdx.x - off] : 0;")
	w.Line("__syncthreads();")
	w.Line("sh[threadIdx.x] += x;")
	w.Line("__syncthreads();")
	w.Close("}")
	w.Line("return sh[threadIdx.x];")
	w.Close("}")
	w.Line("")
	w.Line("static __device__ __forceinline__ uint64_t gn_timestep_of(const gn_ctx *ctx, uint64_t tbase, uint32_t k)")
	w.Open("{")
	w.Line("return (tbase == UINT64_MAX ? *ctx->dstep : tbase) + k; /* graph launches read the step from the device */")
	w.Close("}")
	w.Line("")
}

// stage writes the staging of the set bits of words [first, first+n) of
// bitmask bits (n at most GN_STAGE_WORDS; C expressions): every thread of
// the block takes part. body runs, in every thread, once per pass of at
// most GN_STAGE_SPIKES spikes, with gn_n of them in gn_sh_spikes in
// increasing order.
func (g *gen) stage(bits, first, n string, body func() error) error {
	w := g.W
	w.Open("{")
	w.Line("const uint32_t gn_w0 = %s, gn_nw = %s;", first, n)
	w.Line("__syncthreads(); /* the previous staging is consumed */")
	w.Line("for (uint32_t i = threadIdx.x; i < gn_nw; i += blockDim.x) gn_sh_words[i] = %s[gn_w0 + i];", bits)
	w.Line("__syncthreads();")
	w.Line("const uint32_t gn_per = (gn_nw + blockDim.x - 1) / blockDim.x;")
	w.Line("const uint32_t gn_lo = min(threadIdx.x * gn_per, gn_nw), gn_hi = min(gn_lo + gn_per, gn_nw);")
	w.Line("uint32_t gn_mine = 0;")
	w.Line("for (uint32_t i = gn_lo; i < gn_hi; i++) gn_mine += __popc(gn_sh_words[i]);")
	w.Line("const uint32_t gn_rank0 = gn_block_scan(gn_sh_count, gn_mine) - gn_mine, gn_total = gn_sh_count[blockDim.x - 1];")
	w.Open("for (uint32_t gn_p0 = 0; gn_p0 < gn_total; gn_p0 += GN_STAGE_SPIKES) {")
	w.Line("__syncthreads(); /* the previous pass is consumed */")
	w.Line("uint32_t r = gn_rank0;")
	w.Open("for (uint32_t i = gn_lo; i < gn_hi && r < gn_p0 + GN_STAGE_SPIKES; i++) {")
	w.Open("for (uint32_t x = gn_sh_words[i]; x != 0; x &= x - 1, r++) {")
	w.Line("if (r >= gn_p0 && r < gn_p0 + GN_STAGE_SPIKES) gn_sh_spikes[r - gn_p0] = (gn_w0 + i) * 32 + (uint32_t)(__ffs(x) - 1);")
	w.Close("}")
	w.Close("}")
	w.Line("__syncthreads();")
	w.Line("const uint32_t gn_n = min(gn_total - gn_p0, (uint32_t)GN_STAGE_SPIKES);")
	if err := body(); err != nil {
		return err
	}
	w.Close("}")
	w.Close("}")
	return nil
}

// presynapticHead opens a group's presynaptic-update section: t and the
// delay slots, the variant's runtime parameters.
func (g *gen) presynapticHead(s *modelspec.SynapseGroup, how string) {
	m := s.WeightUpdate.Model
	g.sectionHead("presynaptic_update_"+s.Name, fmt.Sprintf("synapse group %s: %s -> %s, %s matrix, %s, delay %d step(s); %s",
		s.Name, s.Source.Name, s.Target.Name, s.Matrix, m.Name, s.DelaySteps, how))
}

// body writes text (made by fn) with the pointers it uses declared.
func (g *gen) declared(fn func() error) error {
	text, err := g.Body(fn)
	if err != nil {
		return err
	}
	g.DeclareUsed(g.Vars, text)
	return nil
}

// sectionTime declares t and the slots group s reads.
func (g *gen) sectionTime(s *modelspec.SynapseGroup) {
	g.W.Line("const scalar t = (scalar)(timestep * DT);")
	g.W.Line("(void)t;")
	g.SlotExprs(s)
	g.VariantPrologue()
}

// input is what reaches a group in a step: spike-like events or spikes,
// with the bitmask ring they are set in and the code they run.
type input struct {
	bits       string
	stream     uint32
	code, name string
}

// inputs are group s's inputs in GeNN's order: spike-like events, then
// spikes.
func (g *gen) inputs(s *modelspec.SynapseGroup) []input {
	m := s.WeightUpdate.Model
	var out []input
	if g.Events[s] {
		out = append(out, input{s.Name + "_evBits", codegen.StreamEventCode, m.EventCode, "event_code"})
	}
	if codegen.CodeNonEmpty(m.SimCode) {
		out = append(out, input{s.Source.Name + "_spkBits", codegen.StreamSimCode, m.SimCode, "sim_code"})
	}
	return out
}

// ---- targetPull ----

// targetPull runs one thread per target neuron: each stages the spikes
// (and spike-like events) of the step in shared memory, in increasing
// order, and runs the code for its synapses from each, in that order (the
// CPU's). Dense and bitmask matrices index the synapse; a sparse group
// finds it in the target's column by bisection.
type targetPull struct{}

func (targetPull) blocks(g *gen, s *modelspec.SynapseGroup) string { return perThread(s.Target.Size) }

func (targetPull) columns(s *modelspec.SynapseGroup) bool { return s.Matrix == modelspec.MatrixSparse }

func (targetPull) emit(g *gen, s *modelspec.SynapseGroup) error {
	_, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	w := g.W
	g.presynapticHead(s, "one thread per postsynaptic neuron over the staged spikes")
	w.Line("const uint32_t id_post = blk * blockDim.x + threadIdx.x;")
	w.Line("const bool gn_active = id_post < %d; /* the others stage with the block */", s.Target.Size)
	g.sectionTime(s)
	err = g.declared(func() error {
		w := g.W
		for _, c := range g.inputs(s) {
			bits := fmt.Sprintf("(%s + (size_t)%s * %d)", c.bits, g.bitSlot(s.Source, s.DelaySteps), words(s.Source))
			n := words(s.Source)
			w.Open("for (uint32_t gn_chunk = 0; gn_chunk < %d; gn_chunk += GN_STAGE_WORDS) { /* %s */", n, c.name)
			err := g.stage(bits, "gn_chunk", fmt.Sprintf("min(%du - gn_chunk, (uint32_t)GN_STAGE_WORDS)", n), func() error {
				w := g.W
				w.Open("for (uint32_t gn_k = 0; gn_active && gn_k < gn_n; gn_k++) {")
				w.Line("const uint32_t id_pre = gn_sh_spikes[gn_k];")
				err := g.synapsesFrom(s, func() error { return g.SynCode(s, c.stream, c.code, sc, st(c.name), true) })
				w.Close("}")
				return err
			})
			if err != nil {
				return err
			}
			w.Close("}")
		}
		return nil
	})
	w.Close("}")
	w.Line("")
	return err
}

// ---- rowScatter ----

// rowScatter is the strategy of sparse groups whose sim code only adds
// input (onlyAddsInput): a block stages the spikes of scatterWords words of
// the source's bitmask, and its threads take the row elements of each
// staged spike. Each synaptic event goes into the target's bin (an integer
// atomic counts the bin's entries: synapse index, input, and dendritic
// delay), which the neuron kernel sorts by synapse and adds in that order,
// the CPU's; a bin of more than binSize events is recomputed from the
// column index there instead (see gather).
type rowScatter struct{}

func (rowScatter) blocks(g *gen, s *modelspec.SynapseGroup) string {
	return fmt.Sprintf("%d", (words(s.Source)+scatterWords-1)/scatterWords)
}

func (rowScatter) columns(*modelspec.SynapseGroup) bool { return true }

// binSize is the number of events a bin of s holds per target and step:
// the longest column or maxBin, whichever is smaller.
func binSize(g *gen, s *modelspec.SynapseGroup) int { return min(g.MaxCol[s], maxBin) }

func (rowScatter) emit(g *gen, s *modelspec.SynapseGroup) error {
	m, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	w := g.W
	k, npost := binSize(g, s), s.Target.Size
	put := func(x, delay string) string {
		del := ""
		if delay != "" {
			del = fmt.Sprintf(" %s_binDel[gn_slot] = (uint32_t)(%s);", s.Name, delay)
		}
		return fmt.Sprintf("do { const uint32_t gn_bin = atomicAdd(&%s_binCnt[id_post], 1u); if (gn_bin < %d) { const size_t gn_slot = (size_t)gn_bin * %d + id_post; %s_binKey[gn_slot] = id_syn; %s_binVal[gn_slot] = (double)(%s);%s } } while (0)",
			s.Name, k, npost, s.Name, s.Name, x, del)
	}
	bsc := sc.Clone()
	if g.DenDelay[s] > 0 {
		bsc.Funcs["addToInSynDelay"] = codegen.Func{Arity: 2, Expand: func(a []string) string { return put(a[0], a[1]) }}
	} else {
		bsc.Funcs["addToInSyn"] = codegen.Func{Arity: 1, Expand: func(a []string) string { return put(a[0], "") }}
	}
	g.presynapticHead(s, fmt.Sprintf("threads over the rows of the staged spikes, events into bins of %d per target", k))
	g.sectionTime(s)
	err = g.declared(func() error {
		bits := fmt.Sprintf("(%s_spkBits + (size_t)%s * %d)", s.Source.Name, g.bitSlot(s.Source, s.DelaySteps), words(s.Source))
		first := fmt.Sprintf("blk * %d", scatterWords)
		return g.stage(bits, first, fmt.Sprintf("min(%du - %s, %du)", words(s.Source), first, scatterWords), func() error {
			w := g.W
			w.Open("for (uint32_t gn_k = 0; gn_k < gn_n; gn_k++) {")
			w.Line("const uint32_t id_pre = gn_sh_spikes[gn_k];")
			w.Line("const uint32_t gn_len = %s_rowLength[id_pre];", s.Name)
			w.Open("for (uint32_t j = threadIdx.x; j < gn_len; j += blockDim.x) {")
			w.Line("const uint32_t id_syn = id_pre * %d + j;", g.MaxRow[s])
			w.Line("const uint32_t id_post = %s_ind[id_syn];", s.Name)
			if err := g.SynCode(s, codegen.StreamSimCode, m.SimCode, bsc, st("sim_code"), true); err != nil {
				return err
			}
			w.Close("}")
			w.Close("}")
			return nil
		})
	})
	w.Close("}")
	w.Line("")
	return err
}

// gather writes, in the neuron-kernel section of s's target, the addition
// of this step's bin of neuron id to its input: sorted by synapse, the
// CPU's order (spikes by increasing id_pre, rows in order). The bin holds
// each input as a double, so float models add it as C adds the input
// expression (float + double rounds once, and float + float through double
// is float addition). A bin of more events than it holds is recomputed:
// the sim code runs again for the synapses onto id of the spiking sources,
// in order, which onlyAddsInput makes give the same inputs.
func (rowScatter) gather(g *gen, s *modelspec.SynapseGroup) error {
	w := g.W
	k, npost := binSize(g, s), s.Target.Size
	n := g.DenDelay[s]
	in := g.PSTarget(s).Name // the group whose buffers hold s's input (merged postsynaptic models)
	target := func(del string) string {
		if n == 0 {
			return fmt.Sprintf("%s_inSyn[id]", in)
		}
		return fmt.Sprintf("%s_denDelay[(size_t)(((uint32_t)(timestep %% %d) + %s) %% %d) * %d + id]", in, n, del, n, npost)
	}
	w.Open("{ /* input from %s this step: its bin, in the CPU's order */", s.Name)
	w.Line("const uint32_t gn_n = %s_binCnt[id];", s.Name)
	w.Line("%s_binCnt[id] = 0;", s.Name)
	w.Open("if (gn_n <= %d) {", k)
	w.Line("uint32_t gn_key[%d];", k)
	w.Line("double gn_val[%d];", k)
	if n > 0 {
		w.Line("uint32_t gn_del[%d];", k)
	}
	w.Open("for (uint32_t i = 0; i < gn_n; i++) { /* insertion sort by synapse */")
	w.Line("const size_t gn_slot = (size_t)i * %d + id;", npost)
	w.Line("const uint32_t key = %s_binKey[gn_slot];", s.Name)
	w.Line("const double val = %s_binVal[gn_slot];", s.Name)
	if n > 0 {
		w.Line("const uint32_t del = %s_binDel[gn_slot];", s.Name)
	}
	w.Line("uint32_t j = i;")
	if n > 0 {
		w.Line("for (; j > 0 && gn_key[j - 1] > key; j--) { gn_key[j] = gn_key[j - 1]; gn_val[j] = gn_val[j - 1]; gn_del[j] = gn_del[j - 1]; }")
		w.Line("gn_key[j] = key; gn_val[j] = val; gn_del[j] = del;")
	} else {
		w.Line("for (; j > 0 && gn_key[j - 1] > key; j--) { gn_key[j] = gn_key[j - 1]; gn_val[j] = gn_val[j - 1]; }")
		w.Line("gn_key[j] = key; gn_val[j] = val;")
	}
	w.Close("}")
	w.Line("for (uint32_t i = 0; i < gn_n; i++) %s += gn_val[i];", target("gn_del[i]"))
	w.Close("}")
	w.Open("else { /* more events than the bin holds: the CPU's loop, from the columns */")
	m, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	fsc := sc.Clone()
	acc := func(x, del string) string { return fmt.Sprintf("%s += (%s)", target("(uint32_t)("+del+")"), x) }
	if n > 0 {
		fsc.Funcs["addToInSynDelay"] = codegen.Func{Arity: 2, Expand: func(a []string) string { return acc(a[0], a[1]) }}
	} else {
		fsc.Funcs["addToInSyn"] = codegen.Func{Arity: 1, Expand: func(a []string) string { return acc(a[0], "0") }}
	}
	g.SlotExprs(s)
	w.Line("const uint32_t id_post = id;")
	bits := fmt.Sprintf("(%s_spkBits + (size_t)%s * %d)", s.Source.Name, g.bitSlot(s.Source, s.DelaySteps), words(s.Source))
	err = g.spikeColumnLoop(s, bits, func() error {
		return g.SynCode(s, codegen.StreamSimCode, m.SimCode, fsc, st("sim_code"), true)
	})
	w.Close("}")
	w.Close("}")
	return err
}

// ---- rowPerSpike ----

// rowPerSpike runs one thread per presynaptic neuron, which walks (or, for
// a procedural matrix, regenerates) its row if it spiked; threads share
// targets and add with atomicAdd, so sums depend on thread order in the
// last bits. For procedural and Toeplitz matrices (no columns) and span:
// presynaptic.
type rowPerSpike struct{}

func (rowPerSpike) blocks(g *gen, s *modelspec.SynapseGroup) string { return perThread(s.Source.Size) }

func (rowPerSpike) columns(*modelspec.SynapseGroup) bool { return false }

func (rowPerSpike) emit(g *gen, s *modelspec.SynapseGroup) error {
	_, st, sc, err := g.weightUpdateCode(s)
	if err != nil {
		return err
	}
	w := g.W
	g.presynapticHead(s, "one thread per presynaptic neuron, atomic accumulation")
	g.elementHead("id_pre", s.Source.Size)
	g.sectionTime(s)
	g.Atomic = true
	err = g.declared(func() error {
		w := g.W
		for _, c := range g.inputs(s) {
			w.Open("if (%s) {", bitRef(c.bits, s.Source, g.bitSlot(s.Source, s.DelaySteps), "id_pre"))
			if s.Matrix == modelspec.MatrixToeplitz {
				// the diagonals of this spike (GeNN's order within a row)
				if err := g.ToeplitzLoop(s, c.code, sc, st(c.name), func() { g.W.Open("{") }); err != nil {
					return err
				}
			} else if err := g.RowLoop(s, c.stream, c.code, sc, st(c.name)); err != nil {
				return err
			}
			w.Close("}")
		}
		return nil
	})
	g.Atomic = false
	w.Close("}")
	w.Line("")
	return err
}

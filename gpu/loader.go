package gpu

/*
#cgo LDFLAGS: -ldl -lpthread
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "gn_loader.h"

// dlopen and dlerror in one call: dlerror is per thread and a goroutine may
// move between threads between two cgo calls.
//
// C modules use OpenMP (threads inside a step), so libgomp comes in with the
// first module and would leave with the last one's dlclose while its pool
// threads still run its code: the process then dies with SIGSEGV. It is
// pinned first (RTLD_NODELETE) so that it stays; without libgomp (a module
// built without -fopenmp) nothing is pinned.
static void gn_pin_libgomp(void) { dlopen("libgomp.so.1", RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE); }

static void *gn_dlopen(const char *path, char *err, size_t errlen) {
	static pthread_once_t pinned = PTHREAD_ONCE_INIT;
	pthread_once(&pinned, gn_pin_libgomp);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		strncpy(err, e ? e : "dlopen failed", errlen - 1);
		err[errlen - 1] = 0;
	}
	return h;
}

static void *gn_dlsym(void *h, const char *name, char *err, size_t errlen) {
	dlerror();
	void *p = dlsym(h, name);
	if (!p) {
		const char *e = dlerror();
		strncpy(err, e ? e : "symbol is NULL", errlen - 1);
		err[errlen - 1] = 0;
	}
	return p;
}

static int gn_dlclose(void *h) { return dlclose(h); }

static const char *call_describe(void *f) { return ((gn_describe_fn)f)(); }
static gn_ctx *call_create(void *f, uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen) {
	return ((gn_create_fn)f)(batch, seeds, runtime, err, errlen);
}
static int call_init(void *f, gn_ctx *c) { return ((gn_init_fn)f)(c); }
static int call_step(void *f, gn_ctx *c, uint32_t n) { return ((gn_step_fn)f)(c, n); }
static uint64_t call_timestep(void *f, gn_ctx *c) { return ((gn_timestep_fn)f)(c); }
static size_t call_spikes_pending(void *f, gn_ctx *c) { return ((gn_spikes_pending_fn)f)(c); }
static size_t call_drain_spikes(void *f, gn_ctx *c, uint32_t *pop, uint32_t *variant, uint32_t *neuron, uint32_t *step, size_t cap) {
	return ((gn_drain_spikes_fn)f)(c, pop, variant, neuron, step, cap);
}
static int call_get_var(void *f, gn_ctx *c, uint32_t var, uint32_t variant, double *out) { return ((gn_get_var_fn)f)(c, var, variant, out); }
static int call_set_var(void *f, gn_ctx *c, uint32_t var, uint32_t variant, const double *in) { return ((gn_set_var_fn)f)(c, var, variant, in); }
static int call_set_egp(void *f, gn_ctx *c, uint32_t egp, uint32_t variant, const double *values, size_t n) {
	return ((gn_set_egp_fn)f)(c, egp, variant, values, n);
}
static int call_get_egp(void *f, gn_ctx *c, uint32_t egp, uint32_t variant, double *out, size_t cap, size_t *n) {
	return ((gn_get_egp_fn)f)(c, egp, variant, out, cap, n);
}
static int call_find_nonfinite(void *f, gn_ctx *c, uint32_t *first) { return ((gn_find_nonfinite_fn)f)(c, first); }
static int call_custom_update(void *f, gn_ctx *c, uint32_t group, uint32_t variant) { return ((gn_custom_update_fn)f)(c, group, variant); }
static int call_set_threads(void *f, gn_ctx *c, uint32_t n) { return ((gn_set_threads_fn)f)(c, n); }
static int call_set_runtime(void *f, gn_ctx *c, uint32_t slot, uint32_t variant, double value) { return ((gn_set_runtime_fn)f)(c, slot, variant, value); }
static int call_current_spikes(void *f, gn_ctx *c, uint32_t pop, uint32_t variant, uint32_t *out, size_t cap, size_t *n) {
	return ((gn_current_spikes_fn)f)(c, pop, variant, out, cap, n);
}
static int call_set_current_spikes(void *f, gn_ctx *c, uint32_t pop, uint32_t variant, const uint32_t *in, size_t n) {
	return ((gn_set_current_spikes_fn)f)(c, pop, variant, in, n);
}
static const char *call_error(void *f, gn_ctx *c) { return ((gn_error_fn)f)(c); }
static void call_destroy(void *f, gn_ctx *c) { ((gn_destroy_fn)f)(c); }
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/gennctl/gennctl/codegen"
)

// ABISymbols are the C symbols every module exports (codegen.ABIHeader).
var ABISymbols = []string{
	"gn_describe", "gn_create", "gn_init", "gn_step", "gn_set_threads", "gn_timestep",
	"gn_spikes_pending", "gn_drain_spikes", "gn_get_var", "gn_set_var",
	"gn_set_egp", "gn_get_egp", "gn_find_nonfinite", "gn_custom_update", "gn_set_runtime", "gn_current_spikes",
	"gn_set_current_spikes", "gn_error", "gn_destroy",
}

type symbols struct {
	describe, create, init, step, setThreads, timestep, pending, drain, getVar, setVar, setEGP, getEGP, findNonFinite,
	customUpdate, setRuntime, currentSpikes, setCurrentSpikes, errorMsg, destroy unsafe.Pointer
}

func (s *symbols) slots() []*unsafe.Pointer {
	return []*unsafe.Pointer{&s.describe, &s.create, &s.init, &s.step, &s.setThreads, &s.timestep,
		&s.pending, &s.drain, &s.getVar, &s.setVar, &s.setEGP, &s.getEGP, &s.findNonFinite, &s.customUpdate, &s.setRuntime,
		&s.currentSpikes, &s.setCurrentSpikes, &s.errorMsg, &s.destroy}
}

// Module is a module loaded into this process with dlopen. Its methods are
// safe for concurrent use; each Instance is not.
//
// Loading user code in process means a crash in it kills the process: the
// sweep orchestrator runs modules in worker processes (StartWorker) instead.
type Module struct {
	path string
	desc codegen.Description
	raw  string
	sym  symbols

	mu     sync.Mutex
	handle unsafe.Pointer
	live   int // instances not yet closed
}

const errBufLen = 1024

// Load opens the module at path (dlopen RTLD_NOW|RTLD_LOCAL), resolves every
// ABI symbol and reads its description, which must declare
// codegen.ABIVersion.
func Load(path string) (*Module, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var errbuf [errBufLen]C.char
	h := C.gn_dlopen(cpath, &errbuf[0], errBufLen)
	if h == nil {
		return nil, fmt.Errorf("gpu: loading module: %s", C.GoString(&errbuf[0]))
	}
	m := &Module{path: path, handle: h}
	for i, slot := range m.sym.slots() {
		name := C.CString(ABISymbols[i])
		p := C.gn_dlsym(h, name, &errbuf[0], errBufLen)
		C.free(unsafe.Pointer(name))
		if p == nil {
			C.gn_dlclose(h)
			return nil, fmt.Errorf("gpu: module %s does not export ABI symbol %s (is it a gennctl module of ABI v%d?): %s",
				path, ABISymbols[i], codegen.ABIVersion, C.GoString(&errbuf[0]))
		}
		*slot = p
	}
	cdesc := C.call_describe(m.sym.describe)
	if cdesc == nil {
		C.gn_dlclose(h)
		return nil, fmt.Errorf("gpu: module %s: gn_describe returned NULL", path)
	}
	m.raw = C.GoString(cdesc)
	if err := json.Unmarshal([]byte(m.raw), &m.desc); err != nil {
		C.gn_dlclose(h)
		return nil, fmt.Errorf("gpu: module %s: bad gn_describe JSON: %w", path, err)
	}
	if m.desc.ABI != codegen.ABIVersion {
		C.gn_dlclose(h)
		return nil, fmt.Errorf("gpu: module %s has ABI version %d, this gennctl speaks %d (rebuild it)",
			path, m.desc.ABI, codegen.ABIVersion)
	}
	return m, nil
}

// Path is the file the module was loaded from.
func (m *Module) Path() string { return m.path }

// Description is the module's parsed gn_describe JSON (a copy).
func (m *Module) Description() (codegen.Description, error) {
	d := m.desc
	d.Populations = append([]codegen.PopDesc(nil), d.Populations...)
	d.Vars = append([]codegen.VarDesc(nil), d.Vars...)
	d.Runtime = append([]string(nil), d.Runtime...)
	d.Synapses = append([]codegen.SynapseDesc(nil), d.Synapses...)
	d.EGPs = append([]codegen.EGPDesc(nil), d.EGPs...)
	return d, nil
}

// DescriptionJSON is the raw gn_describe text.
func (m *Module) DescriptionJSON() string { return m.raw }

// Close unloads the module (dlclose). It fails while instances are open.
// Modules need not be closed; the dynamic loader keeps one copy per path.
func (m *Module) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.handle == nil {
		return nil
	}
	if m.live > 0 {
		return fmt.Errorf("gpu: module %s still has %d open instances", m.path, m.live)
	}
	C.gn_dlclose(m.handle)
	m.handle = nil
	return nil
}

// ErrClosed is returned by methods of a closed Instance or Module.
var ErrClosed = errors.New("gpu: closed")

// Instance is one gn_ctx: Batch variants simulated together. An Instance
// is not safe for concurrent use; use one goroutine per instance (several
// instances of one module may run concurrently).
type Instance struct {
	m     *Module
	ctx   *C.gn_ctx
	batch int
}

// Create makes an instance for batch variants. seeds has batch entries;
// runtime has batch*len(Description.Runtime) values, row-major by variant.
func (m *Module) Create(batch int, seeds []uint64, runtime []float64) (*Instance, error) {
	nrt := len(m.desc.Runtime)
	switch {
	case batch < 1 || batch > 1<<31:
		return nil, fmt.Errorf("gpu: batch must be at least 1, got %d", batch)
	case len(seeds) != batch:
		return nil, fmt.Errorf("gpu: %d seeds for a batch of %d", len(seeds), batch)
	case len(runtime) != batch*nrt:
		return nil, fmt.Errorf("gpu: %d runtime values for a batch of %d with %d runtime slots (want %d)",
			len(runtime), batch, nrt, batch*nrt)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.handle == nil {
		return nil, ErrClosed
	}
	var rt *C.double
	if len(runtime) > 0 {
		rt = (*C.double)(unsafe.Pointer(&runtime[0]))
	}
	var errbuf [errBufLen]C.char
	ctx := C.call_create(m.sym.create, C.uint32_t(batch), (*C.uint64_t)(unsafe.Pointer(&seeds[0])), rt, &errbuf[0], errBufLen)
	if ctx == nil {
		msg := C.GoString(&errbuf[0])
		if msg == "" {
			msg = "gn_create returned NULL"
		}
		return nil, fmt.Errorf("gpu: creating instance: %s", msg)
	}
	m.live++
	return &Instance{m: m, ctx: ctx, batch: batch}, nil
}

// Batch is the number of variants.
func (in *Instance) Batch() int { return in.batch }

// Module is the module the instance belongs to.
func (in *Instance) Module() *Module { return in.m }

func (in *Instance) fail(what string) error {
	msg := ""
	if p := C.call_error(in.m.sym.errorMsg, in.ctx); p != nil {
		msg = C.GoString(p)
	}
	if msg == "" {
		msg = "unknown error"
	}
	return fmt.Errorf("gpu: %s: %s", what, msg)
}

// Init initialises variables and connectivity of every variant.
func (in *Instance) Init() error {
	if in.ctx == nil {
		return ErrClosed
	}
	if C.call_init(in.m.sym.init, in.ctx) != 0 {
		return in.fail("init")
	}
	return nil
}

// Step advances n time steps.
func (in *Instance) Step(n uint32) error {
	if in.ctx == nil {
		return ErrClosed
	}
	if C.call_step(in.m.sym.step, in.ctx, C.uint32_t(n)) != 0 {
		return in.fail("step")
	}
	return nil
}

// Timestep is the number of time steps simulated so far.
func (in *Instance) Timestep() uint64 {
	if in.ctx == nil {
		return 0
	}
	return uint64(C.call_timestep(in.m.sym.timestep, in.ctx))
}

// SpikesPending is the number of recorded spikes not yet drained.
func (in *Instance) SpikesPending() int {
	if in.ctx == nil {
		return 0
	}
	return int(C.call_spikes_pending(in.m.sym.pending, in.ctx))
}

// SpikeBuffer holds spikes as parallel columns: population index (into
// Description.Populations), variant index within the batch, neuron index
// and time step.
type SpikeBuffer struct {
	Pop, Variant, Neuron, Step []uint32
}

// Len is the number of spikes held.
func (b *SpikeBuffer) Len() int { return len(b.Pop) }

// grow makes room for n more spikes in every column (keeping the lengths).
func (b *SpikeBuffer) grow(n int) {
	b.Pop = slices.Grow(b.Pop, n)
	b.Variant = slices.Grow(b.Variant, n)
	b.Neuron = slices.Grow(b.Neuron, n)
	b.Step = slices.Grow(b.Step, n)
}

// Reset empties the buffer, keeping its storage.
func (b *SpikeBuffer) Reset() {
	b.Pop, b.Variant, b.Neuron, b.Step = b.Pop[:0], b.Variant[:0], b.Neuron[:0], b.Step[:0]
}

// drainChunk is how many spikes one gn_drain_spikes call moves.
const drainChunk = 64 << 10

// DrainSpikes moves every pending spike into buf (appending, oldest first)
// and returns how many were added. The module writes straight into buf's
// spare capacity (grown by drainChunk spikes when short), so a buffer that
// is Reset and reused costs no allocation and no copy per drain.
func (in *Instance) DrainSpikes(buf *SpikeBuffer) (int, error) {
	if in.ctx == nil {
		return 0, ErrClosed
	}
	total := 0
	for {
		k := len(buf.Pop)
		buf.grow(drainChunk)
		pop, variant := buf.Pop[k:k+drainChunk], buf.Variant[k:k+drainChunk]
		neuron, step := buf.Neuron[k:k+drainChunk], buf.Step[k:k+drainChunk]
		n := int(C.call_drain_spikes(in.m.sym.drain, in.ctx,
			(*C.uint32_t)(unsafe.Pointer(&pop[0])), (*C.uint32_t)(unsafe.Pointer(&variant[0])),
			(*C.uint32_t)(unsafe.Pointer(&neuron[0])), (*C.uint32_t)(unsafe.Pointer(&step[0])),
			C.size_t(drainChunk)))
		if n > drainChunk {
			return total, fmt.Errorf("gpu: gn_drain_spikes returned %d spikes for a buffer of %d", n, drainChunk)
		}
		buf.Pop, buf.Variant, buf.Neuron, buf.Step = buf.Pop[:k+n], buf.Variant[:k+n], buf.Neuron[:k+n], buf.Step[:k+n]
		total += n
		if n < drainChunk {
			return total, nil
		}
	}
}

func (in *Instance) checkVar(varIndex, variant int) (int, error) {
	if in.ctx == nil {
		return 0, ErrClosed
	}
	if varIndex < 0 || varIndex >= len(in.m.desc.Vars) {
		return 0, fmt.Errorf("gpu: variable index %d out of range (module has %d)", varIndex, len(in.m.desc.Vars))
	}
	if variant < 0 || variant >= in.batch {
		return 0, fmt.Errorf("gpu: variant %d out of range (batch of %d)", variant, in.batch)
	}
	return in.m.desc.Vars[varIndex].Count, nil
}

// VarIndex finds a variable by owner and name; -1 if there is none.
func (m *Module) VarIndex(owner, name string) int {
	for i, v := range m.desc.Vars {
		if v.Owner == owner && v.Name == name {
			return i
		}
	}
	return -1
}

// VarIndexOfKind finds a variable by owner, kind (codegen.VarDesc.Kind) and
// name; -1 if there is none. A synapse group's postsynaptic, pre and post
// variables may share a name; the kind tells them apart.
func (m *Module) VarIndexOfKind(owner, kind, name string) int {
	for i, v := range m.desc.Vars {
		if v.Owner == owner && v.Kind == kind && v.Name == name {
			return i
		}
	}
	return -1
}

// GetVar copies variable varIndex (index into Description.Vars) of one
// variant, converted to float64; Description.Vars[varIndex].Count values.
func (in *Instance) GetVar(varIndex, variant int) ([]float64, error) {
	return in.GetVarInto(varIndex, variant, nil)
}

// GetVarInto is GetVar reusing dst's storage when it is large enough; it
// returns the values (Description.Vars[varIndex].Count of them).
func (in *Instance) GetVarInto(varIndex, variant int, dst []float64) ([]float64, error) {
	count, err := in.checkVar(varIndex, variant)
	if err != nil {
		return nil, err
	}
	out := dst[:0]
	if cap(out) < count {
		out = make([]float64, count)
	}
	out = out[:count]
	if count == 0 {
		return out, nil
	}
	if C.call_get_var(in.m.sym.getVar, in.ctx, C.uint32_t(varIndex), C.uint32_t(variant), (*C.double)(unsafe.Pointer(&out[0]))) != 0 {
		return nil, in.fail(fmt.Sprintf("get %s", in.varName(varIndex)))
	}
	return out, nil
}

// Location is an element of a variable: Var indexes Description.Vars.
type Location struct{ Var, Index int }

// FindNonFinite returns, for each variant of the batch, the first NaN or
// infinite value among the variables codegen.FiniteChecked selects (in
// description order), or nil where every value is finite. The module
// scans its own state (on the device for CUDA modules), so nothing is
// copied back when all is well.
func (in *Instance) FindNonFinite() ([]*Location, error) {
	first := make([]uint32, 2*in.batch)
	if C.call_find_nonfinite(in.m.sym.findNonFinite, in.ctx, (*C.uint32_t)(unsafe.Pointer(&first[0]))) != 0 {
		return nil, in.fail("gn_find_nonfinite")
	}
	out := make([]*Location, in.batch)
	for b := range out {
		if first[2*b] != math.MaxUint32 {
			out[b] = &Location{Var: int(first[2*b]), Index: int(first[2*b+1])}
		}
	}
	return out, nil
}

// SetVar writes variable varIndex of one variant from vals, which must have
// Description.Vars[varIndex].Count values (converted to the variable's type).
func (in *Instance) SetVar(varIndex, variant int, vals []float64) error {
	count, err := in.checkVar(varIndex, variant)
	if err != nil {
		return err
	}
	if len(vals) != count {
		return fmt.Errorf("gpu: %s has %d values per variant, got %d", in.varName(varIndex), count, len(vals))
	}
	if count == 0 {
		return nil
	}
	if C.call_set_var(in.m.sym.setVar, in.ctx, C.uint32_t(varIndex), C.uint32_t(variant), (*C.double)(unsafe.Pointer(&vals[0]))) != 0 {
		return in.fail(fmt.Sprintf("set %s", in.varName(varIndex)))
	}
	return nil
}

// AllVariants, as CustomUpdate's variant, runs the update for every variant.
const AllVariants = -1

// CustomUpdateGroup finds a custom-update group by name
// (codegen.Description.CustomUpdateGroups); -1 if there is none.
func (m *Module) CustomUpdateGroup(name string) int {
	return slices.Index(m.desc.CustomUpdateGroups, name)
}

// CustomUpdate runs the custom updates of group (index into
// Description.CustomUpdateGroups) for one variant, or every variant with
// AllVariants.
func (in *Instance) CustomUpdate(group, variant int) error {
	if in.ctx == nil {
		return ErrClosed
	}
	if group < 0 || group >= len(in.m.desc.CustomUpdateGroups) {
		return fmt.Errorf("gpu: custom update group %d out of range (module has %d)", group, len(in.m.desc.CustomUpdateGroups))
	}
	v := C.uint32_t(C.GN_ALL_VARIANTS_LOADER)
	if variant != AllVariants {
		if variant < 0 || variant >= in.batch {
			return fmt.Errorf("gpu: variant %d out of range (batch of %d)", variant, in.batch)
		}
		v = C.uint32_t(variant)
	}
	if C.call_custom_update(in.m.sym.customUpdate, in.ctx, C.uint32_t(group), v) != 0 {
		return in.fail("custom update " + in.m.desc.CustomUpdateGroups[group])
	}
	return nil
}

// SetThreads sets the threads Step may use (n < 1: one). The results are
// the same bits for every n; only the CPU backend uses them.
func (in *Instance) SetThreads(n int) error {
	if in.ctx == nil {
		return ErrClosed
	}
	if C.call_set_threads(in.m.sym.setThreads, in.ctx, C.uint32_t(max(n, 1))) != 0 {
		return in.fail("set threads")
	}
	return nil
}

// SetRuntime sets runtime parameter slot (index into Description.Runtime)
// of one variant; the next step uses the value. Derived parameters are
// runtime slots of their own (the caller computes them).
func (in *Instance) SetRuntime(slot, variant int, value float64) error {
	if in.ctx == nil {
		return ErrClosed
	}
	if slot < 0 || slot >= len(in.m.desc.Runtime) {
		return fmt.Errorf("gpu: runtime slot %d out of range (module has %d)", slot, len(in.m.desc.Runtime))
	}
	if variant < 0 || variant >= in.batch {
		return fmt.Errorf("gpu: variant %d out of range (batch of %d)", variant, in.batch)
	}
	if C.call_set_runtime(in.m.sym.setRuntime, in.ctx, C.uint32_t(slot), C.uint32_t(variant), C.double(value)) != 0 {
		return in.fail("set " + in.m.desc.Runtime[slot])
	}
	return nil
}

// CurrentSpikes returns the spikes of population pop (index into
// Description.Populations) in the last time step of one variant.
func (in *Instance) CurrentSpikes(pop, variant int) ([]uint32, error) {
	if err := in.checkPop(pop, variant); err != nil {
		return nil, err
	}
	out := make([]uint32, in.m.desc.Populations[pop].Size+1) // +1: never a zero-length buffer
	var n C.size_t
	if C.call_current_spikes(in.m.sym.currentSpikes, in.ctx, C.uint32_t(pop), C.uint32_t(variant), (*C.uint32_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &n) != 0 {
		return nil, in.fail("current spikes of " + in.m.desc.Populations[pop].Name)
	}
	return out[:n], nil
}

// SetCurrentSpikes replaces the spikes of population pop in the last time
// step of one variant; the next step's synapse updates deliver them.
func (in *Instance) SetCurrentSpikes(pop, variant int, neurons []uint32) error {
	if err := in.checkPop(pop, variant); err != nil {
		return err
	}
	buf := append(neurons[:len(neurons):len(neurons)], 0) // never a zero-length buffer
	if C.call_set_current_spikes(in.m.sym.setCurrentSpikes, in.ctx, C.uint32_t(pop), C.uint32_t(variant), (*C.uint32_t)(unsafe.Pointer(&buf[0])), C.size_t(len(neurons))) != 0 {
		return in.fail("set the current spikes of " + in.m.desc.Populations[pop].Name)
	}
	return nil
}

func (in *Instance) checkPop(pop, variant int) error {
	if in.ctx == nil {
		return ErrClosed
	}
	if pop < 0 || pop >= len(in.m.desc.Populations) {
		return fmt.Errorf("gpu: population %d out of range (module has %d)", pop, len(in.m.desc.Populations))
	}
	if variant < 0 || variant >= in.batch {
		return fmt.Errorf("gpu: variant %d out of range (batch of %d)", variant, in.batch)
	}
	return nil
}

// EGPIndex finds an extra global parameter by config path
// (codegen.EGPDesc.Path, e.g. populations.S.extra_global_params.spikeTimes);
// -1 if there is none.
func (m *Module) EGPIndex(path string) int {
	for i, e := range m.desc.EGPs {
		if e.Path == path {
			return i
		}
	}
	return -1
}

// EGPIndexOf finds an extra global parameter by owner, kind
// (codegen.EGPDesc.Kind) and name; -1 if there is none. For kind
// "var_init" use EGPIndex (the variable is part of the path).
func (m *Module) EGPIndexOf(owner, kind, name string) int {
	for i, e := range m.desc.EGPs {
		if e.Owner == owner && e.Kind == kind && e.Name == name {
			return i
		}
	}
	return -1
}

func (in *Instance) checkEGP(egp, variant int) error {
	if in.ctx == nil {
		return ErrClosed
	}
	if egp < 0 || egp >= len(in.m.desc.EGPs) {
		return fmt.Errorf("gpu: extra global parameter index %d out of range (module has %d)", egp, len(in.m.desc.EGPs))
	}
	if variant < 0 || variant >= in.batch {
		return fmt.Errorf("gpu: variant %d out of range (batch of %d)", variant, in.batch)
	}
	return nil
}

// SetEGP replaces extra global parameter egp (index into Description.EGPs)
// of one variant with values, converted to the parameter's type: any
// number of values for a pointer (array) type, exactly one for a scalar.
// Code run by the next Step sees the new values; initialisation code
// (variable-initialisation snippets, connectivity) sees them at the next
// Init.
func (in *Instance) SetEGP(egp, variant int, values []float64) error {
	if err := in.checkEGP(egp, variant); err != nil {
		return err
	}
	e := in.m.desc.EGPs[egp]
	if !e.Pointer() && len(values) != 1 {
		return fmt.Errorf("gpu: %s is a scalar (%s): give 1 value, got %d", e.Path, e.Type, len(values))
	}
	var p *C.double
	if len(values) > 0 {
		p = (*C.double)(unsafe.Pointer(&values[0]))
	}
	if C.call_set_egp(in.m.sym.setEGP, in.ctx, C.uint32_t(egp), C.uint32_t(variant), p, C.size_t(len(values))) != 0 {
		return in.fail("set " + e.Path)
	}
	return nil
}

// GetEGP returns the values of extra global parameter egp of one variant,
// converted to float64.
func (in *Instance) GetEGP(egp, variant int) ([]float64, error) {
	if err := in.checkEGP(egp, variant); err != nil {
		return nil, err
	}
	e := in.m.desc.EGPs[egp]
	var n C.size_t
	if C.call_get_egp(in.m.sym.getEGP, in.ctx, C.uint32_t(egp), C.uint32_t(variant), nil, 0, &n) != 0 {
		return nil, in.fail("get " + e.Path)
	}
	out := make([]float64, int(n))
	if n == 0 {
		return out, nil
	}
	var got C.size_t
	if C.call_get_egp(in.m.sym.getEGP, in.ctx, C.uint32_t(egp), C.uint32_t(variant), (*C.double)(unsafe.Pointer(&out[0])), n, &got) != 0 {
		return nil, in.fail("get " + e.Path)
	}
	if got != n {
		return nil, fmt.Errorf("gpu: get %s: length changed from %d to %d", e.Path, n, got)
	}
	return out, nil
}

func (in *Instance) varName(i int) string {
	v := in.m.desc.Vars[i]
	return v.Owner + "." + v.Name
}

// Close destroys the instance (gn_destroy). It is safe to call twice.
func (in *Instance) Close() {
	if in.ctx == nil {
		return
	}
	C.call_destroy(in.m.sym.destroy, in.ctx)
	in.ctx = nil
	in.m.mu.Lock()
	in.m.live--
	in.m.mu.Unlock()
}

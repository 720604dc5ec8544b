package gpu

/*
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

// Move the protocol off fd 1: return a close-on-exec duplicate of fd 1 and
// point fd 1 at fd 2, so anything user code prints goes to stderr. stdout
// is made line buffered so that prints show up before a crash.
static int gn_steal_stdout(void) {
	fflush(stdout);
	int fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) return -1;
	if (dup2(2, 1) < 0) { close(fd); return -1; }
	setvbuf(stdout, NULL, _IOLBF, 0);
	return fd;
}

// Likewise for fd 0: return a private duplicate and put /dev/null on fd 0
// so user code reading stdin cannot consume protocol bytes.
static int gn_steal_stdin(void) {
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) return -1;
	int nul = open("/dev/null", O_RDONLY);
	if (nul < 0) { close(fd); return -1; }
	if (dup2(nul, 0) < 0) { close(fd); close(nul); return -1; }
	close(nul);
	return fd;
}

static void gn_flush_stdio(void) { fflush(stdout); fflush(stderr); }

#ifdef __GLIBC__
#include <malloc.h>
#endif

// Keep freed module state in the process for the next batch. Every batch
// gn_create()s a fresh context and gn_destroy()s it; by default glibc serves
// large blocks with mmap (and returns them with munmap) and trims freed memory
// at the top of the heap, so each batch page-faulted its whole state in again
// (and the kernel zeroed every page). With a fixed mmap threshold of 32 MiB
// (glibc's maximum on 64-bit) and a trim threshold of 256 MiB, the next
// batch's calloc reuses the pages instead. The worker's resident memory stays
// that of its largest batch, which it reached anyway.
static void gn_keep_freed_memory(void) {
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
*/
import "C"

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gennctl/gennctl/codegen"
)

// ProtocolVersion changes whenever Job or Message change meaning.
// 3: Job.Record and StateChunk messages (sampled state).
// 5: Job.Protocol (actions between steps), Job.RecordSynapses and
// SynapseChunk messages (per-synapse variables).
const ProtocolVersion = 5

// protocolMagic starts a worker's output, before the gob stream, so that a
// program that is not a worker is recognised before its output is decoded.
const protocolMagic = "gennctl-worker\n"

// Job asks a worker to run one batch of variants of one module.
type Job struct {
	ID         string
	ModulePath string
	Seeds      []uint64  // one per variant; the batch size is len(Seeds)
	Runtime    []float64 // len(Seeds)*len(Description.Runtime), row-major by variant
	Steps      uint64    // time steps to simulate
	DrainEvery uint32    // steps between spike drains (0: DefaultDrainEvery)
	Threads    int       // threads inside a step (Instance.SetThreads; < 2: one)
	// NoFiniteCheck turns off the check for NaN and infinite state values
	// that otherwise runs after every drain (see NonFinite).
	NoFiniteCheck bool
	// Record lists the variables to sample; the worker sends a StateChunk
	// per sample and spec.
	Record []RecordSpec
	// EGPs are extra global parameter values set (gn_set_egp) after
	// gn_create and before gn_init; the others keep the module's values.
	EGPs []EGPSet
	// Protocol lists what runs between time steps (the experiment's
	// protocol section): the actions of step k run, in order, after k steps
	// (after gn_init for k = 0) and before that step's state samples.
	Protocol []Action
	// RecordSynapses lists the per-synapse variables to sample; the worker
	// sends a SynapseChunk per sample and spec.
	RecordSynapses []SynapseRecordSpec
}

// Kinds of Action.
const (
	ActionCustomUpdate = "custom_update" // gn_custom_update of group Name
	ActionSetVar       = "set_var"       // gn_set_var of variable Owner.Name of kind VarKind
	ActionSetEGP       = "set_egp"       // gn_set_egp of the parameter at Path
	ActionSetRuntime   = "set_runtime"   // gn_set_runtime of the runtime slot of config path Path
)

// Action is one step of a protocol for variant Variant (index in the
// batch) at time step Step: run the custom-update group Name, or set a
// variable (Values: one value for every element, or one per element), an
// extra global parameter or a runtime parameter (one value).
type Action struct {
	Step    uint64
	Variant int
	Kind    string
	Name    string
	Owner   string
	VarKind string
	Path    string
	Values  []float64
}

// SynapseRecordSpec asks for samples of per-synapse variable Owner.Name of
// every variant: the synapses whose presynaptic index is in Pre and whose
// postsynaptic index is in Post (nil: all), every EverySteps steps from
// step 0. The worker finds them in each variant's connectivity after
// gn_init, so sparse groups record the synapses each variant has.
type SynapseRecordSpec struct {
	Owner, Name string
	EverySteps  uint32
	Pre, Post   []uint32
}

// SynapseChunk holds samples of one SynapseRecordSpec (Spec) taken at time
// step Step: row i is the synapse Pre[i] -> Post[i], at index Synapse[i]
// of the group's storage, of variant Variant[i], with value Value[i].
type SynapseChunk struct {
	Spec                        int
	Step                        uint32
	Variant, Pre, Post, Synapse []uint32
	Value                       []float64
}

// Len is the number of values in the chunk.
func (c SynapseChunk) Len() int { return len(c.Value) }

// EGPSet gives variant Variant (index in the batch) the values of the extra
// global parameter whose codegen.EGPDesc.Path is Path.
type EGPSet struct {
	Variant int
	Path    string
	Values  []float64
}

// RecordSpec asks for samples of one variable of every variant of a batch:
// the state after init (time step 0) and after every EverySteps steps
// (time step k*EverySteps, up to Job.Steps), read with gn_get_var.
//
// The variable is named by its Description.Vars entry (Owner, Kind, Name)
// rather than by index: the orchestrator never loads a module, and the
// order of Description.Vars is the code generator's business. The worker
// resolves the name with the module's description; an unknown variable
// fails the job.
type RecordSpec struct {
	Owner, Kind, Name string
	EverySteps        uint32   // > 0
	Elements          []uint32 // element indices, in the order wanted; nil: all
}

// StateChunk holds samples of one RecordSpec (Spec, index into Job.Record)
// taken at time step Step, for the variants of the batch in order: row i
// is element Element[i] of variant Variant[i] (index in the batch), whose
// value was Value[i]. A sample with more than maxChunkSpikes values is
// split over several chunks with the same Spec and Step.
type StateChunk struct {
	Spec    int
	Step    uint32
	Variant []uint32
	Element []uint32
	Value   []float64
}

// Len is the number of values in the chunk.
func (c StateChunk) Len() int { return len(c.Value) }

// DefaultDrainEvery is used when Job.DrainEvery is 0.
const DefaultDrainEvery = 1000

// SpikeChunk is a batch of recorded spikes, in the order the module
// recorded them (see SpikeBuffer).
type SpikeChunk struct {
	Pop, Variant, Neuron, Step []uint32
}

// Len is the number of spikes in the chunk.
func (c SpikeChunk) Len() int { return len(c.Pop) }

// Done ends a successful job.
type Done struct {
	Steps    uint64        // time steps simulated
	Spikes   uint64        // spikes sent
	Samples  uint64        // state values sent (StateChunk rows)
	Wall     time.Duration // whole job, load to last drain
	InitWall time.Duration // load + gn_create + gn_init
	// NonFinite lists the variants of the batch whose state became NaN or
	// infinite, each with the first value found. Their spikes are sent like
	// the others'; the orchestrator decides what to keep.
	NonFinite []NonFinite
	// PeakRSS is the worker's peak resident memory in bytes during the job
	// (VmHWM, reset before the job where the kernel allows; 0: unknown).
	PeakRSS int64
}

// NonFinite reports the first NaN or infinite state value found in a
// variant: variable Owner.Var element Index held Value at time step Step;
// the previous check (all values finite) was at step LastGood.
type NonFinite struct {
	Variant  int // index in the batch
	Kind     string
	Owner    string
	Var      string
	Index    int
	Value    float64
	Step     uint64
	LastGood uint64
}

func (n NonFinite) String() string {
	return fmt.Sprintf("non-finite state: %s.%s[%d] = %v (%s variable) at time step %d; finite at step %d",
		n.Owner, n.Var, n.Index, n.Value, n.Kind, n.Step, n.LastGood)
}

// Failed ends a job that failed without killing the worker (the module did
// not load, gn_create/gn_init/gn_step reported an error).
type Failed struct {
	Msg string
}

// Hello is the first message a worker sends.
type Hello struct {
	Protocol int
	ABI      int
	Pid      int
}

// Message is the envelope of everything a worker writes; exactly one field
// is set. JobID names the job a Chunk, State, Done or Failed belongs to.
type Message struct {
	JobID    string
	Hello    *Hello
	Chunk    *SpikeChunk
	State    *StateChunk
	Synapses *SynapseChunk
	Done     *Done
	Failed   *Failed
}

// maxChunkSpikes bounds the spikes in one message (16 MiB).
const maxChunkSpikes = 1 << 20

// ServeWorker is the worker process's main loop: it reads gob-encoded Jobs
// from in until EOF, runs each and writes Messages to out. Modules are
// loaded once per path and kept loaded.
//
// When out is the process's standard output (fd 1), the protocol is moved to
// a private duplicate of it and fd 1 is pointed at stderr first, so output
// printed by user code cannot corrupt the protocol. ServeWorker returns nil
// at EOF on in.
func ServeWorker(in io.Reader, out io.Writer) error {
	ownProcess := false // serving on the process's own stdout: a worker process
	if f, ok := out.(*os.File); ok && f.Fd() == 1 {
		ownProcess = true
		fd := C.gn_steal_stdout()
		if fd < 0 {
			return errors.New("gpu: worker: cannot redirect stdout")
		}
		pf := os.NewFile(uintptr(fd), "worker-protocol-out")
		defer pf.Close()
		out = pf
	}
	if f, ok := in.(*os.File); ok && f.Fd() == 0 {
		fd := C.gn_steal_stdin()
		if fd < 0 {
			return errors.New("gpu: worker: cannot redirect stdin")
		}
		pf := os.NewFile(uintptr(fd), "worker-protocol-in")
		defer pf.Close()
		in = pf
	}
	if ownProcess {
		// Process-wide settings, only in a worker process (not when a
		// test serves a worker in process).
		//
		// The orchestrator owns its workers' lives: Ctrl-C (SIGINT to the
		// terminal's whole process group) and SIGTERM (Slurm's scancel, to
		// every process of the job) are for it, and it kills its workers
		// when it stops. A worker dying of them first would look like a
		// crash of its batch's variants.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		C.gn_keep_freed_memory()
		// One P: the worker runs one job at a time on one locked thread.
		// More Ps only let the runtime wake idle threads and run its
		// garbage collector in parallel, on CPUs that the other workers
		// simulate on (a sweep runs one worker per CPU). GOMAXPROCS in
		// the environment still decides.
		if os.Getenv("GOMAXPROCS") == "" {
			runtime.GOMAXPROCS(1)
		}
	}
	// Keep the job loop on one OS thread: GPU runtimes keep per-thread
	// state (current device/context).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	bw := bufio.NewWriterSize(out, 1<<20)
	bw.WriteString(protocolMagic)
	enc := gob.NewEncoder(bw)
	// queue encodes a message into the buffer (written when it fills);
	// send also flushes it.
	queue := func(m Message) error {
		if err := enc.Encode(&m); err != nil {
			return fmt.Errorf("gpu: worker: writing: %w", err)
		}
		return nil
	}
	send := func(m Message) error {
		if err := queue(m); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("gpu: worker: writing: %w", err)
		}
		return nil
	}
	if err := send(Message{Hello: &Hello{Protocol: ProtocolVersion, ABI: codegen.ABIVersion, Pid: os.Getpid()}}); err != nil {
		return err
	}
	dec := gob.NewDecoder(bufio.NewReader(in))
	modules := map[string]*Module{}
	var buf SpikeBuffer
	for {
		var job Job
		if err := dec.Decode(&job); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("gpu: worker: reading job: %w", err)
		}
		done, err := runJob(job, modules, &buf, emitter{
			spikes: func(c SpikeChunk) error { return send(Message{JobID: job.ID, Chunk: &c}) },
			// Samples can be small and frequent (every time step): they
			// go out when the buffer fills or with the next spikes.
			state:    func(c StateChunk) error { return queue(Message{JobID: job.ID, State: &c}) },
			synapses: func(c SynapseChunk) error { return queue(Message{JobID: job.ID, Synapses: &c}) },
		})
		C.gn_flush_stdio()
		var m Message
		if err != nil {
			var we *writeError
			if errors.As(err, &we) {
				return we.err // the orchestrator is gone
			}
			m = Message{JobID: job.ID, Failed: &Failed{Msg: err.Error()}}
		} else {
			m = Message{JobID: job.ID, Done: &done}
		}
		if err := send(m); err != nil {
			return err
		}
	}
}

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// checkFinite asks the module for the first non-finite value of each
// variant not flagged yet (codegen.FiniteChecked selects the variables) and
// reads the value of each one found.
func checkFinite(inst *Instance, flagged map[int]bool, lastGood uint64, out *[]NonFinite) error {
	desc := inst.m.desc
	step := inst.Timestep()
	found, err := inst.FindNonFinite()
	if err != nil {
		return err
	}
	for k, loc := range found {
		if loc == nil || flagged[k] {
			continue
		}
		vals, err := inst.GetVar(loc.Var, k)
		if err != nil {
			return err
		}
		v := desc.Vars[loc.Var]
		flagged[k] = true
		*out = append(*out, NonFinite{Variant: k, Kind: v.Kind, Owner: v.Owner, Var: v.Name, Index: loc.Index, Value: vals[loc.Index], Step: step, LastGood: lastGood})
	}
	return nil
}

// resetPeakRSS resets the kernel's peak-RSS counter of this process
// (Linux >= 4.0), so that VmHWM afterwards is the peak of one job.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads this process's peak resident memory (VmHWM) in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// emitter receives what a job produces.
type emitter struct {
	spikes   func(SpikeChunk) error
	state    func(StateChunk) error
	synapses func(SynapseChunk) error
}

// recorder samples the variables of Job.Record.
type recorder struct {
	specs []RecordSpec
	vars  []int    // index into Description.Vars per spec
	next  []uint64 // next time step to sample per spec
	buf   []float64
}

func newRecorder(m *Module, specs []RecordSpec) (*recorder, error) {
	r := &recorder{specs: specs, vars: make([]int, len(specs)), next: make([]uint64, len(specs))}
	for i, s := range specs {
		vi := m.VarIndexOfKind(s.Owner, s.Kind, s.Name)
		if vi < 0 {
			return nil, fmt.Errorf("gpu: record: module %s has no %s variable %s.%s", m.path, s.Kind, s.Owner, s.Name)
		}
		if s.EverySteps == 0 {
			return nil, fmt.Errorf("gpu: record: %s.%s: EverySteps must be positive", s.Owner, s.Name)
		}
		count := m.desc.Vars[vi].Count
		for _, e := range s.Elements {
			if int(e) >= count {
				return nil, fmt.Errorf("gpu: record: %s.%s: element %d out of range (%d elements)", s.Owner, s.Name, e, count)
			}
		}
		r.vars[i] = vi
	}
	return r, nil
}

// nextStep is the earliest time step at which a spec wants a sample
// (math.MaxUint64 when nothing is recorded).
func (r *recorder) nextStep() uint64 {
	n := uint64(math.MaxUint64)
	for _, x := range r.next {
		n = min(n, x)
	}
	return n
}

// sample sends the samples due at the instance's current time step.
func (r *recorder) sample(inst *Instance, emit func(StateChunk) error, sent *uint64) error {
	step := inst.Timestep()
	for i, s := range r.specs {
		if r.next[i] != step {
			continue
		}
		r.next[i] = step + uint64(s.EverySteps)
		var c StateChunk
		flush := func() error {
			if c.Len() == 0 {
				return nil
			}
			*sent += uint64(c.Len())
			if err := emit(c); err != nil {
				return &writeError{err}
			}
			c = StateChunk{}
			return nil
		}
		for k := 0; k < inst.Batch(); k++ {
			vals, err := inst.GetVarInto(r.vars[i], k, r.buf)
			if err != nil {
				return err
			}
			r.buf = vals
			if c.Len() == 0 {
				c = StateChunk{Spec: i, Step: uint32(step)}
			}
			if s.Elements == nil {
				for e, x := range vals {
					c.Variant = append(c.Variant, uint32(k))
					c.Element = append(c.Element, uint32(e))
					c.Value = append(c.Value, x)
				}
			} else {
				for _, e := range s.Elements {
					c.Variant = append(c.Variant, uint32(k))
					c.Element = append(c.Element, e)
					c.Value = append(c.Value, vals[e])
				}
			}
			if c.Len() >= maxChunkSpikes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

func runJob(job Job, modules map[string]*Module, buf *SpikeBuffer, out emitter) (Done, error) {
	start := time.Now()
	resetPeakRSS()
	m := modules[job.ModulePath]
	if m == nil {
		var err error
		if m, err = Load(job.ModulePath); err != nil {
			return Done{}, err
		}
		modules[job.ModulePath] = m
	}
	rec, err := newRecorder(m, job.Record)
	if err != nil {
		return Done{}, err
	}
	inst, err := m.Create(len(job.Seeds), job.Seeds, job.Runtime)
	if err != nil {
		return Done{}, err
	}
	defer inst.Close()
	if err := inst.SetThreads(job.Threads); err != nil {
		return Done{}, err
	}
	for _, e := range job.EGPs {
		i := m.EGPIndex(e.Path)
		if i < 0 {
			return Done{}, fmt.Errorf("gpu: module %s has no extra global parameter %s", job.ModulePath, e.Path)
		}
		if err := inst.SetEGP(i, e.Variant, e.Values); err != nil {
			return Done{}, err
		}
	}
	if err := inst.Init(); err != nil {
		return Done{}, err
	}
	done := Done{InitWall: time.Since(start)}
	every := uint64(job.DrainEvery)
	if every == 0 {
		every = DefaultDrainEvery
	}
	drain := func() error {
		buf.Reset()
		if _, err := inst.DrainSpikes(buf); err != nil {
			return err
		}
		for lo := 0; lo < buf.Len(); lo += maxChunkSpikes {
			hi := min(lo+maxChunkSpikes, buf.Len())
			c := SpikeChunk{Pop: buf.Pop[lo:hi], Variant: buf.Variant[lo:hi], Neuron: buf.Neuron[lo:hi], Step: buf.Step[lo:hi]}
			if err := out.spikes(c); err != nil {
				return &writeError{err}
			}
			done.Spikes += uint64(hi - lo)
		}
		return nil
	}
	flagged := map[int]bool{}
	var lastGood uint64
	check := func() error {
		if job.NoFiniteCheck || len(flagged) == inst.Batch() {
			return nil
		}
		err := checkFinite(inst, flagged, lastGood, &done.NonFinite)
		lastGood = inst.Timestep()
		return err
	}
	syn, err := newSynapseRecorder(inst, job.RecordSynapses)
	if err != nil {
		return Done{}, err
	}
	proto, err := newProtocol(m, job.Protocol)
	if err != nil {
		return Done{}, err
	}
	sample := func() error {
		if err := proto.run(inst, done.Steps); err != nil {
			return err
		}
		if err := syn.sample(inst, out.synapses, &done.Samples); err != nil {
			return err
		}
		if rec.nextStep() != done.Steps {
			return nil
		}
		return rec.sample(inst, out.state, &done.Samples)
	}
	if err := sample(); err != nil { // the initial state, time 0
		return Done{}, err
	}
	if err := drain(); err != nil { // spikes recorded by init, if any
		return Done{}, err
	}
	if err := check(); err != nil {
		return Done{}, err
	}
	for done.Steps < job.Steps {
		// Step to the next drain boundary (a multiple of DrainEvery, or
		// the end) or the next sample, whichever comes first.
		nextDrain := min((done.Steps/every+1)*every, job.Steps)
		target := min(nextDrain, rec.nextStep(), syn.nextStep(), proto.nextStep())
		if err := inst.Step(uint32(target - done.Steps)); err != nil {
			return Done{}, fmt.Errorf("%w (at time step %d)", err, inst.Timestep())
		}
		done.Steps = target
		// Pass through the scheduler between module calls. The Go
		// runtime's monitor thread (sysmon) takes the P from a goroutine
		// that has run on one scheduling tick for 10 ms, and after each
		// such take polls every 20 us again: a job that never yields
		// woke it thousands of times a second, each wake-up preempting a
		// simulation on a busy machine.
		runtime.Gosched()
		if err := sample(); err != nil {
			return Done{}, err
		}
		if target != nextDrain {
			continue
		}
		if err := drain(); err != nil {
			return Done{}, err
		}
		if err := check(); err != nil {
			return Done{}, err
		}
	}
	done.Wall = time.Since(start)
	done.PeakRSS = peakRSS()
	return done, nil
}

// ---------------------------------------------------------------------------
// Orchestrator side

// Worker is a worker process seen from the orchestrator. Its methods are
// not safe for concurrent use (one job at a time), except Kill and Pid.
type Worker struct {
	cmd    *exec.Cmd
	ctx    context.Context
	stdin  *os.File
	stdout *os.File
	enc    *gob.Encoder
	bw     *bufio.Writer
	dec    *gob.Decoder
	stderr *ringBuffer
	hello  Hello

	exited  chan struct{} // closed when the process has been waited for
	waitErr error
	state   *os.ProcessState

	broken error // set once the worker can take no more jobs
}

// WorkerDiedError is returned when the worker process ends (crash, signal,
// exit) or breaks the protocol before finishing a job.
type WorkerDiedError struct {
	Pid      int
	JobID    string
	ExitCode int // -1 when killed by a signal or still running
	// Signal that killed the worker or that the Go runtime reported
	// before exiting (a fault in C code makes Go print a report and exit
	// with status 2), e.g. "segmentation fault", "aborted", "killed".
	Signal string
	Status string // the process state as Go prints it, e.g. "signal: killed"
	Stderr string // tail of the worker's stderr
	// CrashedIn is the ABI function running when a fatal signal hit
	// (e.g. "gn_step"), when the worker's crash report says.
	CrashedIn string
	Err       error // what the orchestrator saw: EOF, a decode error, the context's error
	// PeakRSS is the process's peak resident memory in bytes over its life
	// (getrusage of the child), 0 when unknown.
	PeakRSS int64
}

func (e *WorkerDiedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "worker %d died", e.Pid)
	if e.JobID != "" {
		fmt.Fprintf(&b, " running job %s", e.JobID)
	}
	switch {
	case e.Status != "":
		fmt.Fprintf(&b, ": %s", e.Status)
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Signal != "" && !strings.Contains(e.Status, e.Signal) {
		fmt.Fprintf(&b, " (%s", e.Signal)
		if e.CrashedIn != "" {
			fmt.Fprintf(&b, " in %s", e.CrashedIn)
		}
		b.WriteString(")")
	}
	if e.Err != nil && e.Status != "" && !errors.Is(e.Err, io.EOF) && !errors.Is(e.Err, io.ErrUnexpectedEOF) {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if s := stderrSummary(e.Stderr); s != "" {
		fmt.Fprintf(&b, "\nworker stderr (tail):\n%s", s)
	}
	return b.String()
}

// Unwrap gives the underlying cause (e.g. context.Canceled).
func (e *WorkerDiedError) Unwrap() error { return e.Err }

// JobFailedError is a job the worker reported as failed (Failed message);
// the worker is still usable.
type JobFailedError struct {
	JobID string
	Msg   string
}

func (e *JobFailedError) Error() string { return fmt.Sprintf("job %s failed: %s", e.JobID, e.Msg) }

// StderrTailBytes is how much of a worker's stderr is kept.
const StderrTailBytes = 64 << 10

// handshakeTimeout bounds how long StartWorker waits for the Hello.
var handshakeTimeout = 60 * time.Second

// StartWorker starts argv as a worker process (for gennctl:
// [os.Executable(), "worker"]) and waits for its hello. env follows
// exec.Cmd.Env: nil inherits this process's environment, otherwise it is
// the whole environment (use append(os.Environ(), ...) to add to it).
// Cancelling ctx kills the worker.
func StartWorker(ctx context.Context, argv []string, env []string) (*Worker, error) {
	if len(argv) == 0 {
		return nil, errors.New("gpu: StartWorker: empty argv")
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = inR
	cmd.Stdout = outW
	rb := newRingBuffer(StderrTailBytes)
	cmd.Stderr = rb
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("gpu: starting worker %s: %w", argv[0], err)
	}
	inR.Close()
	outW.Close()
	w := &Worker{
		cmd: cmd, ctx: ctx, stdin: inW, stdout: outR, stderr: rb,
		exited: make(chan struct{}),
	}
	w.bw = bufio.NewWriter(inW)
	w.enc = gob.NewEncoder(w.bw)
	br := bufio.NewReaderSize(outR, 1<<20)
	w.dec = gob.NewDecoder(br)
	go func() {
		w.waitErr = cmd.Wait()
		w.state = cmd.ProcessState
		close(w.exited)
	}()

	// Handshake, bounded in time.
	timer := time.AfterFunc(handshakeTimeout, func() { _ = cmd.Process.Kill() })
	var m Message
	magic := make([]byte, len(protocolMagic))
	n, err := io.ReadFull(br, magic)
	if n > 0 && string(magic[:n]) != protocolMagic[:n] {
		err = fmt.Errorf("not a gennctl worker (output starts %q)", magic[:n])
	}
	if err == nil {
		err = w.dec.Decode(&m)
	}
	timedOut := !timer.Stop()
	if err == nil && m.Hello == nil {
		err = errors.New("first message is not a hello")
	}
	if err == nil && m.Hello.Protocol != ProtocolVersion {
		err = fmt.Errorf("worker speaks protocol %d, want %d (stale binary?)", m.Hello.Protocol, ProtocolVersion)
	}
	if err != nil {
		if timedOut {
			err = fmt.Errorf("no hello within %v", handshakeTimeout)
		}
		de := w.died("", fmt.Errorf("worker handshake: %w", err))
		w.stdin.Close()
		w.stdout.Close()
		return nil, de
	}
	w.hello = *m.Hello
	return w, nil
}

// Pid is the worker's process id.
func (w *Worker) Pid() int { return w.cmd.Process.Pid }

// Stderr is the tail of what the worker wrote to stderr so far.
func (w *Worker) Stderr() string { return w.stderr.String() }

// Run sends job to the worker and calls onChunk (which may be nil) for every
// chunk of spikes, in order, until the worker finishes the job. A job the
// worker reports as failed returns a *JobFailedError and the worker remains
// usable. If the worker process dies or breaks the protocol, Run returns a
// *WorkerDiedError and the worker is unusable. If onChunk returns an error,
// the worker is killed (its output cannot be resynchronised) and Run returns
// that error.
func (w *Worker) Run(job Job, onChunk func(SpikeChunk) error) (Done, error) {
	return w.RunJob(job, Handlers{Spikes: onChunk})
}

// Handlers receive what a job sends, in order; either may be nil (the
// messages are then dropped). An error from a handler kills the worker,
// as in Run.
type Handlers struct {
	Spikes   func(SpikeChunk) error
	State    func(StateChunk) error
	Synapses func(SynapseChunk) error
}

// RunJob is Run with a handler per kind of message: spikes and sampled
// state (Job.Record).
func (w *Worker) RunJob(job Job, h Handlers) (Done, error) {
	if w.broken != nil {
		return Done{}, fmt.Errorf("gpu: worker %d unusable: %w", w.Pid(), w.broken)
	}
	if err := w.enc.Encode(&job); err == nil {
		err = w.bw.Flush()
		if err != nil {
			return Done{}, w.fail(w.died(job.ID, err))
		}
	} else {
		// An encoding error of our own data (not a broken pipe) leaves
		// the stream in an unknown state as well.
		return Done{}, w.fail(w.died(job.ID, err))
	}
	for {
		var m Message
		if err := w.dec.Decode(&m); err != nil {
			return Done{}, w.fail(w.died(job.ID, err))
		}
		if m.JobID != job.ID {
			return Done{}, w.fail(w.died(job.ID, fmt.Errorf("protocol error: message for job %q", m.JobID)))
		}
		var herr error
		switch {
		case m.Chunk != nil:
			if h.Spikes != nil {
				herr = h.Spikes(*m.Chunk)
			}
		case m.Synapses != nil:
			if h.Synapses != nil {
				herr = h.Synapses(*m.Synapses)
			}
		case m.State != nil:
			if h.State != nil {
				herr = h.State(*m.State)
			}
		case m.Done != nil:
			return *m.Done, nil
		case m.Failed != nil:
			return Done{}, &JobFailedError{JobID: job.ID, Msg: m.Failed.Msg}
		default:
			return Done{}, w.fail(w.died(job.ID, errors.New("protocol error: empty message")))
		}
		if herr != nil {
			w.Kill()
			w.broken = fmt.Errorf("killed after chunk callback error: %w", herr)
			return Done{}, herr
		}
	}
}

func (w *Worker) fail(err *WorkerDiedError) error {
	w.broken = err
	return err
}

// died builds a WorkerDiedError after a protocol failure, waiting briefly
// for the process to end (and killing it if it does not).
func (w *Worker) died(jobID string, cause error) *WorkerDiedError {
	if !errors.Is(cause, io.EOF) && !errors.Is(cause, io.ErrUnexpectedEOF) {
		// The process may be alive but its output is unusable.
		_ = w.cmd.Process.Kill()
	}
	select {
	case <-w.exited:
	case <-time.After(5 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
	e := &WorkerDiedError{Pid: w.cmd.Process.Pid, JobID: jobID, ExitCode: -1, Err: cause}
	if w.ctx.Err() != nil {
		e.Err = fmt.Errorf("%w (%v)", w.ctx.Err(), cause)
	}
	if st := w.state; st != nil {
		e.Status = st.String()
		e.ExitCode = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Signal = ws.Signal().String()
		}
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok && ru != nil {
			e.PeakRSS = int64(ru.Maxrss) * 1024 // KiB on Linux
		}
	}
	e.Stderr = w.stderr.String()
	if sig, fn := goCrashReport(e.Stderr); sig != "" {
		// The Go runtime caught the fault in user code and exited 2.
		if e.Signal == "" {
			e.Signal = sig
		}
		e.CrashedIn = fn
	}
	return e
}

var (
	goCrashHeader = regexp.MustCompile(`(?m)^(SIG[A-Z0-9]+): .*$`)
	goCgoFrame    = regexp.MustCompile(`gpu\._Cfunc_call_(\w+)\(`)
)

// goCrashReport finds the Go runtime's report of a fatal signal (which it
// prints when a signal arrives in C code, then exits with status 2) and
// returns the signal's description and the ABI function that was running.
func goCrashReport(stderr string) (signal, fn string) {
	loc := goCrashHeader.FindStringSubmatchIndex(stderr)
	if loc == nil {
		return "", ""
	}
	name := stderr[loc[2]:loc[3]]
	signal = name
	for _, s := range []syscall.Signal{syscall.SIGSEGV, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE,
		syscall.SIGILL, syscall.SIGTRAP, syscall.SIGSYS} {
		if signalName(s) == name {
			signal = s.String()
		}
	}
	if m := goCgoFrame.FindStringSubmatch(stderr[loc[0]:]); m != nil {
		fn = "gn_" + m[1]
	}
	return signal, fn
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGBUS:
		return "SIGBUS"
	case syscall.SIGFPE:
		return "SIGFPE"
	case syscall.SIGILL:
		return "SIGILL"
	case syscall.SIGTRAP:
		return "SIGTRAP"
	case syscall.SIGSYS:
		return "SIGSYS"
	}
	return ""
}

// stderrSummary is the worker's stderr for an error message: what user
// code printed, the Go runtime's crash header (without the goroutine
// dump), at most maxSummaryLines lines.
func stderrSummary(stderr string) string {
	s := stderr
	if loc := goCrashHeader.FindStringIndex(s); loc != nil {
		rest := s[loc[0]:]
		if i := strings.Index(rest, "\n\n"); i >= 0 {
			rest = rest[:i]
		}
		s = s[:loc[0]] + rest + "\n[Go traceback omitted]"
	}
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	if len(lines) > maxSummaryLines {
		lines = append([]string{fmt.Sprintf("[... %d lines omitted]", len(lines)-maxSummaryLines)}, lines[len(lines)-maxSummaryLines:]...)
	}
	return strings.Join(lines, "\n")
}

const maxSummaryLines = 40

// Kill kills the worker process (SIGKILL) without waiting for it.
func (w *Worker) Kill() error {
	select {
	case <-w.exited:
		return nil
	default:
	}
	return w.cmd.Process.Kill()
}

// Close asks the worker to exit (closing its stdin) and waits for it,
// killing it after a grace period. It returns an error if the worker did
// not exit cleanly (nil if it was already known to have died).
func (w *Worker) Close() error {
	w.stdin.Close()
	var err error
	select {
	case <-w.exited:
	case <-time.After(10 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
		err = fmt.Errorf("gpu: worker %d did not exit after its input closed; killed", w.Pid())
	}
	w.stdout.Close()
	if err == nil && w.broken == nil && w.waitErr != nil {
		err = fmt.Errorf("gpu: worker %d: %v\n%s", w.Pid(), w.waitErr, strings.TrimSpace(w.stderr.String()))
	}
	if w.broken == nil {
		w.broken = errors.New("closed")
	}
	return err
}

// ringBuffer keeps the last n bytes written to it.
type ringBuffer struct {
	mu    sync.Mutex
	buf   []byte
	max   int
	total int64
}

func newRingBuffer(n int) *ringBuffer { return &ringBuffer{max: n} }

func (r *ringBuffer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total += int64(len(p))
	if len(p) >= r.max {
		r.buf = append(r.buf[:0], p[len(p)-r.max:]...)
		return len(p), nil
	}
	if over := len(r.buf) + len(p) - r.max; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	r.buf = append(r.buf, p...)
	return len(p), nil
}

func (r *ringBuffer) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := string(r.buf)
	if r.total > int64(len(r.buf)) {
		// Drop the partial first line.
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		s = fmt.Sprintf("[... %d bytes omitted]\n", r.total-int64(len(s))) + s
	}
	return s
}

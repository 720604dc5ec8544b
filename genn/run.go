package genn

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/gennctl/gennctl/backend"
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"gopkg.in/yaml.v3"
)

// docFile is the file name diagnostics are reported under: positions in it
// refer to the text Model.YAML returns.
func (m *Model) docFile() string { return m.Name + ".yaml" }

// YAML returns the experiment document equivalent to the model, as
// `gennctl sweep` reads it (add a simulation duration and a sweep section to
// run it from the command line).
func (m *Model) YAML() ([]byte, error) {
	if len(m.errs) > 0 {
		return nil, errors.Join(m.errs...)
	}
	root, extra, err := m.document()
	if err != nil {
		return nil, err
	}
	if names := extra.Names(); len(flatten(names)) > 0 {
		return nil, fmt.Errorf("genn: model %s: %v have Go functions (CreateDPFClass, CreateCMLFClass), which an experiment document cannot hold; give their derived parameters and lengths as expressions (DerivedParam.Expr, MaxRowLength) to write the model as YAML", m.Name, flatten(names))
	}
	return yaml.Marshal(root)
}

// flatten lists the names of a catalogue's Names.
func flatten(names map[string][]string) []string {
	var out []string
	for _, k := range sortedKeys(names) {
		out = append(out, names[k]...)
	}
	return out
}

// decode builds the document, applies overrides (config path -> value) and
// decodes it into a validated network.
func (m *Model) decode(overrides map[string]float64) (*modelspec.Network, []byte, error) {
	if len(m.errs) > 0 {
		return nil, nil, fmt.Errorf("genn: model %s:\n%w", m.Name, errors.Join(m.errs...))
	}
	root, extra, err := m.document()
	if err != nil {
		return nil, nil, fmt.Errorf("genn: model %s:\n%w", m.Name, err)
	}
	for _, p := range sortedKeys(overrides) {
		if err := setPath(root, p, overrides[p]); err != nil {
			return nil, nil, err
		}
	}
	text, err := yaml.Marshal(root)
	if err != nil {
		return nil, nil, fmt.Errorf("genn: model %s: %w", m.Name, err)
	}
	parsed, err := modelspec.Parse(m.docFile(), text)
	if err != nil {
		return nil, nil, fmt.Errorf("genn: model %s: %w", m.Name, err)
	}
	net, err := modelspec.DecodeWith(m.docFile(), text, parsed, extra)
	if err != nil {
		return nil, text, &Error{Model: m.Name, Err: err}
	}
	return net, text, nil
}

// Error is an invalid model. Err is the decoder's modelspec.Diagnostics (or
// a generator error); every problem names its config path, e.g.
// "populations.E.params: missing parameter "TauM" for model LIF".
type Error struct {
	Model string
	Err   error
}

func (e *Error) Error() string {
	var ds modelspec.Diagnostics
	if errors.As(e.Err, &ds) {
		s := fmt.Sprintf("genn: model %s is invalid:", e.Model)
		for _, d := range ds {
			if d.Path != "" {
				s += "\n  " + d.Path + ": " + d.Msg
			} else {
				s += "\n  " + d.Msg
			}
		}
		return s
	}
	return fmt.Sprintf("genn: model %s: %v", e.Model, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Build validates the model, generates its C module and compiles it into the
// module cache in cacheDir ("" : $GENNCTL_CACHE or the user cache dir). An
// unchanged model is found in the cache and not compiled again. After Build
// the network can no longer be changed.
func (m *Model) Build(cacheDir string) error {
	if m.built {
		return fmt.Errorf("genn: model %s is already built", m.Name)
	}
	net, text, err := m.decode(nil)
	if err != nil {
		return err
	}
	if cacheDir == "" {
		cacheDir = gpu.DefaultCacheDir()
	}
	c, err := gpu.OpenCache(cacheDir)
	if err != nil {
		return err
	}
	gen, tc, err := m.backend()
	if err != nil {
		return fmt.Errorf("genn: model %s: %w", m.Name, err)
	}
	m.cache, m.tc, m.gen, m.net, m.doc = c, tc, gen, net, text
	mod, err := m.compile(net, codegen.Options{})
	if err != nil {
		return err
	}
	m.module = mod
	m.built = true
	return nil
}

// backend returns the code generator and the compiler of m.Backend, which
// must be able to run here.
func (m *Model) backend() (func(*modelspec.Network, codegen.Options) (codegen.Files, error), gpu.Toolchain, error) {
	name := m.Backend
	if name == "" {
		name = "cpu"
	}
	b, err := backend.Lookup(name)
	if err != nil {
		return nil, gpu.Toolchain{}, err
	}
	if err := b.Runnable(); err != nil {
		return nil, gpu.Toolchain{}, err
	}
	tc, err := b.Toolchain(nil)
	return b.Generate, tc, err
}

func (m *Model) compile(net *modelspec.Network, opts codegen.Options) (*gpu.Module, error) {
	files, err := m.gen(net, opts)
	if err != nil {
		return nil, &Error{Model: m.Name, Err: err}
	}
	res, err := m.cache.Build(files, m.tc)
	if err != nil {
		return nil, fmt.Errorf("genn: model %s: %w", m.Name, err)
	}
	return gpu.Load(res.ModulePath)
}

// PerVariant gives per-variant values of numbers of the model, by config
// path (the paths of the experiment document: populations.E.params.TauM,
// synapses.EE.weight_update.vars.g, populations.E.vars.V.params.min,
// synapses.EE.connectivity.params.prob, ...), one value per variant of the
// batch. Derived parameters follow their parameters. Values that differ
// between variants become runtime slots of a module built for them, exactly
// as in a sweep.
type PerVariant map[string][]float64

// Load creates and initialises a batch of variants of the built model.
// seeds gives each variant's random seed (nil: Seed, Seed+1, ...).
// Optional per-variant values build (or find in the cache) a module with the
// varying numbers as runtime parameters. Loading again replaces the previous
// instance.
func (m *Model) Load(batch int, seeds []uint64, perVariant ...PerVariant) error {
	if !m.built {
		return fmt.Errorf("genn: model %s: Build before Load", m.Name)
	}
	if batch < 1 {
		return fmt.Errorf("genn: batch must be at least 1, got %d", batch)
	}
	if seeds == nil {
		for i := 0; i < batch; i++ {
			seeds = append(seeds, m.Seed+uint64(i))
		}
	}
	if len(seeds) != batch {
		return fmt.Errorf("genn: %d seeds for a batch of %d", len(seeds), batch)
	}
	m.unload()
	pv := PerVariant{}
	for _, p := range perVariant {
		for k, v := range p {
			pv[k] = v
		}
	}
	mod, runtime := m.module, []float64{}
	if len(pv) > 0 {
		var err error
		mod, runtime, err = m.variantModule(batch, pv)
		if err != nil {
			return err
		}
	}
	inst, err := mod.Create(batch, seeds, runtime)
	if err != nil {
		return err
	}
	if err := inst.Init(); err != nil {
		inst.Close()
		return err
	}
	desc, err := mod.Description()
	if err != nil {
		inst.Close()
		return err
	}
	m.inst, m.instMod, m.desc = inst, mod, desc
	m.spikes.Reset()
	m.events, m.pending = nil, nil
	return nil
}

// variantModule decodes every variant, decides the runtime slots (numbers
// that differ between variants) and builds the module for them.
func (m *Model) variantModule(batch int, pv PerVariant) (*gpu.Module, []float64, error) {
	for path, vals := range pv {
		if len(vals) != batch {
			return nil, nil, fmt.Errorf("genn: %s: %d values for a batch of %d", path, len(vals), batch)
		}
	}
	digest := m.net.StructureDigest()
	nets := make([]*modelspec.Network, batch)
	values := make([][]modelspec.Value, batch)
	for k := 0; k < batch; k++ {
		ov := map[string]float64{}
		for path, vals := range pv {
			ov[path] = vals[k]
		}
		net, _, err := m.decode(ov)
		if err != nil {
			return nil, nil, fmt.Errorf("variant %d: %w", k, err)
		}
		if net.StructureDigest() != digest {
			return nil, nil, fmt.Errorf("genn: per-variant values change the structure of model %s (sizes, code, matrix kinds, ...); only numbers may differ", m.Name)
		}
		nets[k], values[k] = net, net.Values()
	}
	var opts codegen.Options
	var slots []int
	for j, v0 := range values[0] {
		for k := 1; k < batch; k++ {
			if math.Float64bits(values[k][j].V) != math.Float64bits(v0.V) {
				opts.Runtime = append(opts.Runtime, v0.Path)
				slots = append(slots, j)
				break
			}
		}
	}
	for si, s := range nets[0].Synapses {
		if s.Matrix != modelspec.MatrixSparse {
			continue
		}
		max := 0
		for _, net := range nets {
			n, err := codegen.MaxRowLength(net.Synapses[si], 1)
			if err != nil {
				return nil, nil, err
			}
			if n > max {
				max = n
			}
		}
		if opts.MaxRowLength == nil {
			opts.MaxRowLength = map[string]int{}
		}
		opts.MaxRowLength[s.Name] = max
	}
	runtime := make([]float64, 0, batch*len(slots))
	for k := 0; k < batch; k++ {
		for _, j := range slots {
			runtime = append(runtime, values[k][j].V)
		}
	}
	mod, err := m.compile(nets[0], opts)
	if err != nil {
		return nil, nil, err
	}
	return mod, runtime, nil
}

func (m *Model) loaded() error {
	if m.inst == nil {
		return fmt.Errorf("genn: model %s is not loaded (Build, then Load)", m.Name)
	}
	return nil
}

// StepTime advances one time step (pygenn's step_time).
func (m *Model) StepTime() error { return m.Step(1) }

// Step advances n time steps.
func (m *Model) Step(n int) error {
	if err := m.loaded(); err != nil {
		return err
	}
	for n > 0 {
		k := n
		if k > math.MaxUint32 {
			k = math.MaxUint32
		}
		if err := m.inst.Step(uint32(k)); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// Timestep is the number of time steps simulated since Load.
func (m *Model) Timestep() uint64 {
	if m.inst == nil {
		return 0
	}
	return m.inst.Timestep()
}

// T is the simulation time in ms (Timestep × DT).
func (m *Model) T() float64 { return float64(m.Timestep()) * m.DT }

// Batch is the number of loaded variants (0 when not loaded).
func (m *Model) Batch() int {
	if m.inst == nil {
		return 0
	}
	return m.inst.Batch()
}

// RuntimeParams lists the config paths that are runtime slots of the loaded
// module (empty unless Load was given differing per-variant values).
func (m *Model) RuntimeParams() []string { return append([]string(nil), m.desc.Runtime...) }

// Spike is one recorded spike: emitted by Neuron of population Pop in
// variant Variant at time step Step (time Time = Step × DT, ms).
type Spike struct {
	Pop     string
	Variant int
	Neuron  int
	Step    uint32
	Time    float64
}

// Spikes drains the spikes recorded since the last call (populations with
// SpikeRecording), ordered by time step, then by population in the order
// they were added, variant and neuron.
func (m *Model) Spikes() ([]Spike, error) {
	spikes, events, err := m.drain()
	m.events = append(m.events, events...)
	return spikes, err
}

// SpikeEvents returns the spike-like events recorded since the last call
// (populations with SpikeEventRecording), in the order of Spikes.
func (m *Model) SpikeEvents() ([]Spike, error) {
	spikes, events, err := m.drain()
	if err != nil {
		return nil, err
	}
	// what Spikes has not returned yet stays for it
	m.pending = append(m.pending, spikes...)
	events = append(m.events, events...)
	m.events = nil
	return events, nil
}

// drain moves the module's recorded spikes and spike-like events out,
// each list ordered, spikes pending from SpikeEvents first.
func (m *Model) drain() (spikes, events []Spike, err error) {
	if err := m.loaded(); err != nil {
		return nil, nil, err
	}
	m.spikes.Reset()
	if _, err := m.inst.DrainSpikes(&m.spikes); err != nil {
		return nil, nil, err
	}
	b := &m.spikes
	npops := uint32(len(m.desc.Populations))
	spikes, m.pending = m.pending, nil
	for i := 0; i < b.Len(); i++ {
		pop := b.Pop[i]
		ev := pop >= npops
		if ev {
			pop -= npops
		}
		s := Spike{Pop: m.desc.Populations[pop].Name, Variant: int(b.Variant[i]), Neuron: int(b.Neuron[i]),
			Step: b.Step[i], Time: float64(b.Step[i]) * m.DT}
		if ev {
			events = append(events, s)
		} else {
			spikes = append(spikes, s)
		}
	}
	m.sortSpikes(spikes)
	m.sortSpikes(events)
	return spikes, events, nil
}

// sortSpikes orders spikes by time step, population (in the order they
// were added), variant and neuron.
func (m *Model) sortSpikes(out []Spike) {
	popIdx := map[string]int{}
	for i, p := range m.desc.Populations {
		popIdx[p.Name] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Step != c.Step {
			return a.Step < c.Step
		}
		if a.Pop != c.Pop {
			return popIdx[a.Pop] < popIdx[c.Pop]
		}
		if a.Variant != c.Variant {
			return a.Variant < c.Variant
		}
		return a.Neuron < c.Neuron
	})
}

// varIndex finds owner's variable name among the given kinds, in order.
func (m *Model) varIndex(owner, name string, kinds ...string) (int, error) {
	if err := m.loaded(); err != nil {
		return -1, err
	}
	for _, k := range kinds {
		for i, v := range m.desc.Vars {
			if v.Owner == owner && v.Kind == k && v.Name == name {
				return i, nil
			}
		}
	}
	var have []string
	for _, v := range m.desc.Vars {
		if v.Owner == owner {
			for _, k := range kinds {
				if v.Kind == k {
					have = append(have, v.Name)
				}
			}
		}
	}
	return -1, fmt.Errorf("genn: %s has no stored variable %q (stored: %v; weight-update variables of global weights are constants of the module, not stored)", owner, name, have)
}

func (m *Model) pull(owner, name string, variant int, kinds ...string) ([]float64, error) {
	i, err := m.varIndex(owner, name, kinds...)
	if err != nil {
		return nil, err
	}
	return m.inst.GetVar(i, variant)
}

func (m *Model) push(owner, name string, variant int, vals []float64, kinds ...string) error {
	i, err := m.varIndex(owner, name, kinds...)
	if err != nil {
		return err
	}
	return m.inst.SetVar(i, variant, vals)
}

// PullVar returns the values of neuron variable name of one variant.
func (p *NeuronGroup) PullVar(name string, variant int) ([]float64, error) {
	return p.m.pull(p.Name, name, variant, "neuron")
}

// PushVar writes the values of neuron variable name of one variant.
func (p *NeuronGroup) PushVar(name string, variant int, vals []float64) error {
	return p.m.push(p.Name, name, variant, vals, "neuron")
}

// synapseKinds is the lookup order of a synapse group's variables:
// weight-update (per synapse), its pre and post variables, then the
// postsynaptic model's (including inSyn).
var synapseKinds = []string{"synapse", "pre", "post", "postsynaptic"}

// PullVar returns a variable of the synapse group for one variant: a
// per-synapse weight-update variable (in the matrix's storage order: dense
// row-major pre × post; sparse rows of MaxRowLength slots, see
// Connectivity), a presynaptic or postsynaptic weight-update variable, or a
// postsynaptic-model variable (inSyn included), looked up in that order.
func (s *SynapseGroup) PullVar(name string, variant int) ([]float64, error) {
	return s.m.pull(s.Name, name, variant, synapseKinds...)
}

// PushVar writes a variable of the synapse group (see PullVar).
func (s *SynapseGroup) PushVar(name string, variant int, vals []float64) error {
	return s.m.push(s.Name, name, variant, vals, synapseKinds...)
}

// PullVar returns a variable of the current source for one variant.
func (c *CurrentSource) PullVar(name string, variant int) ([]float64, error) {
	return c.m.pull(c.Name, name, variant, "current_source")
}

// PushVar writes a variable of the current source for one variant.
func (c *CurrentSource) PushVar(name string, variant int, vals []float64) error {
	return c.m.push(c.Name, name, variant, vals, "current_source")
}

// Reinit initialises every variable and the connectivity of the loaded
// variants again and resets time to step 0 (pygenn's reinitialise), e.g.
// after SetEGP changed a parameter that initialisation reads.
func (m *Model) Reinit() error {
	if err := m.loaded(); err != nil {
		return err
	}
	m.spikes.Reset()
	m.events, m.pending = nil, nil
	return m.inst.Init()
}

// Reinitialise is Reinit (pygenn's name).
func (m *Model) Reinitialise() error { return m.Reinit() }

// Unload frees the loaded variants (pygenn's unload); the built module
// stays, and Load runs it again.
func (m *Model) Unload() { m.unload() }

// egpIndex finds the loaded module's extra global parameter at path.
func (m *Model) egpIndex(path string) (int, error) {
	if err := m.loaded(); err != nil {
		return 0, err
	}
	if i := m.instMod.EGPIndex(path); i >= 0 {
		return i, nil
	}
	var have []string
	for _, e := range m.desc.EGPs {
		have = append(have, e.Path)
	}
	return 0, fmt.Errorf("genn: %s: no such extra global parameter in the model (it has: %v; a parameter must be given a value before Build to exist)", path, have)
}

// SetEGP sets extra global parameter path (its config path, e.g.
// populations.S.extra_global_params.spikeTimes,
// synapses.C.weight_update.vars.g.extra_global_params.kernel or
// synapses.C.connectivity.extra_global_params.x) of one variant: any number
// of values for a pointer (array) type, one for a scalar. Model code sees
// the new values from the next step; initialisation code from the next
// Reinit.
func (m *Model) SetEGP(path string, variant int, values []float64) error {
	i, err := m.egpIndex(path)
	if err != nil {
		return err
	}
	return m.inst.SetEGP(i, variant, values)
}

// PullEGP returns the values of extra global parameter path of one variant.
func (m *Model) PullEGP(path string, variant int) ([]float64, error) {
	i, err := m.egpIndex(path)
	if err != nil {
		return nil, err
	}
	return m.inst.GetEGP(i, variant)
}

// SetEGP sets an extra global parameter of the neuron model for one loaded
// variant (e.g. SpikeSourceArray's spikeTimes); see Model.SetEGP.
func (p *NeuronGroup) SetEGP(name string, variant int, values []float64) error {
	return p.m.SetEGP("populations."+p.Name+".extra_global_params."+name, variant, values)
}

// PullEGP returns an extra global parameter of the neuron model for one
// loaded variant.
func (p *NeuronGroup) PullEGP(name string, variant int) ([]float64, error) {
	return p.m.PullEGP("populations."+p.Name+".extra_global_params."+name, variant)
}

// SetEGP sets an extra global parameter of the weight-update model for one
// loaded variant; see Model.SetEGP.
func (s *SynapseGroup) SetEGP(name string, variant int, values []float64) error {
	return s.m.SetEGP("synapses."+s.Name+".weight_update.extra_global_params."+name, variant, values)
}

// PullEGP returns an extra global parameter of the weight-update model for
// one loaded variant.
func (s *SynapseGroup) PullEGP(name string, variant int) ([]float64, error) {
	return s.m.PullEGP("synapses."+s.Name+".weight_update.extra_global_params."+name, variant)
}

// SetEGP sets an extra global parameter of the current source model for
// one loaded variant; see Model.SetEGP.
func (c *CurrentSource) SetEGP(name string, variant int, values []float64) error {
	return c.m.SetEGP("current_sources."+c.Name+".extra_global_params."+name, variant, values)
}

// PullEGP returns an extra global parameter of the current source model
// for one loaded variant.
func (c *CurrentSource) PullEGP(name string, variant int) ([]float64, error) {
	return c.m.PullEGP("current_sources."+c.Name+".extra_global_params."+name, variant)
}

// MaxRowLength is the row stride of a sparse group's storage (0 otherwise).
func (s *SynapseGroup) MaxRowLength() int {
	for _, d := range s.m.desc.Synapses {
		if d.Name == s.Name {
			return d.MaxRowLength
		}
	}
	return 0
}

// Connectivity returns the synapses of one variant as (pre, post) pairs,
// row by row (for sparse matrices in storage order, so that the k-th pair
// is the k-th synapse of the row-major ragged layout). Dense matrices list
// every pair; procedural matrices store nothing and give an error.
func (s *SynapseGroup) Connectivity(variant int) (pre, post []int, err error) {
	if err := s.m.loaded(); err != nil {
		return nil, nil, err
	}
	npre, npost := s.Source.Size, s.Target.Size
	switch s.m.net.Synapses[s.index()].Matrix {
	case modelspec.MatrixDense:
		for i := 0; i < npre; i++ {
			for j := 0; j < npost; j++ {
				pre, post = append(pre, i), append(post, j)
			}
		}
		return pre, post, nil
	case modelspec.MatrixSparse:
		rl, ind, err := s.SparseRows(variant)
		if err != nil {
			return nil, nil, err
		}
		for i, n := range rl {
			for _, j := range ind[i][:n] {
				pre, post = append(pre, i), append(post, j)
			}
		}
		return pre, post, nil
	case modelspec.MatrixBitmask:
		gp, err := s.m.pull(s.Name, "gp", variant, "connectivity")
		if err != nil {
			return nil, nil, err
		}
		for i := 0; i < npre; i++ {
			for j := 0; j < npost; j++ {
				k := i*npost + j
				if uint32(gp[k/32])&(1<<(k%32)) != 0 {
					pre, post = append(pre, i), append(post, j)
				}
			}
		}
		return pre, post, nil
	}
	return nil, nil, fmt.Errorf("genn: synapses.%s: a procedural matrix stores no connectivity to read (use sparse to inspect the same realisation)", s.Name)
}

// SparseRows returns a sparse group's row lengths and, per row, its
// MaxRowLength slots of postsynaptic indices (the first rowLength[i] used),
// GeNN's rowLength and ind arrays.
func (s *SynapseGroup) SparseRows(variant int) (rowLength []int, ind [][]int, err error) {
	rl, err := s.m.pull(s.Name, "rowLength", variant, "connectivity")
	if err != nil {
		return nil, nil, err
	}
	flat, err := s.m.pull(s.Name, "ind", variant, "connectivity")
	if err != nil {
		return nil, nil, err
	}
	stride := s.MaxRowLength()
	rowLength = make([]int, len(rl))
	ind = make([][]int, len(rl))
	for i := range rl {
		rowLength[i] = int(rl[i])
		ind[i] = make([]int, stride)
		for k := 0; k < stride; k++ {
			ind[i][k] = int(flat[i*stride+k])
		}
	}
	return rowLength, ind, nil
}

func (s *SynapseGroup) index() int {
	for i, t := range s.m.syns {
		if t == s {
			return i
		}
	}
	return -1
}

func (m *Model) unload() {
	if m.inst != nil {
		m.inst.Close()
		m.inst = nil
	}
	if m.instMod != nil && m.instMod != m.module {
		_ = m.instMod.Close()
	}
	m.instMod = nil
}

// Close frees the loaded instance and unloads the module.
func (m *Model) Close() error {
	m.unload()
	if m.module != nil {
		err := m.module.Close()
		m.module = nil
		return err
	}
	return nil
}

// Network is the validated network the model was built from (nil before
// Build), for inspection.
func (m *Model) Network() *modelspec.Network { return m.net }

package gpu

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/gennctl/gennctl/codegen"
)

// protocol runs a job's actions between steps (Job.Protocol), resolved
// against the module once.
type protocol struct {
	actions []resolvedAction // by step, in the job's order within a step
	next    int              // index of the next action to run
}

type resolvedAction struct {
	Action
	index int // custom-update group, variable, extra global parameter or runtime slot
}

func newProtocol(m *Module, actions []Action) (*protocol, error) {
	p := &protocol{}
	for _, a := range actions {
		r := resolvedAction{Action: a}
		switch a.Kind {
		case ActionCustomUpdate:
			r.index = m.CustomUpdateGroup(a.Name)
		case ActionSetVar:
			r.index = m.VarIndexOfKind(a.Owner, a.VarKind, a.Name)
		case ActionSetEGP:
			r.index = m.EGPIndex(a.Path)
		case ActionSetRuntime:
			r.index = slices.Index(m.desc.Runtime, a.Path)
			if r.index >= 0 && !m.desc.SetRuntime {
				return nil, fmt.Errorf("gpu: protocol: module %s (backend %s) cannot set parameters at run time (%s)", m.path, m.desc.Backend, a.Path)
			}
		default:
			return nil, fmt.Errorf("gpu: protocol: unknown action %q", a.Kind)
		}
		if r.index < 0 {
			return nil, fmt.Errorf("gpu: protocol: module %s has no %s target %s", m.path, a.Kind, describeAction(a))
		}
		p.actions = append(p.actions, r)
	}
	sort.SliceStable(p.actions, func(i, j int) bool { return p.actions[i].Step < p.actions[j].Step })
	return p, nil
}

func describeAction(a Action) string {
	switch a.Kind {
	case ActionCustomUpdate:
		return a.Name
	case ActionSetVar:
		return a.VarKind + " variable " + a.Owner + "." + a.Name
	}
	return a.Path
}

// nextStep is the step of the next action (math.MaxUint64 when none).
func (p *protocol) nextStep() uint64 {
	if p.next >= len(p.actions) {
		return math.MaxUint64
	}
	return p.actions[p.next].Step
}

// run runs the actions of time step step.
func (p *protocol) run(inst *Instance, step uint64) error {
	for p.next < len(p.actions) && p.actions[p.next].Step <= step {
		a := p.actions[p.next]
		p.next++
		var err error
		switch a.Kind {
		case ActionCustomUpdate:
			err = inst.CustomUpdate(a.index, a.Variant)
		case ActionSetEGP:
			err = inst.SetEGP(a.index, a.Variant, a.Values)
		case ActionSetRuntime:
			if len(a.Values) != 1 {
				return fmt.Errorf("gpu: protocol: %s takes one value, got %d", a.Path, len(a.Values))
			}
			err = inst.SetRuntime(a.index, a.Variant, a.Values[0])
		case ActionSetVar:
			vals := a.Values
			if len(vals) == 1 {
				vals = slices.Repeat(vals, inst.m.desc.Vars[a.index].Count)
			}
			err = inst.SetVar(a.index, a.Variant, vals)
		}
		if err != nil {
			return fmt.Errorf("protocol at time step %d: %w", step, err)
		}
	}
	return nil
}

// synapseRecorder samples per-synapse variables (Job.RecordSynapses).
type synapseRecorder struct {
	specs []SynapseRecordSpec
	vars  []int
	// per spec and variant: the recorded synapses (pre, post, storage index)
	syns [][][][3]uint32
	next []uint64
	buf  []float64
}

// newSynapseRecorder resolves the specs and finds the recorded synapses of
// every variant of the initialised instance in its connectivity.
func newSynapseRecorder(inst *Instance, specs []SynapseRecordSpec) (*synapseRecorder, error) {
	m := inst.m
	r := &synapseRecorder{specs: specs, vars: make([]int, len(specs)), syns: make([][][][3]uint32, len(specs)), next: make([]uint64, len(specs))}
	for i, s := range specs {
		vi := m.VarIndexOfKind(s.Owner, "synapse", s.Name)
		if vi < 0 {
			return nil, fmt.Errorf("gpu: record: module %s stores no per-synapse variable %s.%s", m.path, s.Owner, s.Name)
		}
		if s.EverySteps == 0 {
			return nil, fmt.Errorf("gpu: record: %s.%s: EverySteps must be positive", s.Owner, s.Name)
		}
		r.vars[i] = vi
		var sd *codegen.SynapseDesc
		for k := range m.desc.Synapses {
			if m.desc.Synapses[k].Name == s.Owner {
				sd = &m.desc.Synapses[k]
			}
		}
		if sd == nil {
			return nil, fmt.Errorf("gpu: record: module %s has no synapse group %s", m.path, s.Owner)
		}
		npre, npost := m.popSize(sd.Source), m.popSize(sd.Target)
		pre, post := selection(s.Pre, npre), selection(s.Post, npost)
		for b := 0; b < inst.Batch(); b++ {
			var list [][3]uint32
			switch sd.Matrix {
			case "dense":
				for i := 0; i < npre; i++ {
					for j := 0; j < npost; j++ {
						if pre[i] && post[j] {
							list = append(list, [3]uint32{uint32(i), uint32(j), uint32(i*npost + j)})
						}
					}
				}
			case "sparse":
				rl, err := inst.GetVar(m.VarIndexOfKind(s.Owner, "connectivity", "rowLength"), b)
				if err != nil {
					return nil, err
				}
				ind, err := inst.GetVar(m.VarIndexOfKind(s.Owner, "connectivity", "ind"), b)
				if err != nil {
					return nil, err
				}
				for i, n := range rl {
					for k := 0; k < int(n); k++ {
						syn := i*sd.MaxRowLength + k
						if j := int(ind[syn]); pre[i] && post[j] {
							list = append(list, [3]uint32{uint32(i), uint32(j), uint32(syn)})
						}
					}
				}
			default:
				return nil, fmt.Errorf("gpu: record: %s.%s: per-synapse variables of a %s matrix are not stored", s.Owner, s.Name, sd.Matrix)
			}
			r.syns[i] = append(r.syns[i], list)
		}
	}
	return r, nil
}

// popSize is the size of population name of the module.
func (m *Module) popSize(name string) int {
	for _, p := range m.desc.Populations {
		if p.Name == name {
			return p.Size
		}
	}
	return 0
}

// selection is the set of indices below n in idx (every index when nil).
func selection(idx []uint32, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = idx == nil
	}
	for _, i := range idx {
		if int(i) < n {
			out[i] = true
		}
	}
	return out
}

// nextStep is the earliest step a spec wants a sample at.
func (r *synapseRecorder) nextStep() uint64 {
	n := uint64(math.MaxUint64)
	for _, x := range r.next {
		n = min(n, x)
	}
	return n
}

// sample sends the samples due at the instance's current step, in chunks
// of at most maxChunkSpikes values.
func (r *synapseRecorder) sample(inst *Instance, emit func(SynapseChunk) error, sent *uint64) error {
	step := inst.Timestep()
	for i, s := range r.specs {
		if r.next[i] != step {
			continue
		}
		r.next[i] = step + uint64(s.EverySteps)
		c := SynapseChunk{Spec: i, Step: uint32(step)}
		flush := func() error {
			if c.Len() == 0 {
				return nil
			}
			*sent += uint64(c.Len())
			if err := emit(c); err != nil {
				return &writeError{err}
			}
			c = SynapseChunk{Spec: i, Step: uint32(step)}
			return nil
		}
		for b := 0; b < inst.Batch(); b++ {
			vals, err := inst.GetVarInto(r.vars[i], b, r.buf)
			if err != nil {
				return err
			}
			r.buf = vals
			for _, e := range r.syns[i][b] {
				c.Variant = append(c.Variant, uint32(b))
				c.Pre = append(c.Pre, e[0])
				c.Post = append(c.Post, e[1])
				c.Synapse = append(c.Synapse, e[2])
				c.Value = append(c.Value, vals[e[2]])
				if c.Len() >= maxChunkSpikes {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

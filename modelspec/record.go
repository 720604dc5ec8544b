package modelspec

import (
	"fmt"
	"math"

	"gopkg.in/yaml.v3"
)

// recordable is a variable that record.vars may name.
type recordable struct {
	Name, Kind, Of string
	Size           int
}

// recordVars decodes record.vars: {Var: {every: ms, neurons: ...}}. have
// lists the recordable variables of the owner (in the order the error lists
// them).
func (d *decoder) recordVars(n *yaml.Node, path, owner string, have []recordable) []RecordVar {
	entries, _ := d.mapping(n, path)
	return d.recordEntries(entries, path, owner, have, nil)
}

// recordSynapseGroup decodes a synapse group's record.vars: its
// per-synapse variables ({every, pre, post}, see RecordSynapseVar) and the
// others (as recordVars).
func (d *decoder) recordSynapseGroup(n *yaml.Node, path, owner string, have []recordable, perSynapse []string, s *SynapseGroup) ([]RecordVar, []RecordSynapseVar) {
	entries, _ := d.mapping(n, path)
	var rest []entry
	var syn []RecordSynapseVar
	for _, e := range entries {
		if !contains(perSynapse, e.Key) {
			rest = append(rest, e)
			continue
		}
		vp := join(path, e.Key)
		r := RecordSynapseVar{Var: e.Key, Every: d.dt, EverySteps: 1, Pos: d.pos(e.KeyN), Path: vp}
		f := d.fields(e.Value, vp, "every", "pre", "post")
		ok := d.every(f, vp, &r.Every, &r.EverySteps)
		for _, side := range []struct {
			key string
			p   *Population
			to  *[]uint32
		}{{"pre", s.Source, &r.Pre}, {"post", s.Target, &r.Post}} {
			if ne, has := f[side.key]; has {
				rv := &recordable{Name: e.Key, Kind: side.key, Of: side.p.Name, Size: side.p.Size}
				nn, good := d.neurons(ne.Value, vp+"."+side.key, rv)
				*side.to, ok = nn, ok && good
			}
		}
		if ok {
			syn = append(syn, r)
		}
	}
	return d.recordEntries(rest, path, owner, have, perSynapse), syn
}

// every decodes a sampling interval (every: ms, a multiple of dt) into
// every and steps; false after an error.
func (d *decoder) every(f map[string]entry, path string, every *float64, steps *uint32) bool {
	ev, has := f["every"]
	if !has {
		return true
	}
	v, good := d.float(ev.Value, path+".every")
	if !good {
		return false
	}
	k, fine := everySteps(v, d.dt)
	if !fine {
		d.errorf(ev.Value, path+".every", "every must be a positive multiple of dt (%g ms), got %g", d.dt, v)
		return false
	}
	*every, *steps = v, k
	return true
}

// recordEntries decodes the entries of record.vars that name variables of
// have; also lists the owner's other recordable variables for messages.
func (d *decoder) recordEntries(entries []entry, path, owner string, have []recordable, also []string) []RecordVar {
	var out []RecordVar
	var names []string
	for _, h := range have {
		names = append(names, h.Name)
	}
	names = append(names, also...)
	for _, e := range entries {
		vp := join(path, e.Key)
		var rv *recordable
		for i := range have {
			if have[i].Name == e.Key {
				if rv != nil {
					d.errorf(e.KeyN, vp, "variable %q is ambiguous: %s has a %s and a %s variable of that name", e.Key, owner, rv.Kind, have[i].Kind)
					rv = nil
					break
				}
				rv = &have[i]
			}
		}
		if rv == nil {
			if !contains(names, e.Key) {
				d.errorf(e.KeyN, vp, "cannot record unknown variable %q of %s (have %s)", e.Key, owner, listNames(names))
			}
			continue
		}
		r := RecordVar{Var: rv.Name, Kind: rv.Kind, Of: rv.Of, Size: rv.Size, Every: d.dt, EverySteps: 1, Pos: d.pos(e.KeyN), Path: vp}
		f := d.fields(e.Value, vp, "every", "neurons")
		ok := d.every(f, vp, &r.Every, &r.EverySteps)
		if ne, has := f["neurons"]; has {
			nn, good := d.neurons(ne.Value, vp+".neurons", rv)
			r.Neurons, ok = nn, ok && good
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// everySteps returns every/dt when every is a positive whole multiple of
// dt (within StepTolerance relative).
func everySteps(every, dt float64) (uint32, bool) {
	if !(every > 0) || !(dt > 0) {
		return 0, false
	}
	k := math.Round(every / dt)
	if k < 1 || k > math.MaxUint32 || math.Abs(every-k*dt) > StepTolerance*every {
		return 0, false
	}
	return uint32(k), true
}

// neurons decodes `all`, a list of indices or {range: [start, stop, step]}
// (stop excluded, step default 1). nil means all.
func (d *decoder) neurons(n *yaml.Node, path string, rv *recordable) ([]uint32, bool) {
	n = resolve(n)
	what := func() string {
		if rv.Kind == VarKindNeuron {
			return fmt.Sprintf("population %s has %d neurons", rv.Of, rv.Size)
		}
		return fmt.Sprintf("its elements are the neurons of population %s, which has %d", rv.Of, rv.Size)
	}
	switch {
	case n == nil:
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		if n.Value == "all" {
			return nil, true
		}
	case n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.errorf(n, path, "empty list: give neuron indices, all or {range: [start, stop, step]}")
			return nil, false
		}
		out := make([]uint32, 0, len(n.Content))
		seen := map[int64]bool{}
		ok := true
		for i, c := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			v, good := d.integer(c, ip, math.MinInt64, math.MaxInt64)
			if !good {
				ok = false
				continue
			}
			if rv.Size >= 0 && (v < 0 || v >= int64(rv.Size)) {
				d.errorf(c, ip, "neuron index %d out of range [0, %d): %s", v, rv.Size, what())
				ok = false
				continue
			}
			if seen[v] {
				d.errorf(c, ip, "neuron %d is listed twice", v)
				ok = false
				continue
			}
			seen[v] = true
			out = append(out, uint32(v))
		}
		return out, ok
	case n.Kind == yaml.MappingNode:
		f := d.fields(n, path, "range")
		re, has := f["range"]
		if !has {
			if len(f) == 0 && len(n.Content) == 0 {
				d.errorf(n, path, "expected {range: [start, stop, step]}")
			}
			return nil, false
		}
		rp := path + ".range"
		rn := resolve(re.Value)
		if rn == nil || rn.Kind != yaml.SequenceNode || len(rn.Content) < 2 || len(rn.Content) > 3 {
			d.errorf(re.Value, rp, "expected [start, stop] or [start, stop, step] (stop excluded), got %s", describeNode(rn))
			return nil, false
		}
		var v [3]int64
		v[2] = 1
		for i, c := range rn.Content {
			x, good := d.integer(c, fmt.Sprintf("%s[%d]", rp, i), math.MinInt64, math.MaxInt64)
			if !good {
				return nil, false
			}
			v[i] = x
		}
		start, stop, step := v[0], v[1], v[2]
		switch {
		case step < 1:
			d.errorf(rn, rp, "step must be at least 1, got %d", step)
		case start < 0 || (rv.Size >= 0 && start >= int64(rv.Size)):
			d.errorf(rn, rp, "start %d out of range [0, %d): %s", start, rv.Size, what())
		case stop <= start:
			d.errorf(rn, rp, "stop %d must be greater than start %d (stop is excluded)", stop, start)
		case rv.Size >= 0 && stop > int64(rv.Size):
			d.errorf(rn, rp, "stop %d is beyond the last neuron (stop is excluded, at most %d): %s", stop, rv.Size, what())
		default:
			out := make([]uint32, 0, (stop-start+step-1)/step)
			for i := start; i < stop; i += step {
				out = append(out, uint32(i))
			}
			return out, true
		}
		return nil, false
	}
	d.errorf(n, path, "expected all, a list of neuron indices or {range: [start, stop, step]}, got %s", describeNode(n))
	return nil, false
}

// recordablePopulation lists a population's recordable variables.
func recordablePopulation(p *Population) []recordable {
	var out []recordable
	for _, v := range p.Model.Vars {
		out = append(out, recordable{v.Name, VarKindNeuron, p.Name, sharedSize(v, p.Size)})
	}
	return out
}

// recordableSynapses lists a synapse group's recordable variables: inSyn
// and the postsynaptic model's variables, the weight update's pre and post
// variables; and its per-synapse variables (recorded with pre and post
// indices, see RecordSynapseVar).
func recordableSynapses(s *SynapseGroup) (have []recordable, perSynapse []string) {
	of := func(p *Population) (string, int) {
		if p == nil {
			return "?", -1
		}
		return p.Name, p.Size
	}
	tn, ts := of(s.Target)
	sn, ss := of(s.Source)
	have = append(have, recordable{"inSyn", VarKindPostsynaptic, tn, ts})
	if m := s.Postsynaptic.Model; m != nil {
		for _, v := range m.Vars {
			have = append(have, recordable{v.Name, VarKindPostsynaptic, tn, sharedSize(v, ts)})
		}
	}
	if m := s.WeightUpdate.Model; m != nil {
		for _, v := range m.PreVars {
			have = append(have, recordable{v.Name, VarKindPre, sn, sharedSize(v, ss)})
		}
		for _, v := range m.PostVars {
			have = append(have, recordable{v.Name, VarKindPost, tn, sharedSize(v, ts)})
		}
		for _, v := range m.Vars {
			perSynapse = append(perSynapse, v.Name)
		}
	}
	return have, perSynapse
}

// recordableCurrentSource lists a current source's recordable variables.
func recordableCurrentSource(c *CurrentSource) []recordable {
	var out []recordable
	for _, v := range c.Model.Vars {
		out = append(out, recordable{v.Name, VarKindCurrentSource, c.Target.Name, sharedSize(v, c.Target.Size)})
	}
	return out
}

// sharedSize is the number of elements of variable v of a group of n: one
// when it is shared by the neurons.
func sharedSize(v Var, n int) int {
	if v.SharedNeuron() && n >= 0 {
		return 1
	}
	return n
}

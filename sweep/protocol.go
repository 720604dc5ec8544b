package sweep

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// The protocol section (modelspec.ProtocolEvent) at run time. Custom-update
// triggers and settings become worker actions (gpu.Action) of each
// variant; a setting of a parameter becomes settings of the runtime slots
// of the parameter and of its owner's derived parameters, computed here
// from the variant's values as the protocol changes them (so the
// parameter and every derived parameter of its model instance are runtime
// slots of the module, see protocolRuntime). Starting and stopping
// recordings filters what the worker sends (recordingWindows), so they do
// not change the job.

// paramOwner is the model instance a parameter path belongs to.
type paramOwner struct {
	prefix  string // config path of the instance, e.g. populations.E
	params  modelspec.Params
	derived []modelspec.DerivedParam
	dvals   modelspec.Params
}

// paramOwners lists the model instances of a network whose parameters a
// protocol may set.
func paramOwners(net *modelspec.Network) []paramOwner {
	var out []paramOwner
	add := func(prefix string, ps modelspec.Params, dps []modelspec.DerivedParam, ds modelspec.Params) {
		out = append(out, paramOwner{prefix, ps, dps, ds})
	}
	for _, p := range net.Populations {
		add("populations."+p.Name, p.Params, p.Model.DerivedParams, p.Derived)
	}
	for _, s := range net.Synapses {
		add("synapses."+s.Name+".weight_update", s.WeightUpdate.Params, s.WeightUpdate.Model.DerivedParams, s.WeightUpdate.Derived)
		add("synapses."+s.Name+".postsynaptic", s.Postsynaptic.Params, s.Postsynaptic.Model.DerivedParams, s.Postsynaptic.Derived)
	}
	for _, c := range net.CurrentSources {
		add("current_sources."+c.Name, c.Params, c.Model.DerivedParams, c.Derived)
	}
	for _, c := range net.CustomUpdates {
		add("custom_updates."+c.Name, c.Params, c.Model.DerivedParams, c.Derived)
	}
	return out
}

// ownerOf finds the instance of a parameter path.
func ownerOf(net *modelspec.Network, path string) (paramOwner, string, bool) {
	for _, o := range paramOwners(net) {
		if name, ok := strings.CutPrefix(path, o.prefix+".params."); ok {
			if _, has := o.params[name]; has {
				return o, name, true
			}
		}
	}
	return paramOwner{}, "", false
}

// protocolRuntime lists the config paths a network's protocol sets at run
// time: the parameters it sets and every derived parameter of their
// instances (they must be runtime slots of the module).
func protocolRuntime(net *modelspec.Network) map[string]bool {
	out := map[string]bool{}
	for _, ev := range net.Protocol {
		for _, s := range ev.Settings {
			if s.Kind != modelspec.SetParam {
				continue
			}
			out[s.Path] = true
			if o, _, ok := ownerOf(net, s.Path); ok {
				for _, v := range o.dvals {
					out[v.Path] = true
				}
			}
		}
	}
	return out
}

// protocolActions are the worker actions of a variant's network, the k-th
// variant of its batch, in time order (document order within a step).
func protocolActions(net *modelspec.Network, k int) ([]gpu.Action, error) {
	steps := net.Sim.Steps()
	// the parameter values of each instance as the protocol changes them
	current := map[string]map[string]float64{}
	values := func(o paramOwner) map[string]float64 {
		if m, ok := current[o.prefix]; ok {
			return m
		}
		m := map[string]float64{}
		for name, p := range o.params {
			m[name] = p.V
		}
		current[o.prefix] = m
		return m
	}
	type timed struct {
		step  uint64
		order int // index of the protocol entry
	}
	var events []timed
	for i, ev := range net.Protocol {
		for _, step := range ev.Steps(steps) {
			events = append(events, timed{step: step, order: i})
		}
	}
	// time order; document order within a step, as the events are listed
	// by entry and the sort is stable
	sort.SliceStable(events, func(i, j int) bool { return events[i].step < events[j].step })
	var out []gpu.Action
	for _, e := range events {
		ev := net.Protocol[e.order]
		switch ev.Kind {
		case modelspec.ProtocolCustomUpdate:
			for _, g := range ev.Groups {
				out = append(out, gpu.Action{Step: e.step, Variant: k, Kind: gpu.ActionCustomUpdate, Name: g})
			}
		case modelspec.ProtocolSet:
			for _, s := range ev.Settings {
				switch s.Kind {
				case modelspec.SetVar:
					out = append(out, gpu.Action{Step: e.step, Variant: k, Kind: gpu.ActionSetVar, Owner: s.Owner, VarKind: s.VarKind, Name: s.Var, Values: s.Values})
				case modelspec.SetEGP:
					out = append(out, gpu.Action{Step: e.step, Variant: k, Kind: gpu.ActionSetEGP, Path: s.Path, Values: s.Values})
				case modelspec.SetParam:
					o, name, ok := ownerOf(net, s.Path)
					if !ok {
						return nil, fmt.Errorf("%s: protocol: %s is not a parameter", s.Pos, s.Path)
					}
					vals := values(o)
					vals[name] = s.Values[0]
					out = append(out, gpu.Action{Step: e.step, Variant: k, Kind: gpu.ActionSetRuntime, Path: s.Path, Values: s.Values})
					derived, err := modelspec.EvalDerived(o.derived, vals, net.Sim.DT)
					if err != nil {
						return nil, fmt.Errorf("%s: protocol: %s = %g: %v", s.Pos, s.Path, s.Values[0], err)
					}
					for _, dp := range o.derived {
						out = append(out, gpu.Action{Step: e.step, Variant: k, Kind: gpu.ActionSetRuntime,
							Path: o.dvals[dp.Name].Path, Values: []float64{derived[dp.Name]}})
					}
				}
			}
		}
	}
	return out, nil
}

// recordingWindows says, for one variant, whether what owner records at a
// time step is kept: start_recording and stop_recording toggle it from
// their step on (every recording is on at step 0).
type recordingWindows struct {
	toggles []toggle // in time order
}

type toggle struct {
	step   uint64
	owners []string // nil: every owner
	on     bool
}

func windowsOf(net *modelspec.Network) recordingWindows {
	var w recordingWindows
	steps := net.Sim.Steps()
	for _, ev := range net.Protocol {
		if ev.Kind != modelspec.ProtocolStartRecording && ev.Kind != modelspec.ProtocolStopRecording {
			continue
		}
		for _, s := range ev.Steps(steps) {
			w.toggles = append(w.toggles, toggle{s, ev.Owners, ev.Kind == modelspec.ProtocolStartRecording})
		}
	}
	sort.SliceStable(w.toggles, func(i, j int) bool { return w.toggles[i].step < w.toggles[j].step })
	return w
}

// on reports whether owner's recording at step is kept.
func (w recordingWindows) on(owner string, step uint64) bool {
	on := true
	for _, t := range w.toggles {
		if t.step > step {
			break
		}
		if t.owners == nil || slices.Contains(t.owners, owner) {
			on = t.on
		}
	}
	return on
}

// always reports whether nothing is ever stopped.
func (w recordingWindows) always() bool { return len(w.toggles) == 0 }

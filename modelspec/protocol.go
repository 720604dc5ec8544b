package modelspec

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The protocol section: what a PyGeNN script does between time steps,
// scheduled at given times or every interval. A sweep has no host loop of
// its own, so its worker runs the protocol between the steps of each
// variant (see gpu.Job.Protocol).
//
//	protocol:
//	  - {every: 100.0, custom_update: Test}
//	  - {at: 20.0, set: {path: current_sources.stim.params.amp, value: 0.5}}
//	  - {at: 50.0, set: [{path: populations.E.vars.V, value: -60.0}]}
//	  - {at: 0.0, stop_recording: [E]}
//	  - {at: 500.0, start_recording: all}
//
// At time T (after T/dt steps, before the step that starts at T) the events
// due run in document order, then state is sampled, as a script that steps
// to T, changes things and then pulls state. Numbers of the protocol (times,
// values) may be swept like any other (protocol.0.at, protocol.1.set.value).

// Kinds of protocol events.
const (
	ProtocolCustomUpdate   = "custom_update"
	ProtocolSet            = "set"
	ProtocolStartRecording = "start_recording"
	ProtocolStopRecording  = "stop_recording"
)

// Kinds of protocol assignments (ProtocolSetting.Kind).
const (
	SetParam = "param" // a model parameter: a runtime value of the module
	SetVar   = "var"   // a state variable (gn_set_var)
	SetEGP   = "egp"   // an extra global parameter (gn_set_egp)
)

// ProtocolEvent is one entry of the protocol: an action of Kind at time
// steps First, First+Every, ... up to Last (Every 0: once, at First).
type ProtocolEvent struct {
	Kind               string
	First, Every, Last uint64
	// Groups are the custom-update groups triggered, in order.
	Groups []string
	// Settings are the assignments of a set event, in order.
	Settings []ProtocolSetting
	// Owners whose recording starts or stops: populations (spikes, spike
	// events, variables), synapse groups and current sources (variables);
	// nil means every recording.
	Owners []string
	Pos    Pos
	Path   string
}

// Steps lists the time steps of the event up to the end of the run
// (steps), in order.
func (e ProtocolEvent) Steps(steps uint64) []uint64 {
	var out []uint64
	for s := e.First; s <= e.Last && s <= steps; s += e.Every {
		out = append(out, s)
		if e.Every == 0 {
			break
		}
	}
	return out
}

// ProtocolSetting assigns Values to what config path Path names: a model
// parameter (SetParam; one value), a variable (SetVar: variable Var of kind
// VarKind of Owner; one value for every element, or one per element) or an
// extra global parameter (SetEGP; its new values).
type ProtocolSetting struct {
	Path                string
	Kind                string
	Owner, VarKind, Var string
	Values              []float64
	Pos                 Pos
}

func (d *decoder) protocol(n *yaml.Node, net *Network) []ProtocolEvent {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "protocol", "expected a list of events ({at: ms, custom_update: group}, ...), got %s", kindName(n))
		return nil
	}
	steps := net.Sim.Steps()
	var out []ProtocolEvent
	for i, c := range n.Content {
		path := fmt.Sprintf("protocol.%d", i)
		f := d.fields(c, path, "at", "every", "from", "until", ProtocolCustomUpdate, ProtocolSet, ProtocolStartRecording, ProtocolStopRecording)
		ev := ProtocolEvent{Pos: d.pos(c), Path: path, Last: steps}
		if !d.protocolTimes(f, c, path, steps, &ev) {
			continue
		}
		var kinds []string
		for _, k := range []string{ProtocolCustomUpdate, ProtocolSet, ProtocolStartRecording, ProtocolStopRecording} {
			if _, ok := f[k]; ok {
				kinds = append(kinds, k)
			}
		}
		if len(kinds) != 1 {
			d.errorf(c, path, "expected exactly one action (custom_update, set, start_recording or stop_recording), got %s; give several at one time as consecutive entries", listNames(kinds))
			continue
		}
		ev.Kind = kinds[0]
		e := f[ev.Kind]
		ap := path + "." + ev.Kind
		ok := true
		switch ev.Kind {
		case ProtocolCustomUpdate:
			ev.Groups, ok = d.updateGroups(e.Value, ap, net)
		case ProtocolSet:
			ev.Settings, ok = d.settings(e.Value, ap, net)
		default:
			ev.Owners, ok = d.recordingOwners(e.Value, ap, net)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out
}

// protocolTimes decodes at, or every with from (default every) and until
// (default the duration), into time steps.
func (d *decoder) protocolTimes(f map[string]entry, at *yaml.Node, path string, steps uint64, ev *ProtocolEvent) bool {
	step := func(key string) (uint64, bool) { return d.timeStep(f[key], path+"."+key, steps) }
	_, hasAt := f["at"]
	_, hasEvery := f["every"]
	switch {
	case hasAt && hasEvery:
		d.errorf(f["every"].KeyN, path, "give at (once) or every (repeatedly), not both")
		return false
	case hasAt:
		for _, k := range []string{"from", "until"} {
			if e, ok := f[k]; ok {
				d.errorf(e.KeyN, path, "%s goes with every, not at", k)
				return false
			}
		}
		s, ok := step("at")
		ev.First, ev.Last = s, s
		return ok
	case hasEvery:
		var every uint32
		var ms float64
		if !d.every(f, path, &ms, &every) {
			return false
		}
		ev.Every, ev.First = uint64(every), uint64(every)
		ok := true
		if _, has := f["from"]; has {
			ev.First, ok = step("from")
		}
		if _, has := f["until"]; has && ok {
			ev.Last, ok = step("until")
		}
		return ok
	}
	d.errorf(at, path, "missing: at (a time in ms) or every (an interval in ms)")
	return false
}

// timeStep decodes a time in ms (e.Key) that must be a multiple of dt
// between 0 and the duration (steps) into its time step.
func (d *decoder) timeStep(e entry, path string, steps uint64) (uint64, bool) {
	v, ok := d.float(e.Value, path)
	if !ok {
		return 0, false
	}
	k := math.Round(v / d.dt)
	if v < 0 || k > float64(steps) || math.Abs(v-k*d.dt) > 1e-9*math.Max(v, d.dt) {
		d.errorf(e.Value, path, "%s must be a multiple of dt (%g ms) between 0 and the duration (%g ms), got %g", e.Key, d.dt, float64(steps)*d.dt, v)
		return 0, false
	}
	return uint64(k), true
}

// updateGroups decodes a custom-update group name or a list of them.
func (d *decoder) updateGroups(n *yaml.Node, path string, net *Network) ([]string, bool) {
	var have []string
	for _, cu := range net.CustomUpdates {
		if !slices.Contains(have, cu.Group) {
			have = append(have, cu.Group)
		}
	}
	groups := d.nameList(n, path)
	ok := len(groups) > 0
	for _, g := range groups {
		if !slices.Contains(have, g) {
			d.errorf(n, path, "unknown custom update group %q (have %s)", g, listNames(have))
			ok = false
		}
	}
	return groups, ok
}

// nameList decodes a name or a list of names.
func (d *decoder) nameList(n *yaml.Node, path string) []string {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode {
		s, ok := d.str(r, path)
		if !ok {
			return nil
		}
		return []string{s}
	}
	return d.strings(n, path)
}

// recordingOwners decodes all or a list of names of groups that record.
func (d *decoder) recordingOwners(n *yaml.Node, path string, net *Network) ([]string, bool) {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.Value == "all" {
		return nil, true
	}
	have := map[string]bool{}
	for _, p := range net.Populations {
		have[p.Name] = p.RecordSpikes || p.RecordSpikeEvents || len(p.RecordVars) > 0
	}
	for _, s := range net.Synapses {
		have[s.Name] = len(s.RecordVars)+len(s.RecordSynapseVars) > 0
	}
	for _, c := range net.CurrentSources {
		have[c.Name] = len(c.RecordVars) > 0
	}
	var recording []string
	for _, k := range sortedKeys(have) {
		if have[k] {
			recording = append(recording, k)
		}
	}
	names := d.nameList(n, path)
	ok := len(names) > 0
	for _, name := range names {
		if !have[name] {
			d.errorf(n, path, "%q records nothing (recording: %s; or all)", name, listNames(recording))
			ok = false
		}
	}
	return names, ok
}

// settings decodes {path, value} or a list of them.
func (d *decoder) settings(n *yaml.Node, path string, net *Network) ([]ProtocolSetting, bool) {
	n = resolve(n)
	items := []*yaml.Node{n}
	paths := []string{path}
	if n != nil && n.Kind == yaml.SequenceNode {
		items, paths = n.Content, nil
		for i := range items {
			paths = append(paths, fmt.Sprintf("%s.%d", path, i))
		}
	}
	var out []ProtocolSetting
	ok := len(items) > 0
	for i, it := range items {
		s, good := d.setting(it, paths[i], net)
		if good {
			out = append(out, s)
		}
		ok = ok && good
	}
	return out, ok
}

func (d *decoder) setting(n *yaml.Node, path string, net *Network) (ProtocolSetting, bool) {
	f := d.fields(n, path, "path", "value")
	pe, hasPath := f["path"]
	ve, hasValue := f["value"]
	if !hasPath || !hasValue {
		d.errorf(n, path, "expected {path: <config path>, value: <number or list>}")
		return ProtocolSetting{}, false
	}
	target, ok := d.str(pe.Value, path+".path")
	if !ok {
		return ProtocolSetting{}, false
	}
	var vals []float64
	if v := resolve(ve.Value); v.Kind == yaml.ScalarNode {
		x, good := d.float(v, path+".value")
		vals, ok = []float64{x}, good
	} else {
		vals, ok = d.floats(v, path+".value")
	}
	if !ok {
		return ProtocolSetting{}, false
	}
	s := ProtocolSetting{Path: target, Values: vals, Pos: d.pos(ve.Value)}
	if isParamPath(net, target) {
		s.Kind = SetParam
		if len(vals) != 1 {
			d.errorf(ve.Value, path+".value", "%s is a parameter: give one number", target)
			return s, false
		}
		return s, true
	}
	for _, e := range net.EGPValues() {
		if e.Path == target {
			s.Kind = SetEGP
			return s, true
		}
	}
	if t, size, ok := settableVar(net, target); ok {
		s.Kind, s.Owner, s.VarKind, s.Var = SetVar, t.Owner, t.Kind, t.Var
		if len(vals) != 1 && size >= 0 && len(vals) != size {
			d.errorf(ve.Value, path+".value", "%s has %d elements: give one number for all or %d numbers, not %d", target, size, size, len(vals))
			return s, false
		}
		return s, true
	}
	d.errorf(pe.Value, path+".path", "%q is not a parameter, variable or extra global parameter of the network (e.g. populations.E.params.TauM, populations.E.vars.V, current_sources.C.params.amp, populations.S.extra_global_params.spikeTimes)", target)
	return s, false
}

// isParamPath reports whether path is a model parameter of the network
// (not an initialisation or connectivity parameter, which only the next
// initialisation reads).
func isParamPath(net *Network, path string) bool {
	prefixes := []string{}
	for _, p := range net.Populations {
		prefixes = append(prefixes, "populations."+p.Name+".params.")
	}
	for _, s := range net.Synapses {
		prefixes = append(prefixes, "synapses."+s.Name+".weight_update.params.", "synapses."+s.Name+".postsynaptic.params.")
	}
	for _, c := range net.CurrentSources {
		prefixes = append(prefixes, "current_sources."+c.Name+".params.")
	}
	for _, c := range net.CustomUpdates {
		prefixes = append(prefixes, "custom_updates."+c.Name+".params.")
	}
	for _, v := range net.Values() {
		if v.Path != path {
			continue
		}
		for _, p := range prefixes {
			if name, ok := strings.CutPrefix(path, p); ok && !strings.Contains(name, ".") {
				return true
			}
		}
	}
	return false
}

// settableVar resolves the config path of a variable's initial value
// (populations.E.vars.V, synapses.S.weight_update.vars.g, ...pre_vars.x,
// ...post_vars.y, synapses.S.postsynaptic.vars.z, current_sources.C.vars.v,
// custom_updates.U.vars.w) to the variable and its number of elements (-1
// for per-synapse variables of sparse matrices, known only at run time).
func settableVar(net *Network, path string) (VarTarget, int, bool) {
	parts := strings.Split(path, ".")
	if len(parts) < 4 {
		return VarTarget{}, 0, false
	}
	owner, name := parts[1], parts[len(parts)-1]
	kind := ""
	switch section := strings.Join(parts[2:len(parts)-1], "."); {
	case parts[0] == "populations" && section == "vars":
		kind = VarKindNeuron
	case parts[0] == "synapses" && section == "weight_update.vars":
		kind = VarKindSynapse
	case parts[0] == "synapses" && section == "weight_update.pre_vars":
		kind = VarKindPre
	case parts[0] == "synapses" && section == "weight_update.post_vars":
		kind = VarKindPost
	case parts[0] == "synapses" && section == "postsynaptic.vars":
		kind = VarKindPostsynaptic
	case parts[0] == "current_sources" && section == "vars":
		kind = VarKindCurrentSource
	case parts[0] == "custom_updates" && section == "vars":
		kind = VarKindCustomUpdate
	default:
		return VarTarget{}, 0, false
	}
	for _, c := range targetCandidates(net, owner, name) {
		if c.t.Kind != kind {
			continue
		}
		size := c.size.n
		switch {
		case Var{Access: c.t.Access}.SharedNeuron():
			size = 1
		case c.syn != nil && c.syn.Matrix == MatrixDense:
			size = c.syn.Source.Size * c.syn.Target.Size
		case c.syn != nil:
			size = -1
		}
		return c.t, size, true
	}
	return VarTarget{}, 0, false
}

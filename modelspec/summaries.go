package modelspec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Summary statistics of a population's spikes (Summary.Stats).
const (
	StatCount     = "count"     // spikes in the window
	StatRate      = "rate"      // spikes per neuron per second (Hz)
	StatCVISI     = "cv_isi"    // coefficient of variation of inter-spike intervals
	StatFano      = "fano"      // Fano factor of spike counts in bins
	StatSynchrony = "synchrony" // Golomb–Rinzel chi of spike counts in bins
)

// MaxPerNeuron bounds the neurons of a per_neuron summary: it makes a
// column of the variants table per neuron and statistic, each as long as
// the sweep.
const MaxPerNeuron = 1024

// SummaryStats lists the spike statistics in the order of the variants
// table's columns.
var SummaryStats = []string{StatCount, StatRate, StatCVISI, StatFano, StatSynchrony}

// Summary asks for statistics of one population over a window of the run,
// computed while the spikes and samples stream from the worker and written
// as columns of the variants table.
type Summary struct {
	Population string
	// Stats are spike statistics (Stat*), in SummaryStats order.
	Stats []string
	// Vars are recorded variables of the population whose mean and
	// standard deviation over the window are wanted, in document order.
	Vars []string
	// PerNeuron adds per-neuron values (list columns) to the population's.
	PerNeuron bool
	// The window: spikes of steps FromStep <= step < ToStep, samples of
	// steps FromStep <= step <= ToStep; From and To in ms.
	From, To         float64
	FromStep, ToStep uint64
	// Bin is the bin of the Fano factor and synchrony (ms, BinSteps
	// steps); 0 when neither is asked.
	Bin      float64
	BinSteps uint64
	Pos      Pos
	Path     string // summaries.<population>
}

// summaries decodes the summaries section: {population: {stats, vars,
// per_neuron, bin, from, to}}. A population with spike statistics records
// its spikes (for the summaries only, SpikesUnwritten, unless record.spikes
// is true); the variables must be recorded (record.vars), since the
// summaries read their samples.
func (d *decoder) summaries(n *yaml.Node, net *Network) []Summary {
	entries, _ := d.mapping(n, "summaries")
	var out []Summary
	steps := net.Sim.Steps()
	for _, e := range entries {
		path := "summaries." + e.Key
		p := net.Population(e.Key)
		if p == nil {
			var have []string
			for _, q := range net.Populations {
				have = append(have, q.Name)
			}
			d.errorf(e.KeyN, path, "unknown population %q (have %s)", e.Key, listNames(have))
			continue
		}
		s := Summary{Population: p.Name, Pos: d.pos(e.KeyN), Path: path, ToStep: steps}
		f := d.fields(e.Value, path, "stats", "vars", "per_neuron", "bin", "from", "to")
		ok := true
		if st, has := f["stats"]; has {
			s.Stats, ok = d.summaryStats(st.Value, path+".stats")
		}
		if vs, has := f["vars"]; has {
			vars, good := d.summaryVars(vs.Value, path+".vars", p)
			s.Vars, ok = vars, ok && good
		}
		if len(s.Stats) == 0 && len(s.Vars) == 0 && ok {
			d.errorf(e.KeyN, path, "nothing to summarise: give stats (%s) or vars", strings.Join(SummaryStats, ", "))
			ok = false
		}
		if pn, has := f["per_neuron"]; has {
			var good bool
			s.PerNeuron, good = d.boolean(pn.Value, path+".per_neuron")
			ok = ok && good
			if n := perNeuronCount(s, p); s.PerNeuron && n > MaxPerNeuron {
				d.errorf(pn.Value, path+".per_neuron", "per_neuron makes a column per neuron: at most %d neurons, got %d (record the spikes or fewer neurons' variables instead)", MaxPerNeuron, n)
				ok = false
			}
		}
		window := true
		for _, w := range []struct {
			key  string
			step *uint64
		}{{"from", &s.FromStep}, {"to", &s.ToStep}} {
			if we, has := f[w.key]; has {
				k, good := d.timeStep(we, path+"."+w.key, steps)
				*w.step, window = k, window && good
			}
		}
		if window && s.ToStep <= s.FromStep {
			d.errorf(e.Value, path, "the window is empty: from (%g ms) must be before to (%g ms)", float64(s.FromStep)*d.dt, float64(s.ToStep)*d.dt)
			window = false
		}
		ok = ok && window
		s.From, s.To = float64(s.FromStep)*d.dt, float64(s.ToStep)*d.dt
		binned := slices.Contains(s.Stats, StatFano) || slices.Contains(s.Stats, StatSynchrony)
		switch be, has := f["bin"]; {
		case has && window:
			v, good := d.float(be.Value, path+".bin")
			if !good {
				ok = false
				break
			}
			k, fine := everySteps(v, d.dt)
			if !fine {
				d.errorf(be.Value, path+".bin", "bin must be a positive multiple of dt (%g ms), got %g", d.dt, v)
				ok = false
				break
			}
			s.Bin, s.BinSteps = v, uint64(k)
			if (s.ToStep-s.FromStep)%s.BinSteps != 0 {
				d.errorf(be.Value, path+".bin", "bin (%g ms) must divide the window [%g, %g) ms into whole bins", s.Bin, s.From, s.To)
				ok = false
			}
		case !has && binned:
			d.errorf(e.KeyN, path, "fano and synchrony need bin (ms, the width of the bins the spikes are counted in)")
			ok = false
		}
		if !binned {
			s.Bin, s.BinSteps = 0, 0
		}
		if !ok {
			continue
		}
		if len(s.Stats) > 0 && !p.RecordSpikes {
			p.RecordSpikes, p.SpikesUnwritten = true, true
		}
		out = append(out, s)
	}
	return out
}

// perNeuronCount is the number of neurons of s with per-neuron columns:
// the population's for spike statistics, else the most recorded of its
// variables.
func perNeuronCount(s Summary, p *Population) int {
	if len(s.Stats) > 0 {
		return p.Size
	}
	n := 0
	for _, r := range p.RecordVars {
		if slices.Contains(s.Vars, r.Var) {
			k := r.Size
			if r.Neurons != nil {
				k = len(r.Neurons)
			}
			n = max(n, k)
		}
	}
	return n
}

// summaryNames decodes a list of names with their nodes; ok is false
// after an error.
func (d *decoder) summaryNames(n *yaml.Node, path string) (names []string, at []*yaml.Node, ok bool) {
	before := len(d.diags)
	names = d.strings(n, path)
	if len(d.diags) > before {
		return nil, nil, false
	}
	if seq := resolve(n); seq != nil && seq.Kind == yaml.SequenceNode {
		at = seq.Content
	}
	return names, at, true
}

// summaryStats decodes a list of spike statistics into SummaryStats order.
func (d *decoder) summaryStats(n *yaml.Node, path string) ([]string, bool) {
	names, at, ok := d.summaryNames(n, path)
	for i, s := range names {
		switch {
		case !slices.Contains(SummaryStats, s):
			d.errorf(at[i], fmt.Sprintf("%s[%d]", path, i), "unknown statistic %q (have %s)", s, strings.Join(SummaryStats, ", "))
			ok = false
		case slices.Contains(names[:i], s):
			d.errorf(at[i], fmt.Sprintf("%s[%d]", path, i), "statistic %q is listed twice", s)
			ok = false
		}
	}
	var out []string
	for _, s := range SummaryStats {
		if slices.Contains(names, s) {
			out = append(out, s)
		}
	}
	return out, ok
}

// summaryVars decodes the variables to summarise: recorded neuron
// variables of population p.
func (d *decoder) summaryVars(n *yaml.Node, path string, p *Population) ([]string, bool) {
	names, at, ok := d.summaryNames(n, path)
	var have []string
	for _, v := range p.Model.Vars {
		have = append(have, v.Name)
	}
	for i, v := range names {
		vp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !slices.Contains(have, v):
			d.errorf(at[i], vp, "unknown variable %q of population %s (have %s)", v, p.Name, listNames(have))
			ok = false
		case slices.Contains(names[:i], v):
			d.errorf(at[i], vp, "variable %q is listed twice", v)
			ok = false
		case !slices.ContainsFunc(p.RecordVars, func(r RecordVar) bool { return r.Var == v }):
			d.errorf(at[i], vp, "variable %q of population %s is not recorded: add populations.%s.record.vars.%s (summaries read its samples, at its every and neurons)", v, p.Name, p.Name, v)
			ok = false
		}
	}
	return names, ok
}

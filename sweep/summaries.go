package sweep

// Summary statistics (the summaries section): accumulated per variant while
// a batch's spikes and samples stream from the worker (demuxer, stateDemux),
// stored in provenance.db with the variant's completion and written as
// columns of variants.arrow. Column names are the summary's config path and
// statistic: summaries.<pop>.<stat> (count, rate, cv_isi, fano, synchrony),
// summaries.<pop>.<var>.mean and .sd, and with per_neuron the neuron's index
// in brackets, summaries.<pop>.rate[3] (synchrony has none).

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// variantSummary accumulates one variant's summaries.
type variantSummary struct {
	net    *modelspec.Network
	specs  []gpu.RecordSpec      // the batch's record specs
	spikes []*results.SpikeStats // per population index; nil: none asked
	vars   []*results.VarStats   // per record spec index; nil: none asked
}

// newVariantSummary prepares the accumulators of net's summaries; rec is
// the batch's recording (its specs index the state chunks). nil when net
// has no summaries.
func newVariantSummary(net *modelspec.Network, rec recording) *variantSummary {
	if len(net.Summaries) == 0 {
		return nil
	}
	vs := &variantSummary{net: net, specs: rec.specs, spikes: make([]*results.SpikeStats, len(net.Populations)), vars: make([]*results.VarStats, len(rec.specs))}
	for _, s := range net.Summaries {
		pi := slices.IndexFunc(net.Populations, func(p *modelspec.Population) bool { return p.Name == s.Population })
		p := net.Populations[pi]
		if len(s.Stats) > 0 {
			vs.spikes[pi] = results.NewSpikeStats(results.SpikeWindow{Neurons: p.Size, From: s.FromStep, To: s.ToStep, Bin: s.BinSteps,
				ISI: slices.Contains(s.Stats, modelspec.StatCVISI), DT: net.Sim.DT})
		}
		for si, spec := range rec.specs {
			if spec.Owner == p.Name && spec.Kind == modelspec.VarKindNeuron && slices.Contains(s.Vars, spec.Name) {
				vs.vars[si] = results.NewVarStats(spec.Elements, recordedSize(p, spec.Name), s.FromStep, s.ToStep)
			}
		}
	}
	return vs
}

// recordedSize is the number of elements of population p's variable name.
func recordedSize(p *modelspec.Population, name string) int {
	for _, r := range p.RecordVars {
		if r.Var == name {
			return r.Size
		}
	}
	return p.Size
}

// spike adds a spike of population pop (index); populations without spike
// statistics are ignored.
func (vs *variantSummary) spike(pop, neuron uint32, step uint64) error {
	if s := vs.spikes[pop]; s != nil {
		return s.Add(neuron, step)
	}
	return nil
}

// samples adds the values of record spec spec at time step step.
func (vs *variantSummary) samples(spec int, step uint64, elements []uint32, values []float64) error {
	v := vs.vars[spec]
	if v == nil {
		return nil
	}
	for i, e := range elements {
		if err := v.Add(step, e, values[i]); err != nil {
			return err
		}
	}
	return nil
}

// values returns the summary columns' values (NaN where undefined).
func (vs *variantSummary) values() map[string]float64 {
	out := map[string]float64{}
	put := func(name string, v float64, per []float64, neurons []uint32, perNeuron bool) {
		out[name] = v
		if !perNeuron {
			return
		}
		for i, x := range per {
			out[neuronColumn(name, neurons, i)] = x
		}
	}
	for _, s := range vs.net.Summaries {
		pi := slices.IndexFunc(vs.net.Populations, func(p *modelspec.Population) bool { return p.Name == s.Population })
		if st := vs.spikes[pi]; st != nil {
			for _, stat := range s.Stats {
				name := s.Path + "." + stat
				switch stat {
				case modelspec.StatCount:
					put(name, float64(st.Count()), st.NeuronCounts(), nil, s.PerNeuron)
				case modelspec.StatRate:
					put(name, st.Rate(), st.NeuronRates(), nil, s.PerNeuron)
				case modelspec.StatCVISI:
					put(name, st.CV(), st.NeuronCVs(), nil, s.PerNeuron)
				case modelspec.StatFano:
					put(name, st.Fano(), st.NeuronFanos(), nil, s.PerNeuron)
				case modelspec.StatSynchrony:
					put(name, st.Synchrony(), nil, nil, false)
				}
			}
		}
		for _, name := range s.Vars {
			for si, spec := range vs.specs {
				if v := vs.vars[si]; v != nil && spec.Owner == s.Population && spec.Name == name {
					put(s.Path+"."+name+".mean", v.Mean(), v.NeuronMeans(), spec.Elements, s.PerNeuron)
					put(s.Path+"."+name+".sd", v.SD(), v.NeuronSDs(), spec.Elements, s.PerNeuron)
				}
			}
		}
	}
	return out
}

// neuronColumn names the column of the i-th per-neuron value of a
// statistic: the neuron's index (elements[i], or i when all are sampled).
func neuronColumn(name string, elements []uint32, i int) string {
	n := i
	if elements != nil {
		n = int(elements[i])
	}
	return name + "[" + strconv.Itoa(n) + "]"
}

// summaryColumns lists the summary columns of net, in table order.
func summaryColumns(net *modelspec.Network) []string {
	var out []string
	add := func(name string, perNeuron bool, elements []uint32, n int) {
		out = append(out, name)
		if !perNeuron {
			return
		}
		if elements != nil {
			n = len(elements)
		}
		for i := 0; i < n; i++ {
			out = append(out, neuronColumn(name, elements, i))
		}
	}
	for _, s := range net.Summaries {
		p := net.Population(s.Population)
		for _, stat := range s.Stats {
			add(s.Path+"."+stat, s.PerNeuron && stat != modelspec.StatSynchrony, nil, p.Size)
		}
		for _, name := range s.Vars {
			for _, r := range p.RecordVars {
				if r.Var == name {
					add(s.Path+"."+name+".mean", s.PerNeuron, r.Neurons, r.Size)
					add(s.Path+"."+name+".sd", s.PerNeuron, r.Neurons, r.Size)
				}
			}
		}
	}
	return out
}

// summaryUnit is the unit of a summary column: Hz for rates, none for the
// dimensionless statistics and the variables (gennctl does not know a
// variable's unit).
func summaryUnit(name string) string {
	base, _, _ := strings.Cut(name, "[")
	if strings.HasSuffix(base, "."+modelspec.StatRate) {
		return "Hz"
	}
	return ""
}

// summaryRecord is a done variant's figures as provenance stores them:
// spike counts per population and the summary values, as JSON objects
// (NaN as null).
func summaryRecord(id uint64, net *modelspec.Network, counts []int64, vs *variantSummary) provenance.Summary {
	c := make(map[string]int64, len(counts))
	for i, p := range net.Populations {
		c[p.Name] = counts[i]
	}
	cb, _ := json.Marshal(c)
	vals := map[string]*float64{}
	if vs != nil {
		for k, v := range vs.values() {
			vals[k] = nil // JSON has no NaN
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				vals[k] = &v
			}
		}
	}
	vb, _ := json.Marshal(vals)
	return provenance.Summary{VariantID: id, SpikeCounts: string(cb), Values: string(vb)}
}

// parseSummary decodes a stored summary: counts by population, and values
// by column (NaN for null).
func parseSummary(s provenance.Summary) (map[string]int64, map[string]float64, error) {
	var counts map[string]int64
	if err := json.Unmarshal([]byte(s.SpikeCounts), &counts); err != nil {
		return nil, nil, fmt.Errorf("variant %d: spike counts: %w", s.VariantID, err)
	}
	if s.Values == "{}" { // no summaries asked for: the common case of 10^6-variant tables
		return counts, nil, nil
	}
	var raw map[string]*float64
	if err := json.Unmarshal([]byte(s.Values), &raw); err != nil {
		return nil, nil, fmt.Errorf("variant %d: summaries: %w", s.VariantID, err)
	}
	vals := make(map[string]float64, len(raw))
	for k, v := range raw {
		vals[k] = math.NaN()
		if v != nil {
			vals[k] = *v
		}
	}
	return counts, vals, nil
}

// writesSpikeFile reports whether a variant of net writes a spike file: a
// population writes its spikes, or there are no summaries (a network that
// records nothing keeps its empty spike file, as before summaries).
func writesSpikeFile(net *modelspec.Network) bool {
	if len(net.Summaries) == 0 {
		return true
	}
	return slices.ContainsFunc(net.Populations, func(p *modelspec.Population) bool { return p.RecordSpikes && !p.SpikesUnwritten })
}

// writesNoFiles reports whether a variant of net has no result files: its
// summaries are all it keeps (in provenance.db and variants.arrow).
func writesNoFiles(net *modelspec.Network, rec recording) bool {
	return !writesSpikeFile(net) && len(rec.specs) == 0 && len(rec.syn) == 0 &&
		!slices.ContainsFunc(net.Populations, func(p *modelspec.Population) bool { return p.RecordSpikeEvents })
}

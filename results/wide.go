package results

import (
	"fmt"
	"math"
	"sort"
)

// WideState turns a state table of one variant into a wide table: one row
// per sample time, a "time" column (ms) and one float64 column per recorded
// element named "<population>.<var>[<neuron>]". Elements sampled at
// different intervals leave NaN where they have no sample. It is the form
// plotting tools and spreadsheets expect for a few recorded neurons.
func WideState(s State) ([]Column, error) {
	if s.Len() == 0 {
		return []Column{{Name: "time", Unit: "ms", Float64: []float64{}}}, nil
	}
	variant := s.Variant[0]
	times := map[float64]int{}
	type key struct {
		pop, v string
		n      uint32
	}
	cols := map[key]bool{}
	for i := range s.Variant {
		if s.Variant[i] != variant {
			return nil, fmt.Errorf("results: wide state holds one variant, found %d and %d", variant, s.Variant[i])
		}
		times[s.Time[i]] = 0
		cols[key{s.Population[i], s.Var[i], s.Neuron[i]}] = true
	}
	ts := make([]float64, 0, len(times))
	for t := range times {
		ts = append(ts, t)
	}
	sort.Float64s(ts)
	for i, t := range ts {
		times[t] = i
	}
	keys := make([]key, 0, len(cols))
	for k := range cols {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.pop != b.pop {
			return a.pop < b.pop
		}
		if a.v != b.v {
			return a.v < b.v
		}
		return a.n < b.n
	})
	index := map[key]int{}
	out := []Column{{Name: "time", Unit: "ms", Float64: ts}}
	for i, k := range keys {
		index[k] = i + 1
		vals := make([]float64, len(ts))
		for j := range vals {
			vals[j] = math.NaN()
		}
		out = append(out, Column{Name: fmt.Sprintf("%s.%s[%d]", k.pop, k.v, k.n), Float64: vals})
	}
	for i := range s.Variant {
		out[index[key{s.Population[i], s.Var[i], s.Neuron[i]}]].Float64[times[s.Time[i]]] = s.Value[i]
	}
	return out, nil
}

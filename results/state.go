package results

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Column names of the state table besides those it shares with the spike table
// (ColVariantID, ColPopulation, ColNeuron, ColTime).
const (
	ColVar   = "var"
	ColValue = "value"
)

// MetaRecorded (state files) describes what was sampled: a JSON array with one object per
// recorded variable, {"population", "var", "kind", "neurons_of", "every", "every_steps",
// "neurons"}, in the order of the configuration. "population" is the owner (a population,
// synapse group or current source), "kind" the kind of variable (neuron, postsynaptic, pre,
// post, current_source), "neurons_of" the population whose neurons the neuron column
// indexes, "every" the sampling interval in MetaTimeUnit, "neurons" the number of neurons
// sampled.
const MetaRecorded = "recorded"

// StateSchema returns the Arrow schema of a state file carrying meta as schema metadata: the
// long table (variant_id, population, var, neuron, time, value) with population and var
// dictionary-encoded and value float32 or float64. Only time has a unit: the units of values
// depend on the model.
func StateSchema(meta map[string]string, float32Values bool) *arrow.Schema {
	var valueType arrow.DataType = arrow.PrimitiveTypes.Float64
	if float32Values {
		valueType = arrow.PrimitiveTypes.Float32
	}
	var md *arrow.Metadata
	if len(meta) > 0 {
		m := arrow.MetadataFrom(meta)
		md = &m
	}
	return arrow.NewSchema([]arrow.Field{
		{Name: ColVariantID, Type: arrow.PrimitiveTypes.Uint64},
		{Name: ColPopulation, Type: populationType},
		{Name: ColVar, Type: populationType},
		{Name: ColNeuron, Type: arrow.PrimitiveTypes.Uint32},
		{Name: ColTime, Type: arrow.PrimitiveTypes.Float64, Metadata: arrow.NewMetadata([]string{UnitKey}, []string{"ms"})},
		{Name: ColValue, Type: valueType},
	}, md)
}

// StateWriter streams sampled state values into one Arrow IPC file with bounded memory
// (record batches of BatchRows rows), like SpikeWriter, with which it shares its
// implementation. The population (owner) and var dictionaries are fixed at construction.
//
// A StateWriter is not safe for concurrent use. Either Close or Abort must be called.
type StateWriter struct {
	s *streamWriter
}

// NewStateWriter creates the temporary file for path. owners lists the names of the
// populations, synapse groups and current sources whose variables are recorded, vars the
// variable names; Write refers to both by index. meta becomes the schema metadata. opts may
// select compression (WithCompression).
func NewStateWriter(path string, owners, vars []string, meta map[string]string, opts ...Option) (*StateWriter, error) {
	o, err := collectOptions(opts)
	if err != nil {
		return nil, err
	}
	s, err := newStreamWriter("StateWriter", path, StateSchema(meta, o.float32Values), map[int][]string{1: owners, 2: vars}, opts)
	if err != nil {
		return nil, err
	}
	return &StateWriter{s: s}, nil
}

// Write appends samples: row i is (variant[i], owners[owner[i]], vars[v[i]], neuron[i],
// time[i], value[i]). The slices must have equal length. Invalid arguments are rejected
// before anything is buffered; an I/O error is kept and returned by every later call.
func (w *StateWriter) Write(variant []uint64, owner, v, neuron []uint32, time, value []float64) error {
	s := w.s
	if err := s.usable(); err != nil {
		return err
	}
	n := len(variant)
	if len(owner) != n || len(v) != n || len(neuron) != n || len(time) != n || len(value) != n {
		return fmt.Errorf("results: state columns differ in length (%d, %d, %d, %d, %d, %d)",
			n, len(owner), len(v), len(neuron), len(time), len(value))
	}
	nown, nvar := s.dictLen(1), s.dictLen(2)
	for i := range owner {
		if int(owner[i]) >= nown {
			return fmt.Errorf("results: state row %d: population index %d out of range (%d populations)", i, owner[i], nown)
		}
		if int(v[i]) >= nvar {
			return fmt.Errorf("results: state row %d: var index %d out of range (%d vars)", i, v[i], nvar)
		}
	}
	vb, ob, xb := s.cols[0].(*array.Uint64Builder), s.cols[1].(*array.Int32Builder), s.cols[2].(*array.Int32Builder)
	nb, tb := s.cols[3].(*array.Uint32Builder), s.cols[4].(*array.Float64Builder)
	appendValues := func(vals []float64) { s.cols[5].(*array.Float64Builder).AppendValues(vals, nil) }
	if yb, ok := s.cols[5].(*array.Float32Builder); ok {
		appendValues = func(vals []float64) {
			for _, x := range vals {
				yb.Append(float32(x))
			}
		}
	}
	return s.appendRows(n, func(lo, hi int) {
		vb.AppendValues(variant[lo:hi], nil)
		appendIndices(ob, owner[lo:hi])
		appendIndices(xb, v[lo:hi])
		nb.AppendValues(neuron[lo:hi], nil)
		tb.AppendValues(time[lo:hi], nil)
		appendValues(value[lo:hi])
	})
}

// Rows is the number of rows written or buffered so far.
func (w *StateWriter) Rows() int64 { return w.s.rows }

// Close writes the buffered rows and the footer and renames the file into place (see
// SpikeWriter.Close).
func (w *StateWriter) Close() (FileInfo, error) { return w.s.close() }

// Abort discards the file. It may be called after Close and more than once.
func (w *StateWriter) Abort() { w.s.abort() }

// State is a state table read back into memory, one entry per sample in file order.
type State struct {
	Variant    []uint64
	Population []string // the owner: population, synapse group or current source
	Var        []string
	Neuron     []uint32
	Time       []float64 // ms
	Value      []float64
}

// Len returns the number of samples.
func (s State) Len() int { return len(s.Variant) }

// ReadState reads every record batch of a state file made by StateWriter and returns the
// samples and the schema metadata. population and var may be dictionary-encoded (as
// written) or plain utf8.
func ReadState(path string) (State, map[string]string, error) {
	return readState(path, nil)
}

// ReadVariantState reads the samples of one variant of a state file holding many.
func ReadVariantState(path string, id uint64) (State, map[string]string, error) {
	return readState(path, &id)
}

func readState(path string, only *uint64) (State, map[string]string, error) {
	s := State{Variant: []uint64{}, Population: []string{}, Var: []string{}, Neuron: []uint32{}, Time: []float64{}, Value: []float64{}}
	add := s.appendRecord
	if only != nil {
		add = ofVariant(*only, add)
	}
	meta, err := readRecords(path, "state file", []string{ColVariantID, ColPopulation, ColVar, ColNeuron, ColTime, ColValue}, add)
	if err != nil {
		return State{}, nil, err
	}
	return s, meta, nil
}

func (s *State) appendRecord(rec arrow.Record, idx map[string]int) error {
	variant, ok1 := rec.Column(idx[ColVariantID]).(*array.Uint64)
	neuron, ok2 := rec.Column(idx[ColNeuron]).(*array.Uint32)
	time, ok3 := rec.Column(idx[ColTime]).(*array.Float64)
	var values []float64
	ok4 := true
	switch value := rec.Column(idx[ColValue]).(type) {
	case *array.Float64:
		values = value.Float64Values()
	case *array.Float32:
		values = make([]float64, value.Len())
		for i, x := range value.Float32Values() {
			values[i] = float64(x)
		}
	default:
		ok4 = false
	}
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return errors.New("state columns have unexpected types")
	}
	if variant.NullN()+neuron.NullN()+time.NullN()+rec.Column(idx[ColValue]).NullN() > 0 {
		return errors.New("state columns contain nulls")
	}
	pop, err := stringValues(rec.Column(idx[ColPopulation]))
	if err != nil {
		return fmt.Errorf("column %s: %w", ColPopulation, err)
	}
	vars, err := stringValues(rec.Column(idx[ColVar]))
	if err != nil {
		return fmt.Errorf("column %s: %w", ColVar, err)
	}
	s.Variant = append(s.Variant, variant.Uint64Values()...)
	s.Population = append(s.Population, pop...)
	s.Var = append(s.Var, vars...)
	s.Neuron = append(s.Neuron, neuron.Uint32Values()...)
	s.Time = append(s.Time, time.Float64Values()...)
	s.Value = append(s.Value, values...)
	return nil
}

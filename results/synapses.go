package results

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Per-synapse variables and spike-like events. A synapse file is a long
// table of samples of per-synapse variables (record: {vars: {g: ...}} on a
// synapse group): variant_id, population (the synapse group), var, pre and
// post (the synapse's presynaptic and postsynaptic neuron), synapse (its
// index in the group's storage: pre × num_post + post for dense matrices,
// pre × max_row_length + k for the k-th synapse of a sparse row, so it
// tells two synapses of one pair apart), time and value. Spike-like event
// files have the spike files' schema (variant_id, population, neuron,
// time): the neurons with a spike-like event of any synapse group they are
// the source of, at the start of the step of the event.

// Directories and columns of these files.
const (
	SynapsesDir    = "synapses"
	SpikeEventsDir = "spike_events"
	ColPre         = "pre"
	ColPost        = "post"
	ColSynapse     = "synapse"
)

// SynapseFile is the path, relative to the sweep directory, of a variant's
// per-synapse samples.
func SynapseFile(id uint64) string {
	return filepath.Join(SynapsesDir, "variant-"+strconv.FormatUint(id, 10)+".arrow")
}

// SpikeEventFile is the path, relative to the sweep directory, of a
// variant's spike-like events.
func SpikeEventFile(id uint64) string {
	return filepath.Join(SpikeEventsDir, "variant-"+strconv.FormatUint(id, 10)+".arrow")
}

// SynapseSchema is the Arrow schema of a synapse file (see the package
// comment above); population and var are dictionary-encoded.
func SynapseSchema(meta map[string]string, float32Values bool) *arrow.Schema {
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
		{Name: ColPre, Type: arrow.PrimitiveTypes.Uint32},
		{Name: ColPost, Type: arrow.PrimitiveTypes.Uint32},
		{Name: ColSynapse, Type: arrow.PrimitiveTypes.Uint32},
		{Name: ColTime, Type: arrow.PrimitiveTypes.Float64, Metadata: arrow.NewMetadata([]string{UnitKey}, []string{"ms"})},
		{Name: ColValue, Type: valueType},
	}, md)
}

// SynapseWriter streams per-synapse samples into one Arrow IPC file with
// bounded memory, like StateWriter.
type SynapseWriter struct {
	s *streamWriter
}

// NewSynapseWriter creates the temporary file for path; groups and vars
// are the dictionaries Write indexes.
func NewSynapseWriter(path string, groups, vars []string, meta map[string]string, opts ...Option) (*SynapseWriter, error) {
	o, err := collectOptions(opts)
	if err != nil {
		return nil, err
	}
	s, err := newStreamWriter("SynapseWriter", path, SynapseSchema(meta, o.float32Values), map[int][]string{1: groups, 2: vars}, opts)
	if err != nil {
		return nil, err
	}
	return &SynapseWriter{s: s}, nil
}

// Write appends samples: row i is (variant[i], groups[group[i]],
// vars[v[i]], pre[i], post[i], synapse[i], time[i], value[i]).
func (w *SynapseWriter) Write(variant []uint64, group, v, pre, post, synapse []uint32, time, value []float64) error {
	s := w.s
	if err := s.usable(); err != nil {
		return err
	}
	n := len(variant)
	if len(group) != n || len(v) != n || len(pre) != n || len(post) != n || len(synapse) != n || len(time) != n || len(value) != n {
		return errors.New("results: synapse columns differ in length")
	}
	ng, nv := s.dictLen(1), s.dictLen(2)
	for i := range group {
		if int(group[i]) >= ng || int(v[i]) >= nv {
			return fmt.Errorf("results: synapse row %d: group %d or var %d out of range (%d groups, %d vars)", i, group[i], v[i], ng, nv)
		}
	}
	vb, gb, xb := s.cols[0].(*array.Uint64Builder), s.cols[1].(*array.Int32Builder), s.cols[2].(*array.Int32Builder)
	pb, qb, sb, tb := s.cols[3].(*array.Uint32Builder), s.cols[4].(*array.Uint32Builder), s.cols[5].(*array.Uint32Builder), s.cols[6].(*array.Float64Builder)
	appendValues := func(vals []float64) { s.cols[7].(*array.Float64Builder).AppendValues(vals, nil) }
	if yb, ok := s.cols[7].(*array.Float32Builder); ok {
		appendValues = func(vals []float64) {
			for _, x := range vals {
				yb.Append(float32(x))
			}
		}
	}
	return s.appendRows(n, func(lo, hi int) {
		vb.AppendValues(variant[lo:hi], nil)
		appendIndices(gb, group[lo:hi])
		appendIndices(xb, v[lo:hi])
		pb.AppendValues(pre[lo:hi], nil)
		qb.AppendValues(post[lo:hi], nil)
		sb.AppendValues(synapse[lo:hi], nil)
		tb.AppendValues(time[lo:hi], nil)
		appendValues(value[lo:hi])
	})
}

// Close writes the buffered rows and renames the file into place.
func (w *SynapseWriter) Close() (FileInfo, error) { return w.s.close() }

// Abort discards the file.
func (w *SynapseWriter) Abort() { w.s.abort() }

// SynapseSamples is a synapse file read back into memory.
type SynapseSamples struct {
	Variant            []uint64
	Group, Var         []string
	Pre, Post, Synapse []uint32
	Time, Value        []float64
}

// Len returns the number of samples.
func (s SynapseSamples) Len() int { return len(s.Variant) }

// ReadSynapses reads a synapse file made by SynapseWriter.
func ReadSynapses(path string) (SynapseSamples, map[string]string, error) {
	return readSynapses(path, nil)
}

// ReadVariantSynapses reads the samples of one variant of a synapse file holding many.
func ReadVariantSynapses(path string, id uint64) (SynapseSamples, map[string]string, error) {
	return readSynapses(path, &id)
}

func readSynapses(path string, only *uint64) (SynapseSamples, map[string]string, error) {
	var s SynapseSamples
	cols := []string{ColVariantID, ColPopulation, ColVar, ColPre, ColPost, ColSynapse, ColTime, ColValue}
	add := func(rec arrow.Record, idx map[string]int) error {
		variant, ok1 := rec.Column(idx[ColVariantID]).(*array.Uint64)
		pre, ok2 := rec.Column(idx[ColPre]).(*array.Uint32)
		post, ok3 := rec.Column(idx[ColPost]).(*array.Uint32)
		syn, ok4 := rec.Column(idx[ColSynapse]).(*array.Uint32)
		time, ok5 := rec.Column(idx[ColTime]).(*array.Float64)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			return errors.New("synapse columns have unexpected types")
		}
		var values []float64
		switch value := rec.Column(idx[ColValue]).(type) {
		case *array.Float64:
			values = value.Float64Values()
		case *array.Float32:
			for _, x := range value.Float32Values() {
				values = append(values, float64(x))
			}
		default:
			return errors.New("synapse values have an unexpected type")
		}
		groups, err := stringValues(rec.Column(idx[ColPopulation]))
		if err != nil {
			return err
		}
		vars, err := stringValues(rec.Column(idx[ColVar]))
		if err != nil {
			return err
		}
		s.Variant = append(s.Variant, variant.Uint64Values()...)
		s.Group = append(s.Group, groups...)
		s.Var = append(s.Var, vars...)
		s.Pre = append(s.Pre, pre.Uint32Values()...)
		s.Post = append(s.Post, post.Uint32Values()...)
		s.Synapse = append(s.Synapse, syn.Uint32Values()...)
		s.Time = append(s.Time, time.Float64Values()...)
		s.Value = append(s.Value, values...)
		return nil
	}
	if only != nil {
		add = ofVariant(*only, add)
	}
	meta, err := readRecords(path, "synapse file", cols, add)
	return s, meta, err
}

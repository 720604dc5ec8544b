package results

import (
	"errors"
	"fmt"
	"os"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// BatchRows is the number of rows buffered before a record batch is written. It bounds the
// writer's memory (about 1.5 MiB of column data) while keeping batches large enough that
// readers are not slowed by per-batch overhead.
const BatchRows = 64 * 1024

// Column names and the time unit of the spike table, shared by writer and reader.
const (
	ColVariantID  = "variant_id"
	ColPopulation = "population"
	ColNeuron     = "neuron"
	ColTime       = "time"
	// UnitKey is the field-metadata key carrying a column's unit.
	UnitKey = "unit"
)

// populationType is dictionary<int32, utf8>: population names repeat on every row, so a
// dictionary keeps files small and shows up as a pandas Categorical / R factor.
var populationType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// SpikeSchema returns the Arrow schema of a spike file carrying meta as schema metadata.
func SpikeSchema(meta map[string]string) *arrow.Schema {
	var md *arrow.Metadata
	if len(meta) > 0 {
		m := arrow.MetadataFrom(meta)
		md = &m
	}
	return arrow.NewSchema([]arrow.Field{
		{Name: ColVariantID, Type: arrow.PrimitiveTypes.Uint64},
		{Name: ColPopulation, Type: populationType},
		{Name: ColNeuron, Type: arrow.PrimitiveTypes.Uint32},
		{Name: ColTime, Type: arrow.PrimitiveTypes.Float64, Metadata: arrow.NewMetadata([]string{UnitKey}, []string{"ms"})},
	}, md)
}

// SpikeWriter streams spikes into one Arrow IPC file. It buffers up to BatchRows rows and
// writes them as a record batch, so any number of Write calls uses bounded memory.
//
// The IPC file format allows exactly one dictionary per field for the whole file, so the
// population dictionary is fixed at construction (the populations list) and every batch
// refers to that same dictionary array.
//
// A SpikeWriter is not safe for concurrent use. Either Close or Abort must be called.
type SpikeWriter struct {
	s *streamWriter
}

// NewSpikeWriter creates the temporary file for path and prepares the schema. populations
// lists the population names; Write refers to them by index. meta becomes the schema
// metadata (callers put dt, duration, gennctl version, config digest, structure key there;
// see the Meta* constants). opts may select compression (WithCompression).
func NewSpikeWriter(path string, populations []string, meta map[string]string, opts ...Option) (*SpikeWriter, error) {
	s, err := newStreamWriter("SpikeWriter", path, SpikeSchema(meta), map[int][]string{1: populations}, opts)
	if err != nil {
		return nil, err
	}
	return &SpikeWriter{s: s}, nil
}

// Write appends spikes: row i is (variant[i], populations[pop[i]], neuron[i], time[i]).
// The slices must have equal length. Invalid arguments are rejected before anything is
// buffered, so such an error leaves the writer usable; an I/O error is kept and returned
// again by every later call, and Close then removes the temporary file.
func (w *SpikeWriter) Write(variant []uint64, pop []uint32, neuron []uint32, time []float64) error {
	s := w.s
	if err := s.usable(); err != nil {
		return err
	}
	n := len(variant)
	if len(pop) != n || len(neuron) != n || len(time) != n {
		return fmt.Errorf("results: spike columns differ in length (%d, %d, %d, %d)", n, len(pop), len(neuron), len(time))
	}
	npop := s.dictLen(1)
	for i, p := range pop {
		if int(p) >= npop {
			return fmt.Errorf("results: spike row %d: population index %d out of range (%d populations)", i, p, npop)
		}
	}
	vb, pb := s.cols[0].(*array.Uint64Builder), s.cols[1].(*array.Int32Builder)
	nb, tb := s.cols[2].(*array.Uint32Builder), s.cols[3].(*array.Float64Builder)
	return s.appendRows(n, func(lo, hi int) {
		vb.AppendValues(variant[lo:hi], nil)
		appendIndices(pb, pop[lo:hi])
		nb.AppendValues(neuron[lo:hi], nil)
		tb.AppendValues(time[lo:hi], nil)
	})
}

// appendIndices appends dictionary indices.
func appendIndices(b *array.Int32Builder, idx []uint32) {
	for _, p := range idx {
		b.Append(int32(p))
	}
}

// Close writes the buffered rows and the file footer, fsyncs and renames the file to its final
// path. On any error the temporary file is removed and nothing appears at the final path.
// A file without rows still holds the population categories.
func (w *SpikeWriter) Close() (FileInfo, error) { return w.s.close() }

// Abort discards everything written so far and removes the temporary file. It may be called
// after Close (then it does nothing) and more than once.
func (w *SpikeWriter) Abort() { w.s.abort() }

// Spikes is a spike table read back into memory, one entry per spike in file order.
type Spikes struct {
	Variant    []uint64
	Population []string
	Neuron     []uint32
	Time       []float64 // ms
}

// Len returns the number of spikes.
func (s Spikes) Len() int { return len(s.Variant) }

// ReadSpikes reads every record batch of a spike file made by SpikeWriter and returns the
// spikes and the schema metadata. The population column may be dictionary-encoded (as
// written) or plain utf8 (as other tools may rewrite it).
func ReadSpikes(path string) (Spikes, map[string]string, error) {
	return readSpikes(path, nil)
}

// ReadVariantSpikes reads the spikes of one variant of a spike file holding many (sorted by
// variant, as SpikeWriter's callers write them), seeking past the record batches of others.
func ReadVariantSpikes(path string, id uint64) (Spikes, map[string]string, error) {
	return readSpikes(path, &id)
}

func readSpikes(path string, only *uint64) (Spikes, map[string]string, error) {
	var s Spikes
	add := s.appendRecord
	if only != nil {
		add = ofVariant(*only, add)
	}
	meta, err := readRecords(path, "spike file", []string{ColVariantID, ColPopulation, ColNeuron, ColTime}, add)
	if err != nil {
		return Spikes{}, nil, err
	}
	if s.Variant == nil {
		// Distinguish "read, no spikes" from "not read": always return non-nil slices.
		s = Spikes{Variant: []uint64{}, Population: []string{}, Neuron: []uint32{}, Time: []float64{}}
	}
	return s, meta, nil
}

// readRecords opens an Arrow IPC file written by one of the long-table writers (what
// names it in errors), checks that it has exactly one column of each name, and passes
// every record batch to add with the columns' indices. A record is owned by the reader
// and valid only during add, which must copy values out. It returns the schema metadata.
func readRecords(path, what string, names []string, add func(rec arrow.Record, idx map[string]int) error) (map[string]string, error) {
	f, r, err := openReader(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer r.Close()
	schema := r.Schema()
	idx := make(map[string]int, len(names))
	for _, name := range names {
		is := schema.FieldIndices(name)
		if len(is) != 1 {
			return nil, fmt.Errorf("results: %s is not a %s: want one column %q", path, what, name)
		}
		idx[name] = is[0]
	}
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.Record(i)
		if err == nil {
			err = add(rec, idx)
		}
		if err != nil {
			return nil, fmt.Errorf("results: read %s batch %d: %w", path, i, err)
		}
	}
	return metadataMap(schema.Metadata()), nil
}

func (s *Spikes) appendRecord(rec arrow.Record, idx map[string]int) error {
	variant, ok1 := rec.Column(idx[ColVariantID]).(*array.Uint64)
	neuron, ok2 := rec.Column(idx[ColNeuron]).(*array.Uint32)
	time, ok3 := rec.Column(idx[ColTime]).(*array.Float64)
	if !ok1 || !ok2 || !ok3 {
		return errors.New("spike columns have unexpected types")
	}
	if variant.NullN()+neuron.NullN()+time.NullN() > 0 {
		return errors.New("spike columns contain nulls")
	}
	pop, err := stringValues(rec.Column(idx[ColPopulation]))
	if err != nil {
		return fmt.Errorf("column %s: %w", ColPopulation, err)
	}
	s.Variant = append(s.Variant, variant.Uint64Values()...)
	s.Population = append(s.Population, pop...)
	s.Neuron = append(s.Neuron, neuron.Uint32Values()...)
	s.Time = append(s.Time, time.Float64Values()...)
	return nil
}

// openReader opens an Arrow IPC file for reading; the caller closes both.
func openReader(path string) (*os.File, *ipc.FileReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("results: read %s: %w", path, err)
	}
	return f, r, nil
}

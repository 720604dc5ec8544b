package results

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Column is one column of a generic table (such as the variants table). Exactly one of the
// value slices is non-nil; it decides the Arrow type (uint64, int64, float64 or plain utf8).
// A zero-row column must therefore use an empty, non-nil slice.
type Column struct {
	Name string
	Unit string // stored as field metadata "unit" when non-empty
	// Dictionary stores a String column dictionary-encoded (dictionary<int32, utf8>, a pandas
	// Categorical / R factor), for columns with few distinct values such as status or
	// structure_key. ReadTable sets it for dictionary-encoded columns.
	Dictionary bool
	Uint64     []uint64
	Int64      []int64
	Float64    []float64
	String     []string
}

// Len returns the number of values in the column's slice.
func (c Column) Len() int {
	switch {
	case c.Uint64 != nil:
		return len(c.Uint64)
	case c.Int64 != nil:
		return len(c.Int64)
	case c.Float64 != nil:
		return len(c.Float64)
	default:
		return len(c.String)
	}
}

// kind returns the Arrow type of the column, or an error unless exactly one slice is set.
func (c Column) kind() (arrow.DataType, error) {
	var t arrow.DataType
	n := 0
	if c.Uint64 != nil {
		t, n = arrow.PrimitiveTypes.Uint64, n+1
	}
	if c.Int64 != nil {
		t, n = arrow.PrimitiveTypes.Int64, n+1
	}
	if c.Float64 != nil {
		t, n = arrow.PrimitiveTypes.Float64, n+1
	}
	if c.String != nil {
		t, n = arrow.BinaryTypes.String, n+1
	}
	if n != 1 {
		return nil, fmt.Errorf("results: column %q must set exactly one value slice (has %d)", c.Name, n)
	}
	return t, nil
}

// WriteTable writes cols as one Arrow IPC file at path (atomically, see the package comment),
// with meta as schema metadata. All columns must have the same length and distinct names.
// Rows are written in record batches of at most BatchRows rows. opts may select compression
// (WithCompression).
func WriteTable(path string, cols []Column, meta map[string]string, opts ...Option) (FileInfo, error) {
	o, err := collectOptions(opts)
	if err != nil {
		return FileInfo{}, err
	}
	fields := make([]arrow.Field, len(cols))
	names := make(map[string]bool, len(cols))
	rows := -1
	for i, c := range cols {
		t, err := c.kind()
		if err != nil {
			return FileInfo{}, err
		}
		if c.Name == "" || names[c.Name] {
			return FileInfo{}, fmt.Errorf("results: column name %q is empty or repeated", c.Name)
		}
		names[c.Name] = true
		if rows >= 0 && c.Len() != rows {
			return FileInfo{}, fmt.Errorf("results: column %q has %d rows, %q has %d", c.Name, c.Len(), cols[0].Name, rows)
		}
		rows = c.Len()
		if c.Dictionary {
			if c.String == nil {
				return FileInfo{}, fmt.Errorf("results: column %q: only string columns can be dictionary-encoded", c.Name)
			}
			t = populationType
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t}
		if c.Unit != "" {
			fields[i].Metadata = arrow.NewMetadata([]string{UnitKey}, []string{c.Unit})
		}
	}
	if rows < 0 {
		rows = 0
	}
	var md *arrow.Metadata
	if len(meta) > 0 {
		m := arrow.MetadataFrom(meta)
		md = &m
	}
	schema := arrow.NewSchema(fields, md)

	mem := memory.DefaultAllocator
	arrs := make([]arrow.Array, len(cols))
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, c := range cols {
		arrs[i] = buildArray(mem, c)
	}
	rec := array.NewRecord(schema, arrs, int64(rows))
	defer rec.Release()

	af, err := createAtomic(path)
	if err != nil {
		return FileInfo{}, err
	}
	w, err := ipc.NewFileWriter(af, append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}, o.ipcOptions()...)...)
	if err != nil {
		af.abort()
		return FileInfo{}, fmt.Errorf("results: %s: %w", path, err)
	}
	// Always at least one batch (possibly empty), as for spike files.
	for start := 0; start == 0 || start < rows; start += BatchRows {
		end := start + BatchRows
		if end > rows {
			end = rows
		}
		part := rec.NewSlice(int64(start), int64(end))
		err = w.Write(part)
		part.Release()
		if err != nil {
			break
		}
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		af.abort()
		return FileInfo{}, fmt.Errorf("results: write %s: %w", path, err)
	}
	return af.commit(int64(rows))
}

func buildArray(mem memory.Allocator, c Column) arrow.Array {
	switch {
	case c.Uint64 != nil:
		b := array.NewUint64Builder(mem)
		defer b.Release()
		b.AppendValues(c.Uint64, nil)
		return b.NewArray()
	case c.Int64 != nil:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(c.Int64, nil)
		return b.NewArray()
	case c.Float64 != nil:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.AppendValues(c.Float64, nil)
		return b.NewArray()
	case c.Dictionary:
		// Categories in order of first appearance; int32 indices as for populations.
		var words []string
		code := map[string]int32{}
		idx := array.NewInt32Builder(mem)
		defer idx.Release()
		idx.Reserve(len(c.String))
		for _, s := range c.String {
			k, ok := code[s]
			if !ok {
				k = int32(len(words))
				code[s] = k
				words = append(words, s)
			}
			idx.UnsafeAppend(k)
		}
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		sb.AppendValues(words, nil)
		dict := sb.NewArray()
		defer dict.Release()
		ia := idx.NewArray()
		defer ia.Release()
		return array.NewDictionaryArray(populationType, ia, dict)
	default:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(c.String, nil)
		return b.NewArray()
	}
}

// ReadTable reads every record batch of an Arrow IPC file into columns, with the schema
// metadata. Types map onto Column slices so files written by other tools read too:
// unsigned integers → Uint64, signed integers → Int64, floats → Float64, utf8 (plain, large
// or dictionary-encoded) → String. Other types and nulls are reported as errors. Every
// returned column has a non-nil slice, even with zero rows.
func ReadTable(path string) ([]Column, map[string]string, error) {
	f, r, err := openReader(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	defer r.Close()

	schema := r.Schema()
	cols := make([]Column, schema.NumFields())
	for i, fld := range schema.Fields() {
		cols[i].Name = fld.Name
		if u, ok := fld.Metadata.GetValue(UnitKey); ok {
			cols[i].Unit = u
		}
		switch fld.Type.ID() {
		case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
			cols[i].Uint64 = []uint64{}
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			cols[i].Int64 = []int64{}
		case arrow.FLOAT32, arrow.FLOAT64:
			cols[i].Float64 = []float64{}
		case arrow.STRING, arrow.LARGE_STRING:
			cols[i].String = []string{}
		case arrow.DICTIONARY:
			cols[i].String = []string{}
			cols[i].Dictionary = true
		default:
			return nil, nil, fmt.Errorf("results: %s: column %q has unsupported type %s", path, fld.Name, fld.Type)
		}
	}
	for b := 0; b < r.NumRecords(); b++ {
		rec, err := r.Record(b)
		if err != nil {
			return nil, nil, fmt.Errorf("results: read %s batch %d: %w", path, b, err)
		}
		for i := range cols {
			if err := appendColumn(&cols[i], rec.Column(i)); err != nil {
				return nil, nil, fmt.Errorf("results: read %s batch %d column %q: %w", path, b, cols[i].Name, err)
			}
		}
	}
	return cols, metadataMap(schema.Metadata()), nil
}

// appendColumn copies the values of a out of Arrow memory into c.
func appendColumn(c *Column, a arrow.Array) error {
	if a.NullN() > 0 {
		return errors.New("nulls are not supported")
	}
	switch v := a.(type) {
	case *array.Uint8:
		c.Uint64 = widen(c.Uint64, v.Uint8Values())
	case *array.Uint16:
		c.Uint64 = widen(c.Uint64, v.Uint16Values())
	case *array.Uint32:
		c.Uint64 = widen(c.Uint64, v.Uint32Values())
	case *array.Uint64:
		c.Uint64 = append(c.Uint64, v.Uint64Values()...)
	case *array.Int8:
		c.Int64 = widen(c.Int64, v.Int8Values())
	case *array.Int16:
		c.Int64 = widen(c.Int64, v.Int16Values())
	case *array.Int32:
		c.Int64 = widen(c.Int64, v.Int32Values())
	case *array.Int64:
		c.Int64 = append(c.Int64, v.Int64Values()...)
	case *array.Float32:
		c.Float64 = widen(c.Float64, v.Float32Values())
	case *array.Float64:
		c.Float64 = append(c.Float64, v.Float64Values()...)
	default:
		s, err := stringValues(a)
		if err != nil {
			return err
		}
		c.String = append(c.String, s...)
	}
	return nil
}

// stringValues returns the values of a utf8, large utf8 or dictionary<integer, utf8> array as
// Go strings. Values are cloned because array.String.Value aliases the Arrow buffer, which
// belongs to the reader's current batch. Dictionary values are converted once and shared between rows, so a long spike
// table costs one string header per row, not one allocation.
func stringValues(a arrow.Array) ([]string, error) {
	if a.NullN() > 0 {
		return nil, errors.New("nulls are not supported")
	}
	switch v := a.(type) {
	case *array.String:
		out := make([]string, v.Len())
		for i := range out {
			out[i] = strings.Clone(v.Value(i))
		}
		return out, nil
	case *array.LargeString:
		out := make([]string, v.Len())
		for i := range out {
			out[i] = strings.Clone(v.Value(i))
		}
		return out, nil
	case *array.Dictionary:
		words, err := stringValues(v.Dictionary())
		if err != nil {
			return nil, fmt.Errorf("dictionary: %w", err)
		}
		out := make([]string, v.Len())
		for i := range out {
			k := v.GetValueIndex(i)
			if k < 0 || k >= len(words) {
				return nil, fmt.Errorf("dictionary index %d out of range", k)
			}
			out[i] = words[k]
		}
		return out, nil
	}
	return nil, fmt.Errorf("type %s is not a string type", a.DataType())
}

// metadataMap converts Arrow schema metadata to a map (empty, not nil, when there is none).
func metadataMap(md arrow.Metadata) map[string]string {
	m := make(map[string]string, md.Len())
	for i, k := range md.Keys() {
		m[k] = md.Values()[i]
	}
	return m
}

// widen appends xs to dst converted to the wider type U.
func widen[T, U uint8 | uint16 | uint32 | uint64 | int8 | int16 | int32 | int64 | float32 | float64](dst []U, xs []T) []U {
	for _, x := range xs {
		dst = append(dst, U(x))
	}
	return dst
}

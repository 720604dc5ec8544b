package results

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
)

// streamWriter is the streaming core shared by SpikeWriter and StateWriter: it buffers rows
// in one builder per column, writes them as a record batch every BatchRows rows (so any
// number of rows uses bounded memory), and commits the file atomically on close.
//
// Dictionary-encoded columns (dictionary<int32, utf8>) hold int32 indices in their builder
// and refer to one dictionary array fixed at construction: the IPC file format allows exactly
// one dictionary per field for the whole file, so every batch shares it.
type streamWriter struct {
	name   string // type name for error messages, e.g. "SpikeWriter"
	af     *atomicFile
	w      *ipc.FileWriter
	schema *arrow.Schema
	cols   []array.Builder
	dicts  []arrow.Array // per column: the dictionary, nil for plain columns

	buffered int   // rows in the builders
	rows     int64 // rows written or buffered in total
	batches  int   // record batches written
	err      error // first I/O error; the file is unusable after it
	closed   bool
}

// newStreamWriter creates the temporary file for path. dicts gives the values of each
// dictionary-encoded field of schema, by field index; every such field needs one.
func newStreamWriter(name, path string, schema *arrow.Schema, dicts map[int][]string, opts []Option) (*streamWriter, error) {
	o, err := collectOptions(opts)
	if err != nil {
		return nil, err
	}
	mem := writerAllocator
	s := &streamWriter{name: name, schema: schema, dicts: make([]arrow.Array, schema.NumFields())}
	for i, f := range schema.Fields() {
		dt, isDict := f.Type.(*arrow.DictionaryType)
		if !isDict {
			s.cols = append(s.cols, array.NewBuilder(mem, f.Type))
			continue
		}
		vals, ok := dicts[i]
		if !ok {
			s.releaseBuilders()
			return nil, fmt.Errorf("results: internal error: no dictionary for column %q", f.Name)
		}
		seen := make(map[string]bool, len(vals))
		for _, v := range vals {
			if seen[v] {
				s.releaseBuilders()
				return nil, fmt.Errorf("results: duplicate %s %q", f.Name, v)
			}
			seen[v] = true
		}
		sb := array.NewStringBuilder(mem)
		sb.AppendValues(vals, nil)
		s.dicts[i] = sb.NewArray()
		sb.Release()
		s.cols = append(s.cols, array.NewBuilder(mem, dt.IndexType))
	}
	af, err := createAtomic(path)
	if err != nil {
		s.releaseBuilders()
		return nil, err
	}
	w, err := ipc.NewFileWriter(af, append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(mem)}, o.ipcOptions()...)...)
	if err != nil {
		af.abort()
		s.releaseBuilders()
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	s.af, s.w = af, w
	return s, nil
}

// dictLen is the number of values in the dictionary of column i.
func (s *streamWriter) dictLen(i int) int { return s.dicts[i].Len() }

// usable reports whether rows may be appended.
func (s *streamWriter) usable() error {
	if s.closed {
		return errors.New("results: write to closed " + s.name)
	}
	return s.err
}

// appendRows adds n rows: fill(lo, hi) must append rows [lo, hi) of the caller's columns to
// the builders. Batches are flushed as they fill, so fill sees at most BatchRows rows at a time.
func (s *streamWriter) appendRows(n int, fill func(lo, hi int)) error {
	for start := 0; start < n; {
		end := min(start+(BatchRows-s.buffered), n)
		fill(start, end)
		s.buffered += end - start
		s.rows += int64(end - start)
		start = end
		if s.buffered >= BatchRows {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the buffered rows as one record batch (possibly with zero rows).
func (s *streamWriter) flush() error {
	cols := make([]arrow.Array, len(s.cols))
	for i, b := range s.cols {
		arr := b.NewArray()
		if d := s.dicts[i]; d != nil {
			cols[i] = array.NewDictionaryArray(s.schema.Field(i).Type, arr, d)
			arr.Release()
			continue
		}
		cols[i] = arr
	}
	rec := array.NewRecord(s.schema, cols, int64(s.buffered))
	for _, c := range cols {
		c.Release()
	}
	err := s.w.Write(rec)
	rec.Release()
	s.buffered = 0
	s.batches++
	if err != nil {
		s.err = fmt.Errorf("results: write %s: %w", s.af.final, err)
	}
	return s.err
}

// close writes the buffered rows and the file footer, fsyncs and renames the file to its
// final path. On any error the temporary file is removed and nothing appears at the final path.
func (s *streamWriter) close() (FileInfo, error) {
	if s.closed {
		return FileInfo{}, errors.New("results: " + s.name + " already closed")
	}
	defer s.release()
	// A file without rows still gets one empty batch: that forces the dictionaries to be
	// written, so readers see the declared categories even for a file without rows.
	if s.err == nil && (s.buffered > 0 || s.batches == 0) {
		s.flush()
	}
	if s.err == nil {
		if err := s.w.Close(); err != nil {
			s.err = fmt.Errorf("results: write %s: %w", s.af.final, err)
		}
	}
	if s.err != nil {
		s.af.abort()
		return FileInfo{}, s.err
	}
	return s.af.commit(s.rows)
}

// abort discards everything written so far and removes the temporary file. It may be called
// after close (then it does nothing) and more than once.
func (s *streamWriter) abort() {
	if s.closed {
		return
	}
	s.af.abort()
	s.release()
}

func (s *streamWriter) release() {
	s.closed = true
	s.releaseBuilders()
}

func (s *streamWriter) releaseBuilders() {
	for _, b := range s.cols {
		b.Release()
	}
	for _, d := range s.dicts {
		if d != nil {
			d.Release()
		}
	}
	s.cols, s.dicts = nil, nil
}

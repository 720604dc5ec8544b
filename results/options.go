package results

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow/ipc"
)

// Compression selects the IPC buffer compression of a written file. Files are uncompressed by
// default because every Arrow reader handles that; LZ4 (frame format) and Zstandard are the two
// codecs the Arrow IPC format defines. pyarrow and the R arrow package read both; the
// JavaScript apache-arrow package reads them only after codecs are registered (see
// compat/js/check.mjs).
type Compression string

const (
	CompressNone Compression = ""
	CompressLZ4  Compression = "lz4"
	CompressZstd Compression = "zstd"
)

// ParseCompression accepts "", "none", "lz4" and "zstd" (case-insensitive), the values of a
// --compress flag.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return CompressNone, nil
	case "lz4", "lz4_frame":
		return CompressLZ4, nil
	case "zstd":
		return CompressZstd, nil
	}
	return CompressNone, fmt.Errorf("results: unknown compression %q (want none, lz4 or zstd)", s)
}

// Option changes how a file is written; pass it to NewSpikeWriter or WriteTable.
type Option func(*writeOptions)

type writeOptions struct {
	compression   Compression
	float32Values bool
}

// WithFloat32Values stores a state file's values as float32: the exact values
// of a network simulated in float precision, in half the space. Other files
// ignore it.
func WithFloat32Values() Option {
	return func(o *writeOptions) { o.float32Values = true }
}

// WithCompression compresses the file's buffers with c (CompressNone: uncompressed).
func WithCompression(c Compression) Option {
	return func(o *writeOptions) { o.compression = c }
}

func collectOptions(opts []Option) (writeOptions, error) {
	var o writeOptions
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	if _, err := ParseCompression(string(o.compression)); err != nil {
		return o, err
	}
	return o, nil
}

// ipcOptions returns the arrow IPC writer options that implement o.
func (o writeOptions) ipcOptions() []ipc.Option {
	switch o.compression {
	case CompressLZ4:
		return []ipc.Option{ipc.WithLZ4()}
	case CompressZstd:
		return []ipc.Option{ipc.WithZstd()}
	}
	return nil
}

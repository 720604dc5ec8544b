package results

import (
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCompression(t *testing.T) {
	for in, want := range map[string]Compression{"": CompressNone, "none": CompressNone, "LZ4": CompressLZ4, "zstd": CompressZstd} {
		got, err := ParseCompression(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseCompression("gzip")
	assert.Error(t, err)
	_, err = NewSpikeWriter(filepath.Join(t.TempDir(), "s.arrow"), nil, nil, WithCompression("gzip"))
	assert.Error(t, err)
	_, err = WriteTable(filepath.Join(t.TempDir(), "t.arrow"), nil, nil, WithCompression("gzip"))
	assert.Error(t, err)
}

// compressible returns spikes with long runs, so compression must shrink them.
func compressible(n int) ([]uint64, []uint32, []uint32, []float64) {
	v := make([]uint64, n)
	p := make([]uint32, n)
	nr := make([]uint32, n)
	tm := make([]float64, n)
	for i := range v {
		v[i] = 7
		p[i] = uint32(i % 2)
		nr[i] = uint32(i % 100)
		tm[i] = float64(i/100) * 0.1
	}
	return v, p, nr, tm
}

// TestCompressedFilesReadBack writes spike and table files with each codec and reads them back
// with the package's readers; compressed files are smaller and say so in their buffers.
func TestCompressedFilesReadBack(t *testing.T) {
	dir := t.TempDir()
	n := BatchRows + 1000
	v, p, nr, tm := compressible(n)
	sizes := map[Compression]int64{}
	for _, c := range []Compression{CompressNone, CompressLZ4, CompressZstd} {
		path := filepath.Join(dir, "spikes-"+string(c)+".arrow")
		w, err := NewSpikeWriter(path, []string{"E", "I"}, map[string]string{MetaDT: "0.1"}, WithCompression(c))
		require.NoError(t, err)
		require.NoError(t, w.Write(v, p, nr, tm))
		info, err := w.Close()
		require.NoError(t, err)
		checkFile(t, info)
		sizes[c] = info.Bytes
		got, meta, err := ReadSpikes(path)
		require.NoError(t, err, c)
		assert.Equal(t, "0.1", meta[MetaDT])
		require.Equal(t, n, got.Len())
		assert.Equal(t, v, got.Variant)
		assert.Equal(t, nr, got.Neuron)
		assert.Equal(t, tm, got.Time)
		assert.Equal(t, "I", got.Population[n-1])
		pops, err := SpikePopulations(path)
		require.NoError(t, err)
		assert.Equal(t, []string{"E", "I"}, pops)

		tpath := filepath.Join(dir, "table-"+string(c)+".arrow")
		cols := []Column{{Name: "variant_id", Uint64: v}, {Name: "t", Unit: "ms", Float64: tm}, {Name: "status", Dictionary: true, String: make([]string, n)}}
		for i := range cols[2].String {
			cols[2].String[i] = []string{"done", "failed"}[i%2]
		}
		_, err = WriteTable(tpath, cols, nil, WithCompression(c))
		require.NoError(t, err)
		back, _, err := ReadTable(tpath)
		require.NoError(t, err)
		assert.Equal(t, cols, back)
	}
	assert.Less(t, sizes[CompressLZ4], sizes[CompressNone]/2, "lz4 shrinks repetitive spikes")
	assert.Less(t, sizes[CompressZstd], sizes[CompressNone]/2, "zstd shrinks repetitive spikes")
}

func TestDictionaryColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.arrow")
	n := BatchRows + 5 // the one dictionary spans two record batches
	keys := make([]string, n)
	for i := range keys {
		keys[i] = []string{"abc", "def", "abc", ""}[i%4]
	}
	cols := []Column{{Name: "structure_key", Dictionary: true, String: keys}, {Name: "empty", Dictionary: true, String: make([]string, n)}}
	_, err := WriteTable(path, cols, nil)
	require.NoError(t, err)
	f, r, err := openReader(path)
	require.NoError(t, err)
	assert.Equal(t, arrow.DICTIONARY, r.Schema().Field(0).Type.ID())
	assert.Equal(t, 2, r.NumDictionaries())
	r.Close()
	f.Close()
	got, _, err := ReadTable(path)
	require.NoError(t, err)
	assert.Equal(t, cols, got)

	_, err = WriteTable(path, []Column{{Name: "x", Dictionary: true, Int64: []int64{1}}}, nil)
	assert.Error(t, err, "only strings are dictionary-encoded")
}

func TestLayoutAndPopulationSizes(t *testing.T) {
	assert.Equal(t, filepath.Join("spikes", "variant-42.arrow"), SpikeFile(42))
	s := FormatPopulationSizes(map[string]int{"I": 800, "E": 3200})
	assert.Equal(t, "E=3200,I=800", s)
	m, err := ParsePopulationSizes(s)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"E": 3200, "I": 800}, m)
	m, err = ParsePopulationSizes("")
	require.NoError(t, err)
	assert.Empty(t, m)
	_, err = ParsePopulationSizes("E=x")
	assert.Error(t, err)
}

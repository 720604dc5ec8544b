package results

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFile verifies what every finished file must satisfy: Arrow file magic at both ends,
// and FileInfo size and sha256 equal to an independent digest of the bytes on disk.
func checkFile(t *testing.T, info FileInfo) {
	t.Helper()
	data, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(data), 12)
	assert.Equal(t, "ARROW1", string(data[:6]), "file format magic at start")
	assert.Equal(t, "ARROW1", string(data[len(data)-6:]), "file format magic at end")
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:]), info.SHA256)
	assert.Equal(t, int64(len(data)), info.Bytes)

	digest, size, err := FileSHA256(info.Path)
	require.NoError(t, err)
	assert.Equal(t, info.SHA256, digest)
	assert.Equal(t, info.Bytes, size)
}

// dirNames lists the directory, to catch stray temporary files.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestSpikesRoundTripManyBatches(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spikes.arrow")
	pops := []string{"E", "I", "Stim"}
	meta := map[string]string{"dt": "0.1", "duration": "1000", "gennctl_version": "test", "structure_key": "abc"}
	w, err := NewSpikeWriter(path, pops, meta)
	require.NoError(t, err)

	// Chunks of uneven size so batch boundaries fall inside Write calls; 2.5 batches in all.
	total := BatchRows*2 + BatchRows/2
	var want Spikes
	for start := 0; start < total; {
		n := 7919
		if start+n > total {
			n = total - start
		}
		var v []uint64
		var p, nr []uint32
		var tm []float64
		for i := start; i < start+n; i++ {
			v = append(v, uint64(i%5)+1<<40)
			p = append(p, uint32(i%3))
			nr = append(nr, uint32(i*7))
			tm = append(tm, float64(i)*0.1)
			want.Variant = append(want.Variant, v[len(v)-1])
			want.Population = append(want.Population, pops[i%3])
			want.Neuron = append(want.Neuron, nr[len(nr)-1])
			want.Time = append(want.Time, tm[len(tm)-1])
		}
		require.NoError(t, w.Write(v, p, nr, tm))
		start += n
	}
	info, err := w.Close()
	require.NoError(t, err)
	assert.Equal(t, path, info.Path)
	assert.Equal(t, int64(total), info.Rows)
	checkFile(t, info)
	assert.Equal(t, []string{"spikes.arrow"}, dirNames(t, dir))

	f, r, err := openReader(path)
	require.NoError(t, err)
	assert.Equal(t, 3, r.NumRecords(), "rows are split into record batches of BatchRows")
	assert.Equal(t, 1, r.NumDictionaries(), "one fixed population dictionary")
	tf, _ := r.Schema().FieldsByName(ColTime)
	unit, _ := tf[0].Metadata.GetValue(UnitKey)
	assert.Equal(t, "ms", unit)
	pf, _ := r.Schema().FieldsByName(ColPopulation)
	assert.Equal(t, arrow.DICTIONARY, pf[0].Type.ID())
	r.Close()
	f.Close()

	got, gotMeta, err := ReadSpikes(path)
	require.NoError(t, err)
	assert.Equal(t, meta, gotMeta)
	assert.Equal(t, want.Len(), got.Len())
	assert.Equal(t, want, got)
}

func TestSpikesEmptyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "empty.arrow")
	w, err := NewSpikeWriter(path, []string{"E"}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Write(nil, nil, nil, nil))
	info, err := w.Close()
	require.NoError(t, err)
	assert.Equal(t, int64(0), info.Rows)
	checkFile(t, info)
	f, r, err := openReader(path)
	require.NoError(t, err)
	assert.Equal(t, 1, r.NumDictionaries(), "the population categories are stored even without rows")
	assert.Equal(t, 1, r.NumRecords())
	r.Close()
	f.Close()

	got, meta, err := ReadSpikes(path)
	require.NoError(t, err)
	assert.Equal(t, 0, got.Len())
	assert.NotNil(t, got.Variant)
	assert.Empty(t, meta)

	// The schema, units included, is there even without rows.
	cols, _, err := ReadTable(path)
	require.NoError(t, err)
	require.Len(t, cols, 4)
	assert.Equal(t, []string{ColVariantID, ColPopulation, ColNeuron, ColTime},
		[]string{cols[0].Name, cols[1].Name, cols[2].Name, cols[3].Name})
	assert.NotNil(t, cols[1].String)
	assert.Equal(t, "ms", cols[3].Unit)
}

func TestSpikeWriterRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.arrow")
	_, err := NewSpikeWriter(path, []string{"E", "E"}, nil)
	assert.Error(t, err)

	w, err := NewSpikeWriter(path, []string{"E"}, nil)
	require.NoError(t, err)
	assert.Error(t, w.Write([]uint64{1}, []uint32{0, 0}, []uint32{1}, []float64{1}), "length mismatch")
	assert.Error(t, w.Write([]uint64{1}, []uint32{1}, []uint32{1}, []float64{1}), "population out of range")
	// Rejected calls buffer nothing; the writer stays usable.
	require.NoError(t, w.Write([]uint64{9}, []uint32{0}, []uint32{3}, []float64{0.5}))
	info, err := w.Close()
	require.NoError(t, err)
	assert.Equal(t, int64(1), info.Rows)
	_, err = w.Close()
	assert.Error(t, err, "second Close")
	w.Abort() // no-op after Close
	got, _, err := ReadSpikes(path)
	require.NoError(t, err)
	assert.Equal(t, Spikes{Variant: []uint64{9}, Population: []string{"E"}, Neuron: []uint32{3}, Time: []float64{0.5}}, got)
}

func TestSpikeWriterAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spikes.arrow")
	w, err := NewSpikeWriter(path, []string{"E"}, nil)
	require.NoError(t, err)
	n := BatchRows + 10 // force a batch to be written to the temp file first
	require.NoError(t, w.Write(make([]uint64, n), make([]uint32, n), make([]uint32, n), make([]float64, n)))
	names := dirNames(t, dir)
	require.Len(t, names, 1)
	assert.Regexp(t, `^\.spikes\.arrow\.tmp-[0-9a-f]+$`, names[0], "writes go to a hidden temporary name")
	w.Abort()
	w.Abort()
	assert.Empty(t, dirNames(t, dir), "Abort leaves no file and no temp file")
	assert.NoFileExists(t, path)
	assert.Error(t, w.Write([]uint64{1}, []uint32{0}, []uint32{0}, []float64{0}))
	_, err = w.Close()
	assert.Error(t, err)
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spikes.arrow")
	w, err := NewSpikeWriter(path, []string{"E"}, nil)
	require.NoError(t, err)
	// Simulate an I/O failure: close the underlying temporary file behind the writer's back.
	require.NoError(t, w.s.af.f.Close())
	n := BatchRows * 20 // more than the 1 MiB write buffer, so the failure surfaces in Write
	err = w.Write(make([]uint64, n), make([]uint32, n), make([]uint32, n), make([]float64, n))
	require.Error(t, err)
	assert.Equal(t, err, w.Write([]uint64{1}, []uint32{0}, []uint32{0}, []float64{0}), "I/O errors are sticky")
	_, err = w.Close()
	require.Error(t, err)
	assert.NoFileExists(t, path)
	assert.Empty(t, dirNames(t, dir))

	// A missing directory fails at creation and creates nothing.
	_, err = NewSpikeWriter(filepath.Join(dir, "missing", "s.arrow"), nil, nil)
	assert.Error(t, err)
	_, err = WriteTable(filepath.Join(dir, "missing", "t.arrow"), nil, nil)
	assert.Error(t, err)
	assert.Empty(t, dirNames(t, dir))
}

func TestOverwriteIsAtomic(t *testing.T) {
	// A rerun replaces an existing file in one step; an aborted rerun leaves the old one.
	dir := t.TempDir()
	path := filepath.Join(dir, "v.arrow")
	first, err := WriteTable(path, []Column{{Name: "x", Int64: []int64{1}}}, nil)
	require.NoError(t, err)
	w, err := NewSpikeWriter(path, nil, nil)
	require.NoError(t, err)
	w.Abort()
	digest, _, err := FileSHA256(path)
	require.NoError(t, err)
	assert.Equal(t, first.SHA256, digest)
	second, err := WriteTable(path, []Column{{Name: "x", Int64: []int64{2}}}, nil)
	require.NoError(t, err)
	assert.NotEqual(t, first.SHA256, second.SHA256)
	assert.Equal(t, []string{"v.arrow"}, dirNames(t, dir))
}

func TestTableRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "variants.arrow")
	n := BatchRows + 3 // spans two batches
	cols := []Column{
		{Name: "variant_id", Uint64: make([]uint64, n)},
		{Name: "seed", Uint64: make([]uint64, n)},
		{Name: "repeat", Int64: make([]int64, n)},
		{Name: "E.TauM", Unit: "ms", Float64: make([]float64, n)},
		{Name: "status", String: make([]string, n)},
	}
	for i := 0; i < n; i++ {
		cols[0].Uint64[i] = uint64(i)
		cols[1].Uint64[i] = ^uint64(0) - uint64(i) // seeds beyond int64
		cols[2].Int64[i] = int64(i%3) - 1
		cols[3].Float64[i] = 10 + float64(i)/1000
		cols[4].String[i] = []string{"done", "failed", "pending", ""}[i%4]
	}
	meta := map[string]string{"config_digest": "sha256:00ff", "gennctl_version": "v0.0.0"}
	info, err := WriteTable(path, cols, meta)
	require.NoError(t, err)
	assert.Equal(t, int64(n), info.Rows)
	checkFile(t, info)

	got, gotMeta, err := ReadTable(path)
	require.NoError(t, err)
	assert.Equal(t, cols, got)
	assert.Equal(t, meta, gotMeta)
}

func TestTableEmptyAndInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.arrow")
	cols := []Column{
		{Name: "a", Uint64: []uint64{}},
		{Name: "b", Int64: []int64{}},
		{Name: "c", Float64: []float64{}, Unit: "mV"},
		{Name: "d", String: []string{}},
	}
	info, err := WriteTable(path, cols, map[string]string{"k": "v"})
	require.NoError(t, err)
	assert.Equal(t, int64(0), info.Rows)
	checkFile(t, info)
	got, meta, err := ReadTable(path)
	require.NoError(t, err)
	assert.Equal(t, cols, got)
	assert.Equal(t, map[string]string{"k": "v"}, meta)

	bad := [][]Column{
		{{Name: "a"}}, // no slice
		{{Name: "a", Int64: []int64{1}, Float64: []float64{1}}},             // two slices
		{{Name: "a", Int64: []int64{1}}, {Name: "b", Int64: []int64{1, 2}}}, // lengths
		{{Name: "a", Int64: []int64{1}}, {Name: "a", Int64: []int64{1}}},    // duplicate name
		{{Name: "", Int64: []int64{1}}},                                     // empty name
	}
	for i, cols := range bad {
		_, err := WriteTable(filepath.Join(dir, "bad.arrow"), cols, nil)
		assert.Error(t, err, "case %d", i)
	}
	assert.Equal(t, []string{"t.arrow"}, dirNames(t, dir))
}

func TestReadSpikesRejectsOtherTables(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.arrow")
	_, err := WriteTable(path, []Column{{Name: "x", Int64: []int64{1}}}, nil)
	require.NoError(t, err)
	_, _, err = ReadSpikes(path)
	assert.Error(t, err)
	_, _, err = ReadSpikes(filepath.Join(dir, "missing.arrow"))
	assert.Error(t, err)
}

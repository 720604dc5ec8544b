package results

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateRoundTripManyBatches(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.arrow")
	owners := []string{"E", "EE", "drive"}
	vars := []string{"V", "inSyn", "RefracTime"}
	meta := map[string]string{MetaDT: "0.1", MetaRecorded: `[{"population":"E"}]`}
	w, err := NewStateWriter(path, owners, vars, meta)
	require.NoError(t, err)

	total := BatchRows*2 + 777
	var want State
	for start := 0; start < total; {
		n := min(6007, total-start)
		var v []uint64
		var o, x, nr []uint32
		var tm, val []float64
		for i := start; i < start+n; i++ {
			v = append(v, 1<<60+uint64(i%2))
			o = append(o, uint32(i%3))
			x = append(x, uint32((i/3)%3))
			nr = append(nr, uint32(i%1000))
			tm = append(tm, float64(i/1000)*0.1)
			val = append(val, -60+float64(i)/7)
			want.Variant = append(want.Variant, v[len(v)-1])
			want.Population = append(want.Population, owners[i%3])
			want.Var = append(want.Var, vars[(i/3)%3])
			want.Neuron = append(want.Neuron, nr[len(nr)-1])
			want.Time = append(want.Time, tm[len(tm)-1])
			want.Value = append(want.Value, val[len(val)-1])
		}
		require.NoError(t, w.Write(v, o, x, nr, tm, val))
		start += n
	}
	assert.EqualValues(t, total, w.Rows())
	info, err := w.Close()
	require.NoError(t, err)
	assert.Equal(t, int64(total), info.Rows)
	checkFile(t, info)
	assert.Equal(t, []string{"state.arrow"}, dirNames(t, dir))

	f, r, err := openReader(path)
	require.NoError(t, err)
	assert.Equal(t, 3, r.NumRecords(), "bounded record batches")
	assert.Equal(t, 2, r.NumDictionaries(), "population and var dictionaries")
	var types []string
	for _, fld := range r.Schema().Fields() {
		types = append(types, fld.Name+":"+fld.Type.String())
	}
	assert.Equal(t, []string{"variant_id:uint64", "population:dictionary<values=utf8, indices=int32, ordered=false>",
		"var:dictionary<values=utf8, indices=int32, ordered=false>", "neuron:uint32", "time:float64", "value:float64"}, types)
	tf, _ := r.Schema().FieldsByName(ColTime)
	unit, _ := tf[0].Metadata.GetValue(UnitKey)
	assert.Equal(t, "ms", unit)
	vf, _ := r.Schema().FieldsByName(ColValue)
	assert.Equal(t, 0, vf[0].Metadata.Len(), "the unit of values is model-specific: none is claimed")
	r.Close()
	f.Close()

	got, gotMeta, err := ReadState(path)
	require.NoError(t, err)
	assert.Equal(t, meta, gotMeta)
	assert.Equal(t, want, got)
	fm, err := FileMetadata(path)
	require.NoError(t, err)
	assert.Equal(t, meta, fm)
}

func TestStateWriterRejectsBadRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.arrow")
	_, err := NewStateWriter(path, []string{"E", "E"}, []string{"V"}, nil)
	assert.EqualError(t, err, `results: duplicate population "E"`)
	w, err := NewStateWriter(path, []string{"E"}, []string{"V"}, nil)
	require.NoError(t, err)
	one := []uint32{0}
	assert.EqualError(t, w.Write([]uint64{1}, one, one, one, []float64{0}, nil), "results: state columns differ in length (1, 1, 1, 1, 1, 0)")
	assert.EqualError(t, w.Write([]uint64{1}, []uint32{1}, one, one, []float64{0}, []float64{1}), "results: state row 0: population index 1 out of range (1 populations)")
	assert.EqualError(t, w.Write([]uint64{1}, one, []uint32{2}, one, []float64{0}, []float64{1}), "results: state row 0: var index 2 out of range (1 vars)")
	require.NoError(t, w.Write([]uint64{1}, one, one, one, []float64{0}, []float64{1}), "still usable")
	info, err := w.Close()
	require.NoError(t, err)
	assert.EqualValues(t, 1, info.Rows)
	_, err = w.Close()
	assert.EqualError(t, err, "results: StateWriter already closed")
	assert.EqualError(t, w.Write(nil, nil, nil, nil, nil, nil), "results: write to closed StateWriter")
	w.Abort() // no-op after Close
	st, _, err := ReadState(path)
	require.NoError(t, err)
	assert.Equal(t, State{Variant: []uint64{1}, Population: []string{"E"}, Var: []string{"V"}, Neuron: []uint32{0}, Time: []float64{0}, Value: []float64{1}}, st)
}

func TestStateEmptyAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "empty.arrow")
	w, err := NewStateWriter(path, []string{"E"}, []string{"V", "U"}, nil)
	require.NoError(t, err)
	info, err := w.Close()
	require.NoError(t, err)
	checkFile(t, info)
	st, _, err := ReadState(path)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Len())
	assert.NotNil(t, st.Value)

	w, err = NewStateWriter(filepath.Join(dir, "aborted.arrow"), []string{"E"}, []string{"V"}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Write([]uint64{1}, []uint32{0}, []uint32{0}, []uint32{0}, []float64{0}, []float64{1}))
	w.Abort()
	w.Abort()
	assert.Equal(t, []string{"empty.arrow"}, dirNames(t, dir), "nothing left of an aborted file")

	// A spike file is not a state file.
	sp := filepath.Join(dir, "spikes.arrow")
	sw, err := NewSpikeWriter(sp, []string{"E"}, nil)
	require.NoError(t, err)
	_, err = sw.Close()
	require.NoError(t, err)
	_, _, err = ReadState(sp)
	assert.ErrorContains(t, err, `is not a state file: want one column "var"`)
}

// Float precision networks store state values as float32, read back exactly.
func TestStateFloat32Values(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.arrow")
	w, err := NewStateWriter(path, []string{"E"}, []string{"V"}, nil, WithFloat32Values())
	require.NoError(t, err)
	vals := []float64{float64(float32(-65.123)), 0.5, float64(float32(1e-7))}
	require.NoError(t, w.Write([]uint64{1, 1, 1}, []uint32{0, 0, 0}, []uint32{0, 0, 0}, []uint32{0, 1, 2}, []float64{0, 0, 0}, vals))
	_, err = w.Close()
	require.NoError(t, err)
	f, r, err := openReader(path)
	require.NoError(t, err)
	assert.Equal(t, "float32", r.Schema().Field(5).Type.Name())
	r.Close()
	f.Close()
	s, _, err := ReadState(path)
	require.NoError(t, err)
	assert.Equal(t, vals, s.Value)
}

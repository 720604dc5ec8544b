package results

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWideState(t *testing.T) {
	s := State{
		Variant:    []uint64{7, 7, 7, 7, 7},
		Population: []string{"E", "E", "E", "E", "I"},
		Var:        []string{"V", "V", "V", "V", "V"},
		Neuron:     []uint32{0, 5, 0, 5, 2},
		Time:       []float64{0, 0, 1, 1, 0},
		Value:      []float64{-65, -64, -60, -59, -70},
	}
	cols, err := WideState(s)
	require.NoError(t, err)
	require.Len(t, cols, 4)
	assert.Equal(t, "time", cols[0].Name)
	assert.Equal(t, []float64{0, 1}, cols[0].Float64)
	assert.Equal(t, "E.V[0]", cols[1].Name)
	assert.Equal(t, []float64{-65, -60}, cols[1].Float64)
	assert.Equal(t, "E.V[5]", cols[2].Name)
	assert.Equal(t, []float64{-64, -59}, cols[2].Float64)
	assert.Equal(t, "I.V[2]", cols[3].Name)
	assert.Equal(t, -70.0, cols[3].Float64[0])
	assert.True(t, math.IsNaN(cols[3].Float64[1]), "no sample of I.V[2] at t=1")

	s.Variant[1] = 8
	_, err = WideState(s)
	assert.Error(t, err)
}

// WriteCSV writes numbers exactly and a NaN (a missing sample) as an empty
// cell.
func TestWriteCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv")
	info, err := WriteCSV(path, []Column{{Name: "time", Float64: []float64{0, 0.1}}, {Name: "P.V[0]", Float64: []float64{-65.125, math.NaN()}},
		{Name: "id", Uint64: []uint64{1 << 60, 7}}, {Name: "s", String: []string{"a,b", "c"}}})
	require.NoError(t, err)
	assert.Equal(t, int64(2), info.Rows)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "time,P.V[0],id,s\n0,-65.125,1152921504606846976,\"a,b\"\n0.1,,7,c\n", string(data))
}

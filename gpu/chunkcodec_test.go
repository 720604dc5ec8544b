package gpu

import (
	"bytes"
	"encoding/gob"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Chunks survive the worker protocol's gob encoding unchanged, including
// empty columns, extreme values and NaN bit patterns.
func TestChunkGobRoundTrip(t *testing.T) {
	spikes := SpikeChunk{Pop: []uint32{0, 1, 1}, Variant: []uint32{0, 0, 7}, Neuron: []uint32{3, math.MaxUint32, 0}, Step: []uint32{0, 10, 20}}
	state := StateChunk{Spec: 2, Step: 99, Variant: []uint32{0, 1}, Element: []uint32{5, 6}, Value: []float64{-65.5, math.Inf(-1)}}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	require.NoError(t, enc.Encode(&Message{JobID: "j", Chunk: &spikes}))
	require.NoError(t, enc.Encode(&Message{JobID: "j", State: &state}))
	require.NoError(t, enc.Encode(&Message{JobID: "j", Chunk: &SpikeChunk{}}))
	dec := gob.NewDecoder(&buf)
	var m1, m2, m3 Message
	require.NoError(t, dec.Decode(&m1))
	require.NoError(t, dec.Decode(&m2))
	require.NoError(t, dec.Decode(&m3))
	assert.Equal(t, spikes, *m1.Chunk)
	assert.Equal(t, state, *m2.State)
	assert.Equal(t, 0, m3.Chunk.Len())

	var c SpikeChunk
	assert.Error(t, c.GobDecode([]byte{1, 0, 0, 0}), "truncated")
}

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
// empty columns and extreme values (NaN bit patterns: TestChunkNaNBitPatterns).
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

// NaN payloads and signs, signed zeros, infinities and subnormals cross the
// protocol bit for bit (assert.Equal cannot say so: NaN != NaN).
func TestChunkNaNBitPatterns(t *testing.T) {
	bits := []uint64{
		0x7ff8000000000000, // the quiet NaN
		0xfff8000000000000, // negative quiet NaN
		0x7ff0000000000001, // signalling NaN, payload 1
		0x7ff4000000000abc, // signalling NaN, another payload
		0xfffffffffffffffe, // negative NaN, payload all ones but the last
		0x8000000000000000, // -0
		0x0000000000000001, // smallest subnormal
		0x7ff0000000000000, // +inf
		0xfff0000000000000, // -inf
	}
	values := make([]float64, len(bits))
	for i, b := range bits {
		values[i] = math.Float64frombits(b)
	}
	state := StateChunk{Spec: 1, Step: 3, Variant: make([]uint32, len(bits)), Element: make([]uint32, len(bits)), Value: values}
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(&Message{JobID: "nan", State: &state}))
	var m Message
	require.NoError(t, gob.NewDecoder(&buf).Decode(&m))
	require.Len(t, m.State.Value, len(bits))
	for i, v := range m.State.Value {
		assert.Equal(t, bits[i], math.Float64bits(v), "value %d", i)
	}
}

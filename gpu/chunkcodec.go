package gpu

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"
)

// Spike and state chunks are most of what workers send. gob encodes a
// []uint32 element by element as variable-length integers; these methods
// send each column as one little-endian block instead, which costs the
// orchestrator (who decodes every chunk of every worker) a copy per column.

var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

func appendUint32s(b []byte, xs []uint32) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(xs)))
	if littleEndian && len(xs) > 0 {
		return append(b, unsafe.Slice((*byte)(unsafe.Pointer(&xs[0])), 4*len(xs))...)
	}
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

func appendFloat64s(b []byte, xs []float64) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(xs)))
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

var errShortChunk = errors.New("gpu: truncated chunk")

func readUint32s(b []byte) ([]uint32, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errShortChunk
	}
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if len(b) < 4*n {
		return nil, nil, errShortChunk
	}
	xs := make([]uint32, n)
	if littleEndian && n > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&xs[0])), 4*n), b)
	} else {
		for i := range xs {
			xs[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
	}
	return xs, b[4*n:], nil
}

func readFloat64s(b []byte) ([]float64, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errShortChunk
	}
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if len(b) < 8*n {
		return nil, nil, errShortChunk
	}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return xs, b[8*n:], nil
}

// GobEncode packs the four columns.
func (c SpikeChunk) GobEncode() ([]byte, error) {
	b := make([]byte, 0, 16+16*len(c.Pop))
	for _, col := range [][]uint32{c.Pop, c.Variant, c.Neuron, c.Step} {
		b = appendUint32s(b, col)
	}
	return b, nil
}

// GobDecode unpacks what GobEncode packed.
func (c *SpikeChunk) GobDecode(b []byte) error {
	var err error
	for _, col := range []*[]uint32{&c.Pop, &c.Variant, &c.Neuron, &c.Step} {
		if *col, b, err = readUint32s(b); err != nil {
			return err
		}
	}
	return nil
}

// GobEncode packs the chunk.
func (c StateChunk) GobEncode() ([]byte, error) {
	b := make([]byte, 0, 20+16*len(c.Value))
	b = binary.LittleEndian.AppendUint32(b, uint32(c.Spec))
	b = binary.LittleEndian.AppendUint32(b, c.Step)
	b = appendUint32s(b, c.Variant)
	b = appendUint32s(b, c.Element)
	return appendFloat64s(b, c.Value), nil
}

// GobDecode unpacks what GobEncode packed.
func (c *StateChunk) GobDecode(b []byte) error {
	if len(b) < 8 {
		return errShortChunk
	}
	c.Spec, c.Step = int(binary.LittleEndian.Uint32(b)), binary.LittleEndian.Uint32(b[4:])
	var err error
	if c.Variant, b, err = readUint32s(b[8:]); err != nil {
		return err
	}
	if c.Element, b, err = readUint32s(b); err != nil {
		return err
	}
	c.Value, _, err = readFloat64s(b)
	return err
}

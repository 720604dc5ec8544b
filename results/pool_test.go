package results

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPoolAllocatorZeroedAlignedReused(t *testing.T) {
	a := &poolAllocator{}
	for _, size := range []int{0, 1, 63, 64, 65, 1000, 4096, 100_000, 1 << 20, 3 << 20} {
		for round := 0; round < 3; round++ {
			b := a.Allocate(size)
			require.Len(t, b, size)
			assert.Equal(t, size, cap(b), "capacity is the requested size, as with memory.GoAllocator")
			if size > 0 {
				assert.Zero(t, uintptr(unsafe.Pointer(&b[0]))%64, "64-byte aligned")
			}
			for i, x := range b {
				if x != 0 {
					t.Fatalf("size %d round %d: byte %d is %d, want 0", size, round, i, x)
				}
			}
			for i := range b {
				b[i] = 0xff // dirty it before it goes back to the pool
			}
			a.Free(b)
		}
	}
}

func TestPoolAllocatorReallocate(t *testing.T) {
	a := &poolAllocator{}
	b := a.Allocate(100)
	for i := range b {
		b[i] = byte(i)
	}
	b = a.Reallocate(5000, b) // new class: copied, the rest zero
	require.Len(t, b, 5000)
	for i := 0; i < 100; i++ {
		require.Equal(t, byte(i), b[i])
	}
	for i := 100; i < 5000; i++ {
		require.Zero(t, b[i])
	}
	b[4999] = 7
	b = a.Reallocate(200, b) // shrink in place
	require.Len(t, b, 200)
	b = a.Reallocate(5000, b) // grow back within the capacity: zeroed again
	require.Zero(t, b[4999])
	a.Free(b)
	a.Free(nil)
}

func TestPoolAllocatorLargeNotPooled(t *testing.T) {
	a := &poolAllocator{}
	size := 1<<maxPooledShift + 1
	b := a.Allocate(size)
	require.Len(t, b, size)
	a.Free(b) // left to the garbage collector; must not panic
}

// Files written with recycled buffers are byte-identical to the first.
func TestSpikeFilesIdenticalWithRecycledBuffers(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) FileInfo {
		w, err := NewSpikeWriter(dir+"/"+name, []string{"E", "I"}, map[string]string{"k": "v"})
		require.NoError(t, err)
		variant, pop, neuron, time := make([]uint64, n), make([]uint32, n), make([]uint32, n), make([]float64, n)
		for i := range n {
			variant[i], pop[i], neuron[i], time[i] = 7, uint32(i%2), uint32(i*13%4000), float64(i)*0.1
		}
		for lo := 0; lo < n; lo += 1000 {
			hi := min(lo+1000, n)
			require.NoError(t, w.Write(variant[lo:hi], pop[lo:hi], neuron[lo:hi], time[lo:hi]))
		}
		info, err := w.Close()
		require.NoError(t, err)
		return info
	}
	first := write("a.arrow", 21_500)
	write("big.arrow", BatchRows+12_345) // dirties pooled buffers of every class
	again := write("b.arrow", 21_500)
	assert.Equal(t, first.SHA256, again.SHA256)
	assert.Equal(t, first.Bytes, again.Bytes)
}

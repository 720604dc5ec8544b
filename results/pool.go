package results

import (
	"bufio"
	"io"
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// A sweep writes one file per variant, each a few hundred KiB: with Arrow's
// Go allocator every file's column builders grow from nothing by doubling and
// every file gets a fresh write buffer, so the orchestrator allocated about
// 4 MiB per variant, and collecting that garbage competed with the workers for
// the CPUs (scripts/bench/cores.sh). The writers therefore draw their buffers
// from pools shared by all files of the process.

// poolAllocator is a memory.Allocator that recycles buffers by power-of-two
// size class. Like memory.GoAllocator it returns zeroed, 64-byte aligned
// memory whose capacity is the requested size; Arrow frees a buffer (Free)
// when its reference count drops to zero, and only then is it reused.
// Buffers above maxPooledClass are left to the garbage collector.
type poolAllocator struct {
	pools [maxPooledShift + 1]sync.Pool // by log2 of the class; holds *byte (start of the class's bytes)
}

const (
	minPooledShift = 6  // 64 bytes
	maxPooledShift = 24 // 16 MiB
	poolAlign      = 64
)

var writerAllocator memory.Allocator = &poolAllocator{}

// classShift is the size class (log2) of a buffer of n bytes: the smallest
// power of two >= n, at least 64.
func classShift(n int) int {
	if n <= 1<<minPooledShift {
		return minPooledShift
	}
	return bits.Len(uint(n - 1))
}

func (a *poolAllocator) Allocate(size int) []byte {
	if size < 0 {
		panic("results: negative allocation")
	}
	s := classShift(size)
	if s > maxPooledShift {
		return memory.DefaultAllocator.Allocate(size)
	}
	if p, ok := a.pools[s].Get().(*byte); ok {
		b := unsafe.Slice(p, size)
		clear(b)
		return b[:size:size]
	}
	class := 1 << s
	raw := make([]byte, class+poolAlign)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw)))) & (poolAlign - 1)
	return raw[off : off+size : off+size]
}

func (a *poolAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		if size > len(b) {
			// Grow within the class: zero what becomes visible, as fresh
			// memory would be.
			clear(b[len(b):size])
		}
		return b[:size]
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

func (a *poolAllocator) Free(b []byte) {
	if cap(b) == 0 {
		return
	}
	s := classShift(cap(b))
	if s > maxPooledShift {
		return
	}
	// Every buffer handed out has its capacity in (class/2, class] (or is
	// below 64 bytes), so the class is recovered from the capacity, and the
	// class's bytes start where the buffer does.
	a.pools[s].Put(unsafe.SliceData(b[:1]))
}

// Files are written through a 1 MiB buffer (large sequential writes), taken
// from this pool and returned when the file is committed or aborted.
const fileBufferSize = 1 << 20

var fileBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, fileBufferSize) }}

func getFileBuffer(w io.Writer) *bufio.Writer {
	b := fileBuffers.Get().(*bufio.Writer)
	b.Reset(w)
	return b
}

func putFileBuffer(b *bufio.Writer) {
	if b == nil {
		return
	}
	b.Reset(nil)
	fileBuffers.Put(b)
}

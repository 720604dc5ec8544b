package cuda

// EmulationHeader stands in for the CUDA runtime when a CUDA module is
// compiled by the host C++ compiler with -DGN_CUDA_EMULATION: a kernel
// launch runs every thread of every block in turn on the calling thread,
// device memory is host memory and atomics are plain read-modify-writes.
//
// This is sound for the kernels gennctl generates because their threads
// never wait for each other (no __syncthreads, no shared memory, no warp
// intrinsics): each thread writes only its own elements, except through
// atomicAdd, whose sum is the same in any order up to rounding, and
// atomicOr, whose result is the same in any order. So the
// emulated module computes what the GPU computes (with the host's math
// library instead of the device's), and the whole feature test suite can
// check the CUDA generator on machines without a GPU. It does not check
// what only hardware shows: speed, memory limits and data races.
const EmulationHeader = `/* gennctl: CUDA runtime emulation on the host (see codegen/cuda: EmulationHeader). */
#ifndef GN_CUDA_EMU_H
#define GN_CUDA_EMU_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define __global__
#define __device__
#define __host__

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
static dim3 blockIdx, threadIdx, blockDim, gridDim;
static unsigned long long gn_emu_thread, gn_emu_threads;

/* A launch: for (gn_emu_start(grid, block); gn_emu_next(); ) kernel(args); */
static inline void gn_emu_start(dim3 grid, dim3 block)
{
    gridDim = grid;
    blockDim = block;
    gn_emu_threads = (unsigned long long)grid.x * grid.y * grid.z * block.x * block.y * block.z;
    gn_emu_thread = 0;
}

static inline bool gn_emu_next()
{
    if (gn_emu_thread == gn_emu_threads) return false;
    unsigned long long i = gn_emu_thread++;
    threadIdx.x = (unsigned)(i % blockDim.x); i /= blockDim.x;
    threadIdx.y = (unsigned)(i % blockDim.y); i /= blockDim.y;
    threadIdx.z = (unsigned)(i % blockDim.z); i /= blockDim.z;
    blockIdx.x = (unsigned)(i % gridDim.x); i /= gridDim.x;
    blockIdx.y = (unsigned)(i % gridDim.y); i /= gridDim.y;
    blockIdx.z = (unsigned)i;
    return true;
}

#define GN_LAUNCH(kernel, grid, block) for (gn_emu_start(grid, block); gn_emu_next();) kernel

typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost };

static inline cudaError_t cudaMalloc(void **p, size_t n)
{
    *p = calloc(n > 0 ? n : 1, 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
static inline cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }
static inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind) { memcpy(dst, src, n); return cudaSuccess; }
static inline cudaError_t cudaMemset(void *p, int v, size_t n) { memset(p, v, n); return cudaSuccess; }
static inline cudaError_t cudaGetLastError() { return cudaSuccess; }
static inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
static inline const char *cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "out of memory"; }

/* CUDA's min and max of mixed integer and floating-point arguments */
template <typename A, typename B> static inline auto min(A a, B b) -> decltype(a + b) { return a < b ? a : b; }
template <typename A, typename B> static inline auto max(A a, B b) -> decltype(a + b) { return a > b ? a : b; }

template <typename T> static inline T atomicAdd(T *p, T v)
{
    const T old = *p;
    *p = old + v;
    return old;
}
static inline unsigned atomicOr(unsigned *p, unsigned v)
{
    const unsigned old = *p;
    *p = old | v;
    return old;
}
static inline int __ffs(unsigned x) { return __builtin_ffs((int)x); }
#endif
`

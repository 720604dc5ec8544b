package cuda

// EmulationHeader stands in for the CUDA runtime when a CUDA module is
// compiled by the host C++ compiler with -DGN_CUDA_EMULATION: device memory
// is host memory, atomics are plain read-modify-writes, and a kernel launch
// runs every thread of every block on the calling thread, blocks one after
// another.
//
// Kernels launched with GN_LAUNCH run their threads one after another: they
// never wait for each other (in order, or with GENNCTL_CUDA_EMU_ORDER=reverse
// last first, so that a test can check that results do not depend on the
// order threads take atomics in). Kernels launched with GN_LAUNCH_SYNC may call
// __syncthreads and use __shared__ memory: each thread of a block then runs
// as a coroutine with a stack of its own, and __syncthreads switches to the
// next thread, so that every thread of the block reaches the barrier before
// any passes it (a thread that has returned no longer takes part, as on
// Volta and later GPUs). __shared__ variables are function statics, shared
// by the threads of the block running now. Warp intrinsics are not
// emulated; the generator does not use them.
//
// Stream capture and CUDA graphs are emulated by recording the launches of
// a capture and replaying them, the occupancy calculator answers 64
// threads per block, so that small test networks span several blocks, and
// the device has one multiprocessor.
//
// Because threads that share data meet at barriers and otherwise write only
// their own elements or use atomics (whose integer results are the same in
// any order, and whose float sums are the same up to rounding), the
// emulated module computes what the GPU computes, with the host's math
// library instead of the device's, and the whole feature test suite checks
// the CUDA generator on machines without a GPU. It does not check what
// only hardware shows: speed, memory limits and data races.
const EmulationHeader = `/* gennctl: CUDA runtime emulation on the host (see codegen/cuda: EmulationHeader). */
#ifndef GN_CUDA_EMU_H
#define GN_CUDA_EMU_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <functional>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__
#define __launch_bounds__(...)
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
static dim3 blockIdx, threadIdx, blockDim, gridDim;

/* ---- coroutines for the threads of a block that meet at barriers ---- */

struct gn_emu_fiber {
    void *sp;       /* saved stack pointer while switched out */
    bool done;      /* the thread has returned */
    char *stack;
};
static void *gn_emu_sched_sp;                 /* the scheduler's, while a thread runs */
static gn_emu_fiber *gn_emu_cur;              /* the thread running */
static bool gn_emu_fibers_on;                 /* a GN_LAUNCH_SYNC block is running */
static void (*gn_emu_body)(void *);
static void *gn_emu_body_arg;
enum { GN_EMU_STACK = 256 * 1024 };

#if defined(__x86_64__)
/* Save the callee-saved registers on this stack, store its pointer in
   *from, switch to the stack to and restore its registers. */
extern "C" void gn_emu_switch(void **from, void *to);
__asm__(".text\n"
        ".p2align 4\n"
        ".globl gn_emu_switch\n"
        ".hidden gn_emu_switch\n"
        ".type gn_emu_switch,@function\n"
        "gn_emu_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size gn_emu_switch, .-gn_emu_switch\n");

static void gn_emu_fiber_main();

/* A fresh stack whose first switch starts gn_emu_fiber_main. */
static void *gn_emu_fiber_start(char *stack)
{
    uintptr_t top = ((uintptr_t)(stack + GN_EMU_STACK)) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = 0;                              /* gn_emu_fiber_main's return slot: entry alignment */
    *--sp = (void *)gn_emu_fiber_main;      /* where the switch returns to */
    for (int i = 0; i < 6; i++) *--sp = 0;  /* rbp, rbx, r12-r15 */
    return sp;
}
#else
#include <ucontext.h>
/* Elsewhere a slower switch through ucontext: sp points at a ucontext_t. */
static void gn_emu_switch(void **from, void *to)
{
    ucontext_t here;
    *from = &here;
    swapcontext(&here, (ucontext_t *)to);
}
static void gn_emu_fiber_main();
static void *gn_emu_fiber_start(char *stack)
{
    static std::vector<ucontext_t *> ctxs;
    ucontext_t *c = new ucontext_t;
    ctxs.push_back(c);
    getcontext(c);
    c->uc_stack.ss_sp = stack;
    c->uc_stack.ss_size = GN_EMU_STACK;
    c->uc_link = 0;
    makecontext(c, gn_emu_fiber_main, 0);
    return c;
}
#endif

static void gn_emu_fiber_main()
{
    gn_emu_body(gn_emu_body_arg);
    gn_emu_cur->done = true;
    gn_emu_switch(&gn_emu_cur->sp, gn_emu_sched_sp);
    abort(); /* a finished thread is never resumed */
}

static inline void __syncthreads()
{
    if (!gn_emu_fibers_on) {
        fprintf(stderr, "gennctl CUDA emulation: __syncthreads in a kernel not launched with GN_LAUNCH_SYNC\n");
        abort();
    }
    gn_emu_switch(&gn_emu_cur->sp, gn_emu_sched_sp);
}
static inline void __threadfence() {}

static inline void gn_emu_set_thread(unsigned long long i)
{
    threadIdx.x = (unsigned)(i % blockDim.x); i /= blockDim.x;
    threadIdx.y = (unsigned)(i % blockDim.y); i /= blockDim.y;
    threadIdx.z = (unsigned)i;
}

static inline void gn_emu_set_block(unsigned long long i)
{
    blockIdx.x = (unsigned)(i % gridDim.x); i /= gridDim.x;
    blockIdx.y = (unsigned)(i % gridDim.y); i /= gridDim.y;
    blockIdx.z = (unsigned)i;
}

/* Run fn(arg) as every thread of every block of grid: in turn, or with sync
   as coroutines that meet at __syncthreads. */
static void gn_emu_run(dim3 grid, dim3 block, bool sync, void (*fn)(void *), void *arg)
{
    gridDim = grid;
    blockDim = block;
    const unsigned long long nblocks = (unsigned long long)grid.x * grid.y * grid.z;
    const unsigned long long nthreads = (unsigned long long)block.x * block.y * block.z;
    if (!sync) {
        /* GENNCTL_CUDA_EMU_ORDER=reverse runs the blocks, and the threads of each, last first:
           with it tests check that results do not depend on the order threads take atomics in */
        const char *order = getenv("GENNCTL_CUDA_EMU_ORDER");
        const bool reverse = order && !strcmp(order, "reverse");
        for (unsigned long long bi = 0; bi < nblocks; bi++) {
            gn_emu_set_block(reverse ? nblocks - 1 - bi : bi);
            for (unsigned long long ti = 0; ti < nthreads; ti++) {
                gn_emu_set_thread(reverse ? nthreads - 1 - ti : ti);
                fn(arg);
            }
        }
        return;
    }
    static std::vector<gn_emu_fiber> fibers;
    while (fibers.size() < nthreads) {
        gn_emu_fiber f = {0, false, (char *)malloc(GN_EMU_STACK)};
        if (!f.stack) { fprintf(stderr, "gennctl CUDA emulation: out of memory for thread stacks\n"); abort(); }
        fibers.push_back(f);
    }
    gn_emu_body = fn;
    gn_emu_body_arg = arg;
    gn_emu_fibers_on = true;
    for (unsigned long long bi = 0; bi < nblocks; bi++) {
        gn_emu_set_block(bi);
        for (unsigned long long ti = 0; ti < nthreads; ti++) {
            fibers[ti].done = false;
            fibers[ti].sp = gn_emu_fiber_start(fibers[ti].stack);
        }
        for (unsigned long long left = nthreads; left > 0;) {
            /* every live thread runs to its next barrier (or returns) */
            for (unsigned long long ti = 0; ti < nthreads; ti++) {
                if (fibers[ti].done) continue;
                gn_emu_set_thread(ti);
                gn_emu_cur = &fibers[ti];
                gn_emu_switch(&gn_emu_sched_sp, fibers[ti].sp);
                if (fibers[ti].done) left--;
            }
        }
    }
    gn_emu_fibers_on = false;
}

/* ---- launches, streams and graphs ---- */

typedef struct gn_emu_stream *cudaStream_t;
typedef std::vector<std::function<void()> > *cudaGraph_t;
typedef cudaGraph_t cudaGraphExec_t;
static cudaGraph_t gn_emu_capture; /* the graph being captured, if any */

/* GN_LAUNCH(kernel, grid, block, stream)(args...): a launch, run now or
   recorded into the graph being captured. */
template <typename K> struct gn_emu_launch {
    dim3 grid, block;
    bool sync;
    K kernel;
    template <typename... A> void operator()(A... args) const
    {
        const dim3 g = grid, b = block;
        const bool s = sync;
        const K k = kernel;
        std::function<void()> run = [=]() {
            auto call = [&]() { k(args...); };
            gn_emu_run(g, b, s, [](void *p) { (*(decltype(call) *)p)(); }, &call);
        };
        if (gn_emu_capture) gn_emu_capture->push_back(run);
        else run();
    }
};
template <typename K> static gn_emu_launch<K> gn_emu_launcher(K kernel, dim3 grid, dim3 block, bool sync)
{
    gn_emu_launch<K> l = {grid, block, sync, kernel};
    return l;
}
#define GN_LAUNCH(kernel, grid, block, stream) gn_emu_launcher(kernel, grid, block, false)
#define GN_LAUNCH_SYNC(kernel, grid, block, stream) gn_emu_launcher(kernel, grid, block, true)

typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
enum cudaStreamCaptureMode { cudaStreamCaptureModeThreadLocal };

static inline cudaError_t cudaMalloc(void **p, size_t n)
{
    *p = calloc(n > 0 ? n : 1, 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
static inline cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }
static inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind) { memcpy(dst, src, n); return cudaSuccess; }
static inline cudaError_t cudaMemset(void *p, int v, size_t n) { memset(p, v, n); return cudaSuccess; }
static inline cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t)
{
    if (gn_emu_capture) gn_emu_capture->push_back([=]() { memset(p, v, n); });
    else memset(p, v, n);
    return cudaSuccess;
}
static inline cudaError_t cudaGetLastError() { return cudaSuccess; }
static inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
static inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
static inline cudaError_t cudaStreamCreate(cudaStream_t *s) { *s = 0; return cudaSuccess; }
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount };
static inline cudaError_t cudaGetDevice(int *d) { *d = 0; return cudaSuccess; }
static inline cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr, int) { *v = 1; return cudaSuccess; }
static inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
static inline const char *cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "out of memory"; }
static inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode)
{
    gn_emu_capture = new std::vector<std::function<void()> >;
    return cudaSuccess;
}
static inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *g)
{
    *g = gn_emu_capture;
    gn_emu_capture = 0;
    return cudaSuccess;
}
static inline cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t *e, cudaGraph_t g, unsigned long long)
{
    *e = new std::vector<std::function<void()> >(*g);
    return cudaSuccess;
}
static inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t)
{
    for (size_t i = 0; i < e->size(); i++) (*e)[i]();
    return cudaSuccess;
}
static inline cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return cudaSuccess; }
static inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { delete e; return cudaSuccess; }
template <typename K> static inline cudaError_t cudaOccupancyMaxPotentialBlockSize(int *minGrid, int *block, K, size_t, int limit)
{
    *minGrid = 1;
    *block = limit > 0 && limit < 64 ? limit : 64;
    return cudaSuccess;
}

/* ---- device functions ---- */

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
static inline unsigned atomicMax(unsigned *p, unsigned v)
{
    const unsigned old = *p;
    if (v > old) *p = v;
    return old;
}
static inline unsigned long long atomicMin(unsigned long long *p, unsigned long long v)
{
    const unsigned long long old = *p;
    if (v < old) *p = v;
    return old;
}
static inline int __ffs(unsigned x) { return __builtin_ffs((int)x); }
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
#endif
`

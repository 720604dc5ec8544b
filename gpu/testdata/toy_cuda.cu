/* The toy module of toy_module.c on a CUDA device: population "P" of N
   neurons; in variant b, neuron i spikes at time step t when
   (t + 1) % (i + 1 + offset_b) == 0. One thread per (variant, neuron);
   spikes are appended to a device buffer with atomicAdd and copied to the
   host after each step, in (variant, neuron) order like the CPU toy.
   Runtime slots per variant as in toy_module.c (4; only 0 "P.offset" is
   used). Variable "count" (N per variant, spikes so far). */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern "C" {
#include "gn_abi.h"
}

#define N 10
#define NRT 4

struct gn_ctx {
    uint32_t batch;
    uint64_t t;
    int *offset;        /* device, batch */
    double *count;      /* device, batch * N */
    uint32_t *spk;      /* device, batch * N (variant, neuron) flags of this step */
    uint32_t *host_spk; /* host copy */
    uint32_t *q;        /* host FIFO of (pop, variant, neuron, step) */
    size_t qhead, qlen, qcap;
    char err[256];
};

static const char desc[] =
    "{\"abi\":5,\"name\":\"toy\",\"backend\":\"cuda\",\"precision\":\"double\",\"dt\":0.1,"
    "\"populations\":[{\"name\":\"P\",\"size\":10,\"record_spikes\":true}],"
    "\"vars\":[{\"owner\":\"P\",\"kind\":\"neuron\",\"name\":\"count\",\"type\":\"scalar\",\"count\":10}],"
    "\"runtime\":[\"P.offset\",\"sleep_us\",\"fault\",\"unused\"],"
    "\"synapses\":[],\"egps\":[]}";

extern "C" const char *gn_describe(void) { return desc; }

static int fail(gn_ctx *ctx, cudaError_t e) {
    snprintf(ctx->err, sizeof ctx->err, "CUDA: %s", cudaGetErrorString(e));
    return 1;
}

extern "C" gn_ctx *gn_create(uint32_t batch, const uint64_t *seeds, const double *runtime, char *err, size_t errlen) {
    (void)seeds;
    gn_ctx *ctx = (gn_ctx *)calloc(1, sizeof *ctx);
    ctx->batch = batch;
    int *off = (int *)malloc(batch * sizeof(int));
    for (uint32_t b = 0; b < batch; b++) off[b] = (int)runtime[b * NRT];
    cudaError_t e;
    if ((e = cudaMalloc(&ctx->offset, batch * sizeof(int))) != cudaSuccess ||
        (e = cudaMalloc(&ctx->count, batch * N * sizeof(double))) != cudaSuccess ||
        (e = cudaMalloc(&ctx->spk, batch * N * sizeof(uint32_t))) != cudaSuccess ||
        (e = cudaMemcpy(ctx->offset, off, batch * sizeof(int), cudaMemcpyHostToDevice)) != cudaSuccess) {
        snprintf(err, errlen, "toy_cuda: %s", cudaGetErrorString(e));
        free(off);
        return NULL;
    }
    free(off);
    ctx->host_spk = (uint32_t *)malloc(batch * N * sizeof(uint32_t));
    return ctx;
}

__global__ void step_kernel(uint32_t batch, uint64_t t, const int *offset, double *count, uint32_t *spk) {
    const uint32_t k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= batch * N) return;
    const uint32_t b = k / N, i = k % N;
    const int fire = (t + 1) % (uint64_t)(i + 1 + offset[b]) == 0;
    spk[k] = fire;
    if (fire) count[k] += 1.0;
}

extern "C" int gn_init(gn_ctx *ctx) {
    cudaError_t e = cudaMemset(ctx->count, 0, ctx->batch * N * sizeof(double));
    ctx->t = 0;
    ctx->qhead = ctx->qlen = 0;
    return e == cudaSuccess ? 0 : fail(ctx, e);
}

extern "C" int gn_step(gn_ctx *ctx, uint32_t n) {
    for (uint32_t s = 0; s < n; s++) {
        const uint32_t threads = ctx->batch * N;
        step_kernel<<<(threads + 127) / 128, 128>>>(ctx->batch, ctx->t, ctx->offset, ctx->count, ctx->spk);
        cudaError_t e = cudaMemcpy(ctx->host_spk, ctx->spk, threads * sizeof(uint32_t), cudaMemcpyDeviceToHost);
        if (e != cudaSuccess) return fail(ctx, e);
        for (uint32_t k = 0; k < threads; k++) {
            if (!ctx->host_spk[k]) continue;
            if (ctx->qlen + 4 > ctx->qcap) {
                ctx->qcap = ctx->qcap ? 2 * ctx->qcap : 4096;
                ctx->q = (uint32_t *)realloc(ctx->q, ctx->qcap * sizeof(uint32_t));
            }
            uint32_t *r = ctx->q + ctx->qlen;
            r[0] = 0; r[1] = k / N; r[2] = k % N; r[3] = (uint32_t)ctx->t;
            ctx->qlen += 4;
        }
        ctx->t++;
    }
    return 0;
}

/* The toy steps on one thread whatever it is given. */
extern "C" int gn_set_threads(gn_ctx *ctx, uint32_t n) { (void)ctx; (void)n; return 0; }
extern "C" uint64_t gn_timestep(gn_ctx *ctx) { return ctx->t; }

extern "C" size_t gn_spikes_pending(gn_ctx *ctx) { return (ctx->qlen - ctx->qhead) / 4; }

extern "C" size_t gn_drain_spikes(gn_ctx *ctx, uint32_t *pop, uint32_t *variant, uint32_t *neuron, uint32_t *step, size_t cap) {
    size_t n = 0;
    while (n < cap && ctx->qhead < ctx->qlen) {
        const uint32_t *r = ctx->q + ctx->qhead;
        pop[n] = r[0]; variant[n] = r[1]; neuron[n] = r[2]; step[n] = r[3];
        ctx->qhead += 4;
        n++;
    }
    if (ctx->qhead == ctx->qlen) ctx->qhead = ctx->qlen = 0;
    return n;
}

extern "C" int gn_get_var(gn_ctx *ctx, uint32_t var, uint32_t variant, double *out) {
    if (var != 0 || variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, "no such variable"); return 1; }
    cudaError_t e = cudaMemcpy(out, ctx->count + variant * N, N * sizeof(double), cudaMemcpyDeviceToHost);
    return e == cudaSuccess ? 0 : fail(ctx, e);
}

extern "C" int gn_set_var(gn_ctx *ctx, uint32_t var, uint32_t variant, const double *in) {
    if (var != 0 || variant >= ctx->batch) { snprintf(ctx->err, sizeof ctx->err, "no such variable"); return 1; }
    cudaError_t e = cudaMemcpy(ctx->count + variant * N, in, N * sizeof(double), cudaMemcpyHostToDevice);
    return e == cudaSuccess ? 0 : fail(ctx, e);
}

/* No extra global parameters. */
extern "C" int gn_set_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, const double *values, size_t n) {
    (void)variant; (void)values; (void)n;
    snprintf(ctx->err, sizeof ctx->err, "no extra global parameter %u", egp);
    return 1;
}

extern "C" int gn_get_egp(gn_ctx *ctx, uint32_t egp, uint32_t variant, double *out, size_t cap, size_t *n) {
    (void)variant; (void)out; (void)cap; (void)n;
    snprintf(ctx->err, sizeof ctx->err, "no extra global parameter %u", egp);
    return 1;
}

/* The toy's counts are always finite. */
extern "C" int gn_find_nonfinite(gn_ctx *ctx, uint32_t *first) {
    for (uint32_t b = 0; b < 2 * ctx->batch; b++) first[b] = UINT32_MAX;
    return 0;
}

/* No custom updates, settable runtime parameters or current-spike access. */
extern "C" int gn_custom_update(gn_ctx *ctx, uint32_t group, uint32_t variant) {
    (void)variant;
    snprintf(ctx->err, sizeof ctx->err, "no custom update group %u", group);
    return 1;
}

extern "C" int gn_set_runtime(gn_ctx *ctx, uint32_t slot, uint32_t variant, double value) {
    (void)slot; (void)variant; (void)value;
    snprintf(ctx->err, sizeof ctx->err, "runtime parameters are fixed");
    return 1;
}

extern "C" int gn_current_spikes(gn_ctx *ctx, uint32_t pop, uint32_t variant, uint32_t *out, size_t cap, size_t *n) {
    (void)pop; (void)variant; (void)out; (void)cap; (void)n;
    snprintf(ctx->err, sizeof ctx->err, "no current spikes");
    return 1;
}

extern "C" int gn_set_current_spikes(gn_ctx *ctx, uint32_t pop, uint32_t variant, const uint32_t *in, size_t n) {
    (void)pop; (void)variant; (void)in; (void)n;
    snprintf(ctx->err, sizeof ctx->err, "no current spikes");
    return 1;
}

extern "C" const char *gn_error(gn_ctx *ctx) { return ctx->err; }

extern "C" void gn_destroy(gn_ctx *ctx) {
    if (!ctx) return;
    cudaFree(ctx->offset);
    cudaFree(ctx->count);
    cudaFree(ctx->spk);
    free(ctx->host_spk);
    free(ctx->q);
    free(ctx);
}

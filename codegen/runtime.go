package codegen

// RuntimeHeader is plain C shared by every backend: the Philox4x32-10
// counter-based generator (Salmon et al. 2011, "Parallel random numbers: as
// easy as 1, 2, 3") and the distributions behind GeNN's $(gennrand_*) tokens.
// A stream is keyed by the variant seed and counted by (stream id, element,
// time step, draw), so a variant draws the same numbers whatever batch it is
// in and on whichever backend. GN_FN lets CUDA mark the functions
// __host__ __device__.
const RuntimeHeader = `/* gennctl runtime: Philox4x32-10 and distributions. */
#ifndef GN_RUNTIME_H
#define GN_RUNTIME_H
#include <math.h>
#include <stdint.h>
#ifndef GN_FN
#define GN_FN static inline
#endif
/* The generator's hot path (a draw per neuron and step in Poisson-like
   models) is inlined into the calling loop where the compiler allows it. */
#ifndef GN_HOT_FN
#if defined(__GNUC__) && !defined(__CUDACC__)
#define GN_HOT_FN GN_FN __attribute__((always_inline))
#else
#define GN_HOT_FN GN_FN
#endif
#endif

typedef struct {
    uint32_t key[2];
    uint32_t ctr[4];
    uint32_t out[4];
    int used;       /* words of out already consumed */
    int has_normal; /* second Box-Muller value cached */
    double normal;
} gn_rng;

GN_HOT_FN void gn_philox_round(uint32_t ctr[4], const uint32_t key[2])
{
    const uint64_t p0 = (uint64_t)0xD2511F53u * ctr[0];
    const uint64_t p1 = (uint64_t)0xCD9E8D57u * ctr[2];
    const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    const uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    const uint32_t c0 = hi1 ^ ctr[1] ^ key[0];
    const uint32_t c2 = hi0 ^ ctr[3] ^ key[1];
    ctr[0] = c0; ctr[1] = lo1; ctr[2] = c2; ctr[3] = lo0;
}

/* Philox4x32-10: out = bijection of ctr under key. */
GN_HOT_FN void gn_philox4x32_10(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr_in[0], ctr_in[1], ctr_in[2], ctr_in[3]};
    uint32_t k[2] = {key_in[0], key_in[1]};
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k[0] += 0x9E3779B9u; k[1] += 0xBB67AE85u; }
        gn_philox_round(c, k);
    }
    out[0] = c[0]; out[1] = c[1]; out[2] = c[2]; out[3] = c[3];
}

/* A stream: seed is the variant's, stream names the use site, id the
   element (neuron, row), step the time step. Counter word 0 counts blocks. */
GN_FN void gn_rng_init(gn_rng *r, uint64_t seed, uint32_t stream, uint32_t id, uint64_t step)
{
    r->key[0] = (uint32_t)seed; r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0; r->ctr[1] = id; r->ctr[2] = (uint32_t)step;
    r->ctr[3] = stream ^ ((uint32_t)(step >> 32) << 24);
    r->used = 4; r->has_normal = 0; r->normal = 0.0;
}

/* The first block of the streams of n consecutive elements id0, id0 + 1,
   ... (seed, stream and step as gn_rng_init): word j of element id0 + i in
   out[j * stride + i]. A loop without dependences between elements, which
   the compiler vectorises; gn_rng_resume continues such a stream. */
GN_FN void gn_philox_first(uint32_t *out, uint32_t stride, uint32_t id0, uint32_t n, uint64_t seed, uint32_t stream, uint64_t step)
{
    const uint32_t c2 = (uint32_t)step, c3 = stream ^ ((uint32_t)(step >> 32) << 24);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c[4] = {0, id0 + i, c2, c3};
        uint32_t k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
        for (int r = 0; r < 10; r++) {
            if (r > 0) { k[0] += 0x9E3779B9u; k[1] += 0xBB67AE85u; }
            gn_philox_round(c, k);
        }
        out[i] = c[0]; out[stride + i] = c[1]; out[2 * stride + i] = c[2]; out[3 * stride + i] = c[3];
    }
}

/* The stream of gn_rng_init(r, seed, stream, id, step) whose first block
   (w0..w3) is already known (gn_philox_first): the same draws follow. */
GN_HOT_FN void gn_rng_resume(gn_rng *r, uint64_t seed, uint32_t stream, uint32_t id, uint64_t step,
                             uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3)
{
    gn_rng_init(r, seed, stream, id, step);
    r->ctr[0] = 1;
    r->out[0] = w0; r->out[1] = w1; r->out[2] = w2; r->out[3] = w3;
    r->used = 0;
}

GN_HOT_FN uint32_t gn_next_u32(gn_rng *r)
{
    if (r->used == 4) {
        gn_philox4x32_10(r->ctr, r->key, r->out);
        r->ctr[0]++;
        r->used = 0;
    }
    return r->out[r->used++];
}

/* Uniform on (0, 1], like curand_uniform: never 0, so log() is finite. */
GN_HOT_FN double gn_uniform(gn_rng *r)
{
    const uint64_t hi = gn_next_u32(r), lo = gn_next_u32(r);
    const uint64_t bits = ((hi << 21) ^ (lo >> 11)) & ((1ull << 53) - 1);
    return ((double)bits + 1.0) * (1.0 / 9007199254740992.0);
}

/* Standard normal by the Box-Muller transform. */
GN_FN double gn_normal(gn_rng *r)
{
    if (r->has_normal) { r->has_normal = 0; return r->normal; }
    const double u1 = gn_uniform(r), u2 = gn_uniform(r);
    const double rad = sqrt(-2.0 * log(u1));
    const double th = 6.283185307179586476925 * u2;
    r->normal = rad * sin(th);
    r->has_normal = 1;
    return rad * cos(th);
}

GN_FN double gn_exponential(gn_rng *r) { return -log(gn_uniform(r)); }

GN_FN double gn_log_normal(gn_rng *r, double mean, double sd) { return exp(mean + sd * gn_normal(r)); }

/* Gamma(a, 1) by Marsaglia and Tsang (2000); a < 1 boosted by U^(1/a). */
GN_FN double gn_gamma(gn_rng *r, double a)
{
    if (a < 1.0) {
        const double u = gn_uniform(r);
        return gn_gamma(r, 1.0 + a) * pow(u, 1.0 / a);
    }
    const double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do { x = gn_normal(r); v = 1.0 + c * x; } while (v <= 0.0);
        v = v * v * v;
        const double u = gn_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* Poisson(mean) by inversion from one 32-bit draw x: the least k with
   x < 2^32 F(k), F the CDF by the recurrence p(0) = exp(-mean),
   p(k) = p(k-1) * mean / k, F(k) = F(k-1) + p(k) in double (until F stops
   growing); mean <= 0 gives 0. A mean above GN_POISSON_MAX (exp(-mean)
   would lose precision) is split in two halves, drawing again. */
#define GN_POISSON_MAX 700.0

/* The search from index k, where x >= 2^32 F(k) = 2^32 f and p = p(k). */
GN_FN unsigned int gn_poisson_from(double y, double p, double f, double mean, unsigned int k)
{
    while (y >= f * 4294967296.0) {
        k++;
        p = p * mean / (double)k;
        const double g = f + p;
        if (g == f) break;
        f = g;
    }
    return k;
}

GN_FN unsigned int gn_poisson_invert(uint32_t x, double mean)
{
    if (!(mean > 0.0)) return 0;
    const double p = exp(-mean), y = (double)x;
    return y < p * 4294967296.0 ? 0 : gn_poisson_from(y, p, p, mean, 0);
}

GN_FN unsigned int gn_poisson_split(gn_rng *r, uint32_t x, double mean);

GN_FN unsigned int gn_poisson(gn_rng *r, double mean)
{
    const uint32_t x = gn_next_u32(r);
    return mean > GN_POISSON_MAX ? gn_poisson_split(r, x, mean) : gn_poisson_invert(x, mean);
}

GN_FN unsigned int gn_poisson_split(gn_rng *r, uint32_t x, double mean)
{
    const double half = 0.5 * mean;
    const unsigned int n = half > GN_POISSON_MAX ? gn_poisson_split(r, x, half) : gn_poisson_invert(x, half);
    return n + gn_poisson(r, mean - half);
}

/* The same numbers for a mean fixed per variant, from a table made once:
   m[k] = ceil(2^32 F(k)) - 1, so that x > m[k] exactly when
   x >= 2^32 F(k); p and f are p(k), F(k) of the last entry, from which
   the search continues. */
#define GN_POISSON_K 32
typedef struct {
    uint32_t m[GN_POISSON_K];
    double p, f, mean;
} gn_poisson_tab;
#define GN_POISSON_WORDS 38 /* sizeof(gn_poisson_tab) / 4: a module keeps tables as words */

GN_FN void gn_poisson_tab_init(gn_poisson_tab *t, double mean)
{
    t->mean = mean;
    double p = mean > 0.0 && mean <= GN_POISSON_MAX ? exp(-mean) : 1.0, f = p;
    int stop = !(mean > 0.0);
    for (unsigned int k = 0; k < GN_POISSON_K; k++) {
        if (k > 0 && !stop) {
            p = p * mean / (double)k;
            const double g = f + p;
            stop = g == f;
            f = g;
        }
        const double c = ceil(f * 4294967296.0);
        t->m[k] = stop || c >= 4294967296.0 ? 0xffffffffu : (uint32_t)(c - 1.0);
    }
    t->p = p;
    t->f = f;
}

/* gn_poisson_invert(x, t->mean) for a mean of at most GN_POISSON_MAX */
GN_HOT_FN unsigned int gn_poisson_tab_find(uint32_t x, const gn_poisson_tab *t)
{
    unsigned int n = 0;
    for (unsigned int k = 0; k < 16; k++) n += x > t->m[k];
    if (n < 16) return n;
    while (n < GN_POISSON_K && x > t->m[n]) n++;
    if (n < GN_POISSON_K) return n;
    return gn_poisson_from((double)x, t->p, t->f, t->mean, GN_POISSON_K - 1);
}

GN_HOT_FN unsigned int gn_poisson_lookup(gn_rng *r, const gn_poisson_tab *t)
{
    const uint32_t x = gn_next_u32(r);
    return t->mean > GN_POISSON_MAX ? gn_poisson_split(r, x, t->mean) : gn_poisson_tab_find(x, t);
}

/* Binomial(n, p) by inversion of the CDF (n is small in GeNN's uses). */
GN_FN unsigned int gn_binomial(gn_rng *r, unsigned int n, double p)
{
    if (p <= 0.0) return 0;
    if (p >= 1.0) return n;
    const int flip = p > 0.5;
    const double q = flip ? 1.0 - p : p;
    const double s = q / (1.0 - q);
    double f = pow(1.0 - q, (double)n), u = gn_uniform(r);
    unsigned int k = 0;
    while (u > f && k < n) { u -= f; f *= s * (double)(n - k) / (double)(k + 1); k++; }
    return flip ? n - k : k;
}
#endif
`

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
    int used; /* words of out already consumed */
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
    r->used = 4;
}

/* The first block of the streams of n consecutive elements id0, id0 + 1,
   ... (seed, stream and step as gn_rng_init): word j of element id0 + i in
   wj[i]. A loop without dependences between elements, which the compiler
   vectorises; gn_rng_resume continues such a stream. */
GN_FN void gn_philox_first(uint32_t *__restrict w0, uint32_t *__restrict w1, uint32_t *__restrict w2, uint32_t *__restrict w3,
                           uint32_t id0, uint32_t n, uint64_t seed, uint32_t stream, uint64_t step)
{
    const uint32_t c2 = (uint32_t)step, c3 = stream ^ ((uint32_t)(step >> 32) << 24);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c[4] = {0, id0 + i, c2, c3};
        uint32_t k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
        for (int r = 0; r < 10; r++) {
            if (r > 0) { k[0] += 0x9E3779B9u; k[1] += 0xBB67AE85u; }
            gn_philox_round(c, k);
        }
        w0[i] = c[0]; w1[i] = c[1]; w2[i] = c[2]; w3[i] = c[3];
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

/* Standard normal by inversion of its CDF at a uniform p in (0, 1): 52 bits
   of two words k, p = (k + 1/2) / 2^52, the middle of one of 2^52 equal
   intervals (exact in double, as is 1 - p). Wichura's PPND16 (1988,
   algorithm AS 241), relative error about 1e-16: in 85 % of draws
   (|p - 1/2| <= 0.425) a rational function of p, plain arithmetic; in the
   tails also log and sqrt. */
GN_FN double gn_normal(gn_rng *r)
{
    const uint64_t hi = gn_next_u32(r), lo = gn_next_u32(r);
    const uint64_t bits = ((hi << 20) ^ (lo >> 12)) & ((1ull << 52) - 1);
    const double p = ((double)bits + 0.5) * (1.0 / 4503599627370496.0), q = p - 0.5;
    if (fabs(q) <= 0.425) {
        const double t = 0.180625 - q * q;
        return q * (((((((2.5090809287301226727e+3 * t + 3.3430575583588128105e+4) * t + 6.7265770927008700853e+4) * t +
                        4.5921953931549871457e+4) * t + 1.3731693765509461125e+4) * t + 1.9715909503065514427e+3) * t +
                     1.3314166789178437745e+2) * t + 3.3871328727963666080e+0) /
               (((((((5.2264952788528545610e+3 * t + 2.8729085735721942674e+4) * t + 3.9307895800092710610e+4) * t +
                    2.1213794301586595867e+4) * t + 5.3941960214247511077e+3) * t + 6.8718700749205790830e+2) * t +
                 4.2313330701600911252e+1) * t + 1.0);
    }
    double t = sqrt(-log(q < 0.0 ? p : 1.0 - p)), z;
    if (t <= 5.0) {
        t -= 1.6;
        z = (((((((7.74545014278341407640e-4 * t + 2.27238449892691845833e-2) * t + 2.41780725177450611770e-1) * t +
                 1.27045825245236838258e+0) * t + 3.64784832476320460504e+0) * t + 5.76949722146069140550e+0) * t +
              4.63033784615654529590e+0) * t + 1.42343711074968357734e+0) /
            (((((((1.05075007164441684324e-9 * t + 5.47593808499534494600e-4) * t + 1.51986665636164571966e-2) * t +
                 1.48103976427480074590e-1) * t + 6.89767334985100004550e-1) * t + 1.67638483018380384940e+0) * t +
              2.05319162663775882187e+0) * t + 1.0);
    } else {
        t -= 5.0;
        z = (((((((2.01033439929228813265e-7 * t + 2.71155556874348757815e-5) * t + 1.24266094738807843860e-3) * t +
                 2.65321895265761230930e-2) * t + 2.96560571828504891230e-1) * t + 1.78482653991729133580e+0) * t +
              5.46378491116411436990e+0) * t + 6.65790464350110377720e+0) /
            (((((((2.04426310338993978564e-15 * t + 1.42151175831644588870e-7) * t + 1.84631831751005468180e-5) * t +
                 7.86869131145613259100e-4) * t + 1.48753612908506148525e-2) * t + 1.36929880922735805310e-1) * t +
              5.99832206555887937690e-1) * t + 1.0);
    }
    return q < 0.0 ? -z : z;
}

GN_FN double gn_exponential(gn_rng *r) { return -log(gn_uniform(r)); }

/* Single precision (the $(gennrand_*) of float models): one 32-bit word per
   uniform, normal or exponential number. gn_uniform_f is (k + 1) / 2^24
   for 24 bits k, in (0, 1] and exact in float. gn_normal_f inverts the
   normal CDF at p = (k + 1/2) / 2^32 for 32 bits k (|z| < 6.3) by Wichura's
   PPND7 (AS 241), relative error about 1e-7: in 85 % of draws a rational
   function of p, in the tails also log and sqrt (p >= 2^-33, so its second
   tail formula, for p below exp(-25), is never needed). gn_exponential_f
   is -log(p) at the same p. */
GN_HOT_FN float gn_uniform_f(gn_rng *r) { return (float)((gn_next_u32(r) >> 8) + 1u) * (1.0f / 16777216.0f); }

GN_HOT_FN double gn_open_32(gn_rng *r) { return ((double)gn_next_u32(r) + 0.5) * (1.0 / 4294967296.0); }

GN_HOT_FN float gn_normal_f(gn_rng *r)
{
    const double p = gn_open_32(r), q = p - 0.5;
    if (fabs(q) <= 0.425) {
        const double t = 0.180625 - q * q;
        return (float)(q * (((5.9109374720e+1 * t + 1.5929113202e+2) * t + 5.0434271938e+1) * t + 3.3871327179e+0) /
                       (((6.7187563600e+1 * t + 7.8757757664e+1) * t + 1.7895169469e+1) * t + 1.0));
    }
    const double t = sqrt(-log(q < 0.0 ? p : 1.0 - p)) - 1.6;
    const double z = (((1.7023821103e-1 * t + 1.3067284816e+0) * t + 2.7568153900e+0) * t + 1.4234372777e+0) /
                     ((1.2021132975e-1 * t + 7.3700164250e-1) * t + 1.0);
    return (float)(q < 0.0 ? -z : z);
}

GN_FN float gn_exponential_f(gn_rng *r) { return (float)-log(gn_open_32(r)); }

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

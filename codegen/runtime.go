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

/* Functions the compiler must keep apart from their callers: GCC
   optimises the loops of a large function worse (see init_var_ and
   init_connectivity_ in module.c). */
#ifndef GN_NOINLINE
#if defined(__GNUC__)
#define GN_NOINLINE __attribute__((noinline))
#else
#define GN_NOINLINE
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
   (|p - 1/2| <= 0.425, gn_normal_mid) a rational function of p, plain
   arithmetic; in the tails also log and sqrt. */
GN_HOT_FN double gn_normal_p(uint32_t hi, uint32_t lo)
{
    const uint64_t bits = (((uint64_t)hi << 20) ^ (lo >> 12)) & ((1ull << 52) - 1);
    return ((double)bits + 0.5) * (1.0 / 4503599627370496.0);
}

GN_HOT_FN double gn_normal_mid(double q)
{
    const double t = 0.180625 - q * q;
    return q * (((((((2.5090809287301226727e+3 * t + 3.3430575583588128105e+4) * t + 6.7265770927008700853e+4) * t +
                    4.5921953931549871457e+4) * t + 1.3731693765509461125e+4) * t + 1.9715909503065514427e+3) * t +
                 1.3314166789178437745e+2) * t + 3.3871328727963666080e+0) /
           (((((((5.2264952788528545610e+3 * t + 2.8729085735721942674e+4) * t + 3.9307895800092710610e+4) * t +
                2.1213794301586595867e+4) * t + 5.3941960214247511077e+3) * t + 6.8718700749205790830e+2) * t +
             4.2313330701600911252e+1) * t + 1.0);
}

GN_FN double gn_normal(gn_rng *r)
{
    const uint32_t hi = gn_next_u32(r), lo = gn_next_u32(r);
    const double p = gn_normal_p(hi, lo), q = p - 0.5;
    if (fabs(q) <= 0.425) return gn_normal_mid(q);
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

/* Fast log and exp of float-sized arguments, the same bits wherever they
   run (plain IEEE arithmetic, tables in the device's memory on the device):
   the float distributions' tails and the connectivity math below use them. */
#define GN_LOG_INV 0.9696969696969697, 0.9142857142857143, 0.8648648648648649, 0.8205128205128205, \
    0.7804878048780488, 0.7441860465116279, 0.7111111111111111, 0.6808510638297872, \
    0.6530612244897959, 0.6274509803921569, 0.6037735849056604, 0.5818181818181818, \
    0.5614035087719298, 0.5423728813559322, 0.5245901639344263, 0.5079365079365079
#define GN_LOG_C 0.03077165866675366, 0.08961215868968717, 0.14518200984449783, 0.19782574332991992, \
    0.2478361639045812, 0.2954642128938359, 0.3409265869705932, 0.38441169891033206, \
    0.42608439531090014, 0.46608972992459924, 0.5045560107523953, 0.5415972824327444, \
    0.5773153650348236, 0.6118015411059929, 0.6451379613735847, 0.6773988235918061
#define GN_EXP2_32 1.0, 1.0218971486541166, 1.0442737824274138, 1.0671404006768237, 1.0905077326652577, \
    1.1143867425958924, 1.1387886347566916, 1.1637248587775775, 1.189207115002721, \
    1.215247359980469, 1.241857812073484, 1.2690509571917332, 1.2968395546510096, \
    1.3252366431597413, 1.3542555469368927, 1.383909881963832, 1.4142135623730951, \
    1.4451808069770467, 1.4768261459394993, 1.5091644275934228, 1.5422108254079407, \
    1.5759808451078865, 1.6104903319492543, 1.645755478153965, 1.681792830507429, \
    1.718619298122478, 1.7562521603732995, 1.7947090750031072, 1.8340080864093424, 1.8741676341103, \
    1.9152065613971474, 1.9571441241754002
static const double gn_log_inv[16] = {GN_LOG_INV}, gn_log_c[16] = {GN_LOG_C}, gn_exp2_32[32] = {GN_EXP2_32};
#ifdef __CUDACC__
__device__ static const double gn_log_inv_dev[16] = {GN_LOG_INV}, gn_log_c_dev[16] = {GN_LOG_C}, gn_exp2_32_dev[32] = {GN_EXP2_32};
#endif
#ifdef __CUDA_ARCH__
#define GN_MATH_TAB(t) t##_dev
#else
#define GN_MATH_TAB(t) t
#endif

typedef union { double d; uint64_t u; } gn_bits;

/* log of a float-sized value (x > 0, finite) to 1e-9 relative (5e-9
   within 1/32 of 1). Both of its forms are computed and one is selected,
   without a branch, so that loops over many arguments vectorise
   (gn_normal_f_first); it costs a scalar caller nothing measurable. */
GN_HOT_FN double gn_log_fast(double x)
{
    /* near 1, where the table's terms would cancel: log1p of x - 1 (exact) */
    const double r1 = x - 1.0, r12 = r1 * r1;
    const double near1 = r1 - r12 * 0.5 + r12 * r1 * (1.0 / 3.0 - r1 * 0.25 + r12 * 0.2);
    gn_bits b;
    b.d = x;
    const int k = (int)(b.u >> 52) - 1023, i = (int)((b.u >> 48) & 15);
    b.u = (b.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    const double r = b.d * GN_MATH_TAB(gn_log_inv)[i] - 1.0, r2 = r * r;
    const double p = r - r2 * 0.5 + r2 * r * (1.0 / 3.0 - r * 0.25 + r2 * 0.2);
    const double tabled = (double)k * 0.6931471805599453 + GN_MATH_TAB(gn_log_c)[i] + p;
    return fabs(r1) < 0.03125 ? near1 : tabled;
}

/* exp to 1e-9 relative, 0 below -104 and infinity above 89 (beyond float). */
GN_HOT_FN double gn_exp_fast(double x)
{
    if (x != x) return x;
    if (x > 89.0) return INFINITY;
    if (x < -104.0) return 0.0;
    const double kd = floor(x * 46.16624130844683 + 0.5);
    const int k = (int)kd;
    const double r = (x - kd * 0.021660849452018738) - kd * -5.952044687368025e-11;
    const double p = 1.0 + r + r * r * (0.5 + r * (1.0 / 6.0));
    gn_bits s;
    s.u = (uint64_t)((k >> 5) + 1023) << 52;
    return GN_MATH_TAB(gn_exp2_32)[k & 31] * p * s.d;
}

/* Single precision (the $(gennrand_*) of float models): one 32-bit word per
   uniform, normal or exponential number. gn_uniform_f is (k + 1) / 2^24
   for 24 bits k, in (0, 1] and exact in float. gn_normal_f inverts the
   normal CDF at p = (k + 1/2) / 2^32 for 32 bits k (|z| < 6.3) by Wichura's
   PPND7 (AS 241), relative error about 1e-7: in 85 % of draws a rational
   function of p, in the tails also log (gn_log_fast) and sqrt (p >= 2^-33,
   so its second tail formula, for p below exp(-25), is never needed).
   gn_exponential_f is -log(p) at the same p (gn_log_fast). Both give the
   same bits on the host and the device (sqrt and division are IEEE's). */
GN_HOT_FN float gn_uniform_f(gn_rng *r) { return (float)((gn_next_u32(r) >> 8) + 1u) * (1.0f / 16777216.0f); }

GN_HOT_FN double gn_open_32_of(uint32_t x) { return ((double)x + 0.5) * (1.0 / 4294967296.0); }
GN_HOT_FN double gn_open_32(gn_rng *r) { return gn_open_32_of(gn_next_u32(r)); }

GN_HOT_FN float gn_normal_f_mid(double q)
{
    const double t = 0.180625 - q * q;
    return (float)(q * (((5.9109374720e+1 * t + 1.5929113202e+2) * t + 5.0434271938e+1) * t + 3.3871327179e+0) /
                   (((6.7187563600e+1 * t + 7.8757757664e+1) * t + 1.7895169469e+1) * t + 1.0));
}

GN_HOT_FN float gn_normal_f_tail(double p, double q)
{
    const double t = sqrt(-gn_log_fast(q < 0.0 ? p : 1.0 - p)) - 1.6;
    const double z = (((1.7023821103e-1 * t + 1.3067284816e+0) * t + 2.7568153900e+0) * t + 1.4234372777e+0) /
                     ((1.2021132975e-1 * t + 7.3700164250e-1) * t + 1.0);
    return (float)(q < 0.0 ? -z : z);
}

GN_HOT_FN float gn_normal_f(gn_rng *r)
{
    const double p = gn_open_32(r), q = p - 0.5;
    if (fabs(q) <= 0.425) return gn_normal_f_mid(q);
    return gn_normal_f_tail(p, q);
}

GN_FN float gn_exponential_f(gn_rng *r) { return (float)-gn_log_fast(gn_open_32(r)); }

/* A stream's first normal from its first block alone (words w0, w1, as
   gn_philox_first gives them): plain arithmetic without a branch, so that
   a loop over the first blocks of many streams computes it vectorised;
   NaN where it is not computed so (the double normal's tails, whose log is
   libm's). gn_normal_after(r, z0) is gn_normal(r) for a stream just resumed
   (gn_rng_resume) whose first normal is z0: z0 while nothing has been drawn
   and z0 is not NaN, so the same bits as gn_normal; likewise the float
   forms, whose tails are computed too (gn_log_fast). Host-side variable
   initialisation (a normal or two per synapse) precomputes them so. */
GN_HOT_FN double gn_normal_first(uint32_t w0, uint32_t w1)
{
    const double q = gn_normal_p(w0, w1) - 0.5, z = gn_normal_mid(q);
    return fabs(q) <= 0.425 ? z : NAN;
}

GN_HOT_FN double gn_normal_after(gn_rng *r, double z0)
{
    if (r->used == 0 && z0 == z0) { r->used = 2; return z0; }
    return gn_normal(r);
}

GN_HOT_FN float gn_normal_f_first(uint32_t w0)
{
    const double p = gn_open_32_of(w0), q = p - 0.5;
    const float mid = gn_normal_f_mid(q), tail = gn_normal_f_tail(p, q);
    return fabs(q) <= 0.425 ? mid : tail;
}

GN_HOT_FN float gn_normal_f_after(gn_rng *r, float z0)
{
    if (r->used == 0 && z0 == z0) { r->used = 1; return z0; }
    return gn_normal_f(r);
}

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
/* ---- Math for connectivity code, the same bits on every backend ----
   A connectivity decision (FixedProbability's skip, log of a uniform; the
   FixedNumber snippets' order statistics, pow of a uniform) must come out
   the same on the host and on the device, and libm and libdevice differ in
   the last bit. So the generator renames log, exp and pow (and logf, expf,
   powf) in connectivity code to gn_conn_log, gn_conn_exp and gn_conn_pow,
   which compute in plain IEEE arithmetic, the same wherever it runs (no
   contraction into FMAs: -ffp-contract=off, nvcc -fmad=false). A float
   argument gives a float result, as the float functions GeNN's C++ calls:
   computed in double from 16- and 32-entry tables and short polynomials
   (relative error below 1e-9 before the rounding to float); a double
   one within 1 ulp (log and exp by fdlibm's reductions and coefficients;
   pow as exp(y log x), within |y log x| ulp, or for an integer power up to
   64 by squaring). */
GN_FN double gn_conn_log_d(double x)
{
    if (!(x > 0.0)) return x == 0.0 ? -INFINITY : NAN;
    if (x == INFINITY) return x;
    gn_bits b;
    b.d = x;
    int k = (int)(b.u >> 52) - 1023;
    if (k == -1023) { /* subnormal */
        b.d = x * 18014398509481984.0; /* 2^54 */
        k = (int)(b.u >> 52) - 1023 - 54;
    }
    b.u = (b.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m = b.d;
    if (m > 1.4142135623730951) { m *= 0.5; k++; }
    const double f = m - 1.0, s = f / (2.0 + f), z = s * s, w = z * z;
    const double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
    const double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
    const double hfsq = 0.5 * f * f, dk = (double)k;
    return dk * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + t1 + t2) + dk * 1.90821492927058770002e-10)) - f);
}

GN_FN double gn_conn_exp_d(double x)
{
    if (x != x) return x;
    if (x > 709.782712893384) return INFINITY;
    if (x < -745.1332191019412) return 0.0;
    const double kd = floor(x * 1.44269504088896338700e+00 + 0.5);
    const int k = (int)kd;
    const double hi = x - kd * 6.93147180369123816490e-01, lo = kd * 1.90821492927058770002e-10, r = hi - lo, t = r * r;
    const double c = r - t * (1.66666666666666019037e-01 + t * (-2.77777777770155933842e-03 + t * (6.61375632143793436117e-05 + t * (-1.65339022054652515390e-06 + t * 4.13813679705723846039e-08))));
    const double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    /* y * 2^k, in two factors where 2^k is not a normal double */
    const int e = k > 1023 ? k - 1 : k < -1022 ? k + 54 : k;
    gn_bits p;
    p.u = (uint64_t)(e + 1023) << 52;
    return y * p.d * (k > 1023 ? 2.0 : k < -1022 ? 5.551115123125783e-17 /* 2^-54 */ : 1.0);
}

/* pow from exp and log of |x|, with pow's special cases; a small integer
   power by squaring in double, exact where the result is (2^3 is 8). */
#define GN_CONN_POW(x, y, explog) do { \
    if (y == 0 || x == 1) return 1; \
    if (x != x || y != y) return x + y; \
    if (y == floor(y) && y >= -64 && y <= 64) { \
        double r_ = 1.0, b_ = (double)(x); \
        for (int n_ = (int)(y < 0 ? -y : y); n_; n_ >>= 1) { if (n_ & 1) r_ *= b_; b_ *= b_; } \
        return y < 0 ? 1.0 / r_ : r_; \
    } \
    if (x > 0 && x < INFINITY) return explog(x, y); \
    if (x == 0) return y > 0 ? 0 : INFINITY; \
    if (x == INFINITY) return y > 0 ? INFINITY : 0; \
    if (y != floor(y)) return NAN; /* x < 0: a real result for integer y only */ \
    return floor(y * 0.5) == y * 0.5 ? explog(-x, y) : -explog(-x, y); \
} while (0)
#define GN_EXPLOG_D(x, y) gn_conn_exp_d((y) * gn_conn_log_d(x))
#define GN_EXPLOG_F(x, y) (float)gn_exp_fast((double)(y) * gn_log_fast((double)(x)))
GN_FN double gn_conn_pow_d(double x, double y) { GN_CONN_POW(x, y, GN_EXPLOG_D); }
GN_HOT_FN float gn_conn_pow_f(float x, float y)
{
    if (x > 0.0f && x < INFINITY && x != 1.0f && y != floorf(y)) return GN_EXPLOG_F(x, y); /* the common case first */
    GN_CONN_POW(x, y, GN_EXPLOG_F);
}
GN_HOT_FN float gn_conn_log_f(float x) { return x > 0.0f && x < INFINITY ? (float)gn_log_fast((double)x) : (float)gn_conn_log_d((double)x); }
GN_HOT_FN float gn_conn_exp_f(float x) { return (float)gn_exp_fast((double)x); }

/* The renamed functions, generic over float and double as the float
   functions of C++'s overloads (and tgmath.h in module.c). */
#ifdef __cplusplus
GN_FN float gn_conn_log(float x) { return gn_conn_log_f(x); }
template <typename T> GN_FN double gn_conn_log(T x) { return gn_conn_log_d((double)x); }
GN_FN float gn_conn_exp(float x) { return gn_conn_exp_f(x); }
template <typename T> GN_FN double gn_conn_exp(T x) { return gn_conn_exp_d((double)x); }
GN_FN float gn_conn_pow(float x, float y) { return gn_conn_pow_f(x, y); }
template <typename A, typename B> GN_FN double gn_conn_pow(A x, B y) { return gn_conn_pow_d((double)x, (double)y); }
#else
#define gn_conn_log(x) _Generic((x), float: gn_conn_log_f, default: gn_conn_log_d)(x)
#define gn_conn_exp(x) _Generic((x), float: gn_conn_exp_f, default: gn_conn_exp_d)(x)
#define gn_conn_pow(x, y) _Generic((x), float: _Generic((y), float: gn_conn_pow_f, default: gn_conn_pow_d), default: gn_conn_pow_d)(x, y)
#endif
#endif
`

package codegen_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/internal/philoxref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runtimeProgram exercises codegen.RuntimeHeader: Philox4x32-10 known-answer
// vectors, the stream layout, and moments of each distribution over 1e6
// draws. Output lines are "name value value ...".
const runtimeProgram = `
#include <stdio.h>
#include <string.h>
#include "gn_runtime.h"

static void kat(const char *name, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1)
{
    const uint32_t ctr[4] = {c0, c1, c2, c3}, key[2] = {k0, k1};
    uint32_t out[4];
    gn_philox4x32_10(ctr, key, out);
    printf("%s %08x %08x %08x %08x\n", name, out[0], out[1], out[2], out[3]);
}

/* moments prints count, mean, variance, min and max of n draws of expr. */
#define MOMENTS(name, expr) do { \
    gn_rng r; gn_rng_init(&r, 0x0123456789abcdefull, 0x7u, 3u, 5u); \
    double s = 0, s2 = 0, mn = INFINITY, mx = -INFINITY; \
    for (long i = 0; i < N; i++) { const double x = (expr); s += x; s2 += x * x; if (x < mn) mn = x; if (x > mx) mx = x; } \
    const double m = s / N; \
    printf("%s %ld %.17g %.17g %.17g %.17g\n", name, N, m, (s2 - N * m * m) / (N - 1), mn, mx); \
} while (0)

/* The connectivity math (gn_conn_*) at 20000 arguments spread over many
   binades, in hex, six per argument: x, y, e, log(x), exp(e), pow(x, y), in
   double (e in [-700, 700]) on the line connd and in float (e in [-100,
   80]) on connf, which then has 2000 arguments near 1; then the special
   cases. */
static void conn_math(void)
{
    uint64_t s = 88172645463325252ull;
    printf("connd");
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        const double f = (double)(s >> 11) / 9007199254740992.0;
        const double x = ldexp(0.5 + f, (int)(s % 240) - 120), y = 1.0 / (double)(1 + s % 3000), e = 1400.0 * f - 700.0;
        printf(" %a %a %a %a %a %a", x, y, e, gn_conn_log(x), gn_conn_exp(e), gn_conn_pow(x, y));
    }
    printf("\nconnpowint");
    for (int n = -8; n <= 8; n++) printf(" %a %a %a", gn_conn_pow(3.0, (double)n), gn_conn_pow(-1.5, (double)n), (double)gn_conn_pow(3.0f, (float)n));
    printf("\nconnf");
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        const double f = (double)(s >> 11) / 9007199254740992.0;
        const float x = (float)ldexp(0.5 + f, (int)(s % 240) - 120), y = 1.0f / (float)(1 + s % 3000), e = (float)(180.0 * f - 100.0);
        printf(" %a %a %a %a %a %a", (double)x, (double)y, (double)e, (double)gn_conn_log(x), (double)gn_conn_exp(e), (double)gn_conn_pow(x, y));
    }
    for (int i = 1; i <= 2000; i++) { /* near 1, where log's terms cancel */
        const float x = 1.0f + (float)(i - 1000) * 3e-5f, y = 0.37f, e = (float)(i - 1000) * 1e-9f;
        printf(" %a %a %a %a %a %a", (double)x, (double)y, (double)e, (double)gn_conn_log(x), (double)gn_conn_exp(e), (double)gn_conn_pow(x, y));
    }
    printf("\nconnspecial %a %a %a %a %a %a %a %a %a %a %a %a %a\n", gn_conn_log(0.0), gn_conn_log(-1.0), gn_conn_log(INFINITY), gn_conn_log(5e-324),
           gn_conn_exp(-INFINITY), gn_conn_exp(1000.0), gn_conn_pow(0.0, 2.0), gn_conn_pow(0.0, -1.0), gn_conn_pow(-2.0, 3.0),
           gn_conn_pow(-2.0, 0.5), gn_conn_pow(1.0, NAN), gn_conn_pow(NAN, 0.0), (double)gn_conn_pow(-2.0f, 2.0f));
}

int main(void)
{
    const long N = 1000000;
    conn_math();
    kat("kat0", 0, 0, 0, 0, 0, 0);
    kat("kat1", 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
    kat("kat2", 0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);

    /* A stream's first 8 words: seed, stream, id and step as documented. */
    gn_rng r;
    gn_rng_init(&r, 0xfedcba9876543210ull, 0x01000002u, 17u, 0x100000005ull);
    printf("stream");
    for (int i = 0; i < 8; i++) printf(" %08x", gn_next_u32(&r));
    printf("\n");
    /* The same stream resumed from its first block, computed for 5
       elements at once (17 is the fourth): stride 8. */
    uint32_t blk[4 * 8];
    gn_philox_first(blk, blk + 8, blk + 16, blk + 24, 14u, 5u, 0xfedcba9876543210ull, 0x01000002u, 0x100000005ull);
    gn_rng_resume(&r, 0xfedcba9876543210ull, 0x01000002u, 17u, 0x100000005ull, blk[3], blk[8 + 3], blk[16 + 3], blk[24 + 3]);
    printf("resumed");
    for (int i = 0; i < 8; i++) printf(" %08x", gn_next_u32(&r));
    printf("\n");
    gn_rng_init(&r, 42u, 1u, 2u, 3u);
    const double u0 = gn_uniform(&r), u1 = gn_uniform(&r), u2 = gn_uniform(&r);
    printf("uniform3 %.17g %.17g %.17g\n", u0, u1, u2);

    /* gn_normal at chosen 52-bit uniforms k (p = (k + 0.5) / 2^52): a
       stream whose next words are k >> 20 and (k mod 2^20) << 12 */
    {
        const uint64_t ks[] = {0ull, 1ull, 1000ull, 1ull << 30, 1ull << 40, 1ull << 48, 337769972052787ull, 337769972052788ull,
                               1351079888211148ull, 2251799813685247ull, 2251799813685248ull, 3152519739159347ull,
                               4165829841658359ull, 4165829841658360ull, 4503599627370000ull, 4503599627370495ull};
        printf("normalat");
        for (int i = 0; i < (int)(sizeof ks / sizeof ks[0]); i++) {
            gn_rng q;
            gn_rng_init(&q, 0, 0, 0, 0);
            q.out[0] = (uint32_t)(ks[i] >> 20);
            q.out[1] = (uint32_t)((ks[i] & ((1ull << 20) - 1)) << 12);
            q.used = 0;
            printf(" %llu:%.17g", (unsigned long long)ks[i], gn_normal(&q));
        }
        printf("\n");
    }

    /* gn_normal_f at chosen 32-bit words k (p = (k + 0.5) / 2^32) */
    {
        const uint32_t ks[] = {0u, 1u, 1000u, 1u << 20, 322122547u, 322122548u, 1288490188u, 2147483647u,
                               2147483648u, 3006477107u, 3972844747u, 3972844748u, 4294967000u, 4294967295u};
        printf("normalfat");
        for (int i = 0; i < (int)(sizeof ks / sizeof ks[0]); i++) {
            gn_rng q;
            gn_rng_init(&q, 0, 0, 0, 0);
            q.out[0] = ks[i];
            q.used = 0;
            printf(" %u:%.9g", ks[i], (double)gn_normal_f(&q));
        }
        printf("\n");
    }

    /* gn_normal_after with gn_normal_first of a stream's first block is
       gn_normal, bit for bit, in the centre and in the tails, and so is the
       draw after it; after a uniform (the first block partly used) it
       draws as gn_normal does. Likewise in float. */
    {
        long checked = 0, differ = 0, tails = 0;
        uint32_t b[4 * 256];
        for (uint32_t id0 = 0; id0 < 200u * 256u; id0 += 256) {
            gn_philox_first(b, b + 256, b + 512, b + 768, id0, 256, 99u, 0x02000001u, 0);
            double zd[256];
            float zf[256];
            for (int j = 0; j < 256; j++) { zd[j] = gn_normal_first(b[j], b[256 + j]); zf[j] = gn_normal_f_first(b[j]); }
            for (int j = 0; j < 256; j++) {
                gn_rng a, c;
                for (int k = 0; k < 3; k++) {
                    gn_rng_resume(&a, 99u, 0x02000001u, id0 + j, 0, b[j], b[256 + j], b[512 + j], b[768 + j]);
                    gn_rng_init(&c, 99u, 0x02000001u, id0 + j, 0);
                    if (k == 2) { differ += gn_uniform_f(&a) != gn_uniform_f(&c); }
                    if (k == 1) {
                        const float x = gn_normal_f_after(&a, zf[j]), y = gn_normal_f(&c), x2 = gn_normal_f_after(&a, zf[j]), y2 = gn_normal_f(&c);
                        differ += memcmp(&x, &y, sizeof x) != 0 || memcmp(&x2, &y2, sizeof x) != 0;
                    } else {
                        const double x = gn_normal_after(&a, zd[j]), y = gn_normal(&c), x2 = gn_normal_after(&a, zd[j]), y2 = gn_normal(&c);
                        differ += memcmp(&x, &y, sizeof x) != 0 || memcmp(&x2, &y2, sizeof x) != 0;
                    }
                    checked++;
                }
                tails += zd[j] != zd[j];
            }
        }
        printf("normalfirst %ld %ld %ld\n", checked, differ, tails);
    }

    MOMENTS("uniform", gn_uniform(&r));
    MOMENTS("uniform_f", (double)gn_uniform_f(&r));
    MOMENTS("normal_f", (double)gn_normal_f(&r));
    MOMENTS("exponential_f", (double)gn_exponential_f(&r));
    MOMENTS("normal", gn_normal(&r));
    MOMENTS("exponential", gn_exponential(&r));
    MOMENTS("gamma2.5", gn_gamma(&r, 2.5));
    MOMENTS("gamma0.5", gn_gamma(&r, 0.5));
    MOMENTS("binomial20_0.3", (double)gn_binomial(&r, 20, 0.3));
    MOMENTS("binomial20_0.7", (double)gn_binomial(&r, 20, 0.7));
    MOMENTS("lognormal", gn_log_normal(&r, 0.5, 0.25));
    MOMENTS("poisson2.3", (double)gn_poisson(&r, 2.3));
    MOMENTS("poisson40", (double)gn_poisson(&r, 40.0));

    /* Poisson tables find what inversion finds: at every threshold and its
       neighbours, and for 10^5 words of a stream. */
    {
        const double means[] = {0.0, -1.0, 0.05, 2.3, 12.0, 40.0, 150.0, 700.0};
        long checked = 0, differ = 0;
        for (int i = 0; i < 8; i++) {
            gn_poisson_tab t;
            gn_poisson_tab_init(&t, means[i]);
            for (int k = 0; k < GN_POISSON_K; k++) {
                for (int d = -1; d <= 1; d++) {
                    const uint32_t x = t.m[k] + (uint32_t)d;
                    differ += gn_poisson_tab_find(x, &t) != gn_poisson_invert(x, means[i]);
                    checked++;
                }
            }
            gn_rng_init(&r, 7u, 8u, 9u, (uint64_t)i);
            for (int k = 0; k < 100000; k++) {
                const uint32_t x = gn_next_u32(&r);
                differ += gn_poisson_tab_find(x, &t) != gn_poisson_invert(x, means[i]);
                checked++;
            }
        }
        printf("poissontables %ld %ld\n", checked, differ);
        gn_poisson_tab t;
        gn_poisson_tab_init(&t, 2.3);
        printf("poissontab2.3");
        for (int k = 0; k < GN_POISSON_K; k++) printf(" %u", t.m[k]);
        printf("\n");
        printf("poissonwords %d\n", (int)(sizeof t / 4) == GN_POISSON_WORDS);
    }
    return 0;
}
`

// runRuntimeProgram compiles runtimeProgram with the host C compiler
// ($CC or cc, the flags modules use) and returns its output lines by name.
func runRuntimeProgram(t *testing.T) map[string][]string {
	t.Helper()
	cc := strings.Fields(os.Getenv("CC"))
	if len(cc) == 0 {
		cc = []string{"cc"}
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		t.Skipf("no C compiler: %v", err)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gn_runtime.h"), []byte(codegen.RuntimeHeader), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.c"), []byte(runtimeProgram), 0o644))
	exe := filepath.Join(dir, "rt")
	args := append(cc[1:], "-O2", "-std=c11", "-ffp-contract=off", "-Wall", "-Werror", "-o", exe, filepath.Join(dir, "main.c"), "-lm")
	out, err := exec.Command(cc[0], args...).CombinedOutput()
	require.NoError(t, err, "compiling the runtime test program:\n%s", out)
	out, err = exec.Command(exe).Output()
	require.NoError(t, err)
	lines := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24) // the connectivity math's lines are long
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		lines[f[0]] = f[1:]
	}
	return lines
}

func hexWords(w [4]uint32) []string {
	return []string{fmt.Sprintf("%08x", w[0]), fmt.Sprintf("%08x", w[1]), fmt.Sprintf("%08x", w[2]), fmt.Sprintf("%08x", w[3])}
}

func TestRuntimePhilox(t *testing.T) {
	t.Parallel()
	lines := runRuntimeProgram(t)

	// Random123 known-answer vectors for philox4x32_10 (kat_vectors).
	kats := map[string][]string{
		"kat0": {"6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"},
		"kat1": {"408f276d", "41c83b0e", "a20bc7c6", "6d5451fd"},
		"kat2": {"d16cfe09", "94fdcceb", "5001e420", "24126ea1"},
	}
	for name, want := range kats {
		assert.Equal(t, want, lines[name], name)
	}
	// The Go reference agrees with the vectors too (so it can check streams).
	assert.Equal(t, kats["kat2"], hexWords(philoxref.Block([4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0})))

	// Stream layout: key = seed (low, high word); counter = (block, id,
	// step low word, stream ^ step high word << 24); blocks of 4 words in order.
	seed, stream, id, step := uint64(0xfedcba9876543210), uint32(0x01000002), uint32(17), uint64(0x100000005)
	key := [2]uint32{uint32(seed), uint32(seed >> 32)}
	var want []string
	for blk := uint32(0); blk < 2; blk++ {
		want = append(want, hexWords(philoxref.Block([4]uint32{blk, id, uint32(step), stream ^ (uint32(step>>32) << 24)}, key))...)
	}
	assert.Equal(t, want, lines["stream"], "gn_rng_init / gn_next_u32 word order")
	assert.Equal(t, want, lines["resumed"], "gn_philox_first, gn_rng_resume: the same stream")

	// gn_uniform: 53 bits from two words (hi << 21 | lo >> 11), plus one, / 2^53: in (0, 1].
	w := philoxref.Block([4]uint32{0, 2, 3, 1}, [2]uint32{42, 0})
	w2 := philoxref.Block([4]uint32{1, 2, 3, 1}, [2]uint32{42, 0})
	u := func(hi, lo uint32) string {
		bits := (uint64(hi)<<21 ^ uint64(lo)>>11) & (1<<53 - 1)
		return strconv.FormatFloat((float64(bits)+1)/(1<<53), 'g', 17, 64)
	}
	wantU := []string{u(w[0], w[1]), u(w[2], w[3]), u(w2[0], w2[1])}
	gotU := lines["uniform3"]
	require.Len(t, gotU, 3)
	for i := range wantU {
		a, _ := strconv.ParseFloat(wantU[i], 64)
		b, err := strconv.ParseFloat(gotU[i], 64)
		require.NoError(t, err)
		assert.Equal(t, a, b, "uniform draw %d", i)
	}
}

type moments struct{ n, mean, variance, min, max float64 }

func parseMoments(t *testing.T, f []string) moments {
	t.Helper()
	require.Len(t, f, 5)
	v := make([]float64, 5)
	for i, s := range f {
		x, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		v[i] = x
	}
	return moments{v[0], v[1], v[2], v[3], v[4]}
}

// Distributions: each sample mean is within 4 standard errors (σ/√n) of the
// true mean and each sample variance within 4 standard errors of the true
// variance, SE(s²) = sqrt((μ4 - σ⁴)/n) with μ4 the fourth central moment;
// 1e6 draws each. A wrong transform (e.g. a missing factor 2 in Box-Muller,
// an off-by-one in the inversion) moves a moment by far more.
func TestRuntimeDistributions(t *testing.T) {
	t.Parallel()
	lines := runRuntimeProgram(t)
	type dist struct {
		mean, variance, mu4 float64
		min, max            float64 // support bounds (inclusive)
	}
	binom := func(n, p float64) dist {
		q := 1 - p
		v := n * p * q
		return dist{n * p, v, v * (1 + 3*(n-2)*p*q), 0, n}
	}
	lnMean := math.Exp(0.5 + 0.25*0.25/2)
	lnVar := (math.Exp(0.25*0.25) - 1) * math.Exp(2*0.5+0.25*0.25)
	dists := map[string]dist{
		"uniform":        {0.5, 1.0 / 12, 1.0 / 80, math.SmallestNonzeroFloat64, 1},
		"normal":         {0, 1, 3, math.Inf(-1), math.Inf(1)},
		"uniform_f":      {0.5, 1.0 / 12, 1.0 / 80, 1.0 / (1 << 24), 1},
		"normal_f":       {0, 1, 3, -6.4, 6.4},
		"exponential_f":  {1, 1, 9, 0, 23},
		"exponential":    {1, 1, 9, math.SmallestNonzeroFloat64, math.Inf(1)},
		"gamma2.5":       {2.5, 2.5, 3*2.5*2.5 + 6*2.5, 0, math.Inf(1)},
		"gamma0.5":       {0.5, 0.5, 3*0.5*0.5 + 6*0.5, 0, math.Inf(1)},
		"binomial20_0.3": binom(20, 0.3),
		"binomial20_0.7": binom(20, 0.7),
		// Kurtosis of the log-normal: μ4 = σ⁴(e^{4s²} + 2e^{3s²} + 3e^{2s²} - 3).
		// Poisson: μ4 = λ(1 + 3λ)
		"poisson2.3": {2.3, 2.3, 2.3 * (1 + 3*2.3), 0, math.Inf(1)},
		"poisson40":  {40, 40, 40 * (1 + 3*40), 0, math.Inf(1)},
		"lognormal":  {lnMean, lnVar, lnVar * lnVar * (math.Exp(4*0.0625) + 2*math.Exp(3*0.0625) + 3*math.Exp(2*0.0625) - 3), 0, math.Inf(1)},
	}
	for name, d := range dists {
		t.Run(name, func(t *testing.T) {
			m := parseMoments(t, lines[name])
			require.Equal(t, 1e6, m.n)
			seMean := math.Sqrt(d.variance / m.n)
			seVar := math.Sqrt((d.mu4 - d.variance*d.variance) / m.n)
			assert.InDelta(t, d.mean, m.mean, 4*seMean, "mean")
			assert.InDelta(t, d.variance, m.variance, 4*seVar, "variance")
			assert.GreaterOrEqual(t, m.min, d.min, "minimum")
			assert.LessOrEqual(t, m.max, d.max, "maximum")
		})
	}
	// Poisson tables: the lookup agrees with inversion everywhere checked,
	// and table 2.3 holds ceil(2^32 F(k)) - 1 of Poisson(2.3)'s CDF F (to
	// the rounding of F in double), saturating at 2^32 - 1.
	assert.Equal(t, []string{"800768", "0"}, lines["poissontables"], "words checked, lookups that differ from inversion")
	assert.Equal(t, []string{"1"}, lines["poissonwords"], "GN_POISSON_WORDS is sizeof(gn_poisson_tab) / 4")
	tab := lines["poissontab2.3"]
	require.Len(t, tab, 32)
	cdf, p := 0.0, math.Exp(-2.3)
	for k, w := range tab {
		if k > 0 {
			p *= 2.3 / float64(k)
		}
		cdf += p
		m, err := strconv.ParseUint(w, 10, 32)
		require.NoError(t, err)
		want := math.Min(math.Ceil(cdf*(1<<32))-1, 1<<32-1)
		assert.InDelta(t, want, float64(m), 2, "threshold %d", k)
	}
	// gn_normal is the normal quantile of (k + 0.5) / 2^52 to 1e-14 relative
	// (PPND16 is accurate to about 1e-16; Go's Erfinv/Erfcinv to about
	// 1e-15), in the central region, both tail formulas and at both ends.
	at := lines["normalat"]
	require.Len(t, at, 16)
	for _, f := range at {
		kv := strings.SplitN(f, ":", 2)
		k, err := strconv.ParseUint(kv[0], 10, 64)
		require.NoError(t, err)
		z, err := strconv.ParseFloat(kv[1], 64)
		require.NoError(t, err)
		p := (float64(k) + 0.5) / (1 << 52)
		want := math.Sqrt2 * math.Erfinv(2*p-1)
		if p < 0.1 {
			want = -math.Sqrt2 * math.Erfcinv(2*p)
		} else if p > 0.9 {
			want = math.Sqrt2 * math.Erfcinv(2*(1-p))
		}
		assert.InEpsilon(t, want, z, 1e-14, "normal quantile of %g", p)
	}
	// gn_normal_f is the normal quantile of (k + 0.5) / 2^32 to 2e-7
	// relative (PPND7, rounded to float).
	atf := lines["normalfat"]
	require.Len(t, atf, 14)
	for _, f := range atf {
		kv := strings.SplitN(f, ":", 2)
		k, err := strconv.ParseUint(kv[0], 10, 32)
		require.NoError(t, err)
		z, err := strconv.ParseFloat(kv[1], 64)
		require.NoError(t, err)
		p := (float64(k) + 0.5) / (1 << 32)
		want := math.Sqrt2 * math.Erfinv(2*p-1)
		if p < 0.1 {
			want = -math.Sqrt2 * math.Erfcinv(2*p)
		} else if p > 0.9 {
			want = math.Sqrt2 * math.Erfcinv(2*(1-p))
		}
		assert.InEpsilon(t, want, z, 2e-7, "single-precision normal quantile of %g", p)
	}
	// A first normal precomputed from the stream's first block (as
	// host-side variable initialisation does) is the same bits as drawing
	// it, as is the draw after it; about 15 % of them are in the tails,
	// where it is drawn.
	nf := lines["normalfirst"]
	require.Len(t, nf, 3)
	assert.Equal(t, []string{"153600", "0"}, nf[:2], "precomputed first normals checked and differing")
	tails, err := strconv.Atoi(nf[2])
	require.NoError(t, err)
	assert.InDelta(t, 0.15*51200, tails, 500, "first normals in the tails")
	// Uniform draws are in (0, 1]: never 0 (log is finite), and close to both ends.
	u := parseMoments(t, lines["uniform"])
	assert.Greater(t, u.min, 0.0)
	assert.Less(t, u.min, 1e-4)
	assert.Greater(t, u.max, 1-1e-4)
}

// The connectivity math that both backends compute alike (gn_conn_log,
// gn_conn_exp, gn_conn_pow) against Go's math package, itself within 1 ulp:
// in double, log and exp within 2 ulp and pow within 2 + |y ln x| ulp (exp
// of y ln x carries ln x's error times y); in float, within 1 float ulp of
// the float nearest the exact value; and C's special cases (log of 0,
// negatives and subnormals, overflow, pow of 0, 1, negatives and NaN), and
// pow of a small integer power is exact where the result is (2^3 = 8).
func TestRuntimeConnectivityMath(t *testing.T) {
	lines := runRuntimeProgram(t)
	// ulp is |got - want| in units of the last place of want in a format
	// of mant bits (53: double, 24: float) with smallest exponent emin.
	ulp := func(want, got float64, mant, emin int) float64 {
		if want == got {
			return 0
		}
		return math.Abs(got-want) / math.Ldexp(1, max(math.Ilogb(want), emin)-mant+1)
	}
	for _, c := range []struct {
		line      string
		mant, min int
		narrow    func(float64) float64
	}{
		{"connd", 53, -1022, func(x float64) float64 { return x }},
		{"connf", 24, -126, func(x float64) float64 { return float64(float32(x)) }},
	} {
		f := lines[c.line]
		n := 20000
		if c.mant == 24 {
			n += 2000 // and near 1
		}
		require.Len(t, f, 6*n, c.line)
		v := make([]float64, len(f))
		for i := range f {
			var err error
			v[i], err = strconv.ParseFloat(f[i], 64)
			require.NoError(t, err)
		}
		logTol, expTol := 2.0, 2.0
		if c.mant == 24 {
			logTol, expTol = 1, 1
		}
		for i := 0; i < len(v); i += 6 {
			x, y, e, l, ex, p := v[i], v[i+1], v[i+2], v[i+3], v[i+4], v[i+5]
			powTol := 2 + math.Abs(y*math.Log(x))
			if c.mant == 24 {
				powTol = 1
			}
			assert.LessOrEqual(t, ulp(c.narrow(math.Log(x)), l, c.mant, c.min), logTol, "%s: log(%v) = %v", c.line, x, l)
			if want := c.narrow(math.Exp(e)); want != 0 && !math.IsInf(want, 0) {
				assert.LessOrEqual(t, ulp(want, ex, c.mant, c.min), expTol, "%s: exp(%v) = %v", c.line, e, ex)
			} else {
				assert.Equal(t, want, ex, "%s: exp(%v)", c.line, e)
			}
			assert.LessOrEqual(t, ulp(c.narrow(math.Pow(x, y)), p, c.mant, c.min), powTol, "%s: pow(%v, %v) = %v", c.line, x, y, p)
		}
	}
	var sp []float64
	for _, w := range lines["connspecial"] {
		x, err := strconv.ParseFloat(w, 64)
		require.NoError(t, err)
		sp = append(sp, x)
	}
	require.Len(t, sp, 13)
	assert.True(t, math.IsInf(sp[0], -1), "log(0)")
	assert.True(t, math.IsNaN(sp[1]), "log(-1)")
	assert.True(t, math.IsInf(sp[2], 1), "log(inf)")
	assert.InDelta(t, -1074*math.Ln2, sp[3], 1e-12, "log of the least subnormal, 2^-1074") // (Go's math.Log on amd64 does not normalise subnormals)
	assert.Equal(t, []float64{0, math.Inf(1), 0, math.Inf(1), -8}, sp[4:9], "exp(-inf), exp(1000), pow(0, 2), pow(0, -1), pow(-2, 3)")
	assert.True(t, math.IsNaN(sp[9]), "pow(-2, 0.5)")
	assert.Equal(t, []float64{1, 1, 4}, sp[10:13], "pow(1, NaN), pow(NaN, 0), pow(-2f, 2f)")
	ints := lines["connpowint"]
	require.Len(t, ints, 3*17)
	for i, n := 0, -8; n <= 8; i, n = i+3, n+1 {
		for k, want := range []float64{math.Pow(3, float64(n)), math.Pow(-1.5, float64(n)), float64(float32(math.Pow(3, float64(n))))} {
			got, err := strconv.ParseFloat(ints[i+k], 64)
			require.NoError(t, err)
			if n >= 0 { // the result is exact
				assert.Equal(t, want, got, "pow case %d, n = %d", k, n)
				continue
			}
			tol := 4e-16 // a few double ulp
			if k == 2 {
				tol = 1.2e-7 // a float ulp
			}
			assert.InEpsilon(t, want, got, tol, "pow case %d, n = %d", k, n)
		}
	}
}

// ConnMath renames calls of log, exp and pow, and of their float forms, and
// nothing else: not members, qualified names, longer identifiers or names
// that are not called.
func TestConnMath(t *testing.T) {
	in := "x = log(u) * c + exp (v) - pow(a, log(b)) + logf(y) + expf(y) + powf(a, b) + s.log(1) + p->exp(2) + std::pow(1, 2) + exponent(1) + mylog(2) + logs(3); f = log;"
	want := "x = gn_conn_log(u) * c + gn_conn_exp (v) - gn_conn_pow(a, gn_conn_log(b)) + gn_conn_log_f(y) + gn_conn_exp_f(y) + gn_conn_pow_f(a, b) + s.log(1) + p->exp(2) + std::pow(1, 2) + exponent(1) + mylog(2) + logs(3); f = log;"
	assert.Equal(t, want, codegen.ConnMath(in))
}

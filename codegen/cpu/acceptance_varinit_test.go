package cpu_test

// Acceptance: GeNN 4.9's variable-initialisation snippets draw from the
// distributions they name. n = 10000 values of a population variable are
// compared with the analytic CDF by a one-sample Kolmogorov–Smirnov test; the
// hypothesis "the values follow the CDF" is rejected when
// D > 1.95/sqrt(n) = 0.0195, the asymptotic critical value at
// alpha = 0.001 (Kolmogorov's c(alpha) = sqrt(-ln(alpha/2)/2) = 1.9495).
// Binomial (discrete) is checked by Pearson's chi-square test at
// alpha = 0.001. Each test also checks that it has power: the same values
// against a slightly wrong CDF are rejected.
//
// GeNN 4.9's definitions (modelspec/builtins.go): Uniform min + U·(max−min);
// Normal mean + sd·N; Exponential lambda·E (lambda is a scale: GeNN 4.9
// multiplies, despite calling it a rate); Gamma b·Gamma(a) (b is a scale);
// NormalClipped redraws N(mean, sd) until it is in [min, max] (a truncated
// normal); Binomial(n, p).

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ksN = 10000

// ksCritical is the one-sample KS critical value at alpha = 0.001.
var ksCritical = 1.95 / math.Sqrt(ksN)

const varInitDoc = `
simulation: {dt: 0.1, duration: 0, precision: double}
models:
  neurons:
    Holder:
      vars: {u: scalar, n: scalar, e: scalar, g: scalar, gs: scalar, nc: scalar, b: scalar}
      sim_code: ""
populations:
  P:
    size: %d
    model: Holder
    vars:
      u: {init: Uniform, params: {min: -1.0, max: 3.0}}
      n: {init: Normal, params: {mean: 2.0, sd: 0.5}}
      e: {init: Exponential, params: {lambda: 2.0}}
      g: {init: Gamma, params: {a: 3.0, b: 0.5}}
      gs: {init: Gamma, params: {a: 0.7, b: 2.0}}
      nc: {init: NormalClipped, params: {mean: 0.5, sd: 1.0, min: -1.0, max: 1.5}}
      b: {init: Binomial, params: {n: 20, p: 0.3}}
`

// ksD is the KS statistic of values against cdf.
func ksD(values []float64, cdf func(float64) float64) float64 {
	x := append([]float64(nil), values...)
	sort.Float64s(x)
	n := float64(len(x))
	d := 0.0
	for i, v := range x {
		f := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d
}

func normalCDF(x, mean, sd float64) float64 { return 0.5 * math.Erfc(-(x-mean)/(sd*math.Sqrt2)) }

// gammaP is the regularised lower incomplete gamma function P(a, x) by its
// power series (converges for every x; enough terms for x < 60).
func gammaP(a, x float64) float64 {
	if x <= 0 {
		return 0
	}
	lg, _ := math.Lgamma(a + 1)
	term, sum := 1.0, 1.0
	for k := 1; k < 2000; k++ {
		term *= x / (a + float64(k))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return math.Exp(a*math.Log(x)-x-lg) * sum
}

func TestAcceptanceVarInitDistributions(t *testing.T) {
	s := newSim(t, fmt.Sprintf(varInitDoc, ksN), codegen.Options{}, []uint64{20240611}, nil)
	cases := []struct {
		v     string
		cdf   func(float64) float64
		wrong func(float64) float64 // a nearby wrong CDF the test must reject
	}{
		{"u", func(x float64) float64 { return math.Min(1, math.Max(0, (x+1)/4)) },
			func(x float64) float64 { return math.Min(1, math.Max(0, (x+1)/4.2)) }},
		{"n", func(x float64) float64 { return normalCDF(x, 2, 0.5) },
			func(x float64) float64 { return normalCDF(x, 2.05, 0.5) }},
		{"e", func(x float64) float64 { return 1 - math.Exp(-x/2) },
			func(x float64) float64 { return 1 - math.Exp(-x/2.3) }},
		{"g", func(x float64) float64 { return gammaP(3, x/0.5) },
			func(x float64) float64 { return gammaP(3, x/0.56) }},
		{"gs", func(x float64) float64 { return gammaP(0.7, x/2) },
			func(x float64) float64 { return gammaP(0.75, x/2) }},
		{"nc", func(x float64) float64 {
			lo, hi := normalCDF(-1, 0.5, 1), normalCDF(1.5, 0.5, 1)
			return math.Min(1, math.Max(0, (normalCDF(x, 0.5, 1)-lo)/(hi-lo)))
		}, func(x float64) float64 {
			return math.Min(1, math.Max(0, (normalCDF(x, 0.5, 1)-normalCDF(-1, 0.5, 1))/(1-normalCDF(-1, 0.5, 1))))
		}},
	}
	t.Logf("KS critical value at alpha = 0.001, n = %d: D < 1.95/sqrt(n) = %.4f", ksN, ksCritical)
	for _, c := range cases {
		vals := s.get("P", c.v, 0)
		require.Len(t, vals, ksN)
		d := ksD(vals, c.cdf)
		t.Logf("%-2s D = %.4f (against the wrong CDF: %.4f)", c.v, d, ksD(vals, c.wrong))
		assert.Less(t, d, ksCritical, "variable %s: KS D = %.4f ≥ %.4f", c.v, d, ksCritical)
		assert.Greater(t, ksD(vals, c.wrong), ksCritical, "variable %s: the test has no power against a wrong CDF", c.v)
	}
	// NormalClipped never leaves [min, max]
	for _, x := range s.get("P", "nc", 0) {
		require.True(t, x >= -1 && x <= 1.5, "NormalClipped value %g outside [-1, 1.5]", x)
	}

	// Binomial(20, 0.3): Pearson's chi-square over the outcomes, merging the
	// tails so that every expected count is at least 5.
	n, p := 20, 0.3
	pmf := make([]float64, n+1)
	for k := 0; k <= n; k++ {
		lc, _ := math.Lgamma(float64(n + 1))
		l1, _ := math.Lgamma(float64(k + 1))
		l2, _ := math.Lgamma(float64(n - k + 1))
		pmf[k] = math.Exp(lc - l1 - l2 + float64(k)*math.Log(p) + float64(n-k)*math.Log(1-p))
	}
	counts := make([]float64, n+1)
	for _, x := range s.get("P", "b", 0) {
		require.Equal(t, math.Round(x), x, "Binomial values are integers")
		require.True(t, x >= 0 && x <= float64(n))
		counts[int(x)]++
	}
	chi2 := func(pmf []float64) (float64, int) {
		var obs, exp []float64
		o, e := 0.0, 0.0
		for k := 0; k <= n; k++ {
			o += counts[k]
			e += pmf[k] * ksN
			if e >= 5 && (k == n || sumFrom(pmf, k+1)*ksN >= 5) {
				obs, exp = append(obs, o), append(exp, e)
				o, e = 0, 0
			}
		}
		if e > 0 { // remaining tail
			obs[len(obs)-1] += o
			exp[len(exp)-1] += e
		}
		x2 := 0.0
		for i := range obs {
			x2 += (obs[i] - exp[i]) * (obs[i] - exp[i]) / exp[i]
		}
		return x2, len(obs) - 1
	}
	x2, df := chi2(pmf)
	crit := chi2Critical001(df)
	t.Logf("Binomial(20, 0.3): chi-square = %.2f with %d degrees of freedom, critical value at alpha = 0.001: %.2f", x2, df, crit)
	assert.Less(t, x2, crit)
	// power: the same counts against Binomial(20, 0.32)
	wrong := make([]float64, n+1)
	for k := 0; k <= n; k++ {
		lc, _ := math.Lgamma(float64(n + 1))
		l1, _ := math.Lgamma(float64(k + 1))
		l2, _ := math.Lgamma(float64(n - k + 1))
		wrong[k] = math.Exp(lc - l1 - l2 + float64(k)*math.Log(0.32) + float64(n-k)*math.Log(0.68))
	}
	xw, dfw := chi2(wrong)
	assert.Greater(t, xw, chi2Critical001(dfw), "the chi-square test has no power against Binomial(20, 0.32)")
}

func sumFrom(pmf []float64, k int) float64 {
	s := 0.0
	for ; k < len(pmf); k++ {
		s += pmf[k]
	}
	return s
}

// chi2Critical001 is the upper 0.001 quantile of chi-square with df degrees
// of freedom by the Wilson–Hilferty approximation (z = 3.0902; within 1% for
// df ≥ 3).
func chi2Critical001(df int) float64 {
	k := float64(df)
	c := 1 - 2/(9*k) + 3.0902*math.Sqrt(2/(9*k))
	return k * c * c * c
}

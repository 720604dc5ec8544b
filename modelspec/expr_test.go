package modelspec

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestExprEval(t *testing.T) {
	vars := map[string]float64{"a": 2, "b": 3, "TauM": 20, "DT": 0.1, "zero": 0}
	tests := []struct {
		expr string
		want float64
	}{
		{"1", 1},
		{"1.5", 1.5},
		{".5", 0.5},
		{"5.", 5},
		{"1e-3", 1e-3},
		{"1E+3", 1000},
		{"5.0f", 5},
		{"2.5e-1F", 0.25},
		{"10u", 10},
		{"a", 2},
		{"$(a) + $( b )", 5},
		{"1 + 2 * 3", 7},
		{"(1 + 2) * 3", 9},
		{"2 * 3 + 4 * 5", 26},
		{"10 - 4 - 3", 3},  // left-associative
		{"64 / 4 / 2", 8},  // left-associative
		{"1 / 2", 0.5},     // double arithmetic, not C integer division
		{"7 % 3", 1},       // fmod
		{"-7 % 3", -1},     // fmod keeps the sign of the dividend
		{"7.5 % 2", 1.5},   // fmod
		{"-a * b", -6},     // unary binds tighter than *
		{"- -a", 2},        // nested unary
		{"+a", 2},          // unary plus
		{"2 * -3", -6},     // unary after binary operator
		{"a < b", 1},       // comparisons
		{"a > b", 0},       // comparisons
		{"a <= 2", 1},      // comparisons
		{"a >= 2.5", 0},    // comparisons
		{"a == 2", 1},      // equality
		{"a != 2", 0},      // equality
		{"1 + 1 == 2", 1},  // + binds tighter than ==
		{"1 < 2 == 1", 1},  // < binds tighter than ==
		{"!0", 1},          // logical not
		{"!a", 0},          // logical not
		{"1 && 0", 0},      // and
		{"1 || 0", 1},      // or
		{"0 || 0 && 1", 0}, // && binds tighter than ||
		{"1 || 0 && 0", 1}, // && binds tighter than ||
		{"a > 1 ? 10 : 20", 10},
		{"a > 5 ? 10 : 20", 20},
		{"0 ? 1 : 0 ? 2 : 3", 3},   // right-associative
		{"1 ? 0 ? 4 : 5 : 6", 5},   // nested in the middle
		{"a ? b : c_undefined", 3}, // only the chosen branch is evaluated
		{"0 && undefined_name", 0}, // short circuit
		{"1 || undefined_name", 1}, // short circuit
		{"1 + (a < b ? 1 : 2) * 3", 4},
		{"exp(0)", 1},
		{"exp(-DT / TauM)", math.Exp(-0.1 / 20)},
		{"log(exp(2))", 2},
		{"log1p(1e-10)", math.Log1p(1e-10)},
		{"expm1(1e-10)", math.Expm1(1e-10)},
		{"sqrt(16)", 4},
		{"pow(2, 10)", 1024},
		{"pow(0.9999, 1.0 / 4000)", math.Pow(0.9999, 1.0/4000)},
		{"fabs(-3)", 3},
		{"abs(-3.5)", 3.5},
		{"floor(-1.5)", -2},
		{"ceil(1.2)", 2},
		{"round(2.5)", 3},
		{"round(-2.5)", -3},
		{"rint(2.5)", 2},
		{"trunc(-1.7)", -1},
		{"sin(0) + cos(0)", 1},
		{"tan(0)", 0},
		{"tanh(0.5)", math.Tanh(0.5)},
		{"min(a, b)", 2},
		{"max(a, b)", 3},
		{"fmin(a, b)", 2},
		{"fmax(a, b)", 3},
		{"erf(0.5)", math.Erf(0.5)},
		{"fmod(7, 4)", 3},
		{"atan2(1, 1)", math.Pi / 4},
		{"max(0, 1 + (int)floor((3 + 1 - 3) / 2.0))", 1},
		{"(int)2.9", 2},
		{"(int)-2.9", -2},
		{"(unsigned int)7.9 * 2", 14}, // the cast binds tighter than *
		{"(unsigned int)(7.9 * 2)", 15},
		{"(double)a / b", 2.0 / 3.0},
		{"(scalar)a", 2},
		{"(float)0.1", float64(float32(0.1))},
		{"binomialInverseCDF(0.5, 10, 0.5)", 5},
		{" 1 +\n\t2 ", 3},
	}
	for _, tc := range tests {
		got, err := EvalExpr(tc.expr, vars)
		if err != nil {
			t.Errorf("EvalExpr(%q): unexpected error: %v", tc.expr, err)
			continue
		}
		if got != tc.want && math.Abs(got-tc.want) > 1e-15*math.Abs(tc.want) {
			t.Errorf("EvalExpr(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// Division by zero follows IEEE 754 like C on doubles: it is not an error.
func TestExprDivisionByZero(t *testing.T) {
	vars := map[string]float64{"zero": 0}
	for expr, check := range map[string]func(float64) bool{
		"1 / 0":      func(v float64) bool { return math.IsInf(v, 1) },
		"-1 / zero":  func(v float64) bool { return math.IsInf(v, -1) },
		"0 / 0":      math.IsNaN,
		"1 % 0":      math.IsNaN,
		"log(0)":     func(v float64) bool { return math.IsInf(v, -1) },
		"sqrt(-1)":   math.IsNaN,
		"1 / log(1)": func(v float64) bool { return math.IsInf(v, 1) },
	} {
		got, err := EvalExpr(expr, vars)
		if err != nil {
			t.Errorf("EvalExpr(%q): unexpected error %v", expr, err)
		} else if !check(got) {
			t.Errorf("EvalExpr(%q) = %v", expr, got)
		}
	}
}

func TestExprErrors(t *testing.T) {
	vars := map[string]float64{"TauM": 20, "DT": 0.1}
	tests := []struct {
		expr    string
		pos     int      // expected 0-based position
		msgPart []string // substrings of the message
	}{
		{"exp(-DT / TauX)", 10, []string{`unknown identifier "TauX"`, "available: DT, TauM"}},
		{"1 +", 3, []string{"end of expression"}},
		{"(1 + 2", 6, []string{`expected ")"`}},
		{"1 + 2)", 5, []string{`unexpected ")"`}},
		{"1 2", 2, []string{"number 2"}},
		{"foo(1)", 0, []string{`unknown function "foo"`}},
		{"pow(1)", 0, []string{"pow takes 2 argument(s), got 1"}},
		{"exp(1, 2)", 0, []string{"exp takes 1 argument(s), got 2"}},
		{"a = 1", 2, []string{"assignment"}},
		{"1 & 2", 2, []string{"bitwise"}},
		{"1 # 2", 2, []string{"unexpected character"}},
		{"1e+", 1, []string{"malformed exponent"}},
		{"12abc", 0, []string{"malformed number"}},
		{"1 ? 2", 5, []string{`expected ":"`}},
		{"$(x", 0, []string{"not closed"}},
		{"$(addToInSyn, 1)", 0, []string{"not closed"}},
		{"(int)(1e12)", 0, []string{"out of range"}},
		{"(unsigned int)-1", 0, []string{"out of range"}},
		{"binomialInverseCDF(1.5, 10, 0.5)", 0, []string{"cdf < 0 or cdf > 1"}},
		{"binomialInverseCDF(0.5, 10, -0.5)", 0, []string{"p < 0 or p > 1"}},
		{"binomialInverseCDF(0.5, -1, 0.5)", 0, []string{"not a valid unsigned int"}},
		{"", 0, []string{"end of expression"}},
	}
	for _, tc := range tests {
		_, err := EvalExpr(tc.expr, vars)
		if err == nil {
			t.Errorf("EvalExpr(%q): expected an error", tc.expr)
			continue
		}
		var ee *ExprError
		if !errors.As(err, &ee) {
			t.Errorf("EvalExpr(%q): error %v is not an *ExprError", tc.expr, err)
			continue
		}
		if ee.Pos != tc.pos {
			t.Errorf("EvalExpr(%q): error position %d, want %d (%v)", tc.expr, ee.Pos, tc.pos, err)
		}
		for _, part := range tc.msgPart {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("EvalExpr(%q): error %q does not contain %q", tc.expr, err, part)
			}
		}
		if !strings.Contains(err.Error(), "column") {
			t.Errorf("EvalExpr(%q): error %q does not give the column", tc.expr, err)
		}
	}
	// With nothing in scope the error says so.
	_, err := EvalExpr("x", nil)
	if err == nil || !strings.Contains(err.Error(), "none are defined") {
		t.Errorf("EvalExpr(x, nil) error = %v", err)
	}
}

func TestExprIdents(t *testing.T) {
	got, err := ExprIdents("exp(-DT / TauM) * $(C) + TauM / max(C, x) + (int)y")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DT", "TauM", "C", "x", "y"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ExprIdents = %v, want %v", got, want)
	}
	if _, err := ExprIdents("1 +"); err == nil {
		t.Error("ExprIdents(1 +): expected a syntax error")
	}
	got, err = ExprIdents("1 + 2")
	if err != nil || len(got) != 0 {
		t.Errorf("ExprIdents(1 + 2) = %v, %v", got, err)
	}
}

func TestExprParseOnceEvalMany(t *testing.T) {
	e, err := ParseExpr("TauM / C")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []float64{1, 2, 4} {
		v, err := e.Eval(map[string]float64{"TauM": 20, "C": c})
		if err != nil || v != 20/c {
			t.Errorf("Eval(C=%v) = %v, %v", c, v, err)
		}
	}
	if e.String() != "TauM / C" {
		t.Errorf("String() = %q", e.String())
	}
}

func TestExprEvalDerived(t *testing.T) {
	dps := []DerivedParam{
		{Name: "ExpTC", Expr: "exp(-DT / TauM)"},
		{Name: "Rmembrane", Expr: "TauM / C"},
		{Name: "Twice", Expr: "2 * Rmembrane"}, // earlier derived params are in scope
	}
	got, err := EvalDerived(dps, map[string]float64{"TauM": 20, "C": 0.5}, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if got["ExpTC"] != math.Exp(-0.1/20) || got["Rmembrane"] != 40 || got["Twice"] != 80 || len(got) != 3 {
		t.Errorf("EvalDerived = %v", got)
	}
	// Errors name the derived parameter.
	_, err = EvalDerived([]DerivedParam{{Name: "bad", Expr: "TauX"}}, map[string]float64{"TauM": 1}, 0.1)
	if err == nil || !strings.Contains(err.Error(), `"bad"`) || !strings.Contains(err.Error(), "TauX") {
		t.Errorf("EvalDerived error = %v", err)
	}
	// A later derived param is not in scope of an earlier one.
	_, err = EvalDerived([]DerivedParam{{Name: "a", Expr: "b"}, {Name: "b", Expr: "1"}}, nil, 0.1)
	if err == nil {
		t.Error("EvalDerived: expected an error for a forward reference")
	}
	for _, dps := range [][]DerivedParam{
		{{Name: "TauM", Expr: "1"}},                      // clash with a parameter
		{{Name: "DT", Expr: "1"}},                        // clash with DT
		{{Name: "x", Expr: "1"}, {Name: "x", Expr: "2"}}, // defined twice
	} {
		if _, err := EvalDerived(dps, map[string]float64{"TauM": 1}, 0.1); err == nil {
			t.Errorf("EvalDerived(%v): expected an error", dps)
		}
	}
}

// exprBigBinomialQuantile is an independent brute-force binomial quantile: the
// smallest k with P(X <= k) >= q for X ~ B(n, p), with the PMF computed in
// 256-bit floating point. It also returns the CDF at k-1 and k.
func exprBigBinomialQuantile(q float64, n uint32, p float64) (k uint32, cdfBelow, cdfAt float64) {
	const prec = 256
	bp := new(big.Float).SetPrec(prec).SetFloat64(p)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	bq := new(big.Float).SetPrec(prec).Sub(one, bp) // 1 - p
	pmf := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := uint32(0); i < n; i++ {
		pmf.Mul(pmf, bq)
	}
	ratio := new(big.Float).SetPrec(prec).Quo(bp, bq)
	cdf := new(big.Float).SetPrec(prec)
	bigQ := new(big.Float).SetPrec(prec).SetFloat64(q)
	prev := 0.0
	for k = 0; ; k++ {
		cdf.Add(cdf, pmf)
		if cdf.Cmp(bigQ) >= 0 || k == n {
			at, _ := cdf.Float64()
			return k, prev, at
		}
		prev, _ = cdf.Float64()
		// pmf(k+1) = pmf(k) * (n-k)/(k+1) * p/(1-p)
		pmf.Mul(pmf, new(big.Float).SetPrec(prec).SetInt64(int64(n-k)))
		pmf.Quo(pmf, new(big.Float).SetPrec(prec).SetInt64(int64(k+1)))
		pmf.Mul(pmf, ratio)
	}
}

func TestExprBinomialInverseCDF(t *testing.T) {
	// Special cases, as in GeNN.
	special := []struct {
		cdf  float64
		n    uint32
		p    float64
		want uint32
	}{
		{0.5, 10, 0, 0}, {0.5, 10, 1, 10}, {0, 10, 0.5, 0}, {1, 10, 0.5, 10}, {0.5, 0, 0.5, 0},
	}
	for _, s := range special {
		got, err := BinomialInverseCDF(s.cdf, s.n, s.p)
		if err != nil || got != s.want {
			t.Errorf("BinomialInverseCDF(%v, %d, %v) = %d, %v; want %d", s.cdf, s.n, s.p, got, err, s.want)
		}
	}
	// Against the brute-force quantile over both branches (cdf < 0.5 and
	// >= 0.5), small and large n, and the binary-search path (n*p > 100).
	// Where the exact CDF lies within 1e-9 of q the two may legitimately
	// differ by rounding, so then only closeness is checked.
	ns := []uint32{1, 2, 7, 50, 333, 1000, 4000, 20000}
	ps := []float64{1e-4, 0.02, 0.1, 0.5, 0.73, 0.999}
	qs := []float64{1e-6, 0.01, 0.3, 0.5, 0.9, 0.9999, math.Pow(0.9999, 1.0/4000)}
	for _, n := range ns {
		for _, p := range ps {
			for _, q := range qs {
				got, err := BinomialInverseCDF(q, n, p)
				if err != nil {
					t.Errorf("BinomialInverseCDF(%v, %d, %v): %v", q, n, p, err)
					continue
				}
				want, below, at := exprBigBinomialQuantile(q, n, p)
				if got == want {
					continue
				}
				borderline := math.Abs(at-q) < 1e-9 || math.Abs(below-q) < 1e-9
				if !borderline || (got != want+1 && got+1 != want) {
					t.Errorf("BinomialInverseCDF(%v, %d, %v) = %d, brute force %d (CDF %v..%v)", q, n, p, got, want, below, at)
				}
			}
		}
	}
}

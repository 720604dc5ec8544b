package modelspec

// A small evaluator for the C-like arithmetic expressions used for derived
// parameters and for connectivity snippets' maximum row/column lengths.
//
// Grammar (C precedence, lowest first):
//
//	expr     = ternary
//	ternary  = or [ "?" expr ":" ternary ]
//	or       = and { "||" and }
//	and      = eq { "&&" eq }
//	eq       = rel { ("==" | "!=") rel }
//	rel      = add { ("<" | "<=" | ">" | ">=") add }
//	add      = mul { ("+" | "-") mul }
//	mul      = unary { ("*" | "/" | "%") unary }
//	unary    = ("-" | "+" | "!") unary | "(" type ")" unary | primary
//	primary  = number | ident | ident "(" [ expr { "," expr } ] ")" | "(" expr ")" | "$(" ident ")"
//
// Semantics:
//   - Every value is a float64 and all arithmetic is done in double precision,
//     as GeNN's derived-parameter functions are (they take and return double).
//     In particular 1/2 is 0.5, not C's integer 0: write (int) casts or floor
//     where integer division is meant.
//   - Division by zero follows IEEE 754 like C on doubles: x/0 is ±Inf, 0/0 is
//     NaN; it is not an error. "%" is C's fmod (x % 0 is NaN).
//   - Comparisons, "!", "&&" and "||" yield 1 or 0; "&&", "||" and "?:" only
//     evaluate the operand they need.
//   - Number literals accept C suffixes (5.0f, 1e-3F, 10u, 10UL); the suffix
//     is ignored. "$(name)" is accepted as a synonym of the identifier name so
//     that expressions copied from code strings work.
//   - Casts: (double) and (scalar) do nothing; (float) rounds to float32;
//     (int), (unsigned int), (unsigned), (uint32_t), (int32_t), (size_t) and
//     (long) truncate towards zero, and it is an error when the value is NaN or
//     out of the type's range (undefined behaviour in C).
//   - Functions: exp, exp2, log, log2, log10, log1p, expm1, sqrt, cbrt, pow,
//     fabs, abs, floor, ceil, round (half away from zero), rint and nearbyint
//     (half to even), trunc, sin, cos, tan, asin, acos, atan, atan2, sinh,
//     cosh, tanh, erf, erfc, lgamma, tgamma, fmod, min, max, fmin, fmax and
//     binomialInverseCDF(cdf, n, p) (GeNN 4.9's, see BinomialInverseCDF).

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ExprError is a syntax or evaluation error in an expression. Pos is the
// 0-based byte offset in Expr; the message reports it as a 1-based column.
type ExprError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("expression %q: column %d: %s", e.Expr, e.Pos+1, e.Msg)
}

// Expr is a parsed expression; it is immutable and safe for concurrent use.
type Expr struct {
	src  string
	root exprNode
}

// ParseExpr parses an expression once so that it can be evaluated many times.
func ParseExpr(src string) (*Expr, error) {
	if r, ok := parsedExprs.Load(src); ok {
		r := r.(parsedExpr)
		return r.e, r.err
	}
	e, err := parseExpr(src)
	parsedExprs.Store(src, parsedExpr{e, err})
	return e, err
}

// parsedExprs memoises ParseExpr by source text (an Expr is immutable): a
// sweep decodes the same derived-parameter and row-length expressions once
// per variant, thousands of times.
var parsedExprs sync.Map // string -> parsedExpr

type parsedExpr struct {
	e   *Expr
	err error
}

func parseExpr(src string) (*Expr, error) {
	toks, err := lexExpr(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{src: src, toks: toks}
	root, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != exprTkEOF {
		return nil, p.errAt(t.pos, "unexpected %s after end of expression", t.describe())
	}
	return &Expr{src: src, root: root}, nil
}

// String returns the source text of the expression.
func (e *Expr) String() string { return e.src }

// Idents returns the identifiers the expression reads (function names
// excluded), deduplicated, in order of first appearance.
func (e *Expr) Idents() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n exprNode)
	walk = func(n exprNode) {
		switch n := n.(type) {
		case *exprIdentNode:
			if !seen[n.name] {
				seen[n.name] = true
				out = append(out, n.name)
			}
		case *exprUnaryNode:
			walk(n.x)
		case *exprCastNode:
			walk(n.x)
		case *exprBinaryNode:
			walk(n.x)
			walk(n.y)
		case *exprTernaryNode:
			walk(n.cond)
			walk(n.a)
			walk(n.b)
		case *exprCallNode:
			for _, a := range n.args {
				walk(a)
			}
		}
	}
	walk(e.root)
	return out
}

// Eval evaluates the expression with the given identifier values.
func (e *Expr) Eval(vars map[string]float64) (float64, error) {
	ev := &exprEval{src: e.src, vars: vars}
	return ev.eval(e.root)
}

// EvalExpr parses and evaluates expr with identifiers looked up in vars.
func EvalExpr(expr string, vars map[string]float64) (float64, error) {
	e, err := ParseExpr(expr)
	if err != nil {
		return 0, err
	}
	return e.Eval(vars)
}

// EvalBound evaluates a maximum row or column length expression as
// EvalExpr does, except that every upper quantile binomialInverseCDF(cdf,
// n, p) (cdf at least 0.5) is taken at tailScale times its upper tail: the
// smallest k with P(X > k) at most (1 - cdf) * tailScale, found from the
// tail itself (1 - (1 - tail) would lose the digits of a tail near the
// double precision's). GeNN's expressions are quantiles at which every row
// of one network fits with probability 0.9999; a sweep scales their tails
// so that every row of every variant fits with the probability it needs
// (codegen.BoundTailScale). tailScale 1 is EvalExpr.
func EvalBound(expr string, vars map[string]float64, tailScale float64) (float64, error) {
	e, err := ParseExpr(expr)
	if err != nil {
		return 0, err
	}
	ev := &exprEval{src: e.src, vars: vars, tailScale: tailScale}
	return ev.eval(e.root)
}

// ExprIdents returns the identifiers used by expr (function names excluded),
// deduplicated, in order of first appearance. It fails on a syntax error.
func ExprIdents(expr string) ([]string, error) {
	e, err := ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	return e.Idents(), nil
}

// EvalDerived evaluates derived parameters in order. Each expression sees the
// parameters, DT and the derived parameters before it; a Func sees the
// parameters and DT. It returns the derived
// values only (keyed by name). A derived parameter named like a parameter,
// like DT, or like an earlier derived parameter is an error.
func EvalDerived(dps []DerivedParam, params map[string]float64, dt float64) (map[string]float64, error) {
	scope := make(map[string]float64, len(params)+len(dps)+1)
	for k, v := range params {
		scope[k] = v
	}
	if _, ok := scope["DT"]; ok {
		return nil, errors.New(`a parameter is named "DT", which is reserved for the time step`)
	}
	scope["DT"] = dt
	out := make(map[string]float64, len(dps))
	for _, dp := range dps {
		if _, dup := scope[dp.Name]; dup {
			if _, isDerived := out[dp.Name]; isDerived {
				return nil, fmt.Errorf("derived parameter %q is defined twice", dp.Name)
			}
			return nil, fmt.Errorf("derived parameter %q has the name of a parameter or DT", dp.Name)
		}
		var v float64
		if dp.Func != nil {
			// A Go function sees the parameters only, as GeNN's
			// DerivedParamFunc does.
			v = dp.Func(params, dt)
		} else {
			var err error
			if v, err = EvalExpr(dp.Expr, scope); err != nil {
				return nil, fmt.Errorf("derived parameter %q: %w", dp.Name, err)
			}
		}
		scope[dp.Name] = v
		out[dp.Name] = v
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Lexer

type exprTokKind int

const (
	exprTkEOF exprTokKind = iota
	exprTkNum
	exprTkIdent
	exprTkOp
)

type exprToken struct {
	kind exprTokKind
	pos  int
	text string
	num  float64
}

func (t exprToken) describe() string {
	switch t.kind {
	case exprTkEOF:
		return "end of expression"
	case exprTkNum:
		return fmt.Sprintf("number %s", t.text)
	case exprTkIdent:
		return fmt.Sprintf("identifier %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

var exprTwoCharOps = []string{"<=", ">=", "==", "!=", "&&", "||"}

func exprIsIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func exprIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func lexExpr(src string) ([]exprToken, error) {
	var toks []exprToken
	errAt := func(pos int, format string, args ...any) error {
		return &ExprError{Expr: src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case exprIsDigit(c) || (c == '.' && i+1 < len(src) && exprIsDigit(src[i+1])):
			start := i
			for i < len(src) && exprIsDigit(src[i]) {
				i++
			}
			if i < len(src) && src[i] == '.' {
				i++
				for i < len(src) && exprIsDigit(src[i]) {
					i++
				}
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
				j := i + 1
				if j < len(src) && (src[j] == '+' || src[j] == '-') {
					j++
				}
				if j < len(src) && exprIsDigit(src[j]) {
					for j < len(src) && exprIsDigit(src[j]) {
						j++
					}
					i = j
				} else {
					return nil, errAt(i, "malformed exponent in number %q", src[start:j])
				}
			}
			numText := src[start:i]
			// C suffixes: f/F/l/L for floating, u/U/l/L for integers.
			for i < len(src) && strings.IndexByte("fFlLuU", src[i]) >= 0 {
				i++
			}
			if i < len(src) && (exprIsIdentStart(src[i]) || exprIsDigit(src[i]) || src[i] == '.') {
				return nil, errAt(start, "malformed number %q", src[start:i+1])
			}
			v, err := strconv.ParseFloat(numText, 64)
			if err != nil {
				// Only range errors are possible here; ParseFloat then
				// returns ±Inf or 0 as C's strtod would.
				var ne *strconv.NumError
				if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
					return nil, errAt(start, "malformed number %q", src[start:i])
				}
			}
			toks = append(toks, exprToken{kind: exprTkNum, pos: start, text: src[start:i], num: v})
		case exprIsIdentStart(c):
			start := i
			for i < len(src) && (exprIsIdentStart(src[i]) || exprIsDigit(src[i])) {
				i++
			}
			toks = append(toks, exprToken{kind: exprTkIdent, pos: start, text: src[start:i]})
		case c == '$':
			// $(name) is read as the identifier name.
			start := i
			j := i + 1
			for j < len(src) && src[j] == ' ' {
				j++
			}
			if j >= len(src) || src[j] != '(' {
				return nil, errAt(start, `"$" must be followed by "(name)"`)
			}
			j++
			for j < len(src) && src[j] == ' ' {
				j++
			}
			ns := j
			if j >= len(src) || !exprIsIdentStart(src[j]) {
				return nil, errAt(start, `"$(" must be followed by a name and ")"`)
			}
			for j < len(src) && (exprIsIdentStart(src[j]) || exprIsDigit(src[j])) {
				j++
			}
			name := src[ns:j]
			for j < len(src) && src[j] == ' ' {
				j++
			}
			if j >= len(src) || src[j] != ')' {
				return nil, errAt(start, `"$(%s" is not closed by ")" (function-like tokens such as $(name, args) are not expressions)`, name)
			}
			i = j + 1
			toks = append(toks, exprToken{kind: exprTkIdent, pos: ns, text: name})
		default:
			matched := false
			if i+1 < len(src) {
				two := src[i : i+2]
				for _, op := range exprTwoCharOps {
					if two == op {
						toks = append(toks, exprToken{kind: exprTkOp, pos: i, text: two})
						i += 2
						matched = true
						break
					}
				}
			}
			if matched {
				continue
			}
			if strings.IndexByte("+-*/%()<>!?:,", c) >= 0 {
				toks = append(toks, exprToken{kind: exprTkOp, pos: i, text: string(c)})
				i++
				continue
			}
			if c == '=' {
				return nil, errAt(i, `assignment "=" is not allowed in an expression (did you mean "=="?)`)
			}
			if c == '&' || c == '|' {
				return nil, errAt(i, "bitwise %q is not supported (use %q or %q for logic)", string(c), "&&", "||")
			}
			return nil, errAt(i, "unexpected character %q", string(c))
		}
	}
	toks = append(toks, exprToken{kind: exprTkEOF, pos: len(src)})
	return toks, nil
}

// ---------------------------------------------------------------------------
// AST

type exprNode interface{ position() int }

type exprNumNode struct {
	pos int
	v   float64
}
type exprIdentNode struct {
	pos  int
	name string
}
type exprUnaryNode struct {
	pos int
	op  string
	x   exprNode
}
type exprCastNode struct {
	pos int
	typ string
	x   exprNode
}
type exprBinaryNode struct {
	pos  int
	op   string
	x, y exprNode
}
type exprTernaryNode struct {
	pos        int
	cond, a, b exprNode
}
type exprCallNode struct {
	pos  int
	name string
	args []exprNode
}

func (n *exprNumNode) position() int     { return n.pos }
func (n *exprIdentNode) position() int   { return n.pos }
func (n *exprUnaryNode) position() int   { return n.pos }
func (n *exprCastNode) position() int    { return n.pos }
func (n *exprBinaryNode) position() int  { return n.pos }
func (n *exprTernaryNode) position() int { return n.pos }
func (n *exprCallNode) position() int    { return n.pos }

// ---------------------------------------------------------------------------
// Parser

type exprParser struct {
	src  string
	toks []exprToken
	i    int
}

func (p *exprParser) peek() exprToken { return p.toks[p.i] }
func (p *exprParser) next() exprToken {
	t := p.toks[p.i]
	if t.kind != exprTkEOF {
		p.i++
	}
	return t
}
func (p *exprParser) isOp(s string) bool {
	t := p.peek()
	return t.kind == exprTkOp && t.text == s
}

func (p *exprParser) errAt(pos int, format string, args ...any) error {
	return &ExprError{Expr: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *exprParser) expect(op string) (exprToken, error) {
	t := p.peek()
	if t.kind != exprTkOp || t.text != op {
		return t, p.errAt(t.pos, "expected %q, found %s", op, t.describe())
	}
	return p.next(), nil
}

func (p *exprParser) parseExpr() (exprNode, error) { return p.parseTernary() }

func (p *exprParser) parseTernary() (exprNode, error) {
	cond, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	if !p.isOp("?") {
		return cond, nil
	}
	q := p.next()
	a, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(":"); err != nil {
		return nil, err
	}
	b, err := p.parseTernary()
	if err != nil {
		return nil, err
	}
	return &exprTernaryNode{pos: q.pos, cond: cond, a: a, b: b}, nil
}

// exprBinaryLevels lists binary operators from lowest to highest precedence.
var exprBinaryLevels = [][]string{
	{"||"},
	{"&&"},
	{"==", "!="},
	{"<", "<=", ">", ">="},
	{"+", "-"},
	{"*", "/", "%"},
}

func (p *exprParser) parseBinary(level int) (exprNode, error) {
	if level == len(exprBinaryLevels) {
		return p.parseUnary()
	}
	x, err := p.parseBinary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != exprTkOp || !exprContains(exprBinaryLevels[level], t.text) {
			return x, nil
		}
		p.next()
		y, err := p.parseBinary(level + 1)
		if err != nil {
			return nil, err
		}
		x = &exprBinaryNode{pos: t.pos, op: t.text, x: x, y: y}
	}
}

func exprContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// exprCastTypes maps the type names accepted in casts (joined by one space) to
// their canonical form.
var exprCastTypes = map[string]string{
	"double": "double", "scalar": "double", "float": "float",
	"int": "int", "int32_t": "int", "long": "long", "int64_t": "long",
	"unsigned": "unsigned int", "unsigned int": "unsigned int", "uint32_t": "unsigned int",
	"size_t": "size_t", "uint64_t": "size_t", "unsigned long": "size_t",
}

// tryCast recognises "(" type-name ")" at the current position.
func (p *exprParser) tryCast() (string, bool) {
	if !p.isOp("(") {
		return "", false
	}
	j := p.i + 1
	var words []string
	for j < len(p.toks) && p.toks[j].kind == exprTkIdent {
		words = append(words, p.toks[j].text)
		j++
	}
	if len(words) == 0 || j >= len(p.toks) || p.toks[j].kind != exprTkOp || p.toks[j].text != ")" {
		return "", false
	}
	typ, ok := exprCastTypes[strings.Join(words, " ")]
	if !ok {
		return "", false
	}
	p.i = j + 1
	return typ, true
}

func (p *exprParser) parseUnary() (exprNode, error) {
	t := p.peek()
	if t.kind == exprTkOp && (t.text == "-" || t.text == "+" || t.text == "!") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &exprUnaryNode{pos: t.pos, op: t.text, x: x}, nil
	}
	if typ, ok := p.tryCast(); ok {
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &exprCastNode{pos: t.pos, typ: typ, x: x}, nil
	}
	return p.parsePrimary()
}

func (p *exprParser) parsePrimary() (exprNode, error) {
	t := p.next()
	switch t.kind {
	case exprTkNum:
		return &exprNumNode{pos: t.pos, v: t.num}, nil
	case exprTkIdent:
		if !p.isOp("(") {
			return &exprIdentNode{pos: t.pos, name: t.text}, nil
		}
		fn, ok := exprFuncs[t.text]
		if !ok {
			return nil, p.errAt(t.pos, "unknown function %q (known: %s)", t.text, strings.Join(exprFuncNames(), ", "))
		}
		p.next() // "("
		var args []exprNode
		if !p.isOp(")") {
			for {
				a, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if p.isOp(",") {
					p.next()
					continue
				}
				break
			}
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		if len(args) != fn.arity {
			return nil, p.errAt(t.pos, "function %s takes %d argument(s), got %d", t.text, fn.arity, len(args))
		}
		return &exprCallNode{pos: t.pos, name: t.text, args: args}, nil
	case exprTkOp:
		if t.text == "(" {
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
		return nil, p.errAt(t.pos, "expected a number, identifier or \"(\", found %s", t.describe())
	}
	return nil, p.errAt(t.pos, "unexpected end of expression")
}

// ---------------------------------------------------------------------------
// Functions

type exprFunction struct {
	arity int
	f1    func(float64) float64
	f2    func(float64, float64) float64
	// fe is used for functions that can fail (binomialInverseCDF).
	fe func(args []float64) (float64, error)
}

// exprCMin and exprCMax are C++'s std::min/std::max on doubles.
func exprCMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}
func exprCMax(a, b float64) float64 {
	if a < b {
		return b
	}
	return a
}

// exprCFmin and exprCFmax are C's fmin/fmax: a NaN argument is ignored.
func exprCFmin(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	if math.IsNaN(b) {
		return a
	}
	return math.Min(a, b)
}
func exprCFmax(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	if math.IsNaN(b) {
		return a
	}
	return math.Max(a, b)
}

var exprFuncs map[string]exprFunction

func init() {
	one := func(f func(float64) float64) exprFunction { return exprFunction{arity: 1, f1: f} }
	two := func(f func(float64, float64) float64) exprFunction { return exprFunction{arity: 2, f2: f} }
	exprFuncs = map[string]exprFunction{
		"exp": one(math.Exp), "exp2": one(math.Exp2), "log": one(math.Log),
		"log2": one(math.Log2), "log10": one(math.Log10), "log1p": one(math.Log1p),
		"expm1": one(math.Expm1), "sqrt": one(math.Sqrt), "cbrt": one(math.Cbrt),
		"pow": two(math.Pow), "fabs": one(math.Abs), "abs": one(math.Abs),
		"floor": one(math.Floor), "ceil": one(math.Ceil), "round": one(math.Round),
		"rint": one(math.RoundToEven), "nearbyint": one(math.RoundToEven), "trunc": one(math.Trunc),
		"sin": one(math.Sin), "cos": one(math.Cos), "tan": one(math.Tan),
		"asin": one(math.Asin), "acos": one(math.Acos), "atan": one(math.Atan),
		"atan2": two(math.Atan2), "sinh": one(math.Sinh), "cosh": one(math.Cosh),
		"tanh": one(math.Tanh), "erf": one(math.Erf), "erfc": one(math.Erfc),
		"lgamma": one(func(x float64) float64 { v, _ := math.Lgamma(x); return v }),
		"tgamma": one(math.Gamma), "fmod": two(math.Mod),
		"min": two(exprCMin), "max": two(exprCMax), "fmin": two(exprCFmin), "fmax": two(exprCFmax),
		"binomialInverseCDF": {arity: 3, fe: func(a []float64) (float64, error) {
			if math.IsNaN(a[1]) || a[1] < 0 || a[1] >= 4294967296 {
				return 0, fmt.Errorf("binomialInverseCDF: n = %v is not a valid unsigned int", a[1])
			}
			k, err := BinomialInverseCDF(a[0], uint32(a[1]), a[2])
			return float64(k), err
		}},
	}
}

func exprFuncNames() []string {
	names := make([]string, 0, len(exprFuncs))
	for n := range exprFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ---------------------------------------------------------------------------
// Evaluator

type exprEval struct {
	src  string
	vars map[string]float64
	// tailScale, when neither 0 nor 1, scales the upper tails of
	// binomialInverseCDF (see EvalBound).
	tailScale float64
}

func (ev *exprEval) errAt(pos int, format string, args ...any) error {
	return &ExprError{Expr: ev.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func exprTruthy(v float64) bool { return v != 0 } // NaN is true, as in C

func exprBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (ev *exprEval) eval(n exprNode) (float64, error) {
	switch n := n.(type) {
	case *exprNumNode:
		return n.v, nil
	case *exprIdentNode:
		v, ok := ev.vars[n.name]
		if !ok {
			names := make([]string, 0, len(ev.vars))
			for k := range ev.vars {
				names = append(names, k)
			}
			sort.Strings(names)
			avail := "none are defined"
			if len(names) > 0 {
				avail = "available: " + strings.Join(names, ", ")
			}
			return 0, ev.errAt(n.pos, "unknown identifier %q (%s)", n.name, avail)
		}
		return v, nil
	case *exprUnaryNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return 0, err
		}
		switch n.op {
		case "-":
			return -x, nil
		case "+":
			return x, nil
		default: // "!"
			return exprBool(!exprTruthy(x)), nil
		}
	case *exprCastNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return 0, err
		}
		return ev.cast(n, x)
	case *exprTernaryNode:
		c, err := ev.eval(n.cond)
		if err != nil {
			return 0, err
		}
		if exprTruthy(c) {
			return ev.eval(n.a)
		}
		return ev.eval(n.b)
	case *exprBinaryNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return 0, err
		}
		switch n.op {
		case "&&":
			if !exprTruthy(x) {
				return 0, nil
			}
			y, err := ev.eval(n.y)
			return exprBool(exprTruthy(y)), err
		case "||":
			if exprTruthy(x) {
				return 1, nil
			}
			y, err := ev.eval(n.y)
			return exprBool(exprTruthy(y)), err
		}
		y, err := ev.eval(n.y)
		if err != nil {
			return 0, err
		}
		switch n.op {
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		case "/":
			return x / y, nil
		case "%":
			return math.Mod(x, y), nil
		case "<":
			return exprBool(x < y), nil
		case "<=":
			return exprBool(x <= y), nil
		case ">":
			return exprBool(x > y), nil
		case ">=":
			return exprBool(x >= y), nil
		case "==":
			return exprBool(x == y), nil
		case "!=":
			return exprBool(x != y), nil
		}
		return 0, ev.errAt(n.pos, "internal error: operator %q", n.op)
	case *exprCallNode:
		args := make([]float64, len(n.args))
		for i, a := range n.args {
			v, err := ev.eval(a)
			if err != nil {
				return 0, err
			}
			args[i] = v
		}
		fn := exprFuncs[n.name]
		switch {
		case n.name == "binomialInverseCDF" && ev.tailScale != 0 && ev.tailScale != 1 && args[0] >= 0.5 && args[0] < 1:
			if math.IsNaN(args[1]) || args[1] < 0 || args[1] >= 4294967296 {
				return 0, ev.errAt(n.pos, "binomialInverseCDF: n = %v is not a valid unsigned int", args[1])
			}
			k, err := BinomialUpperQuantile((1-args[0])*ev.tailScale, uint32(args[1]), args[2])
			if err != nil {
				return 0, ev.errAt(n.pos, "%v", err)
			}
			return float64(k), nil
		case fn.fe != nil:
			v, err := fn.fe(args)
			if err != nil {
				return 0, ev.errAt(n.pos, "%v", err)
			}
			return v, nil
		case fn.arity == 1:
			return fn.f1(args[0]), nil
		default:
			return fn.f2(args[0], args[1]), nil
		}
	}
	return 0, ev.errAt(n.position(), "internal error: unknown node")
}

func (ev *exprEval) cast(n *exprCastNode, x float64) (float64, error) {
	var lo, hi float64 // valid range of the truncated value, inclusive
	switch n.typ {
	case "double":
		return x, nil
	case "float":
		return float64(float32(x)), nil
	case "int":
		lo, hi = math.MinInt32, math.MaxInt32
	case "long":
		lo, hi = -9223372036854775808, 9223372036854775807
	case "unsigned int":
		lo, hi = 0, math.MaxUint32
	case "size_t":
		lo, hi = 0, 18446744073709551615
	}
	t := math.Trunc(x)
	if math.IsNaN(x) || t < lo || t > hi {
		return 0, ev.errAt(n.pos, "cast of %v to %s is out of range", x, n.typ)
	}
	return t, nil
}

// ---------------------------------------------------------------------------
// binomialInverseCDF

// BinomialInverseCDF returns the smallest k such that the CDF of the binomial
// distribution B(n, p) at k is at least cdf, computed exactly as GeNN 4.9's
// binomialInverseCDF (src/genn/genn/binomial.cc) does: the same special cases,
// the same log-domain PMF recurrences, the same binary search for the first
// non-negligible term and the same summation order, so the maximum row and
// column lengths of connectivity snippets match GeNN's. (Go's math.Log and
// math.Exp may differ from the C library's in the last bit, which could only
// matter where the running sum lands exactly on cdf.)
//
// Errors: cdf or p outside [0, 1] or NaN (GeNN throws for the former).
//
// One deliberate difference: when the search loop ends without returning
// (which happens for small n, e.g. cdf = 0.5, n = 1, p = 0.5, or cdf = 0.3,
// n = 1, p = 0.73), GeNN 4.9 reaches assert(false) and, in a release build,
// falls off the end of the function (undefined behaviour). Here the loop
// having rejected every other k means the answer is the boundary, so n is
// returned from the lower-tail search and 0 from the upper-tail search; this
// is the true quantile.
func BinomialInverseCDF(cdf float64, n uint32, p float64) (uint32, error) {
	if cdf < 0.0 || cdf > 1.0 {
		return 0, errors.New("binomialInverseCDF error - cdf < 0 or cdf > 1")
	}
	if p < 0.0 || p > 1.0 {
		return 0, errors.New("binomialInverseCDF error - p < 0 or p > 1")
	}
	if p == 0.0 {
		return 0, nil
	} else if p == 1.0 {
		return n, nil
	}
	if cdf == 0.0 {
		return 0, nil
	} else if cdf == 1.0 {
		return n, nil
	}
	if n == 0 {
		return 0, nil
	}
	// NaN arguments fall through all the checks above, as in C; reject them.
	if math.IsNaN(cdf) || math.IsNaN(p) {
		return 0, errors.New("binomialInverseCDF error - cdf or p is NaN")
	}

	logP := math.Log(p)
	logOneMinusP := math.Log(1.0 - p)
	logProbRatio := logP - logOneMinusP
	logMin := math.Log(0x1p-1022) // log(DBL_MIN)

	origCDF := cdf
	if cdf < 0.5 {
		kMin := uint32(0)
		kMax := uint32(float64(n) * p)
		for kMax-kMin > 100 {
			mid := (kMax + kMin) / 2
			if logPMFBinomial(n, mid, logP, logOneMinusP) > logMin {
				kMax = mid
			} else {
				kMin = mid
			}
		}
		logPMF := logPMFBinomial(n, kMin, logP, logOneMinusP)
		cdfTotal := math.Exp(logPMF)
		for k := kMin; k < n; k++ {
			if cdfTotal >= cdf {
				return k, nil
			}
			logPMF += math.Log(float64(n-k)/float64(k+1)) + logProbRatio
			cdfTotal += math.Exp(logPMF)
		}
		// GeNN falls off the end here (see the function comment): every k
		// below n has been rejected, so the quantile is n.
		return n, nil
	}
	if k, ok := binomialUpper(1.0-cdf, n, p); ok {
		return k, nil
	}
	// Only reachable with kMax == 0, which n > 0 and p > 0 rule out.
	return 0, fmt.Errorf("binomialInverseCDF(%v, %d, %v) failed to converge", origCDF, n, p)
}

// BinomialUpperQuantile returns the smallest k such that P(X > k) is at
// most tail for X ~ B(n, p), by GeNN's upper-tail search
// (BinomialInverseCDF at cdf = 1 - tail) given the tail itself, so that a
// tail of 1e-18 is not lost to rounding 1 - 1e-18 to 1.
func BinomialUpperQuantile(tail float64, n uint32, p float64) (uint32, error) {
	switch {
	case !(tail >= 0 && tail <= 1):
		return 0, fmt.Errorf("binomial upper quantile: tail %v is not in [0, 1]", tail)
	case !(p >= 0 && p <= 1):
		return 0, fmt.Errorf("binomial upper quantile: p %v is not in [0, 1]", p)
	case p == 0 || n == 0:
		return 0, nil
	case p == 1 || tail == 0:
		return n, nil
	case tail > 0.5:
		return BinomialInverseCDF(1-tail, n, p)
	}
	if k, ok := binomialUpper(tail, n, p); ok {
		return k, nil
	}
	return 0, fmt.Errorf("binomial upper quantile (%v, %d, %v) failed to converge", tail, n, p)
}

// binomialUpper is GeNN's upper-tail search of binomialInverseCDF (for
// 0 < p < 1, n > 0): from the last non-negligible term down, the first k
// whose upper tail P(X >= k+1) exceeds tail gives k + 1.
func binomialUpper(tail float64, n uint32, p float64) (uint32, bool) {
	logP := math.Log(p)
	logOneMinusP := math.Log(1.0 - p)
	logProbRatio := logP - logOneMinusP
	logMin := math.Log(0x1p-1022) // log(DBL_MIN)
	kMin := uint32(float64(n) * p)
	kMax := n
	for kMax-kMin > 100 {
		mid := (kMax + kMin) / 2
		if logPMFBinomial(n, mid, logP, logOneMinusP) > logMin {
			kMin = mid
		} else {
			kMax = mid
		}
	}
	logPMF := logPMFBinomial(n, kMax, logP, logOneMinusP)
	cdfTotal := math.Exp(logPMF)
	if kMax < 1 {
		return 0, false
	}
	for k := kMax - 1; ; k-- {
		if cdfTotal > tail {
			return k + 1, true
		}
		logPMF += math.Log(float64(k+1)/float64(n-k)) - logProbRatio
		if logPMF > logMin {
			cdfTotal += math.Exp(logPMF)
		}
		if k == 0 {
			break
		}
	}
	// GeNN falls off the end here (see BinomialInverseCDF): every k above
	// 0 has been rejected, so the quantile is 0.
	return 0, true
}

func exprLgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// logBinomCoefficient is log(n choose k); the +1s are in unsigned int
// arithmetic as in GeNN.
func logBinomCoefficient(n, k uint32) float64 {
	return exprLgamma(float64(n+1)) - exprLgamma(float64(k+1)) - exprLgamma(float64(n-k+1))
}

func logPMFBinomial(n, k uint32, logP, logOneMinusP float64) float64 {
	return logBinomCoefficient(n, k) + float64(k)*logP + float64(n-k)*logOneMinusP
}

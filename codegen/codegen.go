// Package codegen turns a validated network into source code for a module
// exporting the gennctl ABI. Backends live in sub-packages (cpu, cuda) and
// share the substitution, literal and layout logic here. Generation is a pure
// function: it returns files and never touches the disk or a compiler.
package codegen

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gennctl/gennctl/modelspec"
)

// Version is part of every structure key: bump it whenever generated code
// changes for the same input, so cached modules are not reused wrongly.
const Version = "gennctl-codegen-5"

// Files maps file names to contents.
type Files map[string]string

// Options are the per-structure-group choices of the planner.
type Options struct {
	// Runtime lists the config paths (modelspec.Value.Path) whose values
	// differ between the variants of the group. They are read from the
	// per-variant runtime array in this order; all other values are emitted
	// as literals from the network passed to Generate.
	Runtime []string
	// MaxRowLength overrides the row stride of a sparse synapse group (by
	// name), e.g. the maximum over all variants of a group when the
	// connectivity parameters are runtime values.
	MaxRowLength map[string]int
	// MaxColLength likewise overrides the column stride of a sparse group's
	// column index (learn_post_code; every CUDA synapse kernel).
	MaxColLength map[string]int
	// SetAtRunTime lists the runtime paths that a protocol changes between
	// steps (gn_set_runtime), which the backend must support.
	SetAtRunTime []string
}

// RuntimeIndex maps each runtime path to its slot.
func (o Options) RuntimeIndex() map[string]int {
	m := make(map[string]int, len(o.Runtime))
	for i, p := range o.Runtime {
		m[p] = i
	}
	return m
}

// Literal formats v as a C literal of the simulation precision. Float
// literals are the float nearest to v, exactly as (float)v at run time, so
// a value gives the same bits whether it is a literal or a runtime slot.
func Literal(v float64, precision string) string {
	var s string
	if precision == "float" {
		s = strconv.FormatFloat(float64(float32(v)), 'g', -1, 32)
	} else {
		s = strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch {
	case math.IsInf(v, 1):
		return "INFINITY"
	case math.IsInf(v, -1):
		return "(-INFINITY)"
	case math.IsNaN(v):
		return "NAN"
	}
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	if precision == "float" {
		s += "f"
	}
	if v < 0 {
		s = "(" + s + ")"
	}
	return s
}

// connMath are the math functions ConnMath renames, and their new names.
var connMath = map[string]string{
	"log": "gn_conn_log", "exp": "gn_conn_exp", "pow": "gn_conn_pow",
	"logf": "gn_conn_log_f", "expf": "gn_conn_exp_f", "powf": "gn_conn_pow_f",
}

// ConnMath renames the calls of log, exp and pow (and logf, expf, powf) in
// connectivity code (C, substituted) to the runtime's gn_conn_* functions,
// which compute the same bits on every backend (see RuntimeHeader), so that
// connectivity decided by them is the same on the host and the device. A
// member (a.log(), p->exp()) or a qualified name (std::log) is left alone.
func ConnMath(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); {
		if !isIdentByte(code[i]) {
			b.WriteByte(code[i])
			i++
			continue
		}
		j := i
		for j < len(code) && isIdentByte(code[j]) {
			j++
		}
		word := code[i:j]
		name, ok := connMath[word]
		if ok {
			before := strings.TrimRight(code[:i], " \t")
			after := strings.TrimLeft(code[j:], " \t")
			ok = strings.HasPrefix(after, "(") && !strings.HasSuffix(before, ".") && !strings.HasSuffix(before, "->") && !strings.HasSuffix(before, "::")
		}
		if ok {
			b.WriteString(name)
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String()
}

// EnsureFloatLiterals appends the f suffix to unsuffixed floating-point
// literals in C code when the precision is float, as GeNN does, so that user
// code like `$(V) * 0.5` stays in single precision.
func EnsureFloatLiterals(code, precision string) string {
	if precision != "float" {
		return code
	}
	var b strings.Builder
	i := 0
	isIdentByte := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i < len(code) {
		c := code[i]
		if c == '"' || c == '\'' { // copy string and char literals untouched
			j := i + 1
			for j < len(code) && code[j] != c {
				if code[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(code) {
				j++
			}
			b.WriteString(code[i:j])
			i = j
			continue
		}
		if isIdentByte(c) && !(c >= '0' && c <= '9') {
			j := i
			for j < len(code) && isIdentByte(code[j]) {
				j++
			}
			b.WriteString(code[i:j])
			i = j
			continue
		}
		if c >= '0' && c <= '9' || (c == '.' && i+1 < len(code) && code[i+1] >= '0' && code[i+1] <= '9') {
			j := i
			isFloat := false
			if strings.HasPrefix(code[i:], "0x") || strings.HasPrefix(code[i:], "0X") {
				for j += 2; j < len(code) && isIdentByte(code[j]); j++ {
				}
				b.WriteString(code[i:j])
				i = j
				continue
			}
			for j < len(code) && code[j] >= '0' && code[j] <= '9' {
				j++
			}
			if j < len(code) && code[j] == '.' {
				isFloat = true
				j++
				for j < len(code) && code[j] >= '0' && code[j] <= '9' {
					j++
				}
			}
			if j < len(code) && (code[j] == 'e' || code[j] == 'E') {
				k := j + 1
				if k < len(code) && (code[k] == '+' || code[k] == '-') {
					k++
				}
				if k < len(code) && code[k] >= '0' && code[k] <= '9' {
					isFloat = true
					j = k
					for j < len(code) && code[j] >= '0' && code[j] <= '9' {
						j++
					}
				}
			}
			b.WriteString(code[i:j])
			if isFloat && (j >= len(code) || !isIdentByte(code[j])) {
				b.WriteByte('f')
			}
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// CType maps a model variable type to C.
func CType(t string) string {
	switch t {
	case "bool":
		return "uint8_t"
	}
	return t
}

// assignRE finds an assignment to $(name) in code.
func assignRE(name string) *regexp.Regexp {
	if re, ok := assignREs.Load(name); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(`\$\(` + regexp.QuoteMeta(name) + `\)\s*(?:[-+*/%&|^]?=[^=]|\+\+|--)|(?:\+\+|--)\s*\$\(` + regexp.QuoteMeta(name) + `\)`)
	assignREs.Store(name, re)
	return re
}

// assignREs memoises assignRE (planning asks once per variant and variable).
var assignREs sync.Map // variable name -> *regexp.Regexp

// IndividualWeights reports whether a synapse group needs per-synapse
// storage for its weight-update variables (GeNN's INDIVIDUALG). It does when
// any variable is not a constant or when model code may change one;
// otherwise each variable is one value per variant (GLOBALG).
//
// An explicit `weights: global|individual` on the group overrides this.
func IndividualWeights(s *modelspec.SynapseGroup) bool {
	switch s.Weights {
	case modelspec.WeightsGlobal:
		return false
	case modelspec.WeightsIndividual:
		return true
	case modelspec.WeightsKernel:
		return false
	}
	if ProceduralWeights(s) {
		return false
	}
	wu := s.WeightUpdate
	m := wu.Model
	codes := []string{m.SimCode, m.EventCode, m.LearnPostCode, m.SynapseDynamicsCode}
	for _, v := range m.Vars {
		vi := wu.Vars[v.Name]
		if vi == nil || vi.Kind != modelspec.InitConstant {
			return true
		}
		re := assignRE(v.Name)
		for _, c := range codes {
			if re.MatchString(c) {
				return true
			}
		}
	}
	return m.LearnPostCode != "" || m.SynapseDynamicsCode != ""
}

// ProceduralWeights reports whether a group has procedural weights (GeNN's
// PROCEDURAL_PROCEDURALG): a procedural matrix, without `weights:`, whose
// weight-update variables are constants or initialisation snippets (at
// least one snippet), none assigned by model code. The snippets are rerun
// for each synapse whenever its row is regenerated, so nothing is stored.
func ProceduralWeights(s *modelspec.SynapseGroup) bool {
	if s.Matrix != modelspec.MatrixProcedural || s.Weights != modelspec.WeightsAuto {
		return false
	}
	wu := s.WeightUpdate
	m := wu.Model
	if m.LearnPostCode != "" || m.SynapseDynamicsCode != "" {
		return false
	}
	codes := []string{m.SimCode, m.EventCode}
	snippet := false
	for _, v := range m.Vars {
		vi := wu.Vars[v.Name]
		if vi == nil || (vi.Kind != modelspec.InitConstant && vi.Kind != modelspec.InitSnippet) {
			return false
		}
		snippet = snippet || vi.Kind == modelspec.InitSnippet
		re := assignRE(v.Name)
		for _, c := range codes {
			if re.MatchString(c) {
				return false
			}
		}
	}
	return snippet
}

// UsesRNG reports whether any code string calls a $(gennrand_*) token.
func UsesRNG(codes ...string) bool {
	for _, c := range codes {
		if strings.Contains(c, "$(gennrand_") {
			return true
		}
	}
	return false
}

// Writer accumulates indented C source.
type Writer struct {
	b      strings.Builder
	indent int
}

// Line writes one formatted line at the current indentation.
func (w *Writer) Line(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if s == "" {
		w.b.WriteByte('\n')
		return
	}
	w.b.WriteString(strings.Repeat("    ", w.indent))
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

// Open writes a line and indents the following ones.
func (w *Writer) Open(format string, args ...any) {
	w.Line(format, args...)
	w.indent++
}

// Close dedents and writes a line.
func (w *Writer) Close(format string, args ...any) {
	w.indent--
	w.Line(format, args...)
}

// Code writes a multi-line code string at the current indentation, trimming
// the common leading whitespace of its lines.
func (w *Writer) Code(code string) {
	lines := strings.Split(strings.TrimRight(code, " \t\n"), "\n")
	minIndent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if minIndent < 0 || n < minIndent {
			minIndent = n
		}
	}
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			w.Line("")
			continue
		}
		if minIndent > 0 && len(l) >= minIndent {
			l = l[minIndent:]
		}
		w.Line("%s", strings.TrimRight(l, " \t"))
	}
}

// LineDirective writes a #line directive so compiler messages about the
// following code point at the YAML file (or back at the generated file).
func (w *Writer) LineDirective(line int, file string) {
	w.b.WriteString(fmt.Sprintf("#line %d %s\n", line, strconv.Quote(file)))
}

// Sub returns an empty writer at the same indentation, for text that is
// written before it is known what must precede it.
func (w *Writer) Sub() *Writer { return &Writer{indent: w.indent} }

// Raw appends text written by a Sub writer.
func (w *Writer) Raw(s string) { w.b.WriteString(s) }

// restoreMarker stands for the line number of the line after it until
// String resolves it, so text may be composed from Sub writers.
const restoreMarker = "#line @next@ "

// RestoreLines writes a #line directive that points compiler messages back at
// the generated file itself after a LineDirective.
func (w *Writer) RestoreLines(file string) {
	w.b.WriteString(restoreMarker + strconv.Quote(file) + "\n")
}

// Text returns what was written with RestoreLines markers unresolved, for
// appending to another writer with Raw.
func (w *Writer) Text() string { return w.b.String() }

// String returns the source written so far.
func (w *Writer) String() string {
	lines := strings.Split(w.b.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, restoreMarker) {
			lines[i] = fmt.Sprintf("#line %d %s", i+2, l[len(restoreMarker):])
		}
	}
	return strings.Join(lines, "\n")
}

// MaxColLength evaluates a sparse group's maximum column length: the
// config's max_col_length, else its connectivity snippet's, with the
// snippet's quantiles' tails scaled by tailScale (see BoundTailScale; 1 is
// GeNN's bound), else num_pre.
func MaxColLength(s *modelspec.SynapseGroup, tailScale float64) (int, error) {
	expr := ""
	if c := s.Connectivity; c != nil {
		if c.MaxColLength > 0 {
			return c.MaxColLength, nil
		}
		if f := c.Snippet.MaxColLengthFunc; f != nil {
			return lengthFunc(s, f), nil
		}
		expr = c.Snippet.MaxColLength
	}
	return maxLength(s, expr, "column", s.Source.Size, tailScale)
}

// lengthFunc calls a Go function computing a maximum row or column length
// (the Go API's CreateCMLFClass) with the sizes and the snippet's
// parameters; at least 1.
func lengthFunc(s *modelspec.SynapseGroup, f func(numPre, numPost int, params map[string]float64) int) int {
	params := map[string]float64{}
	for k, v := range s.Connectivity.Params {
		params[k] = v.V
	}
	return max(f(s.Source.Size, s.Target.Size, params), 1)
}

// MaxRowLength evaluates a sparse group's maximum row length: the config's
// max_row_length, else its connectivity snippet's, with the snippet's
// quantiles' tails scaled by tailScale (see BoundTailScale; 1 is GeNN's
// bound), else num_post.
func MaxRowLength(s *modelspec.SynapseGroup, tailScale float64) (int, error) {
	expr := ""
	if c := s.Connectivity; c != nil {
		if c.MaxRowLength > 0 {
			return c.MaxRowLength, nil
		}
		if f := c.Snippet.MaxRowLengthFunc; f != nil {
			return lengthFunc(s, f), nil
		}
		expr = c.Snippet.MaxRowLength
	}
	return maxLength(s, expr, "row", s.Target.Size, tailScale)
}

// OverflowBudget is the probability, over a whole sweep, that some row or
// column of some variant is longer than the bound the planner fixed in
// advance (a sweep then runs such a variant again with a wider bound, see
// ParseBoundOverflow; the budget keeps that rare).
const OverflowBudget = 1e-9

// genNNOverflow is the probability that GeNN's built-in bounds are
// exceeded somewhere in one network: their quantiles are taken at
// pow(0.9999, 1 / rows).
const genNNOverflow = 1e-4

// BoundTailScale is the factor by which the planner scales the upper
// tails of the quantiles in length expressions (modelspec.EvalBound) so
// that, by the union bound over variants and bounds, the chance that any
// row or column of any variant overflows its bound is at most
// OverflowBudget: each of the bounds bounds (rows and columns of the
// groups) of each of variants variants gets OverflowBudget / (variants ×
// bounds), where GeNN's expressions allow genNNOverflow. The number of
// variants is rounded up to a power of ten, so that a sweep extended by a
// few points keeps its bounds and modules.
func BoundTailScale(variants, bounds int) float64 {
	v := math.Pow(10, math.Ceil(math.Log10(float64(max(variants, 1)))))
	return OverflowBudget / (genNNOverflow * v * float64(max(bounds, 1)))
}

// evalLength evaluates a length expression (modelspec.EvalBound),
// memoised by the expression, its variables and the tail scale: the
// built-in snippets' lengths are quantiles of binomial distributions,
// costly to compute, and a sweep asks for the same ones for every variant.
func evalLength(expr string, vars map[string]float64, tailScale float64) (float64, error) {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	key := strconv.AppendUint([]byte(expr), math.Float64bits(tailScale), 16)
	for _, k := range names {
		key = append(append(append(key, 0), k...), '=')
		key = strconv.AppendUint(key, math.Float64bits(vars[k]), 16)
	}
	if r, ok := lengths.Load(string(key)); ok {
		r := r.(length)
		return r.v, r.err
	}
	v, err := modelspec.EvalBound(expr, vars, tailScale)
	lengths.Store(string(key), length{v, err})
	return v, err
}

var lengths sync.Map // expression and variables -> length

type length struct {
	v   float64
	err error
}

// maxLength evaluates a row or column length expression of s's snippet with
// num_pre, num_post and the snippet's (derived) parameters; "" means def.
func maxLength(s *modelspec.SynapseGroup, expr, what string, def int, tailScale float64) (int, error) {
	c := s.Connectivity
	if c == nil || expr == "" {
		return def, nil
	}
	vars := map[string]float64{"num_pre": float64(s.Source.Size), "num_post": float64(s.Target.Size)}
	for k, v := range c.Params {
		vars[k] = v.V
	}
	for k, v := range c.Derived {
		vars[k] = v.V
	}
	v, err := evalLength(expr, vars, tailScale)
	if err != nil {
		return 0, configError(c.Pos, "synapses."+s.Name+".connectivity", "max %s length of %s: %v", what, c.Snippet.Name, err)
	}
	// Not limited to the other population's size: snippets drawing with
	// replacement (FixedNumber*WithReplacement) may connect a pair twice.
	if n := int(v); n > 1 {
		return n, nil
	}
	return 1, nil
}

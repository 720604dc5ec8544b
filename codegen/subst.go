package codegen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gennctl/gennctl/modelspec"
)

// Code-string substitution: GeNN's `$(name)` and `$(func, arg, ...)` tokens
// are replaced by C expressions from a Scope. Anything the scope does not
// define is an error that names the group, model, code field and token and
// points at the token in the YAML file.

// Func expands a function-like token; args are already substituted.
type Func struct {
	Arity  int // -1: any number of arguments
	Expand func(args []string) string
}

// Scope is what one code string may refer to.
type Scope struct {
	Vars  map[string]string
	Funcs map[string]Func
}

// NewScope returns an empty scope.
func NewScope() *Scope {
	return &Scope{Vars: map[string]string{}, Funcs: map[string]Func{}}
}

// Clone returns a copy that may be extended without changing s.
func (s *Scope) Clone() *Scope {
	c := NewScope()
	for k, v := range s.Vars {
		c.Vars[k] = v
	}
	for k, v := range s.Funcs {
		c.Funcs[k] = v
	}
	return c
}

// Site says where a code string comes from, for diagnostics.
type Site struct {
	Group string // population, synapse group or current source, with its kind: "population E"
	Model string // model or snippet name
	Field string // code field, e.g. sim_code
	Path  string // config path of the group
	Pos   modelspec.Pos
	// Exact is true when Pos is where the code text itself starts (custom
	// models); for built-ins Pos is the group that uses the model.
	Exact bool
}

// CodeError is an unknown or misplaced token (or malformed token syntax).
type CodeError struct {
	Site  Site
	Pos   modelspec.Pos
	Token string
	Msg   string
}

func (e *CodeError) Error() string {
	return fmt.Sprintf("%s: %s: %s %s of model %s: %s", e.Pos, e.Site.Path, e.Site.Group, e.Site.Field, e.Site.Model, e.Msg)
}

// knownElsewhere explains GeNN tokens that are valid only in other code.
var knownElsewhere = map[string]string{
	"addToInSyn":           "weight update sim_code, event_code or synapse_dynamics_code",
	"addToInSynDelay":      "weight update code of a synapse group with dendritic delays",
	"addToPre":             "weight update sim_code, event_code, learn_post_code or synapse_dynamics_code",
	"updatelinsyn":         "postsynaptic code",
	"inSyn":                "postsynaptic decay_code and apply_input_code",
	"Isyn":                 "neuron code and postsynaptic apply_input_code",
	"injectCurrent":        "current source injection_code",
	"addSynapse":           "connectivity row_build_code",
	"endRow":               "connectivity row_build_code",
	"value":                "variable initialisation code",
	"id_pre":               "synapse code and connectivity code",
	"id_post":              "synapse code",
	"id_syn":               "synapse code",
	"num_pre":              "synapse code and connectivity code",
	"num_post":             "synapse code and connectivity code",
	"gennrand_uniform":     "neuron, current source, initialisation, connectivity and weight-update code",
	"gennrand_normal":      "neuron, current source, initialisation, connectivity and weight-update code",
	"gennrand_exponential": "neuron, current source, initialisation, connectivity and weight-update code",
	"gennrand_poisson":     "neuron, current source, initialisation, connectivity and weight-update code",
}

// Substitute replaces every token in code using scope.
func Substitute(code string, scope *Scope, site Site) (string, error) {
	var b strings.Builder
	i := 0
	for i < len(code) {
		j := strings.Index(code[i:], "$(")
		if j < 0 {
			b.WriteString(code[i:])
			break
		}
		b.WriteString(code[i : i+j])
		start := i + j
		end, err := matchParen(code, start+1)
		if err != nil {
			return "", tokenError(code, start, site, code[start:], "unterminated token: missing ')'")
		}
		inner := code[start+2 : end]
		parts := splitArgs(inner)
		name := strings.TrimSpace(parts[0])
		token := code[start : end+1]
		if len(parts) == 1 {
			if v, ok := scope.Vars[name]; ok {
				b.WriteString(v)
			} else if f, ok := scope.Funcs[name]; ok && (f.Arity == 0 || f.Arity == -1) {
				b.WriteString(f.Expand(nil))
			} else {
				return "", unknownToken(code, start, site, token, name, scope)
			}
		} else {
			f, ok := scope.Funcs[name]
			if !ok {
				return "", unknownToken(code, start, site, token, name, scope)
			}
			args := make([]string, 0, len(parts)-1)
			for _, a := range parts[1:] {
				sa, err := Substitute(a, scope, offsetSite(site, code, start+2+strings.Index(inner, a)))
				if err != nil {
					return "", err
				}
				args = append(args, strings.TrimSpace(sa))
			}
			if f.Arity >= 0 && len(args) != f.Arity {
				return "", tokenError(code, start, site, token, fmt.Sprintf("$(%s, ...) takes %d argument(s), got %d", name, f.Arity, len(args)))
			}
			b.WriteString(f.Expand(args))
		}
		i = end + 1
	}
	return b.String(), nil
}

// matchParen returns the index of the ')' closing the '(' at open.
func matchParen(s string, open int) (int, error) {
	depth := 0
	for k := open; k < len(s); k++ {
		switch s[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return k, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced")
}

// splitArgs splits on top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, last := 0, 0
	for k := 0; k < len(s); k++ {
		switch s[k] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[last:k])
				last = k + 1
			}
		}
	}
	return append(out, s[last:])
}

// tokenPos is the position of byte offset off of code.
func tokenPos(code string, off int, site Site) modelspec.Pos {
	if !site.Exact {
		return site.Pos
	}
	p := site.Pos
	before := code[:off]
	if nl := strings.Count(before, "\n"); nl > 0 {
		p.Line += nl
		p.Col = site.Pos.Col + off - strings.LastIndex(before, "\n") - 1
	} else {
		p.Col += off
	}
	return p
}

func offsetSite(site Site, code string, off int) Site {
	if off < 0 {
		off = 0
	}
	s := site
	s.Pos = tokenPos(code, off, site)
	return s
}

func tokenError(code string, off int, site Site, token, msg string) *CodeError {
	return &CodeError{Site: site, Pos: tokenPos(code, off, site), Token: token, Msg: msg}
}

func unknownToken(code string, off int, site Site, token, name string, scope *Scope) *CodeError {
	msg := fmt.Sprintf("unknown token %s", token)
	if where, ok := knownElsewhere[name]; ok {
		msg += fmt.Sprintf(" (only available in %s)", where)
	} else if strings.HasSuffix(name, "_pre") || strings.HasSuffix(name, "_post") {
		msg += " (pre/post variable references are only available in synapse code, and only for variables of the connected populations)"
	}
	var have []string
	for k := range scope.Vars {
		have = append(have, "$("+k+")")
	}
	for k := range scope.Funcs {
		have = append(have, "$("+k+")")
	}
	sort.Strings(have)
	msg += "; available here: " + strings.Join(have, " ")
	return tokenError(code, off, site, token, msg)
}

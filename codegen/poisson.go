package codegen

import (
	"fmt"
	"strings"
)

// Poisson numbers of a mean fixed per variant. $(gennrand_poisson, mean)
// draws one 32-bit word and inverts the Poisson CDF (gn_poisson in
// gn_runtime.h). In neuron and current source code whose mean is made of
// parameters, derived parameters, literals and DT only, the CDF is
// tabulated once per variant by gn_init (gn_poisson_tab_init, on the host
// for every backend) and each draw compares its word with the table
// (gn_poisson_lookup): the same numbers, without exp() or a search per draw.

// poissonTable is the table of one mean of a population's or current
// source's code.
type poissonTable struct {
	owner string // population or current source
	mean  string // the mean's C expression, substituted (before float literals get their suffix)
	field string
}

// preparePoissonTables finds the constant means of $(gennrand_poisson, mean)
// in neuron and current source code, one table per distinct mean and owner.
func (g *Generator) preparePoissonTables() {
	g.poisson = map[string]poissonTable{}
	add := func(owner string, sc *Scope, codes ...string) {
		sc.Vars["DT"] = "DT"
		for _, c := range codes {
			for _, arg := range poissonMeans(c) {
				mean, err := Substitute(arg, sc, Site{})
				if err != nil || !constantExpr(mean) {
					continue // a token that is not a parameter: drawn by gn_poisson
				}
				key := owner + "\x00" + mean
				if _, ok := g.poisson[key]; !ok {
					t := poissonTable{owner: owner, mean: mean, field: fmt.Sprintf("%s_poissonTab%d", owner, len(g.poissonOrder))}
					g.poisson[key] = t
					g.poissonOrder = append(g.poissonOrder, t)
				}
			}
		}
	}
	for _, p := range g.Net.Populations {
		m := p.Model
		sc := NewScope()
		g.bindParams(sc, m.Params, p.Params, m.DerivedParams, p.Derived)
		add(p.Name, sc, m.SimCode, m.ThresholdConditionCode, m.ResetCode)
	}
	for _, c := range g.Net.CurrentSources {
		m := c.Model
		sc := NewScope()
		g.bindParams(sc, m.Params, c.Params, m.DerivedParams, c.Derived)
		add(c.Name, sc, m.InjectionCode)
	}
}

// poissonMeans returns the (unsubstituted) argument of every
// $(gennrand_poisson, mean) token of code.
func poissonMeans(code string) []string {
	var out []string
	for i := 0; ; {
		j := strings.Index(code[i:], "$(gennrand_poisson")
		if j < 0 {
			return out
		}
		start := i + j
		end, err := matchParen(code, start+1)
		if err != nil {
			return out
		}
		if parts := splitArgs(code[start+2 : end]); len(parts) == 2 && strings.TrimSpace(parts[0]) == "gennrand_poisson" {
			out = append(out, strings.TrimSpace(parts[1]))
		}
		i = start + 2
	}
}

// constantExpr reports whether a substituted C expression is the same in
// every step of a variant: numbers, runtime slots (rt[k], (scalar)), DT,
// arithmetic and parentheses.
func constantExpr(e string) bool {
	for i := 0; i < len(e); {
		c := e[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(e) && (e[j] >= '0' && e[j] <= '9' || e[j] == '.') {
				j++
			}
			if j < len(e) && (e[j] == 'e' || e[j] == 'E') {
				j++
				if j < len(e) && (e[j] == '+' || e[j] == '-') {
					j++
				}
				for j < len(e) && e[j] >= '0' && e[j] <= '9' {
					j++
				}
			}
			if j < len(e) && (e[j] == 'f' || e[j] == 'F') {
				j++
			}
			if j < len(e) && isIdentByte(e[j]) {
				return false
			}
			i = j
		case isIdentByte(c):
			j := i
			for j < len(e) && isIdentByte(e[j]) {
				j++
			}
			switch e[i:j] {
			case "DT", "rt", "scalar", "float", "double":
			default:
				return false
			}
			i = j
		case strings.IndexByte("()[]+-*/ \t\n", c) >= 0:
			i++
		default:
			return false
		}
	}
	return true
}

// poissonFunc is $(gennrand_poisson, mean) in the code of owner, drawing
// from rng: a table lookup when the mean has a table.
func (g *Generator) poissonFunc(owner, rng string) Func {
	return Func{Arity: 1, Expand: func(a []string) string {
		if t, ok := g.poisson[owner+"\x00"+a[0]]; ok {
			return fmt.Sprintf("gn_poisson_lookup(%s, (const gn_poisson_tab *)%s)", rng, t.field)
		}
		return fmt.Sprintf("gn_poisson(%s, (double)(%s))", rng, a[0])
	}}
}

// poissonWords is the size of a gn_poisson_tab in 32-bit words
// (GN_POISSON_WORDS): a table is kept as words, since the context is
// declared before gn_runtime.h in some backends' files.
const poissonWords = 38

// poissonArrays declares the tables (one per variant).
func (g *Generator) poissonArrays() {
	for _, t := range g.poissonOrder {
		g.Internal(t.owner, strings.TrimPrefix(t.field, t.owner+"_"), "uint32_t", t.field, poissonWords, 1, false)
	}
}

// emitPoissonInit writes the tabulation of variant b's tables (in gn_init).
func (g *Generator) emitPoissonInit() {
	for _, t := range g.poissonOrder {
		g.W.Line("gn_poisson_tab_init((gn_poisson_tab *)(ctx->%s + (size_t)b * GN_POISSON_WORDS), (double)(%s)); /* $(gennrand_poisson, mean) of %s */",
			t.field, EnsureFloatLiterals(t.mean, g.Prec), t.owner)
	}
}

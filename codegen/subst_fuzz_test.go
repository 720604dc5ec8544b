package codegen

import (
	"errors"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/modelspec"
)

// FuzzSubstitute: any code string either substitutes or yields a
// *CodeError positioned inside the code (line ≥ the code's first line);
// substitution never panics, and text without tokens is left unchanged.
func FuzzSubstitute(f *testing.F) {
	for _, seed := range []string{
		"$(V) += $(Isyn) * DT;",
		"if ($(RefracTime) <= 0.0) {\n  $(V) = alpha - ($(ExpTC) * (alpha - $(V)));\n}",
		"$(addToInSyn, $(g) * $(V_pre));",
		"$(gennrand_binomial, 10, $(p))",
		"$(unknown)",
		"$(",
		"$(a, (b, c), [d, e])",
		"$(V) = $(V)$(V);",
		"no tokens at all",
		"$(addToInSyn)",
		")$($(V)",
	} {
		f.Add(seed)
	}
	scope := NewScope()
	scope.Vars["V"] = "lV"
	scope.Vars["Isyn"] = "Isyn"
	scope.Vars["g"] = "0.5f"
	scope.Funcs["addToInSyn"] = Func{Arity: 1, Expand: func(a []string) string { return "inSyn += " + a[0] }}
	scope.Funcs["gennrand_binomial"] = Func{Arity: 2, Expand: func(a []string) string { return "bin(" + a[0] + "," + a[1] + ")" }}
	site := Site{Group: "population P", Model: "M", Field: "sim_code", Path: "populations.P",
		Pos: modelspec.Pos{File: "f.yaml", Line: 7, Col: 5}, Exact: true}
	f.Fuzz(func(t *testing.T, code string) {
		out, err := Substitute(code, scope, site)
		if err != nil {
			var ce *CodeError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *CodeError: %v", err, err)
			}
			if ce.Pos.File != "f.yaml" || ce.Pos.Line < 7 || ce.Pos.Line > 7+strings.Count(code, "\n") {
				t.Fatalf("error position %v outside the code (lines 7..%d)", ce.Pos, 7+strings.Count(code, "\n"))
			}
			return
		}
		if !strings.Contains(code, "$(") && out != code {
			t.Fatalf("text without tokens changed: %q -> %q", code, out)
		}
	})
}

package modelspec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 18, item 14: YAML syntax errors point at the line with the mistake
// and say what it is.
func TestYAMLErrorsPointAtTheMistake(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"tab", "simulation: {dt: 0.1}\npopulations:\n  E:\n\tsize: 10\n",
			"x.yaml:4:1: invalid YAML: tab characters are not allowed for indentation: indent with spaces"},
		{"tab after spaces", "simulation: {dt: 0.1}\npopulations:\n  E:\n  \tsize: 10\n",
			"x.yaml:4:3: invalid YAML: tab characters are not allowed for indentation: indent with spaces"},
		{"between levels", "simulation: {dt: 0.1}\npopulations:\n  E:\n    size: 10\n   model: LIF\n",
			`x.yaml:5:4: invalid YAML: key "model" is indented 3 spaces, which matches no enclosing mapping: the keys of this mapping are indented 4 spaces`},
		{"under a value", "simulation: {dt: 0.1}\npopulations:\n  E:\n    size: 10\n      model: LIF\n",
			`x.yaml:5:7: invalid YAML: key "model" is indented 6 spaces, which matches no enclosing mapping: it is indented under "size" (line 4), which has its value on its own line; indent it as "size" (4 spaces) to make it a sibling`},
		{"under a value after a dedent", "simulation: {dt: 0.1}\npopulations:\n  E:\n    size: 10\n  model: LIF\n    params: {a: 1}\n",
			`x.yaml:6:5: invalid YAML: key "params" is indented 4 spaces, which matches no enclosing mapping: it is indented under "model" (line 5)`},
		{"one space short", "simulation:\n  dt: 0.1\n duration: 10\npopulations: {}\n",
			`x.yaml:3:2: invalid YAML: key "duration" is indented 1 spaces, which matches no enclosing mapping: the keys of this mapping are indented 2 spaces`},
	} {
		_, err := modelspec.Parse("x.yaml", []byte(c.doc))
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
	// Valid documents with lists, block scalars, flow mappings over lines,
	// comments and tabs inside code are not touched by the reading above;
	// a real syntax error there keeps the parser's message.
	_, err := modelspec.Parse("x.yaml", []byte("a:\n  - b: 1\n    c: |\n      x = 1;\n      \ty: 2\n         z: 2\n    d: {e: 1,\n        f: 2}\n  - g: 3 # note\nh: [1, 2\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "x.yaml:9:1: invalid YAML: did not find expected ',' or ']'")
}

// Issue 18, item 12: an alias bomb is refused at once, pointing at the
// alias, and a document of nested aliases within the bound parses.
func TestAliasBombRefusedFast(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(name + ": &" + name + " [")
		for k := 0; k < 10; k++ {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	start := time.Now()
	_, err := modelspec.Parse("bomb.yaml", []byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bomb.yaml:8:8: the alias *g expands to more than 4194304 nodes")
	t.Logf("refused in %v", time.Since(start)) // not asserted: a timing

	_, err = modelspec.Parse("ok.yaml", []byte("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"))
	require.NoError(t, err)
}

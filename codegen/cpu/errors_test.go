package cpu_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/gpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// customDoc defines neuron model MyN with the given sim_code field text
// (starting on line 8) and uses it in population Pop.
func customDoc(simCodeField string) string {
	return `name: err
simulation: {dt: 0.1, duration: 1}
models:
  neurons:
    MyN:
      params: [a]
      vars: {V: scalar}
` + simCodeField + `
populations:
  Pop:
    size: 1
    model: MyN
    params: {a: 1.0}
    vars: {V: 0.0}
`
}

func generateErr(t *testing.T, doc string) error {
	t.Helper()
	net := decode(t, doc)
	_, err := cpu.Generate(net, codegen.Options{})
	require.Error(t, err)
	return err
}

// An unknown token names file:line:col of the token, the population, the
// model, the code field and the token.
func TestUnknownTokenError(t *testing.T) {
	cases := []struct {
		name, field, pos string
	}{
		// "      sim_code: " is 16 columns; $(b) is 8 characters into the text.
		{"plain", `      sim_code: $(V) += $(b);`, "model.yaml:8:25"},
		{"double-quoted", `      sim_code: "$(V) += $(b);"`, "model.yaml:8:26"},
		{"single-quoted", `      sim_code: '$(V) += $(b);'`, "model.yaml:8:26"},
		// Block scalars: the text starts on the next line at its indentation.
		{"block", "      sim_code: |\n        $(V) += 1.0;\n        $(V) += $(b);", "model.yaml:10:17"},
		{"block-indent-4", "      sim_code: |\n          $(V) += 1.0;\n          $(V) += $(b);", "model.yaml:10:19"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := generateErr(t, customDoc(c.field))
			var ce *codegen.CodeError
			require.True(t, errors.As(err, &ce), "want *codegen.CodeError, got %T: %v", err, err)
			msg := err.Error()
			assert.Equal(t, "$(b)", ce.Token)
			for _, s := range []string{"Pop", "MyN", "sim_code", "$(b)"} {
				assert.Contains(t, msg, s)
			}
			assert.True(t, strings.HasPrefix(msg, c.pos+":"), "position: want %s, message %q", c.pos, msg)
		})
	}
}

// A token valid only elsewhere says where it may be used.
func TestMisplacedTokenError(t *testing.T) {
	err := generateErr(t, customDoc(`      sim_code: "$(addToInSyn, 1);"`))
	var ce *codegen.CodeError
	require.True(t, errors.As(err, &ce), "want *codegen.CodeError, got %T: %v", err, err)
	assert.Contains(t, err.Error(), "only available in weight update")
	assert.Contains(t, err.Error(), "addToInSyn")
	assert.Contains(t, err.Error(), "Pop")

	// Isyn in connectivity or $(id_pre) in neuron code likewise.
	err = generateErr(t, customDoc(`      sim_code: "$(V) = $(id_pre);"`))
	assert.Contains(t, err.Error(), "only available in synapse code")
}

// A C syntax error in user code fails the compile; the compiler's message
// points at the YAML line of the bad code through #line directives.
func TestCompileErrorPointsAtYAML(t *testing.T) {
	t.Parallel()
	// Line 8 is "sim_code: |"; the code is lines 9-11 and line 10 has the error.
	doc := customDoc("      sim_code: |\n        $(V) += 1.0;\n        $(V) += $(a) +;\n        $(V) *= 0.5;")
	_, files := generate(t, doc, codegen.Options{})
	_, err := buildFiles(t, files)
	require.Error(t, err)
	var ce *gpu.CompileError
	require.True(t, errors.As(err, &ce), "want *gpu.CompileError, got %T: %v", err, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^model\.yaml:10:(\d+:)? error:`), ce.Stderr, "compiler message at the YAML line")
	assert.NotContains(t, ce.Stderr, "module.c:", "the error is reported in user code, not generated code")
}

// Threshold condition code is user code too: a C error in it should point at
// its YAML line like sim_code does.
func TestCompileErrorInThresholdPointsAtYAML(t *testing.T) {
	t.Parallel()
	doc := customDoc("      sim_code: \"$(V) += 1.0;\"\n      threshold_condition_code: \"$(V) >= $(a) +\"")
	_, files := generate(t, doc, codegen.Options{})
	_, err := buildFiles(t, files)
	require.Error(t, err)
	var ce *gpu.CompileError
	require.True(t, errors.As(err, &ce), "want *gpu.CompileError, got %T: %v", err, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^model\.yaml:9:(\d+:)? error:`), ce.Stderr, "compiler message at the YAML line")
}

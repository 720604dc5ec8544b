package modelspec

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDigestTablesCoverEveryField: every field of every model definition is
// in its field table (CodePos, where code was written, is deliberately
// not), so a field added to a model cannot be left out of the structure
// digest, which would let two different models share one module.
func TestDigestTablesCoverEveryField(t *testing.T) {
	names := func(n int, name func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = name(i)
		}
		return out
	}
	check := func(typ reflect.Type, table []string) {
		t.Helper()
		var fields []string
		for i := 0; i < typ.NumField(); i++ {
			if f := typ.Field(i); f.Name != "CodePos" {
				fields = append(fields, f.Name)
			}
		}
		assert.Equal(t, fields, table, "%s: the field table must list every field, in declaration order", typ.Name())
	}
	check(reflect.TypeFor[NeuronModel](), names(len(neuronFields), func(i int) string { return neuronFields[i].name }))
	check(reflect.TypeFor[PostsynapticModel](), names(len(postsynapticFields), func(i int) string { return postsynapticFields[i].name }))
	check(reflect.TypeFor[WeightUpdateModel](), names(len(weightUpdateFields), func(i int) string { return weightUpdateFields[i].name }))
	check(reflect.TypeFor[CurrentSourceModel](), names(len(currentSourceFields), func(i int) string { return currentSourceFields[i].name }))
	check(reflect.TypeFor[VarInitSnippet](), names(len(varInitFields), func(i int) string { return varInitFields[i].name }))
	check(reflect.TypeFor[ConnectivitySnippet](), names(len(connectivityFields), func(i int) string { return connectivityFields[i].name }))
	check(reflect.TypeFor[Var](), names(len(varFields), func(i int) string { return varFields[i].name }))
	check(reflect.TypeFor[DerivedParam](), names(len(derivedParamFields), func(i int) string { return derivedParamFields[i].name }))
	check(reflect.TypeFor[EGP](), names(len(egpFields), func(i int) string { return egpFields[i].name }))
	check(reflect.TypeFor[AdditionalInput](), names(len(additionalInputFields), func(i int) string { return additionalInputFields[i].name }))
	check(reflect.TypeFor[StateVar](), names(len(stateVarFields), func(i int) string { return stateVarFields[i].name }))
	check(reflect.TypeFor[ToeplitzSnippet](), names(len(toeplitzFields), func(i int) string { return toeplitzFields[i].name }))
	check(reflect.TypeFor[CustomUpdateModel](), names(len(customUpdateFields), func(i int) string { return customUpdateFields[i].name }))
	check(reflect.TypeFor[VarRef](), names(len(varRefFields), func(i int) string { return varRefFields[i].name }))
}

// TestDigestEncodingIsExplicit: the encoding's lines are what the
// documentation says, zero values left out.
func TestDigestEncodingIsExplicit(t *testing.T) {
	r := &lineRecorder{}
	e := &digester{h: r}
	e.line("enc")
	e.field("s", "a\"b")
	e.field("empty", "")
	e.field("n", 3)
	e.field("zero", 0)
	e.field("f", 0.1)
	e.field("zerof", 0.0)
	e.field("negzero", math.Copysign(0, -1))
	e.field("b", true)
	e.field("nb", false)
	e.field("l", []string{"x", "y"})
	e.field("fl", []float64{1, -2.5})
	e.field("vars", []Var{{Name: "V", Type: "scalar"}})
	assert.Equal(t, []string{"enc\n", "s=\"a\\\"b\"\n", "n=3\n", "f=0.1\n", "negzero=-0\n", "b=true\n", "l=[\"x\",\"y\"]\n", "fl=[1,-2.5]\n",
		"vars[0].Name=\"V\"\n", "vars[0].Type=\"scalar\"\n"}, recorded(r))
}

// TestBuiltinEncodingsReplayed: a built-in model's encoding, replayed from
// builtinLines under a path prefix (twice: the first call records it), is
// the encoding of its fields written directly.
func TestBuiltinEncodingsReplayed(t *testing.T) {
	c := builtinCatalogue()
	checkReplayed(t, c.Neurons, neuronFields)
	checkReplayed(t, c.Postsynaptic, postsynapticFields)
	checkReplayed(t, c.WeightUpdates, weightUpdateFields)
	checkReplayed(t, c.CurrentSources, currentSourceFields)
	checkReplayed(t, c.VarInits, varInitFields)
	checkReplayed(t, c.Connectivity, connectivityFields)
	checkReplayed(t, c.Toeplitz, toeplitzFields)
	checkReplayed(t, c.CustomUpdates, customUpdateFields)
}

func checkReplayed[M any](t *testing.T, models map[string]*M, fields []fieldEnc[M]) {
	t.Helper()
	assert.NotEmpty(t, models)
	for name, m := range models {
		direct := &lineRecorder{}
		encodeFields(&digester{h: direct}, "synapses[3].model.", m, fields)
		for range 2 {
			replayed := &lineRecorder{}
			encodeModel(&digester{h: replayed}, "synapses[3].model.", m, fields)
			assert.Equal(t, recorded(direct), recorded(replayed), name)
		}
	}
}

func recorded(r *lineRecorder) []string {
	lines := make([]string, len(r.lines))
	for i, l := range r.lines {
		lines[i] = string(l)
	}
	return lines
}

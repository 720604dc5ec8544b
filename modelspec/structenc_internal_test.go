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
	var lines []string
	e := &digester{h: lineRecorder{&lines}}
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
		"vars[0].Name=\"V\"\n", "vars[0].Type=\"scalar\"\n"}, lines)
}

// lineRecorder is a hash.Hash that keeps what is written, line by line.
type lineRecorder struct{ lines *[]string }

func (r lineRecorder) Write(p []byte) (int, error) {
	*r.lines = append(*r.lines, string(p))
	return len(p), nil
}
func (r lineRecorder) Sum(b []byte) []byte { return b }
func (r lineRecorder) Reset()              {}
func (r lineRecorder) Size() int           { return 0 }
func (r lineRecorder) BlockSize() int      { return 1 }

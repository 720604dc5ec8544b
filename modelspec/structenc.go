package modelspec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"strconv"
	"sync"
)

// The explicit encodings behind StructureDigest and ValueDigest. Each is a
// list of lines "path=value" under a first line naming the encoding; values
// are written in a fixed text form (strings quoted, numbers exactly) and
// zero values (empty strings and lists, 0, false) are left out, so that a
// field added later with a zero default leaves every existing digest, hence
// every structure key and recorded result, valid. Change an encoding
// (its name and the golden digests of its test) only deliberately: every
// key changes with it.
//
// Encoding 3: variables and references carry their access mode (the
// built-in models carry GeNN 4.9's, which changes their generated code),
// and Toeplitz snippets, custom updates and their references are encoded.
const (
	structureEncoding = "gennctl structure encoding 3"
	valueEncoding     = "gennctl value encoding 1"
)

// digester writes an encoding into a sha256.
type digester struct {
	h   hash.Hash
	buf []byte
}

func newDigester(encoding string) *digester {
	e := &digester{h: sha256.New()}
	e.line(encoding)
	return e
}

func (e *digester) line(s string) {
	e.buf = append(e.buf[:0], s...)
	e.buf = append(e.buf, '\n')
	e.h.Write(e.buf)
}

func (e *digester) sum() string { return hex.EncodeToString(e.h.Sum(nil)) }

// field writes path=value unless value is the zero value of its type.
func (e *digester) field(path string, value any) { e.fieldAt(path, "", value) }

// fieldAt writes at+name=value, as field does. The line is built in e.buf
// without intermediate strings, the path's included (a plan digests every
// variant's network).
func (e *digester) fieldAt(at, name string, value any) {
	b := append(e.buf[:0], at...)
	b = append(b, name...)
	b = append(b, '=')
	switch v := value.(type) {
	case string:
		if v == "" {
			return
		}
		b = strconv.AppendQuote(b, v)
	case int:
		if v == 0 {
			return
		}
		b = strconv.AppendInt(b, int64(v), 10)
	case bool:
		if !v {
			return
		}
		b = append(b, "true"...)
	case float64:
		if math.Float64bits(v) == 0 {
			return
		}
		b = appendFloat(b, v)
	case []string:
		if len(v) == 0 {
			return
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, s)
		}
		b = append(b, ']')
	case []float64:
		if len(v) == 0 {
			return
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, x)
		}
		b = append(b, ']')
	case []Var:
		encodeList(e, at+name, v, varFields)
		return
	case []DerivedParam:
		encodeList(e, at+name, v, derivedParamFields)
		return
	case []EGP:
		encodeList(e, at+name, v, egpFields)
		return
	case []AdditionalInput:
		encodeList(e, at+name, v, additionalInputFields)
		return
	case []StateVar:
		encodeList(e, at+name, v, stateVarFields)
		return
	case []VarRef:
		encodeList(e, at+name, v, varRefFields)
		return
	default:
		// A field table names a type this encoder does not know: a
		// programming error that the field-coverage test catches.
		panic(fmt.Sprintf("modelspec: digest of %s: no encoding for %T", at+name, value))
	}
	b = append(b, '\n')
	e.h.Write(b)
	e.buf = b
}

// appendFloat writes a float exactly: the shortest decimal that reads back
// as the same float64 ('g', -1), "-0" for negative zero.
func appendFloat(b []byte, x float64) []byte { return strconv.AppendFloat(b, x, 'g', -1, 64) }

// fieldEnc is one field of a model definition in its encoding: the Go
// field's name (the field-coverage test compares these with the struct's
// fields, so a new field cannot be left out of the digest unnoticed) and
// its value.
type fieldEnc[T any] struct {
	name string
	get  func(*T) any
}

func encodeModel[T any](e *digester, at string, m *T, fields []fieldEnc[T]) {
	if m == nil {
		return
	}
	if !builtinModels()[m] {
		encodeFields(e, at, m, fields)
		return
	}
	lines, ok := builtinLines.Load(m)
	if !ok {
		r := &lineRecorder{}
		encodeFields(&digester{h: r}, "", m, fields)
		lines, _ = builtinLines.LoadOrStore(m, r.lines)
	}
	for _, l := range lines.([][]byte) {
		b := append(append(e.buf[:0], at...), l...)
		e.h.Write(b)
		e.buf = b
	}
}

func encodeFields[T any](e *digester, at string, m *T, fields []fieldEnc[T]) {
	for _, f := range fields {
		e.fieldAt(at, f.name, f.get(m))
	}
}

// builtinLines holds the encoding of each built-in model used so far, as
// the lines encodeModel writes after its path prefix: a plan digests every
// variant's network, and quoting the same built-in code strings again for
// each was a sixth of its time. Custom models, decoded afresh from each
// document, are encoded each time.
var builtinLines sync.Map // *model -> [][]byte

// builtinModels is the set of the shared built-in catalogue's models.
var builtinModels = sync.OnceValue(func() map[any]bool {
	c := builtinCatalogue()
	set := map[any]bool{}
	addModels(set, c.Neurons)
	addModels(set, c.Postsynaptic)
	addModels(set, c.WeightUpdates)
	addModels(set, c.CurrentSources)
	addModels(set, c.VarInits)
	addModels(set, c.Connectivity)
	addModels(set, c.Toeplitz)
	addModels(set, c.CustomUpdates)
	return set
})

func addModels[M any](set map[any]bool, models map[string]*M) {
	for _, m := range models {
		set[m] = true
	}
}

// lineRecorder is a hash.Hash that keeps what is written, one Write per
// line (as a digester writes), instead of hashing it.
type lineRecorder struct{ lines [][]byte }

func (r *lineRecorder) Write(p []byte) (int, error) {
	r.lines = append(r.lines, append([]byte(nil), p...))
	return len(p), nil
}
func (r *lineRecorder) Sum(b []byte) []byte { return b }
func (r *lineRecorder) Reset()              { r.lines = nil }
func (r *lineRecorder) Size() int           { return 0 }
func (r *lineRecorder) BlockSize() int      { return 1 }

func encodeList[T any](e *digester, at string, xs []T, fields []fieldEnc[T]) {
	for i := range xs {
		encodeModel(e, fmt.Sprintf("%s[%d].", at, i), &xs[i], fields)
	}
}

// Field tables of the model definitions. CodePos (where code was written)
// is not structure and not encoded.

var neuronFields = []fieldEnc[NeuronModel]{
	{"Name", func(m *NeuronModel) any { return m.Name }},
	{"Params", func(m *NeuronModel) any { return m.Params }},
	{"DerivedParams", func(m *NeuronModel) any { return m.DerivedParams }},
	{"Vars", func(m *NeuronModel) any { return m.Vars }},
	{"SimCode", func(m *NeuronModel) any { return m.SimCode }},
	{"ThresholdConditionCode", func(m *NeuronModel) any { return m.ThresholdConditionCode }},
	{"ResetCode", func(m *NeuronModel) any { return m.ResetCode }},
	{"SupportCode", func(m *NeuronModel) any { return m.SupportCode }},
	{"ExtraGlobalParams", func(m *NeuronModel) any { return m.ExtraGlobalParams }},
	{"AdditionalInputVars", func(m *NeuronModel) any { return m.AdditionalInputVars }},
	{"AutoRefractoryRequired", func(m *NeuronModel) any { return m.AutoRefractoryRequired }},
}

var postsynapticFields = []fieldEnc[PostsynapticModel]{
	{"Name", func(m *PostsynapticModel) any { return m.Name }},
	{"Params", func(m *PostsynapticModel) any { return m.Params }},
	{"DerivedParams", func(m *PostsynapticModel) any { return m.DerivedParams }},
	{"Vars", func(m *PostsynapticModel) any { return m.Vars }},
	{"DecayCode", func(m *PostsynapticModel) any { return m.DecayCode }},
	{"ApplyInputCode", func(m *PostsynapticModel) any { return m.ApplyInputCode }},
	{"SupportCode", func(m *PostsynapticModel) any { return m.SupportCode }},
	{"ExtraGlobalParams", func(m *PostsynapticModel) any { return m.ExtraGlobalParams }},
}

var weightUpdateFields = []fieldEnc[WeightUpdateModel]{
	{"Name", func(m *WeightUpdateModel) any { return m.Name }},
	{"Params", func(m *WeightUpdateModel) any { return m.Params }},
	{"DerivedParams", func(m *WeightUpdateModel) any { return m.DerivedParams }},
	{"Vars", func(m *WeightUpdateModel) any { return m.Vars }},
	{"PreVars", func(m *WeightUpdateModel) any { return m.PreVars }},
	{"PostVars", func(m *WeightUpdateModel) any { return m.PostVars }},
	{"SimCode", func(m *WeightUpdateModel) any { return m.SimCode }},
	{"EventCode", func(m *WeightUpdateModel) any { return m.EventCode }},
	{"EventThresholdConditionCode", func(m *WeightUpdateModel) any { return m.EventThresholdConditionCode }},
	{"LearnPostCode", func(m *WeightUpdateModel) any { return m.LearnPostCode }},
	{"SynapseDynamicsCode", func(m *WeightUpdateModel) any { return m.SynapseDynamicsCode }},
	{"PreSpikeCode", func(m *WeightUpdateModel) any { return m.PreSpikeCode }},
	{"PostSpikeCode", func(m *WeightUpdateModel) any { return m.PostSpikeCode }},
	{"SimSupportCode", func(m *WeightUpdateModel) any { return m.SimSupportCode }},
	{"LearnPostSupportCode", func(m *WeightUpdateModel) any { return m.LearnPostSupportCode }},
	{"SynapseDynamicsSupportCode", func(m *WeightUpdateModel) any { return m.SynapseDynamicsSupportCode }},
	{"ExtraGlobalParams", func(m *WeightUpdateModel) any { return m.ExtraGlobalParams }},
	{"PreSpikeTimeRequired", func(m *WeightUpdateModel) any { return m.PreSpikeTimeRequired }},
	{"PostSpikeTimeRequired", func(m *WeightUpdateModel) any { return m.PostSpikeTimeRequired }},
	{"PreDynamicsCode", func(m *WeightUpdateModel) any { return m.PreDynamicsCode }},
	{"PostDynamicsCode", func(m *WeightUpdateModel) any { return m.PostDynamicsCode }},
	{"PreSpikeEventTimeRequired", func(m *WeightUpdateModel) any { return m.PreSpikeEventTimeRequired }},
	{"PrevPreSpikeTimeRequired", func(m *WeightUpdateModel) any { return m.PrevPreSpikeTimeRequired }},
	{"PrevPostSpikeTimeRequired", func(m *WeightUpdateModel) any { return m.PrevPostSpikeTimeRequired }},
	{"PrevPreSpikeEventTimeRequired", func(m *WeightUpdateModel) any { return m.PrevPreSpikeEventTimeRequired }},
}

var currentSourceFields = []fieldEnc[CurrentSourceModel]{
	{"Name", func(m *CurrentSourceModel) any { return m.Name }},
	{"Params", func(m *CurrentSourceModel) any { return m.Params }},
	{"DerivedParams", func(m *CurrentSourceModel) any { return m.DerivedParams }},
	{"Vars", func(m *CurrentSourceModel) any { return m.Vars }},
	{"InjectionCode", func(m *CurrentSourceModel) any { return m.InjectionCode }},
	{"ExtraGlobalParams", func(m *CurrentSourceModel) any { return m.ExtraGlobalParams }},
}

var varInitFields = []fieldEnc[VarInitSnippet]{
	{"Name", func(m *VarInitSnippet) any { return m.Name }},
	{"Params", func(m *VarInitSnippet) any { return m.Params }},
	{"DerivedParams", func(m *VarInitSnippet) any { return m.DerivedParams }},
	{"Code", func(m *VarInitSnippet) any { return m.Code }},
	{"ExtraGlobalParams", func(m *VarInitSnippet) any { return m.ExtraGlobalParams }},
}

var connectivityFields = []fieldEnc[ConnectivitySnippet]{
	{"Name", func(m *ConnectivitySnippet) any { return m.Name }},
	{"Params", func(m *ConnectivitySnippet) any { return m.Params }},
	{"DerivedParams", func(m *ConnectivitySnippet) any { return m.DerivedParams }},
	{"RowBuildCode", func(m *ConnectivitySnippet) any { return m.RowBuildCode }},
	{"RowBuildStateVars", func(m *ConnectivitySnippet) any { return m.RowBuildStateVars }},
	{"MaxRowLength", func(m *ConnectivitySnippet) any { return m.MaxRowLength }},
	{"MaxColLength", func(m *ConnectivitySnippet) any { return m.MaxColLength }},
	{"ExtraGlobalParams", func(m *ConnectivitySnippet) any { return m.ExtraGlobalParams }},
	{"ColBuildCode", func(m *ConnectivitySnippet) any { return m.ColBuildCode }},
	{"ColBuildStateVars", func(m *ConnectivitySnippet) any { return m.ColBuildStateVars }},
	{"HostInitCode", func(m *ConnectivitySnippet) any { return m.HostInitCode }},
	{"KernelSize", func(m *ConnectivitySnippet) any { return m.KernelSize }},
	// Go length functions (genn.CreateCMLFClass): whether one is given;
	// the lengths they compute are row strides of the generator's options,
	// part of the module's key.
	{"MaxRowLengthFunc", func(m *ConnectivitySnippet) any { return m.MaxRowLengthFunc != nil }},
	{"MaxColLengthFunc", func(m *ConnectivitySnippet) any { return m.MaxColLengthFunc != nil }},
}

var toeplitzFields = []fieldEnc[ToeplitzSnippet]{
	{"Name", func(m *ToeplitzSnippet) any { return m.Name }},
	{"Params", func(m *ToeplitzSnippet) any { return m.Params }},
	{"DerivedParams", func(m *ToeplitzSnippet) any { return m.DerivedParams }},
	{"DiagonalBuildCode", func(m *ToeplitzSnippet) any { return m.DiagonalBuildCode }},
	{"DiagonalBuildStateVars", func(m *ToeplitzSnippet) any { return m.DiagonalBuildStateVars }},
	{"MaxRowLength", func(m *ToeplitzSnippet) any { return m.MaxRowLength }},
	{"KernelSize", func(m *ToeplitzSnippet) any { return m.KernelSize }},
	{"ExtraGlobalParams", func(m *ToeplitzSnippet) any { return m.ExtraGlobalParams }},
	{"MaxRowLengthFunc", func(m *ToeplitzSnippet) any { return m.MaxRowLengthFunc != nil }},
}

var customUpdateFields = []fieldEnc[CustomUpdateModel]{
	{"Name", func(m *CustomUpdateModel) any { return m.Name }},
	{"Params", func(m *CustomUpdateModel) any { return m.Params }},
	{"DerivedParams", func(m *CustomUpdateModel) any { return m.DerivedParams }},
	{"Vars", func(m *CustomUpdateModel) any { return m.Vars }},
	{"VarRefs", func(m *CustomUpdateModel) any { return m.VarRefs }},
	{"UpdateCode", func(m *CustomUpdateModel) any { return m.UpdateCode }},
	{"ExtraGlobalParams", func(m *CustomUpdateModel) any { return m.ExtraGlobalParams }},
	{"ExtraGlobalParamRefs", func(m *CustomUpdateModel) any { return m.ExtraGlobalParamRefs }},
}

var varFields = []fieldEnc[Var]{
	{"Name", func(m *Var) any { return m.Name }},
	{"Type", func(m *Var) any { return m.Type }},
	{"Access", func(m *Var) any { return m.Access }},
}

var varRefFields = []fieldEnc[VarRef]{
	{"Name", func(m *VarRef) any { return m.Name }},
	{"Type", func(m *VarRef) any { return m.Type }},
	{"Access", func(m *VarRef) any { return m.Access }},
}

var derivedParamFields = []fieldEnc[DerivedParam]{
	{"Name", func(m *DerivedParam) any { return m.Name }},
	{"Expr", func(m *DerivedParam) any { return m.Expr }},
	// a Go function (genn.CreateDPFClass): whether one is given; its
	// values are the variant's derived parameter Values
	{"Func", func(m *DerivedParam) any { return m.Func != nil }},
}

var egpFields = []fieldEnc[EGP]{
	{"Name", func(m *EGP) any { return m.Name }},
	{"Type", func(m *EGP) any { return m.Type }},
}

var additionalInputFields = []fieldEnc[AdditionalInput]{
	{"Name", func(m *AdditionalInput) any { return m.Name }},
	{"Type", func(m *AdditionalInput) any { return m.Type }},
	{"Init", func(m *AdditionalInput) any { return m.Init }},
}

var stateVarFields = []fieldEnc[StateVar]{
	{"Name", func(m *StateVar) any { return m.Name }},
	{"Type", func(m *StateVar) any { return m.Type }},
	{"Init", func(m *StateVar) any { return m.Init }},
}

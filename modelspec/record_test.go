package modelspec_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/modelspec"
)

// recordBase has a population, a synapse group with a weight-update model with pre and post
// variables, and a current source with a variable; RECORD_* are replaced per test.
const recordBase = `simulation: {dt: 0.1, duration: 100}
models:
  weight_updates:
    Trace:
      vars: {g: scalar}
      pre_vars: {xpre: scalar}
      post_vars: {ypost: scalar}
      sim_code: "$(addToInSyn, $(g));"
populations:
  E:
    size: 20
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: -55.0, RefracTime: 0.0}
    record: {spikes: true, vars: RECORD_POP}
  S:
    size: 5
    model: SpikeSource
synapses:
  SE:
    source: S
    target: E
    weight_update: {model: Trace, vars: {g: 0.1}, pre_vars: {xpre: 0}, post_vars: {ypost: 0}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
    record: {vars: RECORD_SYN}
current_sources:
  noise:
    model: PoissonExp
    target: E
    params: {weight: 0.1, tauSyn: 5.0, rate: 10.0}
    vars: {current: 0.0}
    record: {vars: RECORD_CS}
`

func recordDoc(pop, syn, cs string) string {
	r := strings.NewReplacer("RECORD_POP", pop, "RECORD_SYN", syn, "RECORD_CS", cs)
	return r.Replace(recordBase)
}

func TestRecordVars(t *testing.T) {
	n := mustDecode(t, recordDoc(
		"{V: {every: 1.0, neurons: [0, 5, 10]}, RefracTime: {neurons: all}}",
		"{inSyn: {every: 0.5, neurons: {range: [2, 20, 6]}}, xpre: {neurons: [4]}, ypost: {}}",
		"{}"))
	got := n.RecordedVars()
	type row struct {
		Owner, Var, Kind, Of string
		Size                 int
		Every                float64
		Steps                uint32
		Neurons              []uint32
	}
	var rows []row
	for _, r := range got {
		rows = append(rows, row{r.Owner, r.Var, r.Kind, r.Of, r.Size, r.Every, r.EverySteps, r.Neurons})
	}
	assert.Equal(t, []row{
		{"E", "V", "neuron", "E", 20, 1.0, 10, []uint32{0, 5, 10}},
		{"E", "RefracTime", "neuron", "E", 20, 0.1, 1, nil},
		{"SE", "inSyn", "postsynaptic", "E", 20, 0.5, 5, []uint32{2, 8, 14}},
		{"SE", "xpre", "pre", "S", 5, 0.1, 1, []uint32{4}},
		{"SE", "ypost", "post", "E", 20, 0.1, 1, nil},
	}, rows)
	assert.Equal(t, "populations.E.record.vars.V", got[0].Path)
	assert.Equal(t, 15, got[0].Pos.Line)

	n = mustDecode(t, recordDoc("{}", "{}", "{current: {every: 0.3, neurons: {range: [0, 3]}}}"))
	got = n.RecordedVars()
	require.Len(t, got, 1)
	assert.Equal(t, modelspec.RecordedVar{Owner: "noise", RecordVar: modelspec.RecordVar{Var: "current", Kind: "current_source",
		Of: "E", Size: 20, Every: 0.3, EverySteps: 3, Neurons: []uint32{0, 1, 2}, Pos: got[0].Pos, Path: "current_sources.noise.record.vars.current"}}, got[0])
}

// TestRecordVarsKeepStructure: sampling is done through gn_get_var by the worker, so what is
// recorded does not change the generated code.
func TestRecordVarsKeepStructure(t *testing.T) {
	base := mustDecode(t, recordDoc("{}", "{}", "{}")).StructureDigest()
	rec := mustDecode(t, recordDoc("{V: {every: 1.0, neurons: [1]}}", "{inSyn: {}}", "{current: {}}")).StructureDigest()
	assert.Equal(t, base, rec)
}

func TestRecordVarsErrors(t *testing.T) {
	cases := []struct {
		name, pop, syn, cs string
		want               []string
	}{
		{"unknown var", "{U: {}}", "{}", "{}", []string{
			`t.yaml:15:35: populations.E.record.vars.U: cannot record unknown variable "U" of population E (model LIF) (have V, RefracTime)`}},
		{"every not multiple", "{V: {every: 0.25}}", "{}", "{}", []string{
			`t.yaml:15:46: populations.E.record.vars.V.every: every must be a positive multiple of dt (0.1 ms), got 0.25`}},
		{"every zero", "{V: {every: 0}}", "{}", "{}", []string{
			`t.yaml:15:46: populations.E.record.vars.V.every: every must be a positive multiple of dt (0.1 ms), got 0`}},
		{"every negative", "{V: {every: -0.2}}", "{}", "{}", []string{
			`t.yaml:15:46: populations.E.record.vars.V.every: every must be a positive multiple of dt (0.1 ms), got -0.2`}},
		{"index out of range", "{V: {neurons: [0, 20]}}", "{}", "{}", []string{
			`t.yaml:15:52: populations.E.record.vars.V.neurons[1]: neuron index 20 out of range [0, 20): population E has 20 neurons`}},
		{"negative index", "{V: {neurons: [-1]}}", "{}", "{}", []string{
			`t.yaml:15:49: populations.E.record.vars.V.neurons[0]: neuron index -1 out of range [0, 20): population E has 20 neurons`}},
		{"duplicate index", "{V: {neurons: [3, 3]}}", "{}", "{}", []string{
			`t.yaml:15:52: populations.E.record.vars.V.neurons[1]: neuron 3 is listed twice`}},
		{"neurons word", "{V: {neurons: some}}", "{}", "{}", []string{
			`t.yaml:15:48: populations.E.record.vars.V.neurons: expected all, a list of neuron indices or {range: [start, stop, step]}, got the string "some"`}},
		{"range beyond", "{V: {neurons: {range: [0, 21]}}}", "{}", "{}", []string{
			`t.yaml:15:56: populations.E.record.vars.V.neurons.range: stop 21 is beyond the last neuron (stop is excluded, at most 20): population E has 20 neurons`}},
		{"range step", "{V: {neurons: {range: [0, 10, 0]}}}", "{}", "{}", []string{
			`t.yaml:15:56: populations.E.record.vars.V.neurons.range: step must be at least 1, got 0`}},
		{"range empty", "{V: {neurons: {range: [5, 5]}}}", "{}", "{}", []string{
			`t.yaml:15:56: populations.E.record.vars.V.neurons.range: stop 5 must be greater than start 5 (stop is excluded)`}},
		{"unknown key", "{V: {evry: 1}}", "{}", "{}", []string{
			`t.yaml:15:39: populations.E.record.vars.V: unknown key "evry" (allowed: every, neurons)`}},
		{"per-synapse pre index", "{}", "{g: {pre: [5]}}", "{}", []string{
			`t.yaml:25:31: synapses.SE.record.vars.g.pre[0]: neuron index 5 out of range [0, 5): its elements are the neurons of population S, which has 5`}},
		{"per-synapse neurons", "{}", "{g: {neurons: all}}", "{}", []string{
			`t.yaml:25:25: synapses.SE.record.vars.g: unknown key "neurons" (allowed: every, pre, post)`}},
		{"pre index beyond source", "{}", "{xpre: {neurons: [5]}}", "{}", []string{
			`t.yaml:25:38: synapses.SE.record.vars.xpre.neurons[0]: neuron index 5 out of range [0, 5): its elements are the neurons of population S, which has 5`}},
		{"unknown synapse var", "{}", "{V: {}}", "{}", []string{
			`t.yaml:25:21: synapses.SE.record.vars.V: cannot record unknown variable "V" of synapse group SE (postsynaptic model ExpCurr, weight update model Trace) (have inSyn, xpre, ypost, g)`}},
		{"current source var", "{}", "{}", "{amp: {}}", []string{
			`t.yaml:32:21: current_sources.noise.record.vars.amp: cannot record unknown variable "amp" of current source noise (model PoissonExp) (have current)`}},
		{"synapse record spikes", "{}", "{}", "{}", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := recordDoc(c.pop, c.syn, c.cs)
			if c.want == nil {
				doc = strings.Replace(doc, "record: {vars: {}}\ncurrent", "record: {spikes: true}\ncurrent", 1)
				c.want = []string{`t.yaml:25:14: synapses.SE.record: unknown key "spikes" (allowed: vars)`}
			}
			n, err := decodeString("t.yaml", doc)
			assert.Nil(t, n)
			requireDiags(t, err, "t.yaml", c.want)
		})
	}
}

func TestRecordEveryFloatingPoint(t *testing.T) {
	// 0.3 / 0.1 is 2.9999999999999996 in float64: still 3 steps.
	doc := strings.Replace(recordDoc("{V: {every: 0.3}}", "{}", "{}"), "dt: 0.1", "dt: 0.1", 1)
	n := mustDecode(t, doc)
	assert.Equal(t, uint32(3), n.Populations[0].RecordVars[0].EverySteps)
	doc = strings.Replace(recordDoc("{V: {every: 0.7}}", "{}", "{}"), "dt: 0.1", "dt: 0.01", 1)
	n = mustDecode(t, doc)
	assert.Equal(t, uint32(70), n.Populations[0].RecordVars[0].EverySteps)
}

package modelspec_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/modelspec"
)

// badCase is a document that must not decode, with the exact diagnostics
// (file:line:col: path: message) it must produce, in order. FuzzDecode uses
// these documents as seeds.
type badCase struct {
	name string
	doc  string
	want []string
}

var badCases = []badCase{
	{"yaml syntax", "a: b\n  c: d\n", []string{
		`t.yaml:2:3: invalid YAML: key "c" is indented 2 spaces, which matches no enclosing mapping: it is indented under "a" (line 1), which has its value on its own line; indent it as "a" (0 spaces) to make it a sibling`,
	}},
	{"empty", "", []string{
		"t.yaml:1:1: empty document: expected a mapping with populations",
	}},
	{"comment only", "# nothing\n", []string{
		"t.yaml:1:1: empty document: expected a mapping with populations",
	}},
	{"top not mapping", "- a\n- b\n", []string{
		"t.yaml:1:1: expected a mapping with simulation, populations, synapses, ...; got a list",
	}},
	{"unknown top key", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
populaton: 1
`, []string{
		"t.yaml:3:1: unknown key \"populaton\" (allowed: name, description, simulation, models, populations, synapses, current_sources, custom_updates, protocol, summaries, sweep)",
	}},
	{"missing simulation", `populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:1: simulation: missing: expected {dt: ..., duration: ...}",
	}},
	{"dt zero", `simulation: {dt: 0, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:18: simulation.dt: time step must be > 0 and ≤ 1000 ms, got 0",
	}},
	{"dt negative", `simulation: {dt: -0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:18: simulation.dt: time step must be > 0 and ≤ 1000 ms, got -0.1",
	}},
	{"dt not number", `simulation: {dt: fast, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:18: simulation.dt: expected a number, got the string \"fast\"",
	}},
	{"duration missing", `simulation: {dt: 0.1}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:13: simulation.duration: missing: simulated time in ms",
	}},
	{"precision", `simulation: {dt: 0.1, duration: 10, precision: half}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:48: simulation.precision: expected float or double, got \"half\"",
	}},
	{"backend", `simulation: {dt: 0.1, duration: 10, backend: opencl}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:46: simulation.backend: expected auto, cpu or cuda, got \"opencl\"",
	}},
	{"negative seed", `simulation: {dt: 0.1, duration: 10, seed: -1}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:43: simulation.seed: expected a non-negative integer below 2^64, got \"-1\"",
	}},
	{"bad name", `name: ../x
simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:1:7: name: name \"../x\" becomes a directory name: use letters, digits, '_', '-' and '.', not starting with '.'",
	}},
	{"no populations", `simulation: {dt: 0.1, duration: 10}
`, []string{
		"t.yaml:1:1: populations: missing: at least one population is required",
	}},
	{"empty populations", `simulation: {dt: 0.1, duration: 10}
populations: {}
`, []string{
		"t.yaml:2:1: populations: empty: at least one population is required",
	}},
	{"null populations", `simulation: {dt: 0.1, duration: 10}
populations:
`, []string{
		"t.yaml:2:1: populations: empty: at least one population is required",
	}},
	{"pop name digit", `simulation: {dt: 0.1, duration: 10}
populations: {1E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:2:15: populations.1E: population name must be a C identifier (letters, digits, _; not starting with a digit), got \"1E\"",
	}},
	{"pop name dash", `simulation: {dt: 0.1, duration: 10}
populations: {a-b: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:2:15: populations.a-b: population name must be a C identifier (letters, digits, _; not starting with a digit), got \"a-b\"",
	}},
	{"size 0", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 0, model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: must be between 1 and 268435456, got 0",
	}},
	{"size -5", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: -5, model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: must be between 1 and 268435456, got -5",
	}},
	{"size 12.5", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 12.5, model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: expected an integer, got \"12.5\"",
	}},
	{"size 10.0", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 10.0, model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: expected an integer, got \"10.0\"",
	}},
	{"size string", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: "10", model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: expected an integer, got the string \"10\"",
	}},
	{"size huge", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 268435457, model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: must be between 1 and 268435456, got 268435457",
	}},
	{"size huger", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 99999999999999999999, model: SpikeSource}}
`, []string{
		"t.yaml:2:25: populations.E.size: expected an integer, got \"99999999999999999999\"",
	}},
	{"unknown neuron model", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: LIFF}}
`, []string{
		"t.yaml:2:35: populations.E.model: unknown neuron model \"LIFF\" (have Izhikevich, IzhikevichVariable, LIF, Poisson, PoissonNew, RulkovMap, SpikeSource, SpikeSourceArray, TraubMiles, TraubMilesAlt, TraubMilesFast, TraubMilesNStep)",
	}},
	{"unknown param", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5, TauX: 1}
    vars: {V: -60, RefracTime: 0}
`, []string{
		"t.yaml:6:95: populations.E.params: unknown parameter \"TauX\" for model LIF (have C, TauM, Vrest, Vreset, Vthresh, Ioffset, TauRefrac)",
	}},
	{"missing param", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0}
    vars: {V: -60, RefracTime: 0}
`, []string{
		"t.yaml:6:13: populations.E.params: missing parameter \"TauRefrac\" for model LIF (needs C, TauM, Vrest, Vreset, Vthresh, Ioffset, TauRefrac)",
	}},
	{"param not number", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: slow, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: -60, RefracTime: 0}
`, []string{
		"t.yaml:6:26: populations.E.params.TauM: expected a number, got the string \"slow\"",
	}},
	{"unknown var", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: -60, RefracTime: 0, W: 1}
`, []string{
		"t.yaml:7:35: populations.E.vars: unknown variable \"W\" for model LIF (have V, RefracTime)",
	}},
	{"missing var", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: -60}
`, []string{
		"t.yaml:7:11: populations.E.vars: missing initial value for variable \"RefracTime\" of model LIF (needs V, RefracTime)",
	}},
	{"var list length", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 3
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: [-60, -55], RefracTime: 0}
`, []string{
		"t.yaml:7:15: populations.E.vars.V: expected 3 values (one per element), got 2",
	}},
	{"unknown var init", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: {init: Uniformm, params: {min: 0, max: 1}}, RefracTime: 0}
`, []string{
		"t.yaml:7:22: populations.E.vars.V.init: unknown variable initialisation snippet \"Uniformm\" (have Binomial, Constant, Exponential, Gamma, Kernel, Normal, NormalClipped, NormalClippedDelay, Uniform)",
	}},
	{"var init missing param", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: {init: Uniform, params: {min: 0}}, RefracTime: 0}
`, []string{
		"t.yaml:7:39: populations.E.vars.V.params: missing parameter \"max\" for snippet Uniform (needs min, max)",
	}},
	{"synapse missing source", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: X
    target: E
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:5:13: synapses.EE.source: unknown population \"X\" (have E)",
	}},
	{"synapse missing target", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: Y
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:6:13: synapses.EE.target: unknown population \"Y\" (have E)",
	}},
	{"unknown wu", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    weight_update: {model: StaticPulsar, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:7:28: synapses.EE.weight_update.model: unknown weight update model \"StaticPulsar\" (have PiecewiseSTDP, StaticGraded, StaticPulse, StaticPulseDendriticDelay)",
	}},
	{"unknown ps", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: AlphaCurr}
`, []string{
		"t.yaml:8:27: synapses.EE.postsynaptic.model: unknown postsynaptic model \"AlphaCurr\" (have DeltaCurr, ExpCond, ExpCurr)",
	}},
	{"sparse without connectivity", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: sparse
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:5:5: synapses.EE.connectivity: missing: a sparse matrix needs {init: <snippet>, params: {...}}",
	}},
	{"dense with connectivity", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: dense
    connectivity: {init: OneToOne}
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:8:5: synapses.EE.connectivity: a dense matrix is all-to-all and takes no connectivity snippet (use matrix: sparse)",
	}},
	{"bitmask without connectivity", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: bitmask
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:5:5: synapses.EE.connectivity: missing: a bitmask matrix needs {init: <snippet>, params: {...}}",
	}},
	{"unsupported matrix kind", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: sprase
    connectivity: {init: OneToOne}
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:7:13: synapses.EE.matrix: expected dense, sparse, bitmask, procedural or toeplitz, got \"sprase\"",
	}},
	{"negative delay", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    delay_steps: -1
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:7:18: synapses.EE.delay_steps: must be between 0 and 65536, got -1",
	}},
	{"unknown connectivity", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    connectivity: {init: FixedProb, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, []string{
		"t.yaml:7:26: synapses.EE.connectivity.init: unknown connectivity snippet \"FixedProb\" (have Conv2D, FixedNumberPostWithReplacement, FixedNumberPreWithReplacement, FixedNumberTotalWithReplacement, FixedProbability, FixedProbabilityNoAutapse, OneToOne)",
	}},
	{"duplicate group names", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  E:
    source: E
    target: E
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
current_sources:
  E: {model: DC, target: E, params: {amp: 0.1}}
`, []string{
		"t.yaml:4:3: synapses.E: name \"E\" is already used by populations.E; group names must be unique across populations, synapses and current sources",
		"t.yaml:10:3: current_sources.E: name \"E\" is already used by populations.E; group names must be unique across populations, synapses and current sources",
	}},
	{"current source unknown target", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
current_sources:
  drive: {model: DC, target: F, params: {amp: 0.1}}
`, []string{
		"t.yaml:4:30: current_sources.drive.target: unknown population \"F\"",
	}},
	{"custom shadows builtin", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    LIF: {params: [a], sim_code: ""}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:4:5: models.neurons.LIF: custom model \"LIF\" has the name of a built-in model; choose another name",
	}},
	{"custom bad var type", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {vars: {V: real}}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:4:20: models.neurons.My.vars.V: unknown variable type \"real\" (expected one of scalar, float, double, int, unsigned int, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, bool)",
	}},
	{"custom param and var", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [V], vars: {V: scalar}}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:4:9: models.neurons.My: \"V\" is declared both as a parameter and as a variable",
	}},
	{"custom unknown key", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [a], simcode: ""}
populations: {E: {size: 1, model: SpikeSource}}
`, []string{
		"t.yaml:4:23: models.neurons.My: unknown key \"simcode\" (allowed: param_names (or params), var_name_types (or vars), derived_params, sim_code, threshold_condition_code, reset_code, support_code, extra_global_params, additional_input_vars, is_auto_refractory_required, class_name, custom_body)",
	}},
	{"duplicate key", `simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 1, model: SpikeSource}
  E: {size: 2, model: SpikeSource}
`, []string{
		"t.yaml:4:3: populations: duplicate key \"E\"",
	}},
	// Follow-up errors that must not appear.
	{"invalid size: no per-element follow-up", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 0
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: [-60, -55], RefracTime: 0}
`, []string{
		"t.yaml:4:11: populations.E.size: must be between 1 and 268435456, got 0",
	}},
	{"unknown model: no unknown-population follow-up", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 2, model: LIFF}}
synapses:
  EE: {source: E, target: E, weight_update: {model: StaticPulse, vars: {g: 1}}, postsynaptic: {model: DeltaCurr}}
`, []string{
		"t.yaml:2:35: populations.E.model: unknown neuron model \"LIFF\" (have Izhikevich, IzhikevichVariable, LIF, Poisson, PoissonNew, RulkovMap, SpikeSource, SpikeSourceArray, TraubMiles, TraubMilesAlt, TraubMilesFast, TraubMilesNStep)",
	}},
	{"custom derived param syntax", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [a], derived_params: {b: "a +* 2"}}
populations: {E: {size: 2, model: My, params: {a: 1}}}
`, []string{
		"t.yaml:4:43: models.neurons.My.derived_params.b: expression \"a +* 2\": column 4: expected a number, identifier or \"(\", found \"*\"",
	}},
	{"unknown population key", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource, recrod: {spikes: true}}}
`, []string{
		"t.yaml:2:48: populations.E: unknown key \"recrod\" (allowed: size, model, params, vars, extra_global_params, record)",
	}},
	{"missing model", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1}}
`, []string{
		"t.yaml:2:18: populations.E.model: missing: name of the model",
	}},
}

// decodeString runs Parse then Decode, as Load does after reading the file.
func decodeString(file, doc string) (*modelspec.Network, error) {
	root, err := modelspec.Parse(file, []byte(doc))
	if err != nil {
		return nil, err
	}
	return modelspec.Decode(file, []byte(doc), root)
}

func mustDecode(t *testing.T, doc string) *modelspec.Network {
	t.Helper()
	n, err := decodeString("t.yaml", doc)
	require.NoError(t, err)
	require.NotNil(t, n)
	return n
}

// requireDiags checks that err is a non-empty Diagnostics whose text is
// exactly want (one line per diagnostic) and whose entries all name file and
// a line.
func requireDiags(t *testing.T, err error, file string, want []string) {
	t.Helper()
	require.Error(t, err)
	var ds modelspec.Diagnostics
	require.True(t, errors.As(err, &ds), "error is %T, not Diagnostics: %v", err, err)
	require.NotEmpty(t, ds)
	assert.Equal(t, strings.Join(want, "\n"), err.Error())
	require.Len(t, ds, len(want))
	for i, d := range ds {
		assert.Equal(t, file, d.Pos.File, "diagnostic %d: %v", i, d)
		assert.GreaterOrEqual(t, d.Pos.Line, 1, "diagnostic %d: %v", i, d)
		assert.GreaterOrEqual(t, d.Pos.Col, 1, "diagnostic %d: %v", i, d)
		assert.Equal(t, want[i], d.Error())
	}
}

func TestDecodeBad(t *testing.T) {
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			n, err := decodeString("t.yaml", c.doc)
			assert.Nil(t, n)
			requireDiags(t, err, "t.yaml", c.want)
		})
	}
}

func TestLoadBad(t *testing.T) {
	dir := t.TempDir()
	for i, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("bad%d.yaml", i))
			require.NoError(t, os.WriteFile(file, []byte(c.doc), 0o644))
			want := make([]string, len(c.want))
			for j, w := range c.want {
				require.True(t, strings.HasPrefix(w, "t.yaml:"), w)
				want[j] = file + strings.TrimPrefix(w, "t.yaml")
			}
			n, err := modelspec.Load(file)
			assert.Nil(t, n)
			requireDiags(t, err, file, want)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	n, err := modelspec.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	assert.Nil(t, n)
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	var ds modelspec.Diagnostics
	assert.False(t, errors.As(err, &ds), "a read error is not a diagnostic")
}

func TestParseSyntaxErrorIsDiagnostics(t *testing.T) {
	root, err := modelspec.Parse("x.yaml", []byte("a: [1, 2\nb: 3\n"))
	assert.Nil(t, root)
	var ds modelspec.Diagnostics
	require.True(t, errors.As(err, &ds), "%T", err)
	require.Len(t, ds, 1)
	assert.Equal(t, "x.yaml", ds[0].Pos.File)
	assert.GreaterOrEqual(t, ds[0].Pos.Line, 1)
	assert.True(t, strings.HasPrefix(ds[0].Msg, "invalid YAML: "), ds[0].Msg)
	assert.NotContains(t, ds[0].Msg, "yaml: ", "the library prefix is stripped")
}

func TestDecodeReportsEveryProblem(t *testing.T) {
	doc := `name: multi
simulation: {dt: -1, duration: 10, precision: half}
populations:
  E:
    size: 12.5
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauX: 5}
    vars: {V: -60, RefracTime: 0}
  I: {size: 10, model: Nope}
synapses:
  EI:
    source: E
    target: X
    matrix: bitmask
    delay_steps: -3
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
current_sources:
  E: {model: DC, target: E, params: {amp: fast}}
`
	_, err := decodeString("m.yaml", doc)
	requireDiags(t, err, "m.yaml", []string{
		`m.yaml:2:18: simulation.dt: time step must be > 0 and ≤ 1000 ms, got -1`,
		`m.yaml:2:47: simulation.precision: expected float or double, got "half"`,
		`m.yaml:5:11: populations.E.size: expected an integer, got "12.5"`,
		`m.yaml:7:81: populations.E.params: unknown parameter "TauX" for model LIF (have C, TauM, Vrest, Vreset, Vthresh, Ioffset, TauRefrac)`,
		`m.yaml:7:13: populations.E.params: missing parameter "TauRefrac" for model LIF (needs C, TauM, Vrest, Vreset, Vthresh, Ioffset, TauRefrac)`,
		`m.yaml:9:24: populations.I.model: unknown neuron model "Nope" (have Izhikevich, IzhikevichVariable, LIF, Poisson, PoissonNew, RulkovMap, SpikeSource, SpikeSourceArray, TraubMiles, TraubMilesAlt, TraubMilesFast, TraubMilesNStep)`,
		`m.yaml:13:13: synapses.EI.target: unknown population "X" (have E, I)`,
		`m.yaml:15:18: synapses.EI.delay_steps: must be between 0 and 65536, got -3`,
		`m.yaml:12:5: synapses.EI.connectivity: missing: a bitmask matrix needs {init: <snippet>, params: {...}}`,
		`m.yaml:19:43: current_sources.E.params.amp: expected a number, got the string "fast"`,
		`m.yaml:19:3: current_sources.E: name "E" is already used by populations.E; group names must be unique across populations, synapses and current sources`,
	})
}

// ---------------------------------------------------------------------------
// Documents that decode.

func TestLoadCuba(t *testing.T) {
	n, err := modelspec.Load("../configs/cuba.yaml")
	require.NoError(t, err)
	assert.Equal(t, "cuba", n.Name)
	assert.Equal(t, "../configs/cuba.yaml", n.File)
	assert.Equal(t, modelspec.Simulation{DT: 0.1, Duration: 1000, Precision: "float", Seed: 1234, Backend: "cpu"}, n.Sim)
	assert.Equal(t, uint64(10000), n.Sim.Steps())

	require.Len(t, n.Populations, 2)
	wantParams := map[string]float64{"C": 1, "TauM": 20, "Vrest": -49, "Vreset": -60, "Vthresh": -50, "Ioffset": 0, "TauRefrac": 5}
	for i, want := range []struct {
		name string
		size int
	}{{"E", 3200}, {"I", 800}} {
		p := n.Populations[i]
		assert.Equal(t, want.name, p.Name)
		assert.Equal(t, want.size, p.Size)
		assert.Same(t, p, n.Population(want.name))
		require.NotNil(t, p.Model)
		assert.Equal(t, "LIF", p.Model.Name)
		assert.True(t, p.RecordSpikes)
		require.Len(t, p.Params, len(wantParams))
		for k, v := range wantParams {
			assert.Equal(t, v, p.Params[k].V, k)
			assert.Equal(t, "populations."+want.name+".params."+k, p.Params[k].Path)
		}
		assert.InDelta(t, math.Exp(-0.1/20), p.Derived["ExpTC"].V, 1e-15)
		assert.Equal(t, 20.0, p.Derived["Rmembrane"].V)
		assert.Equal(t, "populations."+want.name+".derived.ExpTC", p.Derived["ExpTC"].Path)

		require.Contains(t, p.Vars, "V")
		v := p.Vars["V"]
		assert.Equal(t, modelspec.InitSnippet, v.Kind)
		require.NotNil(t, v.Snippet)
		assert.Equal(t, "Uniform", v.Snippet.Name)
		assert.Equal(t, -60.0, v.Params["min"].V)
		assert.Equal(t, -50.0, v.Params["max"].V)
		assert.Equal(t, "populations."+want.name+".vars.V.params.min", v.Params["min"].Path)
		require.Contains(t, p.Vars, "RefracTime")
		assert.Equal(t, modelspec.InitConstant, p.Vars["RefracTime"].Kind)
		assert.Equal(t, 0.0, p.Vars["RefracTime"].Constant.V)
	}
	// Anchored values keep the anchor's position.
	assert.Equal(t, modelspec.Pos{File: "../configs/cuba.yaml", Line: 19, Col: 33}, n.Populations[1].Params["TauM"].Pos)

	require.Len(t, n.Synapses, 4)
	for i, want := range []struct {
		name, src, tgt string
		g, tau         float64
	}{
		{"EE", "E", "E", 0.081, 5}, {"EI", "E", "I", 0.081, 5},
		{"IE", "I", "E", -0.45, 10}, {"II", "I", "I", -0.45, 10},
	} {
		s := n.Synapses[i]
		assert.Equal(t, want.name, s.Name)
		assert.Same(t, n.Population(want.src), s.Source)
		assert.Same(t, n.Population(want.tgt), s.Target)
		assert.Equal(t, modelspec.MatrixSparse, s.Matrix)
		assert.Equal(t, 0, s.DelaySteps)
		require.NotNil(t, s.Connectivity)
		assert.Equal(t, "FixedProbability", s.Connectivity.Snippet.Name)
		assert.Equal(t, 0.02, s.Connectivity.Params["prob"].V)
		assert.InDelta(t, 1/math.Log(1-0.02), s.Connectivity.Derived["probLogRecip"].V, 1e-12)
		assert.Equal(t, "StaticPulse", s.WeightUpdate.Model.Name)
		g := s.WeightUpdate.Vars["g"]
		require.NotNil(t, g)
		assert.Equal(t, modelspec.InitConstant, g.Kind)
		assert.Equal(t, want.g, g.Constant.V)
		assert.Equal(t, "synapses."+want.name+".weight_update.vars.g", g.Constant.Path)
		assert.Equal(t, "ExpCurr", s.Postsynaptic.Model.Name)
		assert.Equal(t, want.tau, s.Postsynaptic.Params["tau"].V)
	}
	assert.Empty(t, n.CurrentSources)
	assert.Empty(t, n.Custom.Neurons)
}

func TestLoadCubaSweepMergeKeys(t *testing.T) {
	n, err := modelspec.Load("../configs/cuba_sweep.yaml")
	require.NoError(t, err)
	assert.Equal(t, "cuba_sweep", n.Name)
	require.Len(t, n.Synapses, 4)
	ei := n.Synapses[1]
	assert.Equal(t, "EI", ei.Name)
	assert.Equal(t, "E", ei.Source.Name)
	assert.Equal(t, "I", ei.Target.Name, "explicit key beats the merged one")
	assert.Equal(t, modelspec.MatrixSparse, ei.Matrix, "connectivity implies sparse")
	assert.Equal(t, 0.081, ei.WeightUpdate.Vars["g"].Constant.V)
	assert.Equal(t, "synapses.EI.weight_update.vars.g", ei.WeightUpdate.Vars["g"].Constant.Path)
	ii := n.Synapses[3]
	assert.Equal(t, "I", ii.Source.Name)
	assert.Equal(t, "I", ii.Target.Name)
	assert.Equal(t, 10.0, ii.Postsynaptic.Params["tau"].V)
}

func TestConfigsDecode(t *testing.T) {
	files, err := filepath.Glob("../configs/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		n, err := modelspec.Load(f)
		require.NoError(t, err, f)
		assert.NotEmpty(t, n.Populations, f)
		assert.Len(t, n.StructureDigest(), 64, f)
	}
}

const lifParams = `{C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}`

func TestAnchorsAndMergeKeys(t *testing.T) {
	doc := `simulation: {dt: 0.1, duration: 10}
populations:
  A:
    size: 2
    model: LIF
    params: &p ` + lifParams + `
    vars: &v {V: -60, RefracTime: 0}
  B:
    size: 3
    model: LIF
    params:
      <<: *p
      TauM: 10
    vars: *v
  C:
    <<: [{size: 4}, {size: 5, model: SpikeSource}]
synapses:
  AB: &syn
    source: A
    target: B
    weight_update: {model: StaticPulse, vars: {g: 0.5}}
    postsynaptic: {model: DeltaCurr}
  BA:
    <<: *syn
    source: B
    target: A
`
	n := mustDecode(t, doc)
	require.Len(t, n.Populations, 3)
	a, b, c := n.Populations[0], n.Populations[1], n.Populations[2]
	assert.Equal(t, 20.0, a.Params["TauM"].V)
	assert.Equal(t, 10.0, b.Params["TauM"].V, "explicit key beats the merge")
	assert.Equal(t, -49.0, b.Params["Vrest"].V, "merged key")
	assert.Equal(t, "populations.B.params.Vrest", b.Params["Vrest"].Path)
	assert.InDelta(t, math.Exp(-0.1/10), b.Derived["ExpTC"].V, 1e-15)
	assert.Equal(t, -60.0, b.Vars["V"].Constant.V)
	assert.Equal(t, "populations.B.vars.V", b.Vars["V"].Constant.Path)
	assert.Equal(t, 4, c.Size, "first merged mapping wins")
	assert.Equal(t, "SpikeSource", c.Model.Name)

	require.Len(t, n.Synapses, 2)
	ba := n.Synapses[1]
	assert.Same(t, b, ba.Source)
	assert.Same(t, a, ba.Target)
	assert.Equal(t, modelspec.MatrixDense, ba.Matrix)
	assert.Equal(t, 0.5, ba.WeightUpdate.Vars["g"].Constant.V)
	assert.Equal(t, "synapses.BA.weight_update.vars.g", ba.WeightUpdate.Vars["g"].Constant.Path)
}

func TestVarInitForms(t *testing.T) {
	doc := `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 3
    model: LIF
    params: ` + lifParams + `
    vars:
      V: [-60, -55.5, -50]
      RefracTime: {init: Constant, params: {constant: 3}}
synapses:
  EE:
    source: E
    target: E
    weight_update: {model: StaticPulse, vars: {g: {init: Normal, params: {mean: 1, sd: 0.5}}}}
    postsynaptic: {model: DeltaCurr}
`
	n := mustDecode(t, doc)
	p := n.Populations[0]
	v := p.Vars["V"]
	assert.Equal(t, modelspec.InitArray, v.Kind)
	assert.Equal(t, []float64{-60, -55.5, -50}, v.Values)
	assert.Equal(t, "populations.E.vars.V", v.Path)

	r := p.Vars["RefracTime"]
	assert.Equal(t, modelspec.InitConstant, r.Kind)
	assert.Nil(t, r.Snippet)
	assert.Equal(t, 3.0, r.Constant.V)
	assert.Equal(t, "populations.E.vars.RefracTime.params.constant", r.Constant.Path)

	g := n.Synapses[0].WeightUpdate.Vars["g"]
	assert.Equal(t, modelspec.InitSnippet, g.Kind)
	assert.Equal(t, "Normal", g.Snippet.Name)
	assert.Equal(t, 0.5, g.Params["sd"].V)
	// A dense 3x3 group takes a per-synapse list of 9.
	doc2 := strings.Replace(doc, "{g: {init: Normal, params: {mean: 1, sd: 0.5}}}", "{g: [1, 2, 3, 4, 5, 6, 7, 8, 9]}", 1)
	n2 := mustDecode(t, doc2)
	assert.Len(t, n2.Synapses[0].WeightUpdate.Vars["g"].Values, 9)
}

// posOf returns the 1-based line and column of the first occurrence of needle.
func posOf(t *testing.T, file, doc, needle string) modelspec.Pos {
	t.Helper()
	i := strings.Index(doc, needle)
	require.GreaterOrEqual(t, i, 0, "%q not in document", needle)
	line := strings.Count(doc[:i], "\n") + 1
	col := i - (strings.LastIndex(doc[:i], "\n") + 1) + 1
	return modelspec.Pos{File: file, Line: line, Col: col}
}

const customNeuronDoc = `simulation: {dt: 0.5, duration: 10}
models:
  neurons:
    MyLIF:
      params: [TauM, Vthresh, Vreset]
      vars: {V: scalar, Count: unsigned int}
      derived_params: {ExpTC: "exp(-DT / TauM)", Half: "ExpTC / 2"}
      sim_code: "$(V) = $(ExpTC) * $(V) + $(Isyn) + $(Iextra);"
      threshold_condition_code: '$(V) >= $(Vthresh)'
      reset_code: |
        $(V) = $(Vreset);
        $(Count)++;
      support_code: >
          SUPPORT_CODE_FUNC scalar twice(scalar x) { return 2 * x; }
      extra_global_params: {table: scalar*, gain: float}
      additional_input_vars: {Iextra: {type: scalar, init: 0.5}, Ibias: {init: 1}}
      is_auto_refractory_required: false
populations:
  N:
    size: 4
    model: MyLIF
    params: {TauM: 10, Vthresh: -50, Vreset: -60}
    vars: {V: -60, Count: 0}
    extra_global_params: {table: [1, 2, 3], gain: 2}
`

func TestCustomNeuronModel(t *testing.T) {
	doc := customNeuronDoc
	n := mustDecode(t, doc)
	m := n.Custom.Neurons["MyLIF"]
	require.NotNil(t, m)
	assert.Equal(t, "MyLIF", m.Name)
	assert.Equal(t, []string{"TauM", "Vthresh", "Vreset"}, m.Params)
	assert.Equal(t, []modelspec.Var{{Name: "V", Type: "scalar"}, {Name: "Count", Type: "unsigned int"}}, m.Vars)
	assert.Equal(t, []modelspec.DerivedParam{{Name: "ExpTC", Expr: "exp(-DT / TauM)"}, {Name: "Half", Expr: "ExpTC / 2"}}, m.DerivedParams)
	assert.Equal(t, "$(V) = $(ExpTC) * $(V) + $(Isyn) + $(Iextra);", m.SimCode)
	assert.Equal(t, "$(V) >= $(Vthresh)", m.ThresholdConditionCode)
	assert.Equal(t, "$(V) = $(Vreset);\n$(Count)++;\n", m.ResetCode)
	assert.Equal(t, "SUPPORT_CODE_FUNC scalar twice(scalar x) { return 2 * x; }\n", m.SupportCode)
	assert.Equal(t, []modelspec.EGP{{Name: "table", Type: "scalar*"}, {Name: "gain", Type: "float"}}, m.ExtraGlobalParams)
	assert.Equal(t, []modelspec.AdditionalInput{{Name: "Iextra", Type: "scalar", Init: 0.5}, {Name: "Ibias", Type: "scalar", Init: 1}}, m.AdditionalInputVars)
	assert.False(t, m.AutoRefractoryRequired)

	// Code positions point at the first character of the code text.
	assert.Equal(t, modelspec.CodePos{
		"sim_code":                 posOf(t, "t.yaml", doc, "$(V) = $(ExpTC)"),
		"threshold_condition_code": posOf(t, "t.yaml", doc, "$(V) >= $(Vthresh)"),
		"reset_code":               posOf(t, "t.yaml", doc, "$(V) = $(Vreset)"),
		"support_code":             posOf(t, "t.yaml", doc, "SUPPORT_CODE_FUNC"),
	}, m.CodePos)

	p := n.Populations[0]
	assert.Same(t, m, p.Model)
	assert.InDelta(t, math.Exp(-0.5/10), p.Derived["ExpTC"].V, 1e-15)
	assert.InDelta(t, math.Exp(-0.5/10)/2, p.Derived["Half"].V, 1e-15)
	assert.Equal(t, map[string][]float64{"table": {1, 2, 3}, "gain": {2}}, p.EGPs)
	assert.Equal(t, 0.0, p.Vars["Count"].Constant.V)
}

func TestCustomModelDefaults(t *testing.T) {
	n := mustDecode(t, `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    Bare: {sim_code: ""}
populations: {N: {size: 1, model: Bare}}
`)
	m := n.Custom.Neurons["Bare"]
	require.NotNil(t, m)
	assert.True(t, m.AutoRefractoryRequired, "GeNN's default")
	assert.Empty(t, m.Params)
	assert.Empty(t, n.Populations[0].Params)
}

// structureBase has a custom model, a delay, recording, a var-init snippet
// and connectivity, so that each kind of change can be tried.
const structureBase = `name: s
simulation: {dt: 0.1, duration: 100, precision: float, seed: 1}
models:
  neurons:
    Leaky:
      params: [tau]
      vars: {V: scalar}
      sim_code: "$(V) += DT * (-$(V) / $(tau) + $(Isyn));"
      threshold_condition_code: "$(V) > 1.0"
      reset_code: "$(V) = 0.0;"
populations:
  E:
    size: 100
    model: Leaky
    params: {tau: 20}
    vars: {V: {init: Uniform, params: {min: 0, max: 1}}}
    record: {spikes: true}
  P:
    size: 10
    model: LIF
    params: ` + lifParams + `
    vars: {V: -60, RefracTime: 0}
synapses:
  PE:
    source: P
    target: E
    delay_steps: 2
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: 0.5}}
    postsynaptic: {model: ExpCurr, params: {tau: 5}}
current_sources:
  drive: {model: DC, target: P, params: {amp: 0.1}}
`

func TestStructureDigest(t *testing.T) {
	base := mustDecode(t, structureBase).StructureDigest()
	require.Len(t, base, 64)
	assert.Equal(t, base, mustDecode(t, structureBase).StructureDigest(), "deterministic")

	variant := func(old, new string) string {
		t.Helper()
		require.Equal(t, 1, strings.Count(structureBase, old), "%q must occur once", old)
		return mustDecode(t, strings.Replace(structureBase, old, new, 1)).StructureDigest()
	}
	same := map[string][2]string{
		"neuron param":       {"params: {tau: 20}", "params: {tau: 30}"},
		"builtin params":     {"TauM: 20", "TauM: 15"},
		"var-init params":    {"{min: 0, max: 1}", "{min: 0.5, max: 2}"},
		"constant init":      {"vars: {V: -60,", "vars: {V: -65,"},
		"connectivity prob":  {"prob: 0.1", "prob: 0.2"},
		"weight":             {"g: 0.5", "g: 0.25"},
		"postsynaptic param": {"params: {tau: 5}", "params: {tau: 7}"},
		"current source":     {"amp: 0.1", "amp: 0.3"},
		"seed":               {"seed: 1}", "seed: 99}"},
		"duration":           {"duration: 100", "duration: 200"},
	}
	for name, c := range same {
		assert.Equal(t, base, variant(c[0], c[1]), "%s: a value change keeps the structure", name)
	}
	differ := map[string][2]string{
		"size":          {"size: 100", "size: 101"},
		"sim code":      {"$(V) > 1.0", "$(V) > 2.0"},
		"delay":         {"delay_steps: 2", "delay_steps: 3"},
		"recording":     {"record: {spikes: true}", "record: {spikes: false}"},
		"precision":     {"precision: float", "precision: double"},
		"dt":            {"dt: 0.1", "dt: 0.05"},
		"var init kind": {"{V: {init: Uniform, params: {min: 0, max: 1}}}", "{V: 0.5}"},
		"snippet":       {"init: FixedProbability,", "init: FixedProbabilityNoAutapse,"},
		"matrix":        {"    connectivity: {init: FixedProbability, params: {prob: 0.1}}\n", ""},
		"var type":      {"vars: {V: scalar}", "vars: {V: double}"},
		"model":         {"model: StaticPulse, vars: {g: 0.5}", "model: StaticPulseDendriticDelay, vars: {g: 0.5, d: 1}"},
	}
	for name, c := range differ {
		d := variant(c[0], c[1])
		assert.NotEqual(t, base, d, "%s changes the structure", name)
	}
}

func TestValues(t *testing.T) {
	n, err := modelspec.Load("../configs/cuba.yaml")
	require.NoError(t, err)
	vals := n.Values()
	byPath := map[string]modelspec.Value{}
	for _, v := range vals {
		_, dup := byPath[v.Path]
		assert.False(t, dup, "path %s listed twice", v.Path)
		byPath[v.Path] = v
		assert.Equal(t, "../configs/cuba.yaml", v.Pos.File, v.Path)
		assert.GreaterOrEqual(t, v.Pos.Line, 1, v.Path)
	}
	for path, want := range map[string]float64{
		"populations.E.params.TauM":            20,
		"populations.I.params.Vthresh":         -50,
		"populations.E.derived.Rmembrane":      20,
		"populations.E.vars.V.params.min":      -60,
		"populations.I.vars.V.params.max":      -50,
		"populations.E.vars.RefracTime":        0,
		"synapses.EE.weight_update.vars.g":     0.081,
		"synapses.IE.weight_update.vars.g":     -0.45,
		"synapses.EE.connectivity.params.prob": 0.02,
		"synapses.II.postsynaptic.params.tau":  10,
	} {
		require.Contains(t, byPath, path)
		assert.Equal(t, want, byPath[path].V, path)
	}
	require.Contains(t, byPath, "populations.E.derived.ExpTC")
	assert.InDelta(t, math.Exp(-0.1/20), byPath["populations.E.derived.ExpTC"].V, 1e-15)
	assert.Contains(t, byPath, "synapses.EE.connectivity.derived.probLogRecip")
	assert.Contains(t, byPath, "synapses.EE.postsynaptic.derived.expDecay")
	// 2 populations x (7 params + 2 derived + 2 Uniform params + 1 constant)
	// + 4 synapse groups x (prob + probLogRecip + g + tau + expDecay + init).
	assert.Len(t, vals, 2*12+4*6)

	// The order is fixed: populations in document order, each model's
	// parameters in declaration order, then derived, then variables.
	var first []string
	for _, v := range vals[:12] {
		first = append(first, v.Path)
	}
	assert.Equal(t, []string{
		"populations.E.params.C", "populations.E.params.TauM", "populations.E.params.Vrest",
		"populations.E.params.Vreset", "populations.E.params.Vthresh", "populations.E.params.Ioffset",
		"populations.E.params.TauRefrac", "populations.E.derived.ExpTC", "populations.E.derived.Rmembrane",
		"populations.E.vars.V.params.min", "populations.E.vars.V.params.max", "populations.E.vars.RefracTime",
	}, first)
}

func TestValuesLeaveOutArrays(t *testing.T) {
	n := mustDecode(t, `simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 2, model: LIF, params: `+lifParams+`, vars: {V: [-60, -59], RefracTime: 0}}
`)
	for _, v := range n.Values() {
		assert.NotEqual(t, "populations.E.vars.V", v.Path, "per-element arrays are structure, not values")
	}
}

// TestStructureDigestGolden pins the structure encoding: a change of this
// digest changes every structure key (and so makes every recorded result
// run again), which must only happen with a deliberate change of the
// encoding's name in structenc.go.
func TestStructureDigestGolden(t *testing.T) {
	n := mustDecode(t, structureBase)
	assert.Equal(t, "48af3a7242a57cf57d3a676647d80afe4e30f067388d11975886ee5a099f8d16", n.StructureDigest())
	assert.Equal(t, "550b13455230fa47a410039c0437b1fdf75ca9145f19d81fcd878d6800378159", n.ValueDigest())
}

// TestValueDigest: every number of the simulated network that is not
// structure changes the value digest, recording does not.
func TestValueDigest(t *testing.T) {
	base := mustDecode(t, structureBase).ValueDigest()
	variant := func(old, new string) string {
		t.Helper()
		require.Equal(t, 1, strings.Count(structureBase, old), "%q must occur once", old)
		return mustDecode(t, strings.Replace(structureBase, old, new, 1)).ValueDigest()
	}
	for name, c := range map[string][2]string{
		"neuron param":       {"params: {tau: 20}", "params: {tau: 30}"},
		"builtin params":     {"TauM: 20", "TauM: 15"},
		"var-init params":    {"{min: 0, max: 1}", "{min: 0, max: 2}"},
		"constant init":      {"vars: {V: -60,", "vars: {V: -65,"},
		"connectivity prob":  {"prob: 0.1", "prob: 0.2"},
		"weight":             {"g: 0.5", "g: 0.25"},
		"postsynaptic param": {"params: {tau: 5}", "params: {tau: 7}"},
		"current source":     {"amp: 0.1", "amp: 0.3"},
		"duration":           {"duration: 100", "duration: 200"},
	} {
		assert.NotEqual(t, base, variant(c[0], c[1]), "%s changes the simulated network", name)
	}
	assert.Equal(t, base, variant("record: {spikes: true}", "record: {spikes: true, vars: {V: {}}}"), "recording is not the network")
	assert.Equal(t, base, variant("seed: 1}", "seed: 2}"), "the seed is recorded with each variant, not here")
}

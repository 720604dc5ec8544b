package modelspec_test

import (
	"testing"

	"github.com/gennctl/gennctl/modelspec"
)

type badCase struct {
	name string
	doc  string
	want []string
}

var badCases = []badCase{
	{"yaml syntax", "a: b\n  c: d\n", nil},
	{"empty", "", nil},
	{"comment only", "# nothing\n", nil},
	{"top not mapping", "- a\n- b\n", nil},
	{"unknown top key", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
populaton: 1
`, nil},
	{"missing simulation", `populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"dt zero", `simulation: {dt: 0, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"dt negative", `simulation: {dt: -0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"dt not number", `simulation: {dt: fast, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"duration missing", `simulation: {dt: 0.1}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"precision", `simulation: {dt: 0.1, duration: 10, precision: half}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"backend", `simulation: {dt: 0.1, duration: 10, backend: opencl}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"negative seed", `simulation: {dt: 0.1, duration: 10, seed: -1}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"bad name", `name: ../x
simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"no populations", `simulation: {dt: 0.1, duration: 10}
`, nil},
	{"empty populations", `simulation: {dt: 0.1, duration: 10}
populations: {}
`, nil},
	{"null populations", `simulation: {dt: 0.1, duration: 10}
populations:
`, nil},
	{"pop name digit", `simulation: {dt: 0.1, duration: 10}
populations: {1E: {size: 1, model: SpikeSource}}
`, nil},
	{"pop name dash", `simulation: {dt: 0.1, duration: 10}
populations: {a-b: {size: 1, model: SpikeSource}}
`, nil},
	{"size 0", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 0, model: SpikeSource}}
`, nil},
	{"size -5", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: -5, model: SpikeSource}}
`, nil},
	{"size 12.5", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 12.5, model: SpikeSource}}
`, nil},
	{"size 10.0", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 10.0, model: SpikeSource}}
`, nil},
	{"size string", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: "10", model: SpikeSource}}
`, nil},
	{"size huge", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 268435457, model: SpikeSource}}
`, nil},
	{"size huger", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 99999999999999999999, model: SpikeSource}}
`, nil},
	{"unknown neuron model", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: LIFF}}
`, nil},
	{"unknown param", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5, TauX: 1}
    vars: {V: -60, RefracTime: 0}
`, nil},
	{"missing param", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0}
    vars: {V: -60, RefracTime: 0}
`, nil},
	{"param not number", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: slow, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: -60, RefracTime: 0}
`, nil},
	{"unknown var", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: -60, RefracTime: 0, W: 1}
`, nil},
	{"missing var", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: -60}
`, nil},
	{"var list length", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 3
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: [-60, -55], RefracTime: 0}
`, nil},
	{"unknown var init", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: {init: Uniformm, params: {min: 0, max: 1}}, RefracTime: 0}
`, nil},
	{"var init missing param", `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: {init: Uniform, params: {min: 0}}, RefracTime: 0}
`, nil},
	{"synapse missing source", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: X
    target: E
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
	{"synapse missing target", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: Y
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
	{"unknown wu", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    weight_update: {model: StaticPulsar, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
	{"unknown ps", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: AlphaCurr}
`, nil},
	{"sparse without connectivity", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: sparse
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
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
`, nil},
	{"bitmask", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: bitmask
    connectivity: {init: OneToOne}
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
	{"matrix typo", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    matrix: sprase
    connectivity: {init: OneToOne}
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
	{"negative delay", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    delay_steps: -1
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
	{"unknown connectivity", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
synapses:
  EE:
    source: E
    target: E
    connectivity: {init: FixedProb, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: 1}}
    postsynaptic: {model: DeltaCurr}
`, nil},
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
`, nil},
	{"current source unknown target", `simulation: {dt: 0.1, duration: 10}
populations: {E: {size: 1, model: SpikeSource}}
current_sources:
  drive: {model: DC, target: F, params: {amp: 0.1}}
`, nil},
	{"custom shadows builtin", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    LIF: {params: [a], sim_code: ""}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"custom bad var type", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {vars: {V: real}}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"custom param and var", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [V], vars: {V: scalar}}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"custom unknown key", `simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [a], simcode: ""}
populations: {E: {size: 1, model: SpikeSource}}
`, nil},
	{"duplicate key", `simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 1, model: SpikeSource}
  E: {size: 2, model: SpikeSource}
`, nil},
}

func decodeString(file, doc string) (*modelspec.Network, error) {
	root, err := modelspec.Parse(file, []byte(doc))
	if err != nil {
		return nil, err
	}
	return modelspec.Decode(file, []byte(doc), root)
}

func TestDecodeBadScratch(t *testing.T) {
	for _, c := range badCases {
		_, err := decodeString("t.yaml", c.doc)
		t.Logf("%s:\n%v\n", c.name, err)
	}
}

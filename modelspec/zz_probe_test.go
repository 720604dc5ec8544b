package modelspec_test

import "testing"

func TestProbe(t *testing.T) {
	for _, doc := range []string{
`simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 0, model: LIF, params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}, vars: {V: [1, 2], RefracTime: 0}}
`,
`simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 2, model: LIFF}
synapses:
  EE: {source: E, target: E, weight_update: {model: StaticPulse, vars: {g: 1}}, postsynaptic: {model: DeltaCurr}}
`,
`simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [a], derived_params: {b: "a +* 2"}}
populations:
  E: {size: 2, model: My, params: {a: 1}}
`,
`simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 2, model: LIF, params: {C: 0, TauM: 0, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}, vars: {V: 0, RefracTime: 0}}
`,
`simulation:
populations:
  E: {size: 2, model: SpikeSource}
`,
`simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 2, model: SpikeSource, params: [1]}
`,
`simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    My: {params: [DT]}
populations:
  E: {size: 2, model: My, params: {DT: 1}}
`,
`simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 2, model: SpikeSource}
  F: {size: 0, model: SpikeSource}
synapses:
  EF: {source: E, target: F, weight_update: {model: StaticPulse, vars: {g: [1,2]}}, postsynaptic: {model: DeltaCurr}}
`,
`simulation: {dt: 0.1, duration: 10}
populations:
  E: {size: 2, model: SpikeSource}
current_sources:
  c: {target: E}
`,
	} {
		_, err := decodeString("t.yaml", doc)
		t.Logf("\n%v", err)
	}
}

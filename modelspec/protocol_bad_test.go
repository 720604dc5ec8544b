package modelspec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// protoBase is a network with one population, one synapse group and one
// custom-update group, for the bad custom update and protocol cases.
const protoBase = `simulation: {dt: 0.1, duration: 10}
models:
  custom_updates:
    Scale:
      var_refs: [[R, scalar, READ_WRITE]]
      update_code: "$(R) *= 0.5;"
populations:
  E: {size: 2, model: LIF, params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}, vars: {V: -60, RefracTime: 0}}
synapses:
  S: {source: E, target: E, matrix: dense, weight_update: {model: StaticPulse, vars: {g: 1.0}}, postsynaptic: {model: DeltaCurr}}
`

var protocolBadCases = []badCase{
	{"custom update unknown model", protoBase + `custom_updates:
  C: {group: G, model: Nope, var_refs: {R: E.V}}
`, []string{
		`t.yaml:12:24: custom_updates.C.model: unknown custom update model "Nope" (have Scale, Transpose)`,
	}},
	{"custom update bad reference", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {R: E}}
`, []string{
		`t.yaml:12:45: custom_updates.C.var_refs.R: expected Owner.variable (e.g. E.V) or {owner: ..., var: ...}, got "E"`,
	}},
	{"custom update unknown owner", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {R: F.V}}
`, []string{
		`t.yaml:12:45: custom_updates.C.var_refs.R: unknown group "F" (a population, synapse group, current source or earlier custom update)`,
	}},
	{"custom update missing reference", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {}}
`, []string{
		`t.yaml:12:41: custom_updates.C.var_refs: missing reference "R" of model Scale (needs R)`,
	}},
	{"custom update synapse variable under var_refs", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {R: S.g}, wu_var_refs: {R: S.g}}
`, []string{
		`t.yaml:12:51: custom_updates.C: give var_refs (variables of neurons) or wu_var_refs (per-synapse variables), not both`,
	}},
	{"protocol not a list", protoBase + `protocol: {at: 1.0}
`, []string{
		`t.yaml:11:11: protocol: expected a list of events ({at: ms, custom_update: group}, ...), got a mapping`,
	}},
	{"protocol two actions", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {R: E.V}}
protocol:
  - {at: 1.0, custom_update: G, stop_recording: all}
`, []string{
		`t.yaml:14:5: protocol.0: expected exactly one action (custom_update, set, start_recording or stop_recording), got custom_update, stop_recording; give several at one time as consecutive entries`,
	}},
	{"protocol time off the grid", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {R: E.V}}
protocol:
  - {at: 0.05, custom_update: G}
`, []string{
		`t.yaml:14:10: protocol.0.at: at must be a multiple of dt (0.1 ms) between 0 and the duration (10 ms), got 0.05`,
	}},
	{"protocol at and every", protoBase + `custom_updates:
  C: {group: G, model: Scale, var_refs: {R: E.V}}
protocol:
  - {at: 1.0, every: 2.0, custom_update: G}
`, []string{
		`t.yaml:14:15: protocol.0: give at (once) or every (repeatedly), not both`,
	}},
	{"protocol unknown group", protoBase + `protocol:
  - {at: 1.0, custom_update: G}
`, []string{
		`t.yaml:12:30: protocol.0.custom_update: unknown custom update group "G" (have none)`,
	}},
	{"protocol set unknown path", protoBase + `protocol:
  - {at: 1.0, set: {path: populations.E.params.Tau, value: 1.0}}
`, []string{
		`t.yaml:12:27: protocol.0.set.path: "populations.E.params.Tau" is not a parameter, variable or extra global parameter of the network (e.g. populations.E.params.TauM, populations.E.vars.V, current_sources.C.params.amp, populations.S.extra_global_params.spikeTimes)`,
	}},
	{"protocol set wrong length", protoBase + `protocol:
  - {at: 1.0, set: {path: populations.E.vars.V, value: [1, 2, 3]}}
`, []string{
		`t.yaml:12:56: protocol.0.set.value: populations.E.vars.V has 2 elements: give one number for all or 2 numbers, not 3`,
	}},
}

func TestDecodeBadCustomUpdatesAndProtocol(t *testing.T) {
	for _, c := range protocolBadCases {
		t.Run(c.name, func(t *testing.T) {
			n, err := decodeString("t.yaml", c.doc)
			assert.Nil(t, n)
			requireDiags(t, err, "t.yaml", c.want)
		})
	}
}

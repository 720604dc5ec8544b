package modelspec_test

import (
	"strings"
	"testing"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const egpDoc = `name: egp
simulation: {dt: 0.1, duration: 10}
populations:
  S:
    size: 2
    model: SpikeSourceArray
    vars: {startSpike: [0, 1], endSpike: [1, 2]}
    extra_global_params: {spikeTimes: [1.0, 2.0]}
  In: {size: 4, model: SpikeSource}
  Out: {size: 4, model: SpikeSource}
synapses:
  C:
    source: In
    target: Out
    matrix: sparse
    connectivity:
      init: Conv2D
      params: {conv_kh: 1, conv_kw: 1, conv_sh: 1, conv_sw: 1, conv_padh: 0, conv_padw: 0,
               conv_ih: 2, conv_iw: 2, conv_ic: 1, conv_oh: 2, conv_ow: 2, conv_oc: 1}
    weight_update:
      model: StaticPulse
      vars: {g: {init: Kernel, extra_global_params: {kernel: [0.5]}}}
    postsynaptic: {model: DeltaCurr}
`

// Extra global parameter values of models and variable-initialisation
// snippets are decoded with their config paths; their values are not part
// of the structure digest, which of them are given is.
func TestEGPValuesAndDigest(t *testing.T) {
	n := mustDecode(t, egpDoc)
	assert.Equal(t, []modelspec.EGPValue{
		{Path: "populations.S.extra_global_params.spikeTimes", Values: []float64{1, 2}},
		{Path: "synapses.C.weight_update.vars.g.extra_global_params.kernel", Values: []float64{0.5}},
	}, n.EGPValues())
	base := n.StructureDigest()
	other := mustDecode(t, strings.Replace(strings.Replace(egpDoc, "[1.0, 2.0]", "[3.0, 4.0, 5.0]", 1), "[0.5]", "[0.25]", 1))
	assert.Equal(t, base, other.StructureDigest(), "EGP values are per-variant data")
	assert.NotEqual(t, base, mustDecode(t, strings.Replace(egpDoc, "extra_global_params: {spikeTimes: [1.0, 2.0]}", "", 1)).StructureDigest(),
		"whether an EGP is given is structure")
}

func TestEGPDecodeErrors(t *testing.T) {
	_, err := decodeString("t.yaml", strings.Replace(egpDoc, "{kernel: [0.5]}", "{kernel: [0.5], nope: 1}", 1))
	assert.ErrorContains(t, err, `unknown extra global parameter "nope" for snippet Kernel`)
	_, err = decodeString("t.yaml", strings.Replace(egpDoc, "conv_oc: 1}", "conv_oc: 1}\n      extra_global_params: {x: 1}", 1))
	assert.ErrorContains(t, err, `unknown extra global parameter "x" for snippet Conv2D`)
	// host-computed parameters are not the user's
	_, err = decodeString("t.yaml", strings.Replace(egpDoc, "init: Conv2D", "init: FixedNumberTotalWithReplacement\n      extra_global_params: {preCalcRowLength: [1]}", 1))
	assert.ErrorContains(t, err, `unknown extra global parameter "preCalcRowLength"`)
	_, err = decodeString("t.yaml", strings.Replace(egpDoc, "vars: {g: {init: Kernel, extra_global_params: {kernel: [0.5]}}}",
		"vars: {g: {init: Constant, params: {constant: 1}, extra_global_params: {k: [1]}}}", 1))
	assert.ErrorContains(t, err, `unknown extra global parameter "k" for snippet Constant`)
	require.True(t, modelspec.Builtins().Connectivity["FixedNumberTotalWithReplacement"].HostEGP("preCalcRowLength"))
	assert.False(t, modelspec.Builtins().Connectivity["Conv2D"].HostEGP("preCalcRowLength"))
}

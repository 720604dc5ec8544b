package modelspec_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simulation.connectivity_seed: a whole number in [0, 2^53), listed first
// among the values (a runtime value when swept); whether it is given is
// structure, its value is not; without it nothing changes.
func TestConnectivitySeed(t *testing.T) {
	with := func(v string) string {
		return strings.Replace(structureBase, "seed: 1}", "seed: 1, connectivity_seed: "+v+"}", 1)
	}
	base := mustDecode(t, structureBase)
	assert.Nil(t, base.Sim.ConnectivitySeed)
	for _, v := range base.Values() {
		assert.NotEqual(t, "simulation.connectivity_seed", v.Path)
	}

	n := mustDecode(t, with("42"))
	require.NotNil(t, n.Sim.ConnectivitySeed)
	assert.Equal(t, 42.0, n.Sim.ConnectivitySeed.V)
	vals := n.Values()
	assert.Equal(t, "simulation.connectivity_seed", vals[0].Path)
	assert.Equal(t, 42.0, vals[0].V)
	assert.Equal(t, base.Values(), vals[1:])
	assert.Equal(t, 7.0, mustDecode(t, with("7.0")).Sim.ConnectivitySeed.V, "a whole float (from a linspace) is accepted")
	assert.Equal(t, float64(1<<53-1), mustDecode(t, with("9007199254740991")).Sim.ConnectivitySeed.V)

	assert.NotEqual(t, base.StructureDigest(), n.StructureDigest(), "giving a connectivity seed is structure")
	assert.Equal(t, n.StructureDigest(), mustDecode(t, with("43")).StructureDigest(), "its value is not")

	for _, bad := range []string{"-1", "1.5", "9007199254740992", "abc"} {
		_, err := decodeString("t.yaml", with(bad))
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "simulation.connectivity_seed", bad)
	}
}

// simulation.merge_postsynaptic_models: a boolean, false by default;
// merging is structure (it changes the generated code), and false leaves
// every existing structure key as it was.
func TestMergePostsynapticModels(t *testing.T) {
	with := func(v string) string {
		return strings.Replace(structureBase, "seed: 1}", "seed: 1, merge_postsynaptic_models: "+v+"}", 1)
	}
	base := mustDecode(t, structureBase)
	assert.False(t, base.Sim.MergePostsynaptic)
	on := mustDecode(t, with("true"))
	assert.True(t, on.Sim.MergePostsynaptic)
	assert.NotEqual(t, base.StructureDigest(), on.StructureDigest(), "merging is structure")
	assert.Equal(t, base.StructureDigest(), mustDecode(t, with("false")).StructureDigest(), "false is the default")
	_, err := decodeString("t.yaml", with("1"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "simulation.merge_postsynaptic_models: expected true or false")
}

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The benchmark's microcircuit is scripts/gen_potjans.py's, byte for byte
// (the script makes configs/potjans_microcircuit.yaml), at 10 % and at
// full scale; and the shipped config is the script's at 10 %, 100 ms.
func TestPDConfigIsGenPotjans(t *testing.T) {
	shipped, err := os.ReadFile("../../configs/potjans_microcircuit.yaml")
	require.NoError(t, err)
	cfg, _ := pdConfig(0.1, 100)
	assert.Equal(t, string(shipped), cfg, "configs/potjans_microcircuit.yaml")
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 to run scripts/gen_potjans.py")
	}
	for _, c := range []struct{ scale, duration string }{{"0.1", "1000"}, {"1", "10000"}, {"0.1", "100"}} {
		out, err := exec.Command("python3", "../gen_potjans.py", "--neuron-scale", c.scale, "--duration", c.duration).Output()
		require.NoError(t, err)
		scale, duration := map[string]float64{"0.1": 0.1, "1": 1}[c.scale], map[string]float64{"1000": 1000, "10000": 10000, "100": 100}[c.duration]
		got, total := pdConfig(scale, duration)
		assert.Equal(t, string(out), got, "scale %s, duration %s", c.scale, c.duration)
		assert.Contains(t, got, " synapses.", "the header counts the synapses")
		assert.True(t, strings.Contains(got, "# 7713 neurons") == (c.scale == "0.1"))
		assert.Positive(t, total)
	}
}

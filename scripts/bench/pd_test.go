package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
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

// GeNN's PotjansMicrocircuit binary reports its simulation loop in seconds
// and, with --timing, initialize and initializeSparse in ms: set-up is
// their sum in seconds (exact to 1e-12 s, float parsing only).
func TestParseGeNNRun(t *testing.T) {
	out := "running test...\n0%\n90%\nSimulation:1.73305 seconds\nTiming:\n\tInit:404.476\n\tSparse init:529.332\n" +
		"\tNeuron simulation:1484.6\n\tSynapse simulation:246.365\nRecord:0.0370171s\n"
	r, err := parseGeNNRun(out)
	require.NoError(t, err)
	assert.InDelta(t, 1.73305, r.SimS, 1e-12)
	assert.InDelta(t, 0.933808, r.SetupS, 1e-12)
	assert.InDelta(t, 0.0370171, r.recordS, 1e-12)
	_, err = parseGeNNRun("Simulation:1.7 seconds\n")
	assert.ErrorContains(t, err, "Init", "a run without --timing has no set-up")
}

// setGeNNFlags replaces any userCxxFlagsGNU line of the model definition by
// one after optimizeCode, or removes it for no flags; "none" in -genn-flags
// is no flags.
func TestSetGeNNFlags(t *testing.T) {
	file := t.TempDir() + "/PotjansMicrocircuit.cc"
	src := "void modelDefinition(ModelSpec &model)\n{\n    GENN_PREFERENCES.optimizeCode = true;\n    GENN_PREFERENCES.userCxxFlagsGNU = \"-O1\";\n}"
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
	require.NoError(t, setGeNNFlags(file, "-march=native"))
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "void modelDefinition(ModelSpec &model)\n{\n    GENN_PREFERENCES.optimizeCode = true;\n    GENN_PREFERENCES.userCxxFlagsGNU = \"-march=native\";\n}", string(b))
	require.NoError(t, setGeNNFlags(file, ""))
	b, err = os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "userCxxFlagsGNU")
	assert.Equal(t, []string{"-march=native", ""}, parseGeNNFlags("-march=native, none"))
}

// The CPUs a run is pinned to: none without -cpu, else threads CPUs from
// it, wrapping around the machine's.
func TestCPUList(t *testing.T) {
	assert.Equal(t, "", cpuList(-1, 2))
	assert.Equal(t, "0", cpuList(0, 1))
	n := runtime.NumCPU()
	assert.Equal(t, fmt.Sprintf("%d,0", n-1), cpuList(n-1, 2))
}

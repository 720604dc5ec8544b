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

func TestParseCounts(t *testing.T) {
	got, err := parseCounts(" 1,16")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 16}, got)
	for _, bad := range []string{"0", "1,", "x", "2,2", "-3"} {
		_, err := parseCounts(bad)
		assert.Error(t, err, bad)
	}
}

// -pd-batch runs the microcircuit in a batch too (the built benchmark, as
// a user runs it, with its child processes): the batch's row reports its
// variants, and its per-variant rates are those of the same network as the
// single run's, within the spread of seeds (population by population, a
// factor 2 or 2 Hz over 50 ms of the 1 % network).
func TestPDBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the microcircuit at 1 %: skipped with -short")
	}
	bin := t.TempDir() + "/bench"
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	out, err := exec.Command(bin, "-pd", "0.01", "-pd-backends", "cpu", "-pd-batch", "1,3", "-duration", "50", "-repeats", "1", "-work", t.TempDir()).CombinedOutput()
	require.NoError(t, err, string(out))
	text := string(out)
	require.Contains(t, text, "gennctl cpu, 3 variants", text)
	rates := map[string][]float64{}
	inRates := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "rates (Hz") {
			inRates = true
			continue
		}
		f := strings.Fields(l)
		if !inRates || len(f) != 4 { // pop, 1 variant, 3 variants, NEST
			continue
		}
		for _, x := range f[1:3] {
			var v float64
			_, err := fmt.Sscan(x, &v)
			require.NoError(t, err, l)
			rates[f[0]] = append(rates[f[0]], v)
		}
	}
	require.Len(t, rates, 8, text)
	for pop, r := range rates {
		one, batch := r[0], r[1]
		assert.True(t, batch <= 2*one+2 && one <= 2*batch+2, "%s: %g Hz alone, %g Hz per variant of the batch", pop, one, batch)
	}
}

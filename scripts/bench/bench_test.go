package main

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/gpu"
)

// TestSmoke is the CI version of the benchmark: a tiny CUBA network, one
// repeat, gennctl only. It checks the harness runs end to end and that the
// network is alive (spikes, synaptic events) rather than timing anything.
func TestSmoke(t *testing.T) {
	var out bytes.Buffer
	rows, err := bench(options{sizes: []int{400}, durationMS: 100, repeats: 1, brian2: "off",
		work: t.TempDir(), cache: t.TempDir()}, &out)
	require.NoError(t, err, out.String())
	t.Log("\n" + out.String())
	require.Len(t, rows, 1)
	r := rows[0]
	require.Equal(t, "gennctl", r.tool)
	require.Greater(t, r.spikes, 0)
	require.Greater(t, r.events, 0)
	require.InDelta(t, 400*80, r.syn, 400*80*0.1) // about 80 inputs per neuron
	require.Greater(t, median(r.sim), 0.0)
}

func TestParseBackends(t *testing.T) {
	got, err := parseBackends(" cuda,cpu")
	require.NoError(t, err)
	require.Equal(t, []string{"cuda", "cpu"}, got)
	for _, bad := range []string{"gpu", "cpu,", "cpu,cpu"} {
		_, err := parseBackends(bad)
		require.Error(t, err, bad)
	}
}

// TestGPUProfile runs -gpu-profile cuba1 on the emulated CUDA backend (the
// kernels thread by thread on the CPU): the network is alive, and a name
// that is not a configuration of the table fails before anything is built.
func TestGPUProfile(t *testing.T) {
	t.Setenv(gpu.CUDAEmulationEnv, "1")
	t.Setenv("GENNCTL_CUDA_STEP", "graphs")
	o := options{durationMS: 5, work: t.TempDir(), cache: t.TempDir()}
	var out bytes.Buffer
	require.NoError(t, profileGPU(o, "cuba1", &out), out.String())
	m := regexp.MustCompile(`^cuba1: 1 variant\(s\) in one batch, step mode "graphs": .*, (\d+) spikes\n$`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.Greater(t, n, 0)

	require.ErrorContains(t, profileGPU(o, "cuba2", &out), "want cuba1, cuba64, cuba1024 or pd")
	entries, err := os.ReadDir(o.work)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only cuba1's config is written") // cuba_cuda.yaml
}

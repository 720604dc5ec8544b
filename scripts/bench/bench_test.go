package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
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

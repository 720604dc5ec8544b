package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/results"
)

// The summaries example as a user runs it, in two shards and a merge: the
// sweep directory holds the variants table with the summaries of every
// variant and no spike or state file; status and show work on it.
func TestSummariesCLI(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := "../../configs/poisson_summaries.yaml"
	for _, shard := range []string{"0/2", "1/2"} {
		r := gennctl(t, cache, "sweep", "--shard", shard, "--out", out, cfg)
		require.Equal(t, 0, r.code, r.stderr)
	}
	dir := filepath.Join(out, "poisson_summaries")
	r := gennctl(t, cache, "merge", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "16 of 16 variants done")
	for _, sub := range []string{results.SpikesDir, results.StateDir} {
		assert.NoDirExists(t, filepath.Join(dir, sub))
	}
	cols, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	require.NoError(t, err)
	byName := map[string]results.Column{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	require.Len(t, byName["variant_id"].Uint64, 16)
	for _, name := range []string{"summaries.P.rate", "summaries.P.cv_isi", "summaries.P.fano", "summaries.E.count",
		"summaries.E.rate", "summaries.E.cv_isi", "summaries.E.synchrony", "summaries.E.rate[19]"} {
		require.Contains(t, byName, name)
	}
	assert.Equal(t, "Hz", byName["summaries.P.rate"].Unit)
	for row, rate := range byName["populations.P.params.rate"].Float64 {
		// 200 sources for 0.9 s: at least 900 spikes, so within 12 % (3.6 sd).
		assert.InDelta(t, rate, byName["summaries.P.rate"].Float64[row], 0.12*rate)
		assert.False(t, math.IsNaN(byName["summaries.P.cv_isi"].Float64[row]))
		var perNeuron float64
		for i := 0; i < 20; i++ {
			perNeuron += byName["summaries.E.count["+strconv.Itoa(i)+"]"].Float64[row]
		}
		assert.Equal(t, byName["summaries.E.count"].Float64[row], perNeuron)
	}
	r = gennctl(t, cache, "status", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "16 done")
	r = gennctl(t, cache, "show", dir, itoa(byName["variant_id"].Uint64[0]))
	require.Equal(t, 0, r.code, r.stderr)
	// reproduce reruns a variant that has no spike file and compares its
	// summaries.
	r = gennctl(t, cache, "reproduce", dir, itoa(byName["variant_id"].Uint64[3]))
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "summaries:  spike counts and summary values identical")
	// A rerun finds every variant complete.
	r = gennctl(t, cache, "sweep", "--out", out, cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 run, 16 already complete")
}

// A bad summaries section or design is bad input: exit 2, positions, no output.
func TestSummariesBadInput(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/bad_summaries.yaml": "testdata/bad_summaries.yaml:6:3: summaries.P: fano and synchrony need bin",
		"testdata/bad_sobol.yaml":     "testdata/bad_sobol.yaml:8:20: sweep.sobol.samples: samples must be an integer >= 1, got 0",
	} {
		out := filepath.Join(t.TempDir(), "out")
		r := gennctl(t, t.TempDir(), "sweep", "--out", out, file)
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, want)
		_, err := os.Stat(out)
		assert.True(t, os.IsNotExist(err), "nothing written for %s", file)
	}
}

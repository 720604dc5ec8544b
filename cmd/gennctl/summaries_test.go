package main

import (
	"database/sql"
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
	r = gennctl(t, cache, "status", "--verify", dir)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	r = gennctl(t, cache, "show", dir, itoa(byName["variant_id"].Uint64[0]))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `spikes:     \{"E":\d+,"P":\d+\}`, r.stdout)
	assert.Contains(t, r.stdout, `summaries:  {"summaries.E.count":`)
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

// Killed (SIGKILL, by the orchestrator itself) before a rename, after one
// and after a commit, then resumed: the summaries of the finished sweep
// equal those of an uninterrupted run, bit for bit, with every variant done
// once.
func TestSummariesSIGKILLResume(t *testing.T) {
	if testing.Short() {
		t.Skip("several gennctl processes: skipped with -short")
	}
	cache := t.TempDir()
	cfg := "../../configs/poisson_summaries.yaml"
	table := func(out string) map[string]results.Column {
		cols, _, err := results.ReadTable(filepath.Join(out, "poisson_summaries", results.VariantsFile))
		require.NoError(t, err)
		m := map[string]results.Column{}
		for _, c := range cols {
			m[c.Name] = c
		}
		return m
	}
	clean := t.TempDir()
	r := gennctl(t, cache, "sweep", "--out", clean, cfg)
	require.Equal(t, 0, r.code, r.stderr)
	out := t.TempDir()
	args := []string{"sweep", "--json", "--out", out, "--batch-size", "2", "--workers", "2", cfg}
	for _, point := range []string{"before-rename:2", "after-rename:3", "after-commit:2"} {
		s := startGennctl(t, cache, []string{"GENNCTL_TEST_CRASH_AT=" + point}, args...)
		assert.Equal(t, 137, s.wait(t), "%s: killed by SIGKILL\n%s", point, s.stderr)
	}
	r = gennctl(t, cache, args...)
	require.Equal(t, 0, r.code, r.stderr)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(out, "poisson_summaries", "provenance.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var done, doneRuns, running, summaries, outputs int
	require.NoError(t, db.QueryRow(`SELECT (SELECT count(*) FROM variant WHERE status = 'done'),
		(SELECT count(*) FROM run WHERE status = 'done'), (SELECT count(*) FROM run WHERE status = 'running'),
		(SELECT count(*) FROM variant_summary), (SELECT count(*) FROM output WHERE variant_id IS NOT NULL)`).Scan(&done, &doneRuns, &running, &summaries, &outputs))
	assert.Equal(t, []int{16, 16, 0, 16, 0}, []int{done, doneRuns, running, summaries, outputs},
		"done variants, done runs (one each), running runs, stored summaries, result files")
	want, got := table(clean), table(out)
	assert.Equal(t, want, got, "the same table as an uninterrupted run")
}

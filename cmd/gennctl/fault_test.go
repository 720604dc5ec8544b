package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/results"
)

// faultConfig writes the faults.yaml network with the given sweep section
// to a temporary file.
func faultConfig(t *testing.T, sweepSection string) string {
	t.Helper()
	base, err := os.ReadFile("../../sweep/testdata/faults.yaml")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "faults.yaml")
	require.NoError(t, os.WriteFile(path, append(base, []byte(sweepSection)...), 0o644))
	return path
}

// twentyVariants: 20 variants of a few tens of milliseconds each.
const twentyVariants = "sweep: {grid: {populations.P.params.I: {linspace: [1.0, 2.9, 20]}}, zip: {populations.P.params.Spin: [300], simulation.duration: [100]}}\n"

// started is a gennctl process running in the background.
type started struct {
	cmd    *exec.Cmd
	lines  chan string // stdout lines
	stderr *strings.Builder
	done   chan struct{}
	code   int
}

func startGennctl(t *testing.T, cache string, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "GENNCTL_CACHE="+cache), env...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s := &started{cmd: cmd, lines: make(chan string, 1000), stderr: &strings.Builder{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
		err := cmd.Wait()
		s.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			s.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				s.code = 128 + int(ws.Signal())
			}
		}
		close(s.done)
	}()
	return s
}

// waitEvents waits until n JSON events of the kind were printed; false if
// the process ended first.
func (s *started) waitEvents(t *testing.T, kind string, n int) bool {
	t.Helper()
	seen := 0
	timeout := time.After(120 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				return false
			}
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) == nil && e["event"] == kind {
				seen++
				if seen >= n {
					return true
				}
			}
		case <-timeout:
			t.Fatal("timed out waiting for events")
		}
	}
}

func (s *started) wait(t *testing.T) int {
	t.Helper()
	go func() {
		for range s.lines {
		}
	}()
	select {
	case <-s.done:
	case <-time.After(120 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Fatal("gennctl did not end")
	}
	return s.code
}

// checkComplete asserts that the sweep directory holds every variant done
// exactly once: one done run, one recorded spike file whose sha256 matches,
// one row in variants.arrow; and no temporary files.
func checkComplete(t *testing.T, dir string, variants int) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "provenance.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var n, done int
	require.NoError(t, db.QueryRow(`SELECT count(*), sum(status = 'done') FROM variant`).Scan(&n, &done))
	assert.Equal(t, variants, n)
	assert.Equal(t, variants, done)
	var dupRuns, dupOutputs, running int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM (SELECT variant_id FROM run WHERE status = 'done' GROUP BY variant_id HAVING count(*) <> 1)`).Scan(&dupRuns))
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM (SELECT variant_id FROM output WHERE kind = 'spikes' GROUP BY variant_id HAVING count(*) <> 1)`).Scan(&dupOutputs))
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM run WHERE status = 'running'`).Scan(&running))
	assert.Zero(t, dupRuns, "every variant has exactly one done run")
	assert.Zero(t, dupOutputs, "every variant has exactly one spike file recorded")
	assert.Zero(t, running)
	rows, err := db.Query(`SELECT variant_id, path, sha256 FROM output WHERE kind = 'spikes'`)
	require.NoError(t, err)
	files := 0
	paths := map[string]bool{}
	for rows.Next() {
		var id uint64
		var path, sum string
		require.NoError(t, rows.Scan(&id, &path, &sum))
		got, _, err := results.FileSHA256(filepath.Join(dir, path))
		require.NoError(t, err)
		assert.Equal(t, sum, got, "variant %d", id)
		// Only its own rows, exactly as many as recorded.
		sp, _, err := results.ReadVariantSpikes(filepath.Join(dir, path), id)
		require.NoError(t, err)
		for _, v := range sp.Variant {
			require.Equal(t, id, v)
		}
		files++
		paths[path] = true
	}
	rows.Close()
	assert.Equal(t, variants, files)
	ents, err := os.ReadDir(filepath.Join(dir, "spikes"))
	require.NoError(t, err)
	assert.Len(t, ents, len(paths), "only the recorded spike files in spikes/")
	inFile := map[uint64]string{} // no variant's rows stand in two files
	for _, e := range ents {
		assert.False(t, strings.Contains(e.Name(), ".tmp-"), e.Name())
		sp, _, err := results.ReadSpikes(filepath.Join(dir, "spikes", e.Name()))
		require.NoError(t, err)
		for _, v := range sp.Variant {
			if f, seen := inFile[v]; seen && f != e.Name() {
				t.Errorf("variant %d has rows in %s and %s", v, f, e.Name())
			}
			inFile[v] = e.Name()
		}
	}
	top, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	assert.Empty(t, top)
	cols, _, err := results.ReadTable(filepath.Join(dir, "variants.arrow"))
	require.NoError(t, err)
	seen := map[uint64]int{}
	for _, c := range cols {
		if c.Name == "variant_id" {
			for _, id := range c.Uint64 {
				seen[id]++
			}
		}
		if c.Name == "status" {
			for _, s := range c.String {
				assert.Equal(t, "done", s)
			}
		}
	}
	assert.Len(t, seen, variants)
	for id, k := range seen {
		assert.Equal(t, 1, k, "variant %d listed once", id)
	}
}

// TestOrchestratorSIGKILLResume kills the orchestrator with SIGKILL at exact
// points (before and after a spike file's rename, after a batch's commit),
// after some batches, and at random times; each rerun of the same command
// continues, and the last finishes with every variant present exactly once.
func TestOrchestratorSIGKILLResume(t *testing.T) {
	if testing.Short() {
		t.Skip("many gennctl processes: skipped with -short")
	}
	cache := t.TempDir()
	cfg := faultConfig(t, twentyVariants)
	out := t.TempDir()
	args := []string{"sweep", "--json", "--out", out, "--batch-size", "2", "--workers", "2", cfg}
	dir := filepath.Join(out, "faults")
	sweepDone := false
	// Kills at exact points, by the orchestrator itself.
	for _, point := range []string{"before-rename:1", "after-rename:3", "after-commit:2", "before-rename:4", "after-rename:1"} {
		s := startGennctl(t, cache, []string{"GENNCTL_TEST_CRASH_AT=" + point}, args...)
		code := s.wait(t)
		if code == 0 {
			sweepDone = true
			break
		}
		assert.Equal(t, 137, code, "%s: killed by SIGKILL\n%s", point, s.stderr)
	}
	require.False(t, sweepDone, "the crash points should have fired")
	// Kills from outside after some batches and at random times.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 4 && !sweepDone; i++ {
		s := startGennctl(t, cache, nil, args...)
		if i%2 == 0 {
			if s.waitEvents(t, "batch", 1+i) {
				_ = s.cmd.Process.Signal(syscall.SIGKILL)
			}
		} else {
			time.Sleep(time.Duration(50+rng.Intn(400)) * time.Millisecond)
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
		}
		if s.wait(t) == 0 {
			sweepDone = true
		}
	}
	// The rerun finishes.
	r := gennctl(t, cache, args...)
	require.Equal(t, 0, r.code, r.stderr)
	checkComplete(t, dir, 20)
	// And another rerun runs nothing.
	r = gennctl(t, cache, args...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"skipped":20`)
	checkComplete(t, dir, 20)
}

// TestCtrlCStopsCleanly: SIGINT abandons the batches in flight, records
// them, exits 130 and says how to resume; the database can be read while
// the sweep runs; the resumed sweep completes.
func TestCtrlCStopsCleanly(t *testing.T) {
	cache := t.TempDir()
	cfg := faultConfig(t, "sweep: {grid: {populations.P.params.I: {linspace: [1.0, 2.9, 8]}}, zip: {populations.P.params.Spin: [10000], simulation.duration: [200]}}\n")
	out := t.TempDir()
	args := []string{"sweep", "--json", "--out", out, "--batch-size", "1", "--workers", "2", cfg}
	s := startGennctl(t, cache, nil, args...)
	require.True(t, s.waitEvents(t, "build", 1))
	// Concurrent readers while it runs.
	dir := filepath.Join(out, "faults")
	for i := 0; i < 3; i++ {
		r := gennctl(t, cache, "status", "--json", dir)
		require.Equal(t, 0, r.code, r.stderr)
		assert.NotContains(t, r.stderr, "locked")
	}
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGINT))
	code := s.wait(t)
	assert.Equal(t, 130, code, s.stderr.String())
	assert.Contains(t, s.stderr.String(), "interrupted")
	assert.Contains(t, s.stderr.String(), "rerun the same command")
	assert.Contains(t, s.stderr.String(), cfg)

	r := gennctl(t, cache, "status", "--json", dir)
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		Counts map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.Zero(t, st.Counts["running"])
	assert.Zero(t, st.Counts["failed"])
	assert.Less(t, st.Counts["done"], 8)

	r = gennctl(t, cache, args...)
	require.Equal(t, 0, r.code, r.stderr)
	checkComplete(t, dir, 8)
}

// TestStatusShowReproduce: status lists counts and failures with reasons;
// show gives a variant's full provenance; reproduce re-runs a variant from
// the recorded config (the file on disk is gone) and compares checksums.
func TestStatusShowReproduce(t *testing.T) {
	cache := t.TempDir()
	cfg := faultConfig(t, "sweep:\n  - grid: {populations.P.params.I: [1.0, 1.1, 1.2, 1.3]}\n  - grid: {populations.P.params.Mode: [3]}\n")
	out := t.TempDir()
	r := gennctl(t, cache, "sweep", "--out", out, "--batch-size", "5", cfg)
	require.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "nonfinite")
	dir := filepath.Join(out, "faults")

	r = gennctl(t, cache, "status", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "4 done, 1 failed")
	assert.Contains(t, r.stdout, "(nonfinite, 1 attempt(s)): non-finite state: P.V[3] became NaN")
	r = gennctl(t, cache, "status", "--json", out) // <out> with one sweep works too
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		Variants int
		Counts   map[string]int
		Failures []struct {
			VariantID uint64 `json:"variant_id"`
			Failure   string
			Error     string
		}
		Builds int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.Equal(t, 5, st.Variants)
	assert.Equal(t, 4, st.Counts["done"])
	require.Len(t, st.Failures, 1)
	assert.Equal(t, "nonfinite", st.Failures[0].Failure)
	assert.Equal(t, 1, st.Builds)

	// A done variant.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "provenance.db")+"?mode=ro")
	require.NoError(t, err)
	var id uint64
	var seed string
	require.NoError(t, db.QueryRow(`SELECT id, seed FROM variant WHERE status = 'done' ORDER BY id LIMIT 1`).Scan(&id, &seed))
	db.Close()
	r = gennctl(t, cache, "show", "--json", dir, fmt.Sprint(id))
	require.Equal(t, 0, r.code, r.stderr)
	var show struct {
		Variant struct {
			ID     uint64
			Seed   uint64
			Status string
		}
		Point map[string]any
		Runs  []struct {
			WorkerPID            int64 `json:"worker_pid"`
			PeakRSSBytes         int64 `json:"peak_rss_bytes"`
			Host, Device, Status string
		}
		Outputs []struct {
			Path     string
			SHA256   string
			Verified bool
		}
		Builds []struct {
			CompilerVersion string `json:"compiler_version"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &show))
	assert.Equal(t, id, show.Variant.ID)
	assert.Equal(t, seed, fmt.Sprint(show.Variant.Seed))
	assert.Contains(t, show.Point, "populations.P.params.I")
	require.Len(t, show.Runs, 1)
	assert.Equal(t, "cpu", show.Runs[0].Device)
	assert.Positive(t, show.Runs[0].PeakRSSBytes)
	require.Len(t, show.Outputs, 1)
	assert.True(t, show.Outputs[0].Verified)
	require.Len(t, show.Builds, 1)
	assert.NotEmpty(t, show.Builds[0].CompilerVersion)
	assert.Positive(t, show.Runs[0].WorkerPID)
	r = gennctl(t, cache, "show", dir, fmt.Sprint(id))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, show.Outputs[0].SHA256+", verified")
	r = gennctl(t, cache, "show", dir, "12345")
	assert.Equal(t, 2, r.code)

	// Reproduce from the recorded config, not the file.
	require.NoError(t, os.Remove(cfg))
	r = gennctl(t, cache, "reproduce", dir, fmt.Sprint(id))
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	// The digests are of the variant's rows (its file holds its batch-mates too).
	rows, _, err := results.VariantDigest(filepath.Join(dir, show.Outputs[0].Path), id)
	require.NoError(t, err)
	assert.Contains(t, r.stdout, "recorded:   "+rows)
	assert.Contains(t, r.stdout, "reproduced: "+rows)
	assert.Contains(t, r.stdout, "identical")
	// A recorded file that does not verify: exit 1, saying so.
	rw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "provenance.db"))
	require.NoError(t, err)
	_, err = rw.Exec(`UPDATE result_file SET sha256 = ? WHERE EXISTS (SELECT 1 FROM json_each(variants) WHERE value = ?)`, strings.Repeat("0", 64), id)
	require.NoError(t, err)
	rw.Close()
	r = gennctl(t, cache, "reproduce", dir, fmt.Sprint(id))
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "does not verify against provenance")
	assert.Contains(t, r.stdout, "reproduced: "+rows)
}

// TestChangedConfigCLI: a changed config exits 2 and says what changed;
// --force-config continues.
func TestChangedConfigCLI(t *testing.T) {
	cache := t.TempDir()
	out := t.TempDir()
	cfg := faultConfig(t, "sweep: {grid: {populations.P.params.I: [1.0, 1.1]}}\n")
	r := gennctl(t, cache, "sweep", "--out", out, cfg)
	require.Equal(t, 0, r.code, r.stderr)
	// The same file, edited (code positions name the file, so another path
	// would be another structure).
	base, err := os.ReadFile("../../sweep/testdata/faults.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfg, append(base, "sweep: {grid: {populations.P.params.I: [1.0, 1.1, 1.2]}}\n"...), 0o644))
	cfg2 := cfg
	r = gennctl(t, cache, "sweep", "--out", out, cfg2)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "sweep.grid.populations.P.params.I: [1,1.1] -> [1,1.1,1.2]")
	assert.Contains(t, r.stderr, "--force-config")
	r = gennctl(t, cache, "sweep", "--out", out, "--force-config", cfg2)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 run, 2 already complete")
}

// TestBadConfigCorpus runs gennctl sweep on every malformed config under
// testdata/bad: each exits 2,
// reports the text its first line expects ("# want: <substring>", when
// given) and writes nothing under --out.
func TestBadConfigCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 30, "the corpus of malformed configs")
	cache := t.TempDir()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			first, _, _ := strings.Cut(string(data), "\n")
			want, hasWant := strings.CutPrefix(first, "# want: ")
			out := filepath.Join(t.TempDir(), "out")
			r := gennctl(t, cache, "sweep", "--out", out, f)
			assert.Equal(t, 2, r.code, r.stderr)
			if hasWant {
				assert.Contains(t, r.stderr, strings.TrimSpace(want))
			}
			assert.Contains(t, r.stderr, f, "the error names the file")
			assert.NoDirExists(t, out, "nothing may be written for bad input")
		})
	}
}

// TestLargeSweepSIGKILLResume: a sweep of 10^5 tiny variants (dataset layout 2: each batch's
// spikes in one file) is killed with SIGKILL from outside after some batches and at random
// times, four times, then resumed: every variant is done exactly once, recorded once, and
// its rows stand in exactly one file (checkComplete).
func TestLargeSweepSIGKILLResume(t *testing.T) {
	if testing.Short() {
		t.Skip("10^5 variants: skipped with -short")
	}
	const variants = 100000
	cache := t.TempDir()
	cfg := faultConfig(t, "sweep: {grid: {populations.P.params.I: {linspace: [0.6, 0.9, 10000]}}, zip: {simulation.duration: [2]}, repeats: 10}\n")
	out := t.TempDir()
	args := []string{"sweep", "--json", "--out", out, "--workers", "2", cfg}
	dir := filepath.Join(out, "faults")
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 4; i++ {
		s := startGennctl(t, cache, nil, args...)
		if i%2 == 0 {
			if s.waitEvents(t, "batch", 1+rng.Intn(20)) {
				_ = s.cmd.Process.Signal(syscall.SIGKILL)
			}
		} else {
			time.Sleep(time.Duration(500+rng.Intn(3000)) * time.Millisecond)
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
		}
		code := s.wait(t)
		require.Contains(t, []int{0, 137, -1}, code, s.stderr.String())
	}
	r := gennctl(t, cache, args...)
	require.Equal(t, 0, r.code, r.stderr)
	checkComplete(t, dir, variants)
	files, err := os.ReadDir(filepath.Join(dir, "spikes"))
	require.NoError(t, err)
	assert.Less(t, len(files), variants/50, "a few large files, not one per variant")
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gennctl/gennctl/plot"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In-process tests of the defects of issue 18: each drives a command's run
// function as the command line does, and checks what the user sees.

// smallConfig writes sweep/testdata/small.yaml with text replaced (old must
// occur) and a sweep section appended, as name.yaml in dir.
func smallConfig(t *testing.T, dir, old, new, sweepSection string) string {
	t.Helper()
	base, err := os.ReadFile("../../sweep/testdata/small.yaml")
	require.NoError(t, err)
	text := string(base)
	if old != "" {
		require.Contains(t, text, old)
		text = strings.Replace(text, old, new, 1)
	}
	path := filepath.Join(dir, "small.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text+sweepSection), 0o644))
	return path
}

// sweepIn runs the sweep command in process with quiet progress.
// batchSize is 1 in these tests, so that each variant has its own result files and a test
// can damage one variant's.
const batchSize = 1

func sweepIn(t *testing.T, cache, out, config string, force bool) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runSweep(context.Background(), sweepOptions{config: config, quiet: false, compress: "none",
		run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test", ForceConfig: force, BatchSize: batchSize}}, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// Item 1: a result stands only for the exact network that produced it. A
// fixed (not swept) value changed under --force-config makes every variant
// run again, and the refusal without it says so.
func TestForceConfigRerunsChangedNetwork(t *testing.T) {
	cache, out, cfgDir := t.TempDir(), t.TempDir(), t.TempDir()
	grid := "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05]}}\n"
	cfg := smallConfig(t, cfgDir, "", "", grid)
	text, err := sweepIn(t, cache, out, cfg, false)
	require.NoError(t, err, text)
	assert.Contains(t, text, "2 run, 0 already complete")

	// A fixed weight of another synapse group: same points, same structure.
	cfg = smallConfig(t, cfgDir, "vars: {g: -0.3}", "vars: {g: -0.35}", grid)
	text, err = sweepIn(t, cache, out, cfg, false)
	require.ErrorIs(t, err, sweep.ErrConfigChanged)
	assert.Equal(t, exitBadInput, exitCode(badInput{err}))
	assert.Contains(t, err.Error(), "synapses.IE.weight_update.vars.g: -0.3 -> -0.35")
	assert.Contains(t, err.Error(), "2 of 2 variant(s) run again, 0 recorded result(s) stand")

	text, err = sweepIn(t, cache, out, cfg, true)
	require.NoError(t, err, text)
	assert.Contains(t, text, "2 of 2 variant(s) run again", "the forced run says what reruns")
	assert.Contains(t, text, "2 run, 0 already complete")
	plan, err := sweep.Load(cfg)
	require.NoError(t, err)
	for _, v := range plan.Variants {
		files, err := results.VariantFiles(filepath.Join(out, "small"), v.ID())
		require.NoError(t, err)
		_, meta, err := results.ReadSpikes(filepath.Join(out, "small", files["spikes"]))
		require.NoError(t, err)
		assert.Equal(t, plan.ConfigDigest, meta[results.MetaConfigDigest], "the spike file comes from the new network")
	}

	// A new point only: the recorded results stand, the new point runs.
	cfg = smallConfig(t, cfgDir, "vars: {g: -0.3}", "vars: {g: -0.35}", "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05, 0.06]}}\n")
	text, err = sweepIn(t, cache, out, cfg, true)
	require.NoError(t, err, text)
	assert.Contains(t, text, "1 of 3 variant(s) run again, 2 recorded result(s) stand")
	assert.Contains(t, text, "1 run, 2 already complete")
}

// slowVariants: four variants of about a second each on one worker.
const slowVariants = "sweep: {grid: {populations.P.params.I: [1.0, 1.1, 1.2, 1.3]}, zip: {populations.P.params.Spin: [10000], simulation.duration: [200]}}\n"

// Item 4: while a sweep runs, any other run of the directory that could
// write the same variants is refused, whatever its shard arguments; another
// shard of the same partition runs.
func TestOverlappingRunsExcludeEachOther(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := faultConfig(t, slowVariants)
	bg := startGennctl(t, cache, nil, "sweep", "--json", "--workers", "1", "--shard", "0/2", "--out", out, cfg)
	require.True(t, bg.waitEvents(t, "plan", 1), bg.stderr.String())
	for _, shard := range []string{"", "1/3", "0/2"} {
		var stdout, stderr bytes.Buffer
		err := runSweep(context.Background(), sweepOptions{config: cfg, shard: shard, compress: "none", quiet: true,
			run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test"}}, &stdout, &stderr)
		require.ErrorIs(t, err, sweep.ErrLocked, "--shard %q", shard)
		assert.Contains(t, err.Error(), "could write the same variants")
	}
	var stdout, stderr bytes.Buffer
	err := runSweep(context.Background(), sweepOptions{config: cfg, shard: "1/2", compress: "none", quiet: true,
		run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test", Workers: 1}}, &stdout, &stderr)
	require.NoError(t, err, "the other shard of the partition runs alongside")
	assert.Equal(t, 0, bg.wait(t), bg.stderr.String())
}

// statusIn runs the status command in process.
func statusIn(t *testing.T, dir string, verify, jsonOut bool) (string, error) {
	t.Helper()
	var stdout bytes.Buffer
	err := runStatus(statusOptions{dir: dir, verify: verify, json: jsonOut}, &stdout)
	return stdout.String(), err
}

// Item 5: status says that it trusts the records; --verify checks them (a
// truncated, a deleted and an altered file, a damaged database) and exits 1
// with the list; a sweep over a damaged database stops before it runs
// anything, saying how to recover.
func TestStatusVerify(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := smallConfig(t, t.TempDir(), "", "", "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.03, 0.04, 0.05]}}\n")
	text, err := sweepIn(t, cache, out, cfg, false)
	require.NoError(t, err, text)
	dir := filepath.Join(out, "small")

	text, err = statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "3 done")
	assert.Contains(t, text, "verified:  no (the records are trusted; gennctl status --verify")
	text, err = statusIn(t, dir, true, false)
	require.NoError(t, err, text)
	assert.Contains(t, text, "verified:  the database and 4 recorded file(s): all intact")

	plan, err := sweep.Load(cfg)
	require.NoError(t, err)
	spikeFile := func(i int) string {
		files, err := results.VariantFiles(dir, plan.Variants[i].ID())
		require.NoError(t, err)
		return files["spikes"]
	}
	spike := func(i int) string { return filepath.Join(dir, spikeFile(i)) }
	names := []string{spikeFile(0), spikeFile(1)}
	data, err := os.ReadFile(spike(0))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(spike(0), data[:len(data)/2], 0o644))
	require.NoError(t, os.Remove(spike(1)))
	data, err = os.ReadFile(spike(2))
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(spike(2), data, 0o644))
	text, err = statusIn(t, dir, true, false)
	require.ErrorIs(t, err, errVerify)
	assert.Equal(t, exitFailure, exitCode(err))
	assert.Contains(t, text, "verified:  3 problem(s)")
	assert.Contains(t, text, names[0]+": ")
	assert.Contains(t, text, "(truncated or rewritten)")
	assert.Contains(t, text, names[1]+": missing")
	assert.Contains(t, text, "(altered)")
	text, err = statusIn(t, dir, true, true)
	require.ErrorIs(t, err, errVerify)
	assert.Contains(t, text, `"problems": [`)

	// The sweep repairs the files; then all is intact again.
	text, err = sweepIn(t, cache, out, cfg, false)
	require.NoError(t, err, text)
	assert.Contains(t, text, "3 run, 0 already complete")
	_, err = statusIn(t, dir, true, false)
	require.NoError(t, err)

	// A damaged database: every page but the first (the schema) overwritten.
	db := filepath.Join(dir, sweep.DBFile)
	data, err = os.ReadFile(db)
	require.NoError(t, err)
	for i := 4096; i < len(data); i++ {
		data[i] = 0x5a
	}
	require.NoError(t, os.WriteFile(db, data, 0o644))
	text, err = statusIn(t, dir, true, false)
	require.Error(t, err)
	assert.Contains(t, text+err.Error(), "is damaged")
	assert.Contains(t, text+err.Error(), ".recover")
	text, err = sweepIn(t, cache, out, cfg, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is damaged")
	assert.Contains(t, err.Error(), "mv "+db+" "+db+".damaged")
	assert.NotContains(t, text, "run:", "nothing runs over a damaged database")
}

// waitRunning polls status --json until n variants of the sweep in dir are
// running, and returns that report.
func waitRunning(t *testing.T, dir string, n int) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		text, err := statusIn(t, dir, false, true)
		require.NoError(t, err)
		if strings.Contains(text, fmt.Sprintf(`"running": %d`, n)) {
			return text
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %d variants were never running at once", dir, n)
	return ""
}

// Item 7: variants left "running" by a killed sweep (kill -9) are shown as
// abandoned, not running, since no orchestrator holds the lock; the next
// sweep runs them.
func TestStatusTellsAbandonedFromRunning(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := faultConfig(t, slowVariants)
	bg := startGennctl(t, cache, nil, "sweep", "--json", "--workers", "1", "--batch-size", "2", "--out", out, cfg)
	require.True(t, bg.waitEvents(t, "build", 1), bg.stderr.String())
	dir := filepath.Join(out, "faults")
	// While it runs, its variants are running.
	assert.Contains(t, waitRunning(t, dir, 2), `"orchestrator_running": true`)
	require.NoError(t, bg.cmd.Process.Kill())
	bg.wait(t)
	text, err := statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "0 running")
	assert.Contains(t, text, "2 abandoned (recorded running, but no gennctl sweep runs here")
	text, err = sweepIn(t, cache, out, cfg, false)
	require.NoError(t, err, text)
	text, err = statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "4 done, 0 failed, 0 running, 0 pending")
}

// Item 8: worker time is counted once per batch attempt, not once per
// variant of the batch: one worker cannot be busy longer than the run.
func TestStatusWorkerSecondsPerBatch(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := smallConfig(t, t.TempDir(), "", "", "sweep: {repeats: 8}\n")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runSweep(context.Background(), sweepOptions{config: cfg, compress: "none", quiet: true,
		run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test", Workers: 1, BatchSize: 4}}, &stdout, &stderr), stderr.String())
	text, err := statusIn(t, filepath.Join(out, "small"), false, true)
	require.NoError(t, err)
	var rep sweep.StatusReport
	require.NoError(t, json.Unmarshal([]byte(text), &rep))
	assert.Equal(t, 8, rep.Runs)
	span := rep.LastEnd.Sub(rep.FirstStart).Seconds()
	assert.Positive(t, rep.WorkerSeconds)
	// Both are differences of the same recorded timestamps: exact but for
	// float64 rounding of the seconds.
	assert.LessOrEqual(t, rep.WorkerSeconds, span*(1+1e-9), "two batches in sequence on one worker")
}

// Item 6: Ctrl-C as a terminal sends it, SIGINT to the whole process group
// (orchestrator and workers at once): the batches in flight go back to
// pending, none is recorded as a crash, and gennctl exits 130.
func TestCtrlCToProcessGroupLeavesPending(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := faultConfig(t, slowVariants)
	cmd := exec.Command(binary, "sweep", "--json", "--workers", "2", "--batch-size", "1", "--out", out, cfg)
	cmd.Env = append(os.Environ(), "GENNCTL_CACHE="+cache)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	dir := filepath.Join(out, "faults")
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), `"event":"build"`) {
	}
	waitRunning(t, dir, 2)
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
	for sc.Scan() {
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitInterrupted, ee.ExitCode())
	text, err := statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "0 failed, 0 running")
	assert.NotContains(t, text, "crash")
}

// Item 15: a key of a settings file that is no setting is bad input, with
// its line; a key of another command's flag is fine.
func TestSettingsFileUnknownKey(t *testing.T) {
	settings := filepath.Join(t.TempDir(), "settings.yaml")
	require.NoError(t, os.WriteFile(settings, []byte("cache: /tmp/c\nwrokers: 1\nretries: 2\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := execute([]string{"validate", "--settings", settings, "../../sweep/testdata/small.yaml"}, &stdout, &stderr)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr.String(), settings+`:2: unknown key "wrokers"`)
	assert.Contains(t, stderr.String(), "settings are named like the flags: ")
	assert.NotContains(t, stderr.String(), `"retries"`, "a flag of the sweep command")
	require.NoError(t, os.WriteFile(settings, []byte("cache: /tmp/c\nworkers: 1\n"), 0o644))
	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, exitOK, execute([]string{"validate", "--settings", settings, "../../sweep/testdata/small.yaml"}, &stdout, &stderr), stderr.String())
}

// Item 13: validate finds the C errors in code strings that building
// would, at the YAML line, and a bare GeNN 5 style name gets a hint to
// write $(name) instead of the compiler's guess.
func TestValidateChecksCSyntax(t *testing.T) {
	var stdout bytes.Buffer
	err := runValidate(validateOptions{config: "testdata/bad/code_c_syntax.yaml"}, &stdout)
	require.Error(t, err)
	assert.Equal(t, exitBadInput, exitCode(err))
	assert.Contains(t, err.Error(), "testdata/bad/code_c_syntax.yaml:8:22: error: expected expression")

	cfg := filepath.Join(t.TempDir(), "bare.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`simulation: {dt: 0.1, duration: 10}
models:
  neurons:
    M:
      params: [Vreset]
      vars: {V: scalar, lV: scalar}
      sim_code: "V = Vreset;"
      threshold_condition_code: "$(V) > 1.0"
populations:
  P: {size: 4, model: M, params: {Vreset: 0.0}, vars: {V: 0.0, lV: 0.0}}
`), 0o644))
	err = runValidate(validateOptions{config: cfg}, &stdout)
	require.Error(t, err)
	assert.Equal(t, exitBadInput, exitCode(err))
	msg := err.Error()
	assert.Contains(t, msg, cfg+":7:")
	assert.Contains(t, msg, "hint: V is a name of the model: write $(V)")
	assert.Contains(t, msg, "hint: Vreset is a name of the model: write $(Vreset)")
	assert.NotContains(t, msg, "did you mean")

	require.NoError(t, runValidate(validateOptions{config: "../../sweep/testdata/small.yaml"}, &stdout))
	assert.Contains(t, stdout.String(), "ok: 1 variant(s), 1 structure(s)")
}

// Item 16: a sweep of which one variant cannot fit this machine's memory is
// refused before anything is compiled or written, saying how much it needs;
// plan says the same.
func TestVariantTooLargeRefused(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "huge.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`simulation: {dt: 0.1, duration: 10, backend: cpu}
populations:
  E:
    size: 100000000
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: -60.0, RefracTime: 0.0}
synapses:
  EE:
    source: E
    target: E
    weights: individual
    weight_update: {model: StaticPulse, vars: {g: 0.01}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
`), 0o644))
	out := filepath.Join(t.TempDir(), "out")
	text, err := sweepIn(t, t.TempDir(), out, cfg, false)
	require.ErrorIs(t, err, sweep.ErrTooLarge, text)
	assert.Equal(t, exitBadInput, exitCode(badInput{err}))
	assert.Contains(t, err.Error(), "one variant of structure")
	assert.Contains(t, err.Error(), "needs about 35.5 PiB of simulation state, more than the")
	assert.NotContains(t, text, "build:", "nothing is compiled")
	assert.NoDirExists(t, out, "nothing is written")

	var stdout, stderr bytes.Buffer
	code := execute([]string{"plan", "--cache", t.TempDir(), cfg}, &stdout, &stderr)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stdout.String(), "peak state:")
	assert.Contains(t, stderr.String(), "needs about 35.5 PiB")
}

// Item 24: a sweep removes what killed builds left in the module cache's
// tmp/ (older than an hour), and leaves younger entries, which may be builds
// in progress elsewhere.
func TestSweepCleansStaleBuilds(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	old, young := filepath.Join(cache, "tmp", "0123456789abcdef-killed"), filepath.Join(cache, "tmp", "fedcba9876543210-running")
	for _, d := range []string{old, young} {
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "module.c"), []byte("int x;\n"), 0o644))
	}
	hoursAgo := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(old, hoursAgo, hoursAgo))
	text, err := sweepIn(t, cache, out, "../../sweep/testdata/small.yaml", false)
	require.NoError(t, err, text)
	assert.NoDirExists(t, old)
	assert.DirExists(t, young)
}

// Item 17: gennctl variants lists id, status, repeat, seed, swept values and
// failure (--status, --json, --csv); status shows the point of a failure;
// show of an unknown id says how to list the ids. Item 20: show --json has
// snake_case keys.
func TestVariantsListing(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := faultConfig(t, "sweep: {grid: {populations.P.params.Mode: [0, 1]}}\n")
	var stdout, stderr bytes.Buffer
	err := runSweep(context.Background(), sweepOptions{config: cfg, compress: "none", quiet: true,
		run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test", BatchSize: 1}}, &stdout, &stderr)
	require.Error(t, err, "one variant crashes")
	dir := filepath.Join(out, "faults")
	plan, err := sweep.Load(cfg)
	require.NoError(t, err)
	var good, bad uint64
	for _, v := range plan.Variants {
		if v.Point.Assign[0].Value.Value == "1" {
			bad = v.ID()
		} else {
			good = v.ID()
		}
	}

	// Item 3: a failed variant's rate is missing (NaN), not 0, so that means
	// over variants leave it out; its count is -1.
	cols, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	require.NoError(t, err)
	byName := map[string]results.Column{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	for i, id := range byName["variant_id"].Uint64 {
		rate, count := byName["rate_P"].Float64[i], byName["spikes_P"].Int64[i]
		if id == bad {
			assert.True(t, math.IsNaN(rate), "rate of the failed variant: %v", rate)
			assert.Equal(t, int64(-1), count)
		} else {
			assert.False(t, math.IsNaN(rate))
			assert.GreaterOrEqual(t, count, int64(0))
		}
	}

	list := func(o variantsOptions) (string, error) {
		var b bytes.Buffer
		o.dir = dir
		err := runVariants(o, &b)
		return b.String(), err
	}
	text, err := list(variantsOptions{})
	require.NoError(t, err)
	assert.Regexp(t, `^variant_id +status +repeat +seed +populations\.P\.params\.Mode +failure +error\n`, text)
	assert.Regexp(t, fmt.Sprintf(`\n%d +done +0 +\d+ +0 *\n`, good), text)
	assert.Regexp(t, fmt.Sprintf(`\n%d +failed +0 +\d+ +1 +crash +worker \d+ died running job .*segmentation fault`, bad), text)

	text, err = list(variantsOptions{status: "failed", csv: true})
	require.NoError(t, err)
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"variant_id", "status", "repeat", "seed", "populations.P.params.Mode", "failure", "error"}, recs[0])
	assert.Equal(t, []string{fmt.Sprint(bad), "failed", "0"}, recs[1][:3])
	assert.Equal(t, []string{"1", "crash"}, recs[1][4:6])

	text, err = list(variantsOptions{json: true})
	require.NoError(t, err)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &rows))
	require.Len(t, rows, 2)
	assert.Equal(t, map[string]any{"populations.P.params.Mode": 0.0}, rows[0]["point"])
	_, err = list(variantsOptions{status: "finished"})
	assert.Equal(t, exitBadInput, exitCode(err))

	text, err = statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, fmt.Sprintf(`  %d {"populations.P.params.Mode":1} repeat 0 (crash, 1 attempt(s)): worker `, bad))

	var b bytes.Buffer
	err = runShow(showOptions{dir: dir, variant: "123"}, &b)
	assert.Equal(t, exitBadInput, exitCode(err))
	assert.Contains(t, err.Error(), dir+" has no variant 123; list its ids with: gennctl variants "+dir)
	require.NoError(t, runShow(showOptions{dir: dir, variant: fmt.Sprint(good), json: true}, &b))
	var rep map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &rep))
	assertSnakeKeys(t, rep)
	runs := rep["runs"].([]any)
	require.Len(t, runs, 1)
	assert.Equal(t, "cpu", runs[0].(map[string]any)["device"])
}

// assertSnakeKeys checks every key of a decoded JSON value, but those of
// points (config paths), of counts and of a variant's spike counts
// (population names) and summaries (column names).
func assertSnakeKeys(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			assert.Regexp(t, `^[a-z0-9]+(_[a-z0-9]+)*$`, k)
			if k != "point" && k != "counts" && k != "spike_counts" && k != "summaries" {
				assertSnakeKeys(t, e)
			}
		}
	case []any:
		for _, e := range x {
			assertSnakeKeys(t, e)
		}
	}
}

// Items 21 and 20: a shard's progress counts its own variants; a partial
// merge names the shards that have not started; after a complete merge,
// status says so; merge --json (also from GENNCTL_JSON) has snake_case keys.
func TestShardMessages(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := smallConfig(t, t.TempDir(), "", "", "sweep: {repeats: 6}\n")
	shard := func(s string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		require.NoError(t, runSweep(context.Background(), sweepOptions{config: cfg, shard: s, compress: "none",
			run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test"}}, &stdout, &stderr), stderr.String())
		return stderr.String()
	}
	progress := shard("0/3")
	plan, err := sweep.Load(cfg)
	require.NoError(t, err)
	n := len(plan.ShardVariants(sweep.Shard{Index: 0, Count: 3}))
	require.Less(t, n, 6)
	assert.Contains(t, progress, fmt.Sprintf("run: %d/%d variants done", n, n), "a shard's progress is of its own variants")
	assert.NotContains(t, progress, "/6 variants")
	dir := filepath.Join(out, "small")
	text, err := statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "shards (nothing merged yet: gennctl merge DIR):")

	var b bytes.Buffer
	err = runMerge(mergeOptions{dir: dir}, &b)
	require.Error(t, err)
	assert.Contains(t, b.String(), "shards not started (no database): shard-001-of-003, shard-002-of-003")
	text, err = statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "shards (all merged):", "what the shard did is merged")

	shard("1/3")
	shard("2/3")
	b.Reset()
	require.NoError(t, runMerge(mergeOptions{dir: dir}, &b))
	assert.Contains(t, b.String(), "6 of 6 variants done")
	text, err = statusIn(t, dir, false, false)
	require.NoError(t, err)
	assert.Contains(t, text, "6 done")
	assert.Contains(t, text, "shards (all merged):")

	t.Setenv("GENNCTL_JSON", "true")
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, execute([]string{"merge", dir}, &stdout, &stderr), stderr.String())
	var sum map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &sum), stdout.String())
	assertSnakeKeys(t, sum)
	assert.Equal(t, 6.0, sum["done"])
}

// Item 19: state -o FILE writes the format of FILE's extension: CSV for
// .csv, Arrow for .arrow; any other extension is refused before anything is
// written.
func TestStateByExtension(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := smallConfig(t, t.TempDir(), "record: {spikes: true}", "record: {spikes: true, vars: {V: {every: 1.0, neurons: [0, 1]}}}", "")
	text, err := sweepIn(t, cache, out, cfg, false)
	require.NoError(t, err, text)
	dir := filepath.Join(out, "small")
	plan, err := sweep.Load(cfg)
	require.NoError(t, err)
	id := fmt.Sprint(plan.Variants[0].ID())

	dst := t.TempDir()
	var b bytes.Buffer
	require.NoError(t, runState(stateOptions{dir: dir, variant: id, out: filepath.Join(dst, "w.csv")}, &b))
	f, err := os.Open(filepath.Join(dst, "w.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"time", "E.V[0]", "E.V[1]"}, recs[0])
	require.Len(t, recs, 1+201, "samples every 1 ms over 200 ms, and at 0")
	assert.Equal(t, "0", recs[1][0])
	assert.Equal(t, "200", recs[201][0])

	require.NoError(t, runState(stateOptions{dir: dir, variant: id, out: filepath.Join(dst, "w.arrow")}, &b))
	cols, _, err := results.ReadTable(filepath.Join(dst, "w.arrow"))
	require.NoError(t, err)
	require.Len(t, cols, 3)
	v0, err := strconv.ParseFloat(recs[1][1], 64)
	require.NoError(t, err)
	assert.Equal(t, cols[1].Float64[0], v0, "the CSV holds the value exactly")

	err = runState(stateOptions{dir: dir, variant: id, out: filepath.Join(dst, "w.txt")}, &b)
	assert.Equal(t, exitBadInput, exitCode(err))
	assert.Contains(t, err.Error(), `unknown extension ".txt": write .arrow (Arrow IPC; also .feather, .ipc) or .csv`)
	assert.NoFileExists(t, filepath.Join(dst, "w.txt"))
}

// Item 18: plot writes the format of -o's extension, names the variant's
// swept values in the raster's title, and draws recorded state (plot state).
func TestPlotsForPaper(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := smallConfig(t, t.TempDir(), "record: {spikes: true}", "record: {spikes: true, vars: {V: {every: 1.0, neurons: [0, 1, 2]}}}",
		"sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05]}}\n")
	text, err := sweepIn(t, cache, out, cfg, false)
	require.NoError(t, err, text)
	dir := filepath.Join(out, "small")
	plan, err := sweep.Load(cfg)
	require.NoError(t, err)
	id := plan.Variants[0].ID()
	img := t.TempDir()

	var b bytes.Buffer
	svg := filepath.Join(img, "raster.svg")
	require.NoError(t, runPlotRaster(rasterOptions{plotOptions: plotOptions{out: svg, width: 700, height: 400}, dir: dir,
		RasterOptions: plot.RasterOptions{Variant: id}}, &b))
	data, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "<?xml"), "an SVG file")
	assert.Contains(t, string(data), "g=0.04", "the swept value is in the title")

	state := filepath.Join(img, "state.png")
	require.NoError(t, runPlotState(plotStateOptions{plotOptions: plotOptions{out: state, width: 700, height: 400}, dir: dir,
		StateOptions: plot.StateOptions{Variant: id, Var: "E.V"}}, &b))
	assert.Contains(t, b.String(), "E.V of 3 neuron(s)")
	decodePNG(t, state, 700, 400, 300)

	err = runPlotState(plotStateOptions{plotOptions: plotOptions{out: state, width: 700, height: 400}, dir: dir,
		StateOptions: plot.StateOptions{Variant: id, Var: "E.U"}}, &b)
	assert.Equal(t, exitBadInput, exitCode(err))
	assert.Contains(t, err.Error(), "records no E.U (it records E.V)")
	err = runPlotRaster(rasterOptions{plotOptions: plotOptions{out: filepath.Join(img, "r.gif"), width: 700, height: 400}, dir: dir,
		RasterOptions: plot.RasterOptions{Variant: id}}, &b)
	assert.Equal(t, exitBadInput, exitCode(err))
	assert.Contains(t, err.Error(), "want the extension of one of png, svg, pdf")
}

// Item 22: build --help names the default architectures as they are.
func TestBuildHelpArchitectures(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, execute([]string{"build", "--help"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "else 60 to 120 as far as")
	assert.NotContains(t, stdout.String(), "60 to 90")
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binary is gennctl built once for these tests; they run it as a user
// would, as real processes.
var binary string

func TestMain(m *testing.M) {
	// In-process sweeps start this test binary as their workers
	// ([os.Executable(), "worker"]), as gennctl starts itself.
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "gennctl-cli-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gennctl")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// gennctl runs the binary with a private module cache.
func gennctl(t *testing.T, cache string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "GENNCTL_CACHE="+cache)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestVersionAndHelp(t *testing.T) {
	cache := t.TempDir()
	r := gennctl(t, cache, "version")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "gennctl ")
	assert.Contains(t, r.stdout, "codegen ")
	for _, sub := range []string{"sweep", "validate", "plan", "build", "version"} {
		r := gennctl(t, cache, sub, "--help")
		assert.Equal(t, 0, r.code, sub)
		assert.Contains(t, r.stdout, "Usage:", sub)
	}
	r = gennctl(t, cache, "nosuchcommand")
	assert.NotEqual(t, 0, r.code)
}

// TestConfigsRun validates, plans and runs every example under configs/.
func TestConfigsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example config: skipped with -short")
	}
	configs, err := filepath.Glob("../../configs/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, configs)
	cache := t.TempDir()
	for _, cfg := range configs {
		t.Run(filepath.Base(cfg), func(t *testing.T) {
			r := gennctl(t, cache, "validate", cfg)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "ok")
			r = gennctl(t, cache, "plan", "--json", cfg)
			require.Equal(t, 0, r.code, r.stderr)
			var rep struct{ Variants int }
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
			out := t.TempDir()
			r = gennctl(t, cache, "sweep", "--json", "--out", out, cfg)
			require.Equal(t, 0, r.code, r.stderr)
			var last map[string]any
			sc := bufio.NewScanner(strings.NewReader(r.stdout))
			for sc.Scan() {
				require.NoError(t, json.Unmarshal(sc.Bytes(), &last), sc.Text())
			}
			require.NotNil(t, last)
			assert.Equal(t, "done", last["event"])
			assert.EqualValues(t, rep.Variants, last["total"])
			assert.EqualValues(t, rep.Variants, last["done"])
			dir := last["dir"].(string)
			for _, f := range []string{"provenance.db", "variants.arrow"} {
				assert.FileExists(t, filepath.Join(dir, f))
			}
		})
	}
}

// TestBadInputExitsTwoAndWritesNothing: bad configs are reported with their
// position and leave no output directory behind.
func TestBadInputExitsTwoAndWritesNothing(t *testing.T) {
	cache := t.TempDir()
	cases := []struct {
		file string
		want []string
	}{
		{"testdata/unknown_token.yaml", []string{"testdata/unknown_token.yaml:10:17", "populations.P", "sim_code", "Leaky", "$(Iext)"}},
		{"testdata/c_error.yaml", []string{"testdata/c_error.yaml:8:", "error: expected"}},
		{"testdata/missing.yaml", []string{"no such file"}},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "out")
		r := gennctl(t, cache, "sweep", "--out", out, c.file)
		assert.Equal(t, 2, r.code, "%s: %s", c.file, r.stderr)
		for _, w := range c.want {
			assert.Contains(t, r.stderr, w, c.file)
		}
		assert.NoDirExists(t, out, "nothing may be written for bad input")
	}
}

func TestBuildThenSweepUsesCache(t *testing.T) {
	cache := t.TempDir()
	r := gennctl(t, cache, "build", "--json", "../../sweep/testdata/small.yaml")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"cache_hit":false`)
	r = gennctl(t, cache, "sweep", "--out", t.TempDir(), "../../sweep/testdata/small.yaml")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 module(s) compiled, 1 from cache")
}

// TestShardStatusAndMerge: status shows per-shard progress before a merge;
// merge says what is missing until every shard has run.
func TestShardStatusAndMerge(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	cfg := filepath.Join(t.TempDir(), "sh.yaml")
	base, err := os.ReadFile("../../sweep/testdata/small.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfg, append(base, []byte("sweep: {repeats: 4}\n")...), 0o644))
	r := gennctl(t, cache, "sweep", "--shard", "0/2", "--out", out, cfg)
	require.Equal(t, 0, r.code, r.stderr)
	dir := filepath.Join(out, "small")
	r = gennctl(t, cache, "status", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `shard-000-of-002: \d variant\(s\): \d done, 0 failed`, r.stdout)
	r = gennctl(t, cache, "merge", dir)
	assert.Equal(t, 1, r.code, "a shard has not run yet")
	assert.Contains(t, r.stderr, "missing")
	r = gennctl(t, cache, "sweep", "--shard", "1/2", "--out", out, cfg)
	require.Equal(t, 0, r.code, r.stderr)
	r = gennctl(t, cache, "merge", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "4 of 4 variants done")
	r = gennctl(t, cache, "status", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "4 done")
	assert.Contains(t, r.stdout, "shard-001-of-002")
	r = gennctl(t, cache, "sweep", "--shard", "2/2", "--out", out, cfg)
	assert.Equal(t, 2, r.code, "bad --shard is bad input")
}

// Settings come from flags, GENNCTL_* environment variables and a settings
// file: --quiet through each of the other two silences progress.
func TestSettingsFromEnvironmentAndFile(t *testing.T) {
	cache := t.TempDir()
	cfg := "../../sweep/testdata/small.yaml"
	r := gennctl(t, cache, "sweep", "--out", t.TempDir(), cfg)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "plan:", "progress is printed by default")

	cmd := exec.Command(binary, "sweep", "--out", t.TempDir(), cfg)
	cmd.Env = append(os.Environ(), "GENNCTL_CACHE="+cache, "GENNCTL_QUIET=true")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Empty(t, string(out), "GENNCTL_QUIET=true")

	settings := filepath.Join(t.TempDir(), "settings.yaml")
	require.NoError(t, os.WriteFile(settings, []byte("quiet: true\n"), 0o644))
	r = gennctl(t, cache, "sweep", "--settings", settings, "--out", t.TempDir(), cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr+r.stdout, "quiet: true in the settings file")
}

// TestStateWide: `gennctl state` writes a recorded variant's state as a wide
// table: a time column and one column per recorded neuron.
func TestStateWide(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	r := gennctl(t, cache, "sweep", "--json", "--out", out, "../../configs/fi_curve.yaml")
	require.Equal(t, 0, r.code, r.stderr)
	dir := filepath.Join(out, "fi_curve")
	table, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	require.NoError(t, err)
	id := table[0].Uint64[0]
	wide := filepath.Join(t.TempDir(), "wide.arrow")
	r = gennctl(t, cache, "state", dir, strconv.FormatUint(id, 10), "-o", wide)
	require.Equal(t, 0, r.code, r.stderr)
	cols, _, err := results.ReadTable(wide)
	require.NoError(t, err)
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"time", "N.V[0]", "N.V[1]"}, names)
	require.Len(t, cols[0].Float64, 1001, "samples every 0.5 ms over 500 ms, and at 0")
	assert.Equal(t, 0.0, cols[0].Float64[0])
	assert.Equal(t, -65.0, cols[1].Float64[0], "V starts at -65 mV")

	r = gennctl(t, cache, "state", dir, "12345", "-o", wide)
	assert.Equal(t, 2, r.code)
}

// TestProvenanceRecordsCommit: a binary built as the README says records its
// VCS commit with every sweep (skipped outside a git checkout).
func TestProvenanceRecordsCommit(t *testing.T) {
	r := gennctl(t, t.TempDir(), "version")
	require.Equal(t, 0, r.code)
	if strings.Contains(r.stdout, "commit unknown") {
		t.Skip("not built from a git checkout")
	}
	out := t.TempDir()
	r = gennctl(t, t.TempDir(), "sweep", "--quiet", "--out", out, "../../sweep/testdata/small.yaml")
	require.Equal(t, 0, r.code, r.stderr)
	db, err := provenance.Open(filepath.Join(out, "small", "provenance.db"))
	require.NoError(t, err)
	defer db.Close()
	sweeps, err := db.Sweeps()
	require.NoError(t, err)
	require.Len(t, sweeps, 1)
	assert.Regexp(t, `^[0-9a-f]{40}$`, sweeps[0].VCSCommit)
}

// The CUDA backend from the command line: build compiles with nvcc without
// a GPU (for the architectures asked), plan says which backend and why, a
// bad --cuda-arch or --backend is bad input, a cuda sweep where no GPU is
// visible fails before writing anything, and sweep runs the CUDA module,
// here with the CUDA runtime emulated on the host, to the CPU's spikes.
func TestCUDABackendCLI(t *testing.T) {
	cache := t.TempDir()
	cfg := "../../sweep/testdata/small.yaml"
	if _, err := exec.LookPath("nvcc"); err == nil {
		// sm_75: the oldest architecture that CUDA 11.8 to 13 all build
		r := gennctl(t, cache, "build", "--backend", "cuda", "--cuda-arch", "sm_75", "--json", cfg)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, `"cache_hit":false`)
		r = gennctl(t, cache, "build", "--backend", "cuda", "--cuda-arch", "default", "--json", cfg)
		require.Equal(t, 0, r.code, r.stderr)
	}
	r := gennctl(t, cache, "build", "--backend", "cuda", "--cuda-arch", "7.0", cfg)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--cuda-arch")
	r = gennctl(t, cache, "build", "--backend", "cuda", "--cuda-arch", "default,80", cfg)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, `--cuda-arch default names the default architectures and stands alone, not in a list with "default,80"`)
	r = gennctl(t, cache, "plan", "--backend", "cpu", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "backend cpu (requested)")
	r = gennctl(t, cache, "sweep", "--backend", "gpu", cfg)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, `unknown backend "gpu"`)
	if gpus, _ := gpu.DiscoverGPUs(); len(gpus) == 0 {
		out := filepath.Join(t.TempDir(), "out")
		r = gennctl(t, cache, "sweep", "--backend", "cuda", "--out", out, cfg)
		assert.NotEqual(t, 0, r.code)
		assert.Contains(t, r.stderr, "no CUDA GPU is visible")
		assert.NoDirExists(t, out, "nothing is written when no GPU can run the sweep")
	}

	spikes := map[string]string{}
	for _, backend := range []string{"cpu", "cuda"} {
		out := t.TempDir()
		cmd := exec.Command(binary, "sweep", "--json", "--backend", backend, "--out", out, cfg)
		cmd.Env = append(os.Environ(), "GENNCTL_CACHE="+cache, gpu.CUDAEmulationEnv+"=1")
		stdout, err := cmd.Output()
		require.NoError(t, err)
		assert.Contains(t, string(stdout), `"backend":"`+backend+`"`)
		files, err := filepath.Glob(filepath.Join(out, "small", results.SpikesDir, "*.arrow"))
		require.NoError(t, err)
		require.Len(t, files, 1)
		sp, _, err := results.ReadSpikes(files[0])
		require.NoError(t, err)
		require.Greater(t, sp.Len(), 0)
		spikes[backend] = fmt.Sprint(sp)
	}
	assert.Equal(t, spikes["cpu"], spikes["cuda"])
}

// TestJSONErrors: a command run with --json that fails prints one JSON
// error line on stdout with each problem's file, line, column and config
// path (the decoder's diagnostics, or a C compiler's error lines at their
// YAML positions), so that programs (the Python package) need not parse
// stderr.
func TestJSONErrors(t *testing.T) {
	cache := t.TempDir()
	last := func(r result) jsonError {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		var e jsonError
		require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &e), r.stdout)
		return e
	}

	r := gennctl(t, cache, "validate", "--json", "testdata/unknown_token.yaml")
	require.Equal(t, 2, r.code, r.stderr)
	e := last(r)
	assert.Equal(t, "error", e.Event)
	assert.Equal(t, 2, e.Exit)
	require.Len(t, e.Diagnostics, 1)
	d := e.Diagnostics[0]
	assert.Equal(t, jsonDiagnostic{File: "testdata/unknown_token.yaml", Line: 10, Col: 17, Path: d.Path, Message: d.Message}, d)
	assert.Equal(t, "populations.P", d.Path)
	assert.Contains(t, d.Message, "unknown token $(Iext)")
	assert.Contains(t, r.stderr, "testdata/unknown_token.yaml:10:17", "stderr keeps the human form")

	// a problem found while generating code (not while decoding) is a diagnostic too
	r = gennctl(t, cache, "validate", "--json", "testdata/read_only_assigned.yaml")
	require.Equal(t, 2, r.code, r.stderr)
	e = last(r)
	require.Len(t, e.Diagnostics, 1, r.stdout)
	assert.Equal(t, jsonDiagnostic{File: "testdata/read_only_assigned.yaml", Line: 9, Col: 21,
		Path:    "models.custom_updates.Zero.update_code",
		Message: "update_code of model Zero (custom update Z) assigns reference V, which is READ_ONLY"}, e.Diagnostics[0])

	r = gennctl(t, cache, "build", "--json", "testdata/c_error.yaml")
	require.Equal(t, 2, r.code, r.stderr)
	e = last(r)
	require.NotEmpty(t, e.Diagnostics, e.CompilerOutput)
	assert.Equal(t, "testdata/c_error.yaml", e.Diagnostics[0].File)
	assert.Equal(t, 8, e.Diagnostics[0].Line)
	assert.Contains(t, e.Diagnostics[0].Message, "expected")
	assert.Contains(t, e.CompilerOutput, "error:")

	// sweep --json: the error follows the events (none here: it fails before planning)
	r = gennctl(t, cache, "sweep", "--json", "--out", t.TempDir(), "testdata/missing.yaml")
	require.Equal(t, 2, r.code, r.stderr)
	e = last(r)
	assert.Empty(t, e.Diagnostics)
	assert.Contains(t, e.Message, "no such file")

	r = gennctl(t, cache, "validate", "--json", "../../sweep/testdata/small.yaml")
	require.Equal(t, 0, r.code, r.stderr)
	var ok struct {
		Event                string
		Variants, Structures int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ok), r.stdout)
	assert.Equal(t, "ok", ok.Event)
	assert.Positive(t, ok.Variants)

	r = gennctl(t, cache, "validate", "testdata/unknown_token.yaml")
	assert.Equal(t, 2, r.code)
	assert.Empty(t, r.stdout, "without --json nothing goes to stdout")
}

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gennctl/gennctl/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slurmUp reports whether a Slurm controller answers on this machine with a
// node that can run jobs.
func slurmUp() bool {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return false
	}
	out, err := exec.Command("sinfo", "-h", "-o", "%T").Output()
	if err != nil {
		return false
	}
	for _, state := range strings.Fields(string(out)) {
		if strings.HasPrefix(state, "idle") || strings.HasPrefix(state, "mix") || strings.HasPrefix(state, "alloc") {
			return true
		}
	}
	return false
}

const slurmSweep = "../../sweep/testdata/small.yaml"

func TestSlurmScripts(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	r := gennctl(t, cache, "slurm", "--tasks", "3", "--throttle", "2", "--gpus-per-task", "1", "--partition", "debug", "--json", "--out", out, slurmSweep)
	require.Equal(t, 0, r.code, r.stderr)
	var res struct {
		Tasks   int
		Scripts string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, 1, res.Tasks, "one variant: one task whatever --tasks says")
	array, err := os.ReadFile(filepath.Join(res.Scripts, "array.sbatch"))
	require.NoError(t, err)
	for _, want := range []string{"#SBATCH --array=0-0%2", "#SBATCH --gres=gpu:1", "#SBATCH --partition=debug", "%A_%a", "export GENNCTL_CACHE=" + cache, " sweep --quiet --backend cpu --workers 1 "} {
		assert.Contains(t, string(array), want)
	}
	build, err := os.ReadFile(filepath.Join(res.Scripts, "build.sbatch"))
	require.NoError(t, err)
	assert.Contains(t, string(build), " build --backend cpu ", "the prebuild builds for the backend the tasks run")
	for _, f := range []string{"build.sbatch", "merge.sbatch"} {
		assert.FileExists(t, filepath.Join(res.Scripts, f))
	}
	if slurmUp() {
		// The local test cluster has no GPUs: check scripts without --gres.
		r := gennctl(t, cache, "slurm", "--tasks", "3", "--throttle", "2", "--json", "--out", out, slurmSweep)
		require.Equal(t, 0, r.code, r.stderr)
		for _, f := range []string{"build.sbatch", "array.sbatch", "merge.sbatch"} {
			cmd := exec.Command("sbatch", "--test-only", filepath.Join(res.Scripts, f))
			outb, err := cmd.CombinedOutput()
			assert.NoError(t, err, "sbatch --test-only %s: %s", f, outb)
		}
	} else {
		t.Log("no Slurm controller answers here: sbatch --test-only not run")
	}
}

// TestSlurmArrayEndToEnd submits a real job array to the local Slurm
// (scripts/slurm-local.sh starts one), waits for the merge job and checks
// that every variant ran exactly once.
func TestSlurmArrayEndToEnd(t *testing.T) {
	if !slurmUp() {
		t.Skip("no Slurm controller answers here (start one with scripts/slurm-local.sh as root)")
	}
	cache, out := t.TempDir(), t.TempDir()
	cfg := filepath.Join(t.TempDir(), "arr.yaml")
	base, err := os.ReadFile(slurmSweep)
	require.NoError(t, err)
	text := strings.Replace(string(base), "name: small", "name: arr", 1) + "sweep: {repeats: 2, grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05, 0.06]}}\n"
	require.NoError(t, os.WriteFile(cfg, []byte(text), 0o644))

	r := gennctl(t, cache, "slurm", "--tasks", "3", "--throttle", "2", "--submit", "--json", "--out", out, cfg)
	require.Equal(t, 0, r.code, r.stderr)
	var res struct {
		Tasks int
		Jobs  map[string]string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, 3, res.Tasks)
	merge := res.Jobs["merge"]
	require.NotEmpty(t, merge)

	dir := filepath.Join(out, "arr")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		q, _ := exec.Command("squeue", "-h", "-j", merge+","+res.Jobs["array"]+","+res.Jobs["build"]).Output()
		if strings.TrimSpace(string(q)) == "" {
			break
		}
		if time.Now().After(deadline) {
			exec.Command("scancel", res.Jobs["build"], res.Jobs["array"], merge).Run()
			t.Fatalf("jobs still queued after 3 minutes:\n%s", q)
		}
		time.Sleep(time.Second)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "slurm", "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		t.Logf("%s:\n%s", filepath.Base(l), b)
	}
	shards, _ := filepath.Glob(filepath.Join(dir, "shards", "shard-*.db"))
	assert.Len(t, shards, 3, "each array task wrote its own database")
	table, _, err := results.ReadTable(filepath.Join(dir, "variants.arrow"))
	require.NoError(t, err)
	var ids []uint64
	var status []string
	for _, c := range table {
		switch c.Name {
		case "variant_id":
			ids = c.Uint64
		case "status":
			status = c.String
		}
	}
	assert.Len(t, ids, 6)
	for i := range status {
		assert.Equal(t, "done", status[i], "variant %d", ids[i])
	}
	r = gennctl(t, cache, "merge", dir)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "6 of 6 variants done")
}

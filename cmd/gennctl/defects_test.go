package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
func sweepIn(t *testing.T, cache, out, config string, force bool) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runSweep(context.Background(), sweepOptions{config: config, quiet: false, compress: "none",
		run: sweep.Options{OutDir: out, CacheDir: cache, Version: "test", ForceConfig: force}}, &stdout, &stderr)
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
		_, meta, err := results.ReadSpikes(filepath.Join(out, "small", results.SpikeFile(v.ID())))
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

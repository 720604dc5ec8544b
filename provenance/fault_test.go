package provenance

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFailAndAbandon: FailVariants records status, reason and run end in one
// transaction; AbandonRunning resets what a killed orchestrator left running.
func TestFailAndAbandon(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "p.db"))
	require.NoError(t, err)
	defer d.Close()
	sid, err := d.UpsertSweep(Sweep{Name: "s", ConfigText: "x", ConfigDigest: "d", ConfigPath: "cfg/s.yaml"})
	require.NoError(t, err)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1, Seed: 1}, {ID: 2, Seed: 2}}))
	sw, err := d.Sweep(sid)
	require.NoError(t, err)
	assert.Equal(t, "cfg/s.yaml", sw.ConfigPath)
	r1, err := d.BeginRun(Run{VariantID: 1, SweepID: sid, Device: "cpu"})
	require.NoError(t, err)
	require.NoError(t, d.SetVariantStatus(1, StatusRunning, ""))
	require.NoError(t, d.FailVariants(StatusFailed, map[uint64]VariantEnd{1: {RunID: r1, RunEnd: RunEnd{Status: "failed", ExitStatus: 2,
		Failure: "crash", Error: "segmentation fault", PeakRSSBytes: 1234}}}))
	v, err := d.Variant(1)
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, v.Status)
	assert.Equal(t, "segmentation fault", v.Error)
	assert.Equal(t, 1, v.Attempts)
	runs, err := d.Runs(1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "crash", runs[0].Failure)
	assert.Equal(t, int64(1234), runs[0].PeakRSSBytes)
	assert.Equal(t, sid, runs[0].SweepID)
	assert.False(t, runs[0].Ended.IsZero())

	_, err = d.BeginRun(Run{VariantID: 2})
	require.NoError(t, err)
	require.NoError(t, d.SetVariantStatus(2, StatusRunning, ""))
	n, err := d.AbandonRunning("gone")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	v, _ = d.Variant(2)
	assert.Equal(t, StatusPending, v.Status)
	runs, _ = d.Runs(2)
	assert.Equal(t, RunAbandoned, runs[0].Status)
	all, err := d.AllRuns()
	require.NoError(t, err)
	assert.Len(t, all, 2)
}

package provenance

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attemptRows is how many rows table attempt holds.
func attemptRows(t *testing.T, d *DB) int {
	t.Helper()
	var n int
	require.NoError(t, d.SQL().QueryRow(`SELECT count(*) FROM attempt`).Scan(&n))
	return n
}

// A batch's runs are one attempt row until its variants end differently: then each end's
// variants are a row of their own, with the batch's start, batch id and worker, and every
// reader (Runs, the run view, RunTotals) sees one run per variant as before.
func TestAttemptSplitsWhenVariantsEndDifferently(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}, {ID: 5}}))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := func(vids ...uint64) []Run {
		var rs []Run
		for _, v := range vids {
			rs = append(rs, Run{VariantID: v, BatchID: "b", WorkerPID: 7, Started: t0, SweepID: sid})
		}
		return rs
	}
	ids, err := d.BeginRuns(batch(4, 2, 1, 3))
	require.NoError(t, err)
	assert.Equal(t, []int64{ids[0], ids[0], ids[0], ids[0]}, ids)
	assert.Equal(t, 1, attemptRows(t, d))
	var variants string
	require.NoError(t, d.SQL().QueryRow(`SELECT variants FROM attempt`).Scan(&variants))
	assert.Equal(t, "[1,2,3,4]", variants, "ascending")

	a := ids[0]
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1, 2}, Runs: map[uint64]int64{1: a, 2: a},
		Ended: t0.Add(2 * time.Second), PeakRSSBytes: 100}))
	require.NoError(t, d.FailVariants(StatusFailed, map[uint64]VariantEnd{3: {RunID: a,
		RunEnd: RunEnd{Status: "failed", Failure: "nonfinite", Error: "NaN", Ended: t0.Add(3 * time.Second)}}}))
	assert.Equal(t, 3, attemptRows(t, d), "done, failed, still running")
	n, err := d.AbandonRunning("gone")
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	want := map[uint64]string{1: StatusDone, 2: StatusDone, 3: "failed", 4: RunAbandoned}
	for vid, status := range want {
		runs, err := d.Runs(vid)
		require.NoError(t, err)
		require.Len(t, runs, 1, "variant %d", vid)
		r := runs[0]
		assert.Equal(t, status, r.Status, "variant %d", vid)
		assert.Equal(t, vid, r.VariantID)
		assert.True(t, r.Started.Equal(t0))
		assert.Equal(t, "b", r.BatchID)
		assert.Equal(t, 7, r.WorkerPID)
		assert.Equal(t, sid, r.SweepID)
	}
	runs, err := d.Runs(3)
	require.NoError(t, err)
	assert.Equal(t, "nonfinite", runs[0].Failure)
	assert.True(t, runs[0].Ended.Equal(t0.Add(3*time.Second)))
	runs, err = d.Runs(1)
	require.NoError(t, err)
	assert.EqualValues(t, 100, runs[0].PeakRSSBytes)
	runs, err = d.Runs(5)
	require.NoError(t, err)
	assert.Empty(t, runs)
	v, err := d.Variant(3)
	require.NoError(t, err)
	assert.Equal(t, "nonfinite", v.Failure)

	all, err := d.AllRuns()
	require.NoError(t, err)
	assert.Len(t, all, 4, "one per variant")
	var viewRows int
	require.NoError(t, d.SQL().QueryRow(`SELECT count(*) FROM run WHERE batch_id = 'b'`).Scan(&viewRows))
	assert.Equal(t, 4, viewRows)
	tot, err := d.RunTotals()
	require.NoError(t, err)
	assert.Equal(t, 4, tot.Runs)
	assert.EqualValues(t, 100, tot.PeakRSSBytes)

	// Ending a run twice, or one that is not of the attempt, fails and changes nothing.
	err = d.CompleteVariants(Completion{Variants: []uint64{5}, Runs: map[uint64]int64{5: a}})
	assert.ErrorIs(t, err, ErrNotFound)
	v, err = d.Variant(5)
	require.NoError(t, err)
	assert.Equal(t, StatusPending, v.Status, "rolled back")
	assert.Equal(t, 3, attemptRows(t, d))

	// A new attempt of the failed variant starts clean.
	_, err = d.BeginRuns(batch(3))
	require.NoError(t, err)
	v, err = d.Variant(3)
	require.NoError(t, err)
	assert.Equal(t, "", v.Failure)
	assert.Equal(t, 2, v.Attempts)
}

// writeSchema5 writes a database of schema 5 at path: variants 10 and 20 done in batch b
// (one file), variant 30 failed in batch b and again in batch c, and a variants table.
func writeSchema5(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	require.NoError(t, err)
	for _, m := range migrations[:5] {
		_, err := raw.Exec(m)
		require.NoError(t, err)
	}
	t0 := "2024-01-01T00:00:00.000000000Z"
	t1 := "2024-01-01T00:00:02.000000000Z"
	// Literal values: the driver binds the arguments of a multi-statement Exec statement by statement.
	_, err = raw.Exec(strings.NewReplacer("?1", "'"+t0+"'", "?2", "'"+t1+"'", "?3", "'"+sha+"'").Replace(`PRAGMA user_version = 5;
		INSERT INTO sweep (id, name, config_text, config_digest, created) VALUES (1, 's', 'x', 'd', ?1);
		INSERT INTO variant (id, sweep_id, point, repeat, seed, structure_key, status, attempts, updated)
			VALUES (10, 1, '{}', 0, '1', 'k', 'done', 1, ?1), (20, 1, '{}', 0, '2', 'k', 'done', 1, ?1),
			       (30, 1, '{}', 0, '3', 'k', 'failed', 2, ?1);
		INSERT INTO run (variant_id, batch_id, worker_pid, started, ended, status, exit_status, peak_rss_bytes, sweep_id, failure)
			VALUES (20, 'b', 5, ?1, ?2, 'done', 0, 9, 1, ''), (10, 'b', 5, ?1, ?2, 'done', 0, 9, 1, ''),
			       (30, 'b', 5, ?1, ?2, 'failed', 0, 9, 1, 'crash'), (30, 'c', 6, ?2, ?2, 'failed', 0, 9, 1, 'nonfinite');
		INSERT INTO output (sweep_id, variant_id, kind, path, rows, bytes, sha256, created)
			VALUES (1, 20, 'spikes', 'spikes/b.arrow', 4, 100, ?3, ?2), (1, 10, 'spikes', 'spikes/b.arrow', 3, 100, ?3, ?2),
			       (1, NULL, 'variants', 'variants.arrow', 3, 50, ?3, ?2);`))
	require.NoError(t, err)
	require.NoError(t, raw.Close())
}

// A database of schema 5 (a row per run and per variant's output) is upgraded in place: its
// runs become attempt rows by batch attempt and end, its records file rows, and what the
// readers return is unchanged.
func TestMigrationGroupsRunsAndFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "provenance.db")
	writeSchema5(t, path)
	d, err := Open(path)
	require.NoError(t, err)
	defer d.Close()
	assert.Equal(t, 3, attemptRows(t, d), "batch b's done runs, its failed run, batch c")
	v, err := d.Variant(30)
	require.NoError(t, err)
	assert.Equal(t, "nonfinite", v.Failure, "the latest run's")
	runs, err := d.Runs(30)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, []string{"crash", "nonfinite"}, []string{runs[0].Failure, runs[1].Failure})
	runs, err = d.Runs(10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, StatusDone, runs[0].Status)
	assert.EqualValues(t, 9, runs[0].PeakRSSBytes)

	outs, err := d.Outputs(u64(20), "")
	require.NoError(t, err)
	require.Len(t, outs, 1)
	assert.EqualValues(t, 4, outs[0].Rows, "the variant's own rows")
	assert.EqualValues(t, 100, outs[0].Bytes)
	outs, err = d.Outputs(nil, "variants")
	require.NoError(t, err)
	require.Len(t, outs, 1)
	assert.Nil(t, outs[0].VariantID)
	var files []FileRecord
	require.NoError(t, d.EachFile(func(f FileRecord) error {
		files = append(files, f)
		return nil
	}))
	assert.Equal(t, []FileRecord{{Path: "spikes/b.arrow", Kind: "spikes", SHA256: sha, Bytes: 100, Variants: []uint64{10, 20}, Agree: true}}, files)
	var fileRows int
	require.NoError(t, d.SQL().QueryRow(`SELECT count(*) FROM result_file`).Scan(&fileRows))
	assert.Equal(t, 2, fileRows)
}

// Merging a shard while its batch runs and again after the batch's variants ended
// differently leaves main with the shard's attempts and files, and a third merge adds nothing.
func TestMergeTakesAttemptsAsTheShardEndsThem(t *testing.T) {
	main, _ := openTemp(t)
	shard, shardPath := openTemp(t)
	sid := newSweep(t, shard)
	require.NoError(t, shard.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 2}, {ID: 3}}))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []Run
	for _, v := range []uint64{1, 2, 3} {
		batch = append(batch, Run{VariantID: v, BatchID: "b", WorkerPID: 7, Started: t0})
	}
	ids, err := shard.BeginRuns(batch)
	require.NoError(t, err)
	st, err := main.MergeFrom(shardPath)
	require.NoError(t, err)
	assert.Equal(t, MergeStats{Variants: 3, Attempts: 1}, st)
	runs, err := main.Runs(1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, StatusRunning, runs[0].Status)

	a := ids[0]
	outs := []Output{{SweepID: sid, VariantID: u64(1), Kind: "spikes", Path: "spikes/b.arrow", Rows: 2, Bytes: 9, SHA256: sha},
		{SweepID: sid, VariantID: u64(2), Kind: "spikes", Path: "spikes/b.arrow", Rows: 1, Bytes: 9, SHA256: sha}}
	// Ended now: a variant's row is taken when the shard's is newer.
	require.NoError(t, shard.CompleteVariants(Completion{Variants: []uint64{1, 2}, Runs: map[uint64]int64{1: a, 2: a}, Outputs: outs}))
	require.NoError(t, shard.FailVariants(StatusFailed, map[uint64]VariantEnd{3: {RunID: a,
		RunEnd: RunEnd{Status: "failed", Failure: "crash", Ended: t0.Add(time.Second)}}}))
	st, err = main.MergeFrom(shardPath)
	require.NoError(t, err)
	assert.Equal(t, MergeStats{Variants: 3, Attempts: 2, Files: 1}, st)
	for _, vid := range []uint64{1, 2, 3} {
		got, err := main.Runs(vid)
		require.NoError(t, err)
		want, err := shard.Runs(vid)
		require.NoError(t, err)
		require.Len(t, got, 1, "variant %d: the running attempt was replaced", vid)
		got[0].ID, want[0].ID = 0, 0
		assert.Equal(t, want, got, "variant %d", vid)
		mv, err := main.Variant(vid)
		require.NoError(t, err)
		sv, err := shard.Variant(vid)
		require.NoError(t, err)
		assert.Equal(t, sv, mv)
	}
	got, err := main.Outputs(u64(1), "spikes")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.EqualValues(t, 2, got[0].Rows)

	st, err = main.MergeFrom(shardPath)
	require.NoError(t, err)
	assert.Equal(t, MergeStats{}, st, "nothing new")
	assert.Equal(t, 2, attemptRows(t, main))
}

// A variant's runs and files are those whose arrays hold its id, not one whose digits are
// part of another id in the array's text.
func TestLookupsMatchWholeIDs(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 12}, {ID: 21}, {ID: 2}}))
	a, err := d.BeginRuns([]Run{{VariantID: 12, BatchID: "a"}})
	require.NoError(t, err)
	b, err := d.BeginRuns([]Run{{VariantID: 1, BatchID: "b"}, {VariantID: 21, BatchID: "b"}})
	require.NoError(t, err)
	out := func(vid uint64, path string) Output {
		return Output{SweepID: sid, VariantID: u64(vid), Kind: "spikes", Path: path, Rows: int64(vid), Bytes: 1, SHA256: sha}
	}
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{12}, Runs: map[uint64]int64{12: a[0]}, Outputs: []Output{out(12, "a.arrow")}}))
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1, 21}, Runs: map[uint64]int64{1: b[0], 21: b[1]},
		Outputs: []Output{out(21, "b.arrow"), out(1, "b.arrow")}}))
	for vid, want := range map[uint64]string{1: "b", 12: "a", 21: "b"} {
		runs, err := d.Runs(vid)
		require.NoError(t, err)
		require.Len(t, runs, 1, "variant %d", vid)
		assert.Equal(t, want, runs[0].BatchID, "variant %d", vid)
		outs, err := d.Outputs(u64(vid), "spikes")
		require.NoError(t, err)
		require.Len(t, outs, 1, "variant %d", vid)
		assert.Equal(t, want+".arrow", outs[0].Path, "variant %d", vid)
		assert.Equal(t, int64(vid), outs[0].Rows, "variant %d: its own rows", vid)
	}
	runs, err := d.Runs(2)
	require.NoError(t, err)
	assert.Empty(t, runs)
	outs, err := d.Outputs(u64(2), "")
	require.NoError(t, err)
	assert.Empty(t, outs)
}

// A shard written by a gennctl of schema 5 is upgraded in place and merged.
func TestMergeUpgradesOlderShard(t *testing.T) {
	main, _ := openTemp(t)
	shardPath := filepath.Join(t.TempDir(), "shard-000-of-001.db")
	writeSchema5(t, shardPath)
	st, err := main.MergeFrom(shardPath)
	require.NoError(t, err)
	assert.Equal(t, MergeStats{Variants: 3, Attempts: 3, Files: 1}, st)
	runs, err := main.Runs(30)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	v, err := main.Variant(30)
	require.NoError(t, err)
	assert.Equal(t, "nonfinite", v.Failure)
	assertCurrentSchema(t, shardPath)
}

package provenance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sha = strings.Repeat("ab", 32)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "provenance.db")
	d, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d, path
}

func newSweep(t *testing.T, d *DB) int64 {
	t.Helper()
	id, err := d.UpsertSweep(Sweep{Name: "s", ConfigText: "name: s\n", ConfigDigest: "sha256:1"})
	require.NoError(t, err)
	return id
}

func u64(v uint64) *uint64 { return &v }

// assertCurrentSchema opens the database at path and checks that every
// migration has been applied to it.
func assertCurrentSchema(t *testing.T, path string) {
	t.Helper()
	d, err := Open(path)
	require.NoError(t, err)
	defer d.Close()
	v, err := d.SchemaVersion()
	require.NoError(t, err)
	assert.Equal(t, len(migrations), v)
}

func TestOpenMigratesOnceWithPragmas(t *testing.T) {
	d, path := openTemp(t)
	v, err := d.SchemaVersion()
	require.NoError(t, err)
	assert.Equal(t, len(migrations), v)
	sid := newSweep(t, d)
	require.NoError(t, d.Close())

	// Reopening applies nothing again and keeps the data.
	d2, err := Open(path)
	require.NoError(t, err)
	defer d2.Close()
	v, err = d2.SchemaVersion()
	require.NoError(t, err)
	assert.Equal(t, len(migrations), v)
	ss, err := d2.Sweeps()
	require.NoError(t, err)
	require.Len(t, ss, 1)
	assert.Equal(t, sid, ss[0].ID)

	var mode string
	require.NoError(t, d2.SQL().QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
	var fk, busy int
	require.NoError(t, d2.SQL().QueryRow("PRAGMA foreign_keys").Scan(&fk))
	assert.Equal(t, 1, fk)
	require.NoError(t, d2.SQL().QueryRow("PRAGMA busy_timeout").Scan(&busy))
	assert.Equal(t, int(BusyTimeout.Milliseconds()), busy)
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	d, path := openTemp(t)
	_, err := d.SQL().Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1))
	require.NoError(t, err)
	require.NoError(t, d.Close())
	_, err = Open(path)
	assert.ErrorContains(t, err, "newer")
}

func TestOpenOddPath(t *testing.T) {
	// '?' and '#' would otherwise be read as URI syntax.
	path := filepath.Join(t.TempDir(), "a?b#c", "p.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	d, err := Open(path)
	require.NoError(t, err)
	defer d.Close()
	assert.FileExists(t, path)
}

func TestForeignKeysEnforced(t *testing.T) {
	d, _ := openTemp(t)
	err := d.RecordEnvironment(999, Environment{})
	assert.Error(t, err)
	err = d.UpsertVariants(999, []Variant{{ID: 1, Point: "{}"}})
	assert.Error(t, err)
	_, err = d.BeginRun(Run{VariantID: 42})
	assert.Error(t, err)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}}))
	_, err = d.BeginRun(Run{VariantID: 1, BuildID: 77})
	assert.Error(t, err, "unknown build")
}

func TestSweepUpsert(t *testing.T) {
	d, _ := openTemp(t)
	created := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	s := Sweep{Name: "exc", ConfigText: "a: 1\n", ConfigDigest: "sha256:aa", Created: created,
		GennctlVersion: "v1.2.3", VCSCommit: "deadbeef", VCSDirty: true}
	id, err := d.UpsertSweep(s)
	require.NoError(t, err)
	id2, err := d.UpsertSweep(Sweep{Name: "exc", ConfigText: "other", ConfigDigest: "sha256:aa"})
	require.NoError(t, err)
	assert.Equal(t, id, id2, "same name and digest is the same sweep")
	id3, err := d.UpsertSweep(Sweep{Name: "exc", ConfigText: "a: 2\n", ConfigDigest: "sha256:bb"})
	require.NoError(t, err)
	assert.NotEqual(t, id, id3)

	ss, err := d.Sweeps()
	require.NoError(t, err)
	require.Len(t, ss, 2)
	s.ID = id
	assert.Equal(t, s, ss[0])
	assert.False(t, ss[1].Created.IsZero(), "zero Created means now")

	_, err = d.UpsertSweep(Sweep{Name: "x"})
	assert.Error(t, err)
}

func TestEnvironmentRoundTrip(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	e := CurrentEnvironment()
	assert.NotEmpty(t, e.OS)
	assert.NotEmpty(t, e.GoVersion)
	assert.Positive(t, e.Cores)
	e.SweepID = sid
	e.Recorded = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	e.GPUs = `[{"name":"NVIDIA H100","memory_bytes":85899345920}]`
	e.Driver = "550.54"
	e.CUDAVersion = "12.4"
	require.NoError(t, d.RecordEnvironment(sid, e))
	require.NoError(t, d.RecordEnvironment(sid, Environment{Hostname: "other"}))
	assert.Error(t, d.RecordEnvironment(sid, Environment{GPUs: "not json"}))

	es, err := d.Environments(sid)
	require.NoError(t, err)
	require.Len(t, es, 2)
	e.ID = es[0].ID
	assert.Equal(t, e, es[0])
	assert.Equal(t, "[]", es[1].GPUs)
	assert.Equal(t, sid, es[1].SweepID)
}

func TestVariantRoundTripAndUpsert(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	vs := []Variant{
		{ID: 0, Point: `{"E.TauM":10}`, Repeat: 0, Seed: math.MaxUint64, StructureKey: "k1"},
		{ID: 1, Point: `{"E.TauM":20}`, Repeat: 1, Seed: 1 << 63, StructureKey: "k1"},
		{ID: MaxVariantID - 1, Repeat: 2, Seed: 0, StructureKey: "k2"},
	}
	require.NoError(t, d.UpsertVariants(sid, vs))

	got, err := d.Variant(0)
	require.NoError(t, err)
	assert.Equal(t, uint64(math.MaxUint64), got.Seed, "seed 2^64-1 round-trips")
	assert.Equal(t, StatusPending, got.Status)
	assert.Equal(t, `{"E.TauM":10}`, got.Point)
	assert.Equal(t, sid, got.SweepID)
	assert.False(t, got.Updated.IsZero())
	var stored string
	require.NoError(t, d.SQL().QueryRow(`SELECT seed FROM variant WHERE id = 0`).Scan(&stored))
	assert.Equal(t, "18446744073709551615", stored, "seeds are stored as decimal text")

	got, err = d.Variant(MaxVariantID - 1)
	require.NoError(t, err)
	assert.Equal(t, "{}", got.Point)
	assert.Equal(t, 2, got.Repeat)

	_, err = d.Variant(5)
	assert.True(t, errors.Is(err, ErrNotFound))
	assert.Error(t, d.UpsertVariants(sid, []Variant{{ID: MaxVariantID}}), "ids must be below 2^53")
	assert.Error(t, d.UpsertVariants(sid, []Variant{{ID: 9, Point: "{"}}), "point must be JSON")

	// Progress on variant 0 and 1.
	require.NoError(t, d.SetVariantStatus(0, StatusRunning, ""))
	require.NoError(t, d.SetVariantStatus(0, StatusFailed, "boom"))
	require.NoError(t, d.SetVariantStatus(0, StatusRunning, ""))
	require.NoError(t, d.SetVariantStatus(1, StatusRunning, ""))
	require.NoError(t, d.SetVariantStatus(1, StatusDone, ""))
	assert.Error(t, d.SetVariantStatus(1, "weird", ""))
	assert.True(t, errors.Is(d.SetVariantStatus(77, StatusDone, ""), ErrNotFound))
	got, err = d.Variant(0)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, got.Status)
	assert.Equal(t, 2, got.Attempts)

	// Upserting again: unchanged definitions keep their status (also under a new sweep row),
	// a changed definition is reset, new ones are added as pending.
	sid2, err := d.UpsertSweep(Sweep{Name: "s", ConfigText: "# edited\n", ConfigDigest: "sha256:2"})
	require.NoError(t, err)
	vs[1].Seed = 12345
	vs = append(vs, Variant{ID: 3, Point: `{"E.TauM":30}`, StructureKey: "k1"})
	require.NoError(t, d.UpsertVariants(sid2, vs))
	all, err := d.Variants("")
	require.NoError(t, err)
	require.Len(t, all, 4)
	assert.Equal(t, StatusRunning, all[0].Status)
	assert.Equal(t, 2, all[0].Attempts)
	assert.Equal(t, sid2, all[0].SweepID)
	assert.Equal(t, StatusPending, all[1].Status, "changed seed resets the variant")
	assert.Equal(t, 0, all[1].Attempts)
	assert.Equal(t, uint64(12345), all[1].Seed)
	assert.Equal(t, uint64(3), all[2].ID)
	assert.Equal(t, StatusPending, all[2].Status)

	pending, err := d.Variants(StatusPending)
	require.NoError(t, err)
	assert.Len(t, pending, 3)
	counts, err := d.CountsByStatus()
	require.NoError(t, err)
	assert.Equal(t, map[string]int{StatusPending: 3, StatusRunning: 1}, counts)
}

func TestBuildAndRunRoundTrip(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 7, StructureKey: "k"}}))

	b := Build{StructureKey: "k", SourceDigest: "sha256:src", ModuleKey: "mk", ModulePath: "/cache/mk.so",
		Backend: "cuda", Compiler: "nvcc", CompilerVersion: "12.4", Flags: "-O3 -arch=sm_90", TargetArch: "sm_90",
		Started: time.Date(2024, 1, 1, 0, 0, 0, 500, time.UTC), Duration: 12345678 * time.Microsecond, CacheHit: true}
	bid, err := d.RecordBuild(b)
	require.NoError(t, err)
	_, err = d.RecordBuild(Build{StructureKey: "k"})
	require.NoError(t, err)
	bs, err := d.Builds()
	require.NoError(t, err)
	require.Len(t, bs, 2)
	b.ID = bid
	assert.Equal(t, b, bs[0])
	assert.False(t, bs[1].Started.IsZero())
	assert.False(t, bs[1].CacheHit)

	r := Run{VariantID: 7, BuildID: bid, BatchID: "b0001", WorkerPID: 4242, Host: "node1", Device: "cuda:0",
		Started: time.Date(2024, 1, 1, 0, 1, 0, 0, time.UTC)}
	rid, err := d.BeginRun(r)
	require.NoError(t, err)
	runs, err := d.Runs(7)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	r.ID, r.Status = rid, "running"
	assert.Equal(t, r, runs[0])
	assert.True(t, runs[0].Ended.IsZero())

	ended := time.Date(2024, 1, 1, 0, 2, 0, 0, time.UTC)
	require.NoError(t, d.FinishRun(rid, "failed", 139, "segfault", ended))
	require.NoError(t, d.SetRunPeakRSS(rid, 1<<33))
	assert.True(t, errors.Is(d.FinishRun(999, "failed", 1, "", ended), ErrNotFound))
	runs, err = d.Runs(7)
	require.NoError(t, err)
	r.Status, r.ExitStatus, r.Error, r.Ended, r.PeakRSSBytes = "failed", 139, "segfault", ended, 1<<33
	assert.Equal(t, r, runs[0])

	rid2, err := d.BeginRun(Run{VariantID: 7})
	require.NoError(t, err)
	runs, err = d.Runs(7)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, rid2, runs[1].ID)
	assert.Zero(t, runs[1].BuildID)
}

func TestCompleteVariants(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 2}, {ID: 3}}))
	runs := map[uint64]int64{}
	for _, id := range []uint64{1, 2} {
		require.NoError(t, d.SetVariantStatus(id, StatusRunning, ""))
		rid, err := d.BeginRun(Run{VariantID: id, BatchID: "b1"})
		require.NoError(t, err)
		runs[id] = rid
	}
	created := time.Date(2024, 3, 3, 3, 3, 3, 3, time.UTC)
	outs := []Output{
		{SweepID: sid, VariantID: u64(1), Kind: "spikes", Path: "spikes/b1.arrow", Rows: 10, Bytes: 1000, SHA256: sha, Created: created},
		{SweepID: sid, VariantID: u64(2), Kind: "spikes", Path: "spikes/b1.arrow", Rows: 10, Bytes: 1000, SHA256: sha, Created: created},
	}
	state := func() (map[string]int, int, []Run) {
		c, err := d.CountsByStatus()
		require.NoError(t, err)
		o, err := d.Outputs(nil, "")
		require.NoError(t, err)
		r, err := d.Runs(1)
		require.NoError(t, err)
		return c, len(o), r
	}

	// Each of these fails somewhere in the middle; none may leave any trace.
	failing := []struct {
		name string
		outs []Output
		ids  []uint64
		runs map[uint64]int64
	}{
		{"bad output sha", append(outs[:1:1], Output{SweepID: sid, VariantID: u64(2), Kind: "spikes", Path: "x", SHA256: "short"}), []uint64{1, 2}, runs},
		{"output for unknown variant", append(outs[:1:1], Output{SweepID: sid, VariantID: u64(99), Kind: "spikes", Path: "x", SHA256: sha}), []uint64{1, 2}, runs},
		{"absolute output path", append(outs[:1:1], Output{SweepID: sid, Kind: "spikes", Path: "/abs", SHA256: sha}), []uint64{1, 2}, runs},
		{"unknown variant", outs, []uint64{1, 2, 99}, runs},
		{"run of another variant", outs, []uint64{1, 2}, map[uint64]int64{1: runs[2]}},
	}
	for _, f := range failing {
		err := d.CompleteVariants(Completion{Variants: f.ids, Runs: f.runs, Outputs: f.outs})
		require.Error(t, err, f.name)
		c, n, r := state()
		assert.Equal(t, map[string]int{StatusRunning: 2, StatusPending: 1}, c, f.name)
		assert.Zero(t, n, f.name)
		assert.Equal(t, "running", r[0].Status, f.name)
	}

	ended := time.Date(2024, 3, 3, 3, 3, 4, 0, time.UTC)
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1, 2}, Runs: runs, Outputs: outs, Ended: ended}))
	c, n, r := state()
	assert.Equal(t, map[string]int{StatusDone: 2, StatusPending: 1}, c)
	assert.Equal(t, 2, n)
	assert.Equal(t, "done", r[0].Status)
	assert.Equal(t, ended, r[0].Ended)

	got, err := d.Outputs(u64(2), "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	want := outs[1]
	want.ID = got[0].ID
	assert.Equal(t, want, got[0])

	// Sweep-level output; rewriting the same path replaces its record.
	vt := Output{SweepID: sid, Kind: "variants", Path: "variants.arrow", Rows: 3, Bytes: 10, SHA256: sha}
	require.NoError(t, d.RecordOutputs([]Output{vt}))
	vt.SHA256 = strings.Repeat("cd", 32)
	require.NoError(t, d.RecordOutputs([]Output{vt}))
	got, err = d.Outputs(nil, "variants")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Nil(t, got[0].VariantID)
	assert.Equal(t, vt.SHA256, got[0].SHA256)
	got, err = d.Outputs(nil, "spikes")
	require.NoError(t, err)
	assert.Len(t, got, 2)
	got, err = d.Outputs(u64(1), "variants")
	require.NoError(t, err)
	assert.Empty(t, got)

	// A file rewritten under another sweep (config), as a variant run again
	// after --force-config: its latest record replaces the earlier one.
	sid2, err := d.UpsertSweep(Sweep{Name: "s", ConfigText: "changed\n", ConfigDigest: "sha256:2"})
	require.NoError(t, err)
	again := outs[1]
	again.SweepID, again.SHA256 = sid2, strings.Repeat("ef", 32)
	require.NoError(t, d.RecordOutputs([]Output{again}))
	got, err = d.Outputs(u64(2), "")
	require.NoError(t, err)
	require.Len(t, got, 1, "one record per file")
	assert.Equal(t, again.SHA256, got[0].SHA256)
	assert.Equal(t, sid2, got[0].SweepID)
}

// TestConcurrentAccess checks that readers on a separate handle and a second writer proceed
// while a writer commits many small transactions, without "database is locked".
func TestConcurrentAccess(t *testing.T) {
	w, path := openTemp(t)
	sid := newSweep(t, w)
	const n = 200
	var vs []Variant
	for i := 0; i < n; i++ {
		vs = append(vs, Variant{ID: uint64(i), Point: fmt.Sprintf(`{"i":%d}`, i), StructureKey: "k"})
	}
	require.NoError(t, w.UpsertVariants(sid, vs))

	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	w2, err := Open(path)
	require.NoError(t, err)
	defer w2.Close()

	stop := make(chan struct{})
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := r.CountsByStatus(); err != nil {
					errs <- err
					return
				}
				if _, err := r.Variants(StatusDone); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// A second process-like writer competing for the write lock.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n/2; i++ {
			if _, err := w2.RecordBuild(Build{StructureKey: "k"}); err != nil {
				errs <- err
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		id := uint64(i)
		rid, err := w.BeginRun(Run{VariantID: id})
		require.NoError(t, err)
		out := Output{SweepID: sid, VariantID: &id, Kind: "spikes", Path: fmt.Sprintf("spikes/%d.arrow", i), SHA256: sha}
		require.NoError(t, w.CompleteVariants(Completion{Variants: []uint64{id}, Runs: map[uint64]int64{id: rid}, Outputs: []Output{out}}))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent access: %v", err)
	}
	c, err := r.CountsByStatus()
	require.NoError(t, err)
	assert.Equal(t, map[string]int{StatusDone: n}, c)
	bs, err := r.Builds()
	require.NoError(t, err)
	assert.Len(t, bs, n/2)
}

func TestConcurrentOpenOfNewDatabase(t *testing.T) {
	// Shards or parallel commands may create the same database at once; migrations must run
	// exactly once and nobody may fail.
	path := filepath.Join(t.TempDir(), "p.db")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d, err := Open(path)
			if err == nil {
				err = d.Close()
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assertCurrentSchema(t, path)
}

// TestChangedNetworkResetsVariant: a done variant whose value digest changed
// (a fixed value of its network, not its point) is pending again;
// SameDefinition agrees with the upsert.
func TestChangedNetworkResetsVariant(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	v := Variant{ID: 1, Point: `{}`, StructureKey: "k", ValueDigest: "v1"}
	require.NoError(t, d.UpsertVariants(sid, []Variant{v}))
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1}}))
	require.NoError(t, d.UpsertVariants(sid, []Variant{v}))
	got, err := d.Variant(1)
	require.NoError(t, err)
	assert.Equal(t, StatusDone, got.Status, "the same network keeps its result")
	assert.True(t, got.SameDefinition(v))

	changed := v
	changed.ValueDigest = "v2"
	assert.False(t, got.SameDefinition(changed))
	require.NoError(t, d.UpsertVariants(sid, []Variant{changed}))
	got, err = d.Variant(1)
	require.NoError(t, err)
	assert.Equal(t, StatusPending, got.Status, "another network: the result does not stand")
	assert.Equal(t, "v2", got.ValueDigest)
}

// TestDamagedDatabase: a database SQLite finds damaged gives a
// *DamagedError saying how to recover, from Open (not a database) or from
// Check (damaged pages).
func TestDamagedDatabase(t *testing.T) {
	d, path := openTemp(t)
	sid := newSweep(t, d)
	var vs []Variant
	for i := 0; i < 2000; i++ {
		vs = append(vs, Variant{ID: uint64(i), Point: fmt.Sprintf(`{"x":%d}`, i), StructureKey: strings.Repeat("k", 64)})
	}
	require.NoError(t, d.UpsertVariants(sid, vs))
	require.NoError(t, d.Check(false), "a sound database")
	require.NoError(t, d.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(data), 16*4096)
	damaged := append([]byte{}, data...)
	for i := 8 * 4096; i < 12*4096; i++ { // pages in the middle of the variant table
		damaged[i] = 0x5a
	}
	require.NoError(t, os.WriteFile(path, damaged, 0o644))
	d, err = Open(path)
	require.NoError(t, err, "the header is intact")
	err = d.Check(true)
	var de *DamagedError
	require.ErrorAs(t, err, &de)
	assert.NotEmpty(t, de.Problems)
	assert.Contains(t, err.Error(), path+" is damaged")
	assert.Contains(t, err.Error(), ".recover")
	assert.Contains(t, err.Error(), "mv "+path+" "+path+".damaged")
	require.NoError(t, d.Close())

	notDB := filepath.Join(t.TempDir(), "provenance.db")
	require.NoError(t, os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 1000), 0o644))
	_, err = Open(notDB)
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), "rerun")
}

// TestJSONKeysSnakeCase: records print with snake_case keys, as every JSON
// output of gennctl does.
func TestJSONKeysSnakeCase(t *testing.T) {
	for _, v := range []any{Sweep{}, Environment{}, Variant{}, Build{}, Run{Ended: time.Now()}, Output{}, MergeStats{}} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		for k := range m {
			assert.Regexp(t, `^[a-z0-9]+(_[a-z0-9]+)*$`, k, "%T", v)
		}
	}
}

// A batch's runs begin in one transaction: every variant becomes running
// with one more attempt and gets its run, or (an unknown variant) none does.
func TestBeginRunsIsOneTransaction(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1, Seed: 1}, {ID: 2, Seed: 2}, {ID: 3, Seed: 3}}))
	started := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ids, err := d.BeginRuns([]Run{{VariantID: 1, BatchID: "b", Started: started, SweepID: sid}, {VariantID: 2, BatchID: "b", Started: started, SweepID: sid}})
	require.NoError(t, err)
	require.Len(t, ids, 2)
	assert.Equal(t, ids[0], ids[1], "a batch's runs are one attempt")
	for k, vid := range []uint64{1, 2} {
		v, err := d.Variant(vid)
		require.NoError(t, err)
		assert.Equal(t, StatusRunning, v.Status)
		assert.Equal(t, 1, v.Attempts)
		runs, err := d.Runs(vid)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		assert.Equal(t, ids[k], runs[0].ID)
		assert.Equal(t, Run{ID: ids[k], VariantID: vid, BatchID: "b", Started: started, Status: StatusRunning, SweepID: sid}, runs[0])
	}

	_, err = d.BeginRuns([]Run{{VariantID: 3}, {VariantID: 99}})
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)
	v, err := d.Variant(3)
	require.NoError(t, err)
	assert.Equal(t, StatusPending, v.Status, "rolled back")
	assert.Zero(t, v.Attempts)
	runs, err := d.Runs(3)
	require.NoError(t, err)
	assert.Empty(t, runs)

	// The worker's peak memory ends the batch's runs with them; an unknown run fails it all.
	err = d.CompleteVariants(Completion{Variants: []uint64{1, 2}, Runs: map[uint64]int64{1: ids[0], 2: 999}, PeakRSSBytes: 1})
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)
	runs, err = d.Runs(1)
	require.NoError(t, err)
	assert.Zero(t, runs[0].PeakRSSBytes, "rolled back")
	assert.Equal(t, StatusRunning, runs[0].Status, "rolled back")
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1, 2}, Runs: map[uint64]int64{1: ids[0], 2: ids[1]}, PeakRSSBytes: 1 << 30}))
	for _, vid := range []uint64{1, 2} {
		runs, err := d.Runs(vid)
		require.NoError(t, err)
		assert.EqualValues(t, 1<<30, runs[0].PeakRSSBytes)
		assert.Equal(t, StatusDone, runs[0].Status)
	}
}

// The bulk reads a rerun of 10^6 variants makes: every status in one
// query, every variant's outputs streamed, the time of the last change.
func TestBulkReads(t *testing.T) {
	d, _ := openTemp(t)
	last, err := d.LastVariantUpdate()
	require.NoError(t, err)
	assert.True(t, last.IsZero(), "no variants")
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 2}, {ID: 3}}))
	ids, err := d.BeginRuns([]Run{{VariantID: 1}, {VariantID: 2}})
	require.NoError(t, err)
	before, err := d.LastVariantUpdate()
	require.NoError(t, err)
	ended := before.Add(time.Second)
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1}, Runs: map[uint64]int64{1: ids[0]},
		Outputs: []Output{{SweepID: sid, VariantID: u64(1), Kind: "spikes", Path: "spikes/1.arrow", Rows: 3, Bytes: 10, SHA256: sha}}, Ended: ended}))
	require.NoError(t, d.RecordOutputs([]Output{{SweepID: sid, Kind: "variants", Path: "variants.arrow", SHA256: sha}}))

	st, err := d.Statuses()
	require.NoError(t, err)
	assert.Equal(t, map[uint64]string{1: StatusDone, 2: StatusRunning, 3: StatusPending}, st)
	var files []FileRecord
	require.NoError(t, d.EachFile(func(f FileRecord) error {
		files = append(files, f)
		return nil
	}))
	assert.Equal(t, []FileRecord{{Path: "spikes/1.arrow", Kind: "spikes", SHA256: sha, Bytes: 10, Variants: []uint64{1}, Agree: true}}, files,
		"sweep-level files are left out")
	last, err = d.LastVariantUpdate()
	require.NoError(t, err)
	assert.True(t, last.Equal(ended), "%v, want %v", last, ended)
}

// EachFile reads the records of a file as one: its variants ascending
// whatever order they were recorded in, and whether the records agree on
// the file's size, sha256 and kind.
func TestEachFileGroupsRecords(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}))
	ids, err := d.BeginRuns([]Run{{VariantID: 1}, {VariantID: 2}, {VariantID: 3}, {VariantID: 4}})
	require.NoError(t, err)
	sha := strings.Repeat("ab", 32)
	out := func(vid uint64, path string) Output {
		return Output{SweepID: sid, VariantID: u64(vid), Kind: "spikes", Path: path, Rows: 1, Bytes: 10, SHA256: sha}
	}
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{3, 1, 2, 4}, Runs: map[uint64]int64{1: ids[0], 2: ids[1], 3: ids[2], 4: ids[3]},
		Outputs: []Output{out(3, "spikes/a.arrow"), out(1, "spikes/a.arrow"), out(2, "spikes/b.arrow"), out(4, "spikes/b.arrow")}}))
	// Two recordings of one file that disagree, as a merge can leave them: variant 4's says 11 bytes.
	_, err = d.SQL().Exec(`UPDATE result_file SET variants = '[2]', variant_rows = '[1]' WHERE path = 'spikes/b.arrow'`)
	require.NoError(t, err)
	_, err = d.SQL().Exec(`INSERT INTO result_file (sweep_id, kind, path, variants, variant_rows, rows, bytes, sha256, created)
		SELECT sweep_id, kind, path, '[4]', '[1]', 1, 11, sha256, created FROM result_file WHERE path = 'spikes/b.arrow'`)
	require.NoError(t, err)
	var files []FileRecord
	require.NoError(t, d.EachFile(func(f FileRecord) error {
		files = append(files, f)
		return nil
	}))
	assert.Equal(t, []FileRecord{
		{Path: "spikes/a.arrow", Kind: "spikes", SHA256: sha, Bytes: 10, Variants: []uint64{1, 3}, Agree: true},
		{Path: "spikes/b.arrow", Kind: "spikes", SHA256: sha, Bytes: 10, Variants: []uint64{2, 4}, Agree: false},
	}, files)
}

// status's aggregates: counts by status of the last sweep and of earlier
// ones, failed variants with their latest run's failure, and run totals
// with each batch attempt's duration counted once.
func TestStatusAggregates(t *testing.T) {
	d, _ := openTemp(t)
	old := newSweep(t, d)
	cur, err := d.UpsertSweep(Sweep{Name: "s", ConfigText: "name: s\n# edited\n", ConfigDigest: "sha256:2"})
	require.NoError(t, err)
	require.NoError(t, d.UpsertVariants(old, []Variant{{ID: 9}}))
	require.NoError(t, d.UpsertVariants(cur, []Variant{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ids, err := d.BeginRuns([]Run{{VariantID: 1, BatchID: "a", WorkerPID: 1, Started: t0}, {VariantID: 2, BatchID: "a", WorkerPID: 1, Started: t0},
		{VariantID: 3, BatchID: "b", WorkerPID: 2, Started: t0}})
	require.NoError(t, err)
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1, 2}, Runs: map[uint64]int64{1: ids[0], 2: ids[1]}, Ended: t0.Add(2 * time.Second)}))
	require.NoError(t, d.FailVariants(StatusFailed, map[uint64]VariantEnd{3: {RunID: ids[2],
		RunEnd: RunEnd{Status: "failed", Failure: "crash", Error: "segfault", PeakRSSBytes: 5 << 20, Ended: t0.Add(3 * time.Second)}}}))

	counts, others, err := d.StatusCounts(cur)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{StatusDone: 2, StatusFailed: 1, StatusPending: 1}, counts)
	assert.Equal(t, 1, others)
	all, others, err := d.StatusCounts(0)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{StatusDone: 2, StatusFailed: 1, StatusPending: 2}, all)
	assert.Zero(t, others)

	failed, err := d.FailedVariants(cur)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	assert.Equal(t, uint64(3), failed[0].ID)
	assert.Equal(t, "crash", failed[0].Failure)
	assert.Equal(t, "segfault", failed[0].Error)

	tot, err := d.RunTotals()
	require.NoError(t, err)
	assert.Equal(t, 3, tot.Runs)
	assert.EqualValues(t, 5<<20, tot.PeakRSSBytes)
	assert.True(t, tot.FirstStart.Equal(t0))
	assert.True(t, tot.LastEnd.Equal(t0.Add(3*time.Second)))
	assert.InDelta(t, 2+3, tot.WorkerSeconds, 1e-9, "batch a (two runs) once, batch b once")
}

func TestVariantSets(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	vs := []Variant{{ID: 1, Point: `{"a":1}`, Seed: 7, StructureKey: "k", ValueDigest: "v"}, {ID: 2, Point: `{"a":2}`, Seed: 8, StructureKey: "k", ValueDigest: "v"}}
	digest := func(sweepID int64, vs []Variant) *VariantSetDigest {
		set := NewVariantSetDigest(sweepID)
		set.Add(vs)
		return set
	}
	set := digest(sid, vs)
	has, err := d.HasVariantSet(set.Sum())
	require.NoError(t, err)
	assert.False(t, has, "nothing recorded yet")
	anySet, err := d.AnyVariantSet()
	require.NoError(t, err)
	assert.False(t, anySet)
	require.NoError(t, d.UpsertVariants(sid, vs))
	require.NoError(t, d.RecordVariantSet(set))
	has, err = d.HasVariantSet(set.Sum())
	require.NoError(t, err)
	assert.True(t, has)
	assert.Equal(t, 2, set.Len())
	anySet, err = d.AnyVariantSet()
	require.NoError(t, err)
	assert.True(t, anySet)

	// Any change of a definition, or of the sweep the variants belong to, digests differently.
	changed := append([]Variant(nil), vs...)
	changed[1].Seed = 9
	assert.NotEqual(t, set.Sum(), digest(sid, changed).Sum())
	assert.NotEqual(t, set.Sum(), digest(sid+1, vs).Sum())
	assert.NotEqual(t, set.Sum(), digest(sid, vs[:1]).Sum())
	assert.Equal(t, set.Sum(), digest(sid, []Variant{vs[1], vs[0]}).Sum(), "in any order")
	one := NewVariantSetDigest(sid)
	one.Add(vs[:1])
	one.Add(vs[1:])
	assert.Equal(t, set.Sum(), one.Sum(), "in any chunks")

	// Another upsert forgets every recorded set, even of the same definitions.
	require.NoError(t, d.UpsertVariants(sid, changed))
	has, err = d.HasVariantSet(set.Sum())
	require.NoError(t, err)
	assert.False(t, has)

	// So does a merge.
	require.NoError(t, d.UpsertVariants(sid, vs))
	require.NoError(t, d.RecordVariantSet(set))
	shard, shardPath := openTemp(t)
	require.NoError(t, shard.UpsertVariants(newSweep(t, shard), []Variant{{ID: 3, Point: `{}`, StructureKey: "k"}}))
	_, err = d.MergeFrom(shardPath)
	require.NoError(t, err)
	has, err = d.HasVariantSet(set.Sum())
	require.NoError(t, err)
	assert.False(t, has)
}

// The set-based statements' rows encode as encoding/json encodes them.
func TestJSONRows(t *testing.T) {
	for _, rows := range []any{
		[]int64{1, -2, 1 << 52},
		[][]any{{int64(7), "p\"q\\\n\u2028<>&é", 3, nil}, {int64(8), "", 0, nil}},
		[]any{[]any{int64(1), int64(40)}, []any{nil, int64(0)}},
		[]string{"a/b.arrow", "c"},
		[][2]int64{{1, 2}, {3, 4}},
		[]int64{},
	} {
		want, err := json.Marshal(rows)
		require.NoError(t, err)
		got, err := jsonRows(rows)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), got, "%#v", rows)
	}
	_, err := jsonRows([]any{1.5})
	assert.Error(t, err, "a type rows never hold")
}

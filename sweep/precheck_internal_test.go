package sweep

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/provenance"
)

// TestPrecheckStandsForUnchangedFile: a precheck writes nothing, and its
// verdict stands for the database Run opens when the file is as it was when
// the check began, an open and close in between (Run's config comparison)
// included; a write in between, another path, another shard's database or
// commits in the write-ahead log make Run check; damage found by the
// precheck is reported.
func TestPrecheckStandsForUnchangedFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("name: swept\npopulations: {}\n"), 0o644))
	out := filepath.Join(dir, "out")
	path := filepath.Join(out, "swept", DBPath(Whole))
	require.Nil(t, StartPrecheck(cfg, out, Whole), "no database yet: nothing to check")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	db, err := provenance.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	pre := StartPrecheck(cfg, out, Whole)
	require.NotNil(t, pre)
	pre.Wait()
	for _, side := range []string{"-wal", "-shm"} {
		require.NoFileExists(t, path+side, "the precheck writes nothing")
	}
	db, err = provenance.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.True(t, pre.stands(path))
	require.False(t, pre.stands(filepath.Join(out, "other", DBPath(Whole))))
	require.NoError(t, pre.verdict(func() error { t.Fatal("the precheck's verdict stands"); return nil }))

	pre = StartPrecheck(cfg, out, Whole)
	db, err = provenance.Open(path)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`CREATE TABLE written (x)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.False(t, pre.stands(path), "written after the check began")
	pre.Wait()
	require.Nil(t, StartPrecheck(cfg, out, Shard{Index: 1, Count: 2}), "the shard has no database")
	db, err = provenance.Open(path)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`CREATE TABLE in_the_log (x)`)
	require.NoError(t, err)
	require.Nil(t, StartPrecheck(cfg, out, Whole), "commits in the write-ahead log: Run checks")
	require.NoError(t, db.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := 4096; i < len(data); i++ { // every page after the header
		data[i] ^= 0x5a
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
	pre = StartPrecheck(cfg, out, Whole)
	require.True(t, pre.stands(path))
	var damaged *provenance.DamagedError
	require.ErrorAs(t, pre.verdict(func() error { return nil }), &damaged)
}

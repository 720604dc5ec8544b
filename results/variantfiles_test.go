package results

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSpikes writes a spike file of the given variants, each with n+1 spikes for its
// index n, sorted by variant.
func writeSpikes(t *testing.T, path string, ids []uint64) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	w, err := NewSpikeWriter(path, []string{"E"}, nil)
	require.NoError(t, err)
	for n, id := range ids {
		for k := 0; k <= n; k++ {
			require.NoError(t, w.Write([]uint64{id}, []uint32{0}, []uint32{uint32(k)}, []float64{float64(k)}))
		}
	}
	_, err = w.Close()
	require.NoError(t, err)
}

// VariantFiles reads layout 2 through variants.arrow's file columns, layout 1 through the
// per-variant names, and refuses a newer layout; the variant readers see only their rows.
func TestVariantFilesAndRows(t *testing.T) {
	dir := t.TempDir()
	file := BatchFile(SpikesDir, "", []uint64{7, 3})
	assert.Equal(t, file, BatchFile(SpikesDir, "", []uint64{3, 7}), "named by the set, not its order")
	assert.NotEqual(t, file, BatchFile(SpikesDir, "", []uint64{3, 8}))
	writeSpikes(t, filepath.Join(dir, file), []uint64{3, 7})
	table := func(layout string) {
		t.Helper()
		_, err := WriteTable(filepath.Join(dir, VariantsFile), []Column{
			{Name: ColVariantID, Uint64: []uint64{3, 7, 9}},
			{Name: FileColumn("spikes"), String: []string{file, file, ""}},
		}, map[string]string{MetaLayout: layout})
		require.NoError(t, err)
	}
	table("2")
	files, err := VariantFiles(dir, 7)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"spikes": file}, files)
	files, err = VariantFiles(dir, 9)
	require.NoError(t, err)
	assert.Empty(t, files, "a variant without files")
	_, err = VariantFiles(dir, 4)
	assert.True(t, errors.Is(err, ErrNoVariant), "%v", err)

	sp, _, err := ReadVariantSpikes(filepath.Join(dir, file), 7)
	require.NoError(t, err)
	assert.Equal(t, []uint64{7, 7}, sp.Variant, "only variant 7's two rows")
	sp, _, err = ReadVariantSpikes(filepath.Join(dir, file), 5)
	require.NoError(t, err)
	assert.Zero(t, sp.Len())

	// The same rows in a file of another set give the same digest.
	alone := filepath.Join(dir, BatchFile(SpikesDir, "", []uint64{7}))
	w, err := NewSpikeWriter(alone, []string{"E"}, nil)
	require.NoError(t, err)
	require.NoError(t, w.Write([]uint64{7, 7}, []uint32{0, 0}, []uint32{0, 1}, []float64{0, 1}))
	_, err = w.Close()
	require.NoError(t, err)
	a, rows, err := VariantDigest(filepath.Join(dir, file), 7)
	require.NoError(t, err)
	assert.EqualValues(t, 2, rows)
	b, _, err := VariantDigest(alone, 7)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	c, _, err := VariantDigest(filepath.Join(dir, file), 3)
	require.NoError(t, err)
	assert.NotEqual(t, a, c)

	table("3")
	_, err = VariantFiles(dir, 7)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `dataset layout "3"; this gennctl reads layouts up to 2: upgrade gennctl`)

	// Layout 1: no layout key; the per-variant file of variant 3.
	writeSpikes(t, filepath.Join(dir, SpikeFile(3)), []uint64{3})
	table("")
	files, err = VariantFiles(dir, 3)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"spikes": SpikeFile(3)}, files)
}

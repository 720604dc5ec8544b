package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gennctl/gennctl/results"
)

// A rerun hashes a file once however many variants' records name it, and
// keeps at most maxCachedFiles entries (a sweep of 10^6 files).
func TestFileChecksHashOnceBounded(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.arrow"), []byte("abc"), 0o644))
	fc := &fileChecks{dir: dir, files: map[string]*fileCheck{}}
	first := fc.get("a.arrow")
	require.NoError(t, first.err)
	want, size, err := results.FileSHA256(filepath.Join(dir, "a.arrow"))
	require.NoError(t, err)
	assert.Equal(t, want, first.sha256)
	assert.EqualValues(t, 3, size)
	assert.Same(t, first, fc.get("a.arrow"), "hashed once")
	for i := range 2 * maxCachedFiles {
		assert.Error(t, fc.get(fmt.Sprintf("missing-%d.arrow", i)).err)
		assert.LessOrEqual(t, len(fc.files), maxCachedFiles)
	}
}

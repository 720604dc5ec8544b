package results

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenSpikeFile writes a deterministic spike file (several record batches, an empty
// population category, every codec) and returns its sha256.
func goldenSpikeFile(t *testing.T, c Compression) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "golden.arrow")
	w, err := NewSpikeWriter(path, []string{"E", "I", "Stim"}, map[string]string{MetaDT: "0.1", MetaDuration: "1000"}, WithCompression(c))
	require.NoError(t, err)
	n := BatchRows + BatchRows/3
	var v []uint64
	var p, nr []uint32
	var tm []float64
	for i := 0; i < n; i++ {
		v = append(v, 42)
		p = append(p, uint32(i%2))
		nr = append(nr, uint32(i*31%3200))
		tm = append(tm, float64(i/7)*0.1)
	}
	for lo := 0; lo < n; lo += 5000 {
		hi := min(lo+5000, n)
		require.NoError(t, w.Write(v[lo:hi], p[lo:hi], nr[lo:hi], tm[lo:hi]))
	}
	info, err := w.Close()
	require.NoError(t, err)
	return info.SHA256
}

// TestSpikeFileBytesStable pins the bytes of a spike file: the schema and encoding of spike
// files are a contract (gennctl reproduce compares checksums across versions).
func TestSpikeFileBytesStable(t *testing.T) {
	for c, want := range map[Compression]string{
		CompressNone: "888e7715d37b80aa10716c2a8eeea1c0949911729794c2bb56ea1e642ad80b3e",
		CompressLZ4:  "1de3eb8b458ab40c453a84824d4b195a0769b0b56b63e1f4e4998d5104307bf1",
		CompressZstd: "943376ab0c209ff58509a5b2742b89cf7a63b4e1ea3cd9ec42b84346e28c0bb0",
	} {
		got := goldenSpikeFile(t, c)
		t.Logf("%q: %s", c, got)
		if want != "" {
			require.Equal(t, want, got, "compression %q", c)
		}
	}
}

package modelspec_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Per-neuron initial values from a plain little-endian float64 file, named
// relative to the experiment file.
func TestVarFromFile(t *testing.T) {
	dir := t.TempDir()
	vals := []float64{-60, -55.5, 1e-300, math.Pi}
	buf := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "v.bin"), buf, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "odd.bin"), buf[:12], 0o644))
	doc := `simulation: {dt: 0.1, duration: 10}
populations:
  E:
    size: %d
    model: LIF
    params: {C: 1, TauM: 20, Vrest: -49, Vreset: -60, Vthresh: -50, Ioffset: 0, TauRefrac: 5}
    vars: {V: {file: %s}, RefracTime: 0}
`
	file := filepath.Join(dir, "m.yaml")
	write := func(size int, name string) {
		require.NoError(t, os.WriteFile(file, []byte(sprintf(doc, size, name)), 0o644))
	}
	write(4, "data/v.bin")
	net, err := modelspec.Load(file)
	require.NoError(t, err)
	vi := net.Populations[0].Vars["V"]
	assert.Equal(t, modelspec.InitArray, vi.Kind)
	assert.Equal(t, vals, vi.Values)

	write(3, "data/v.bin")
	_, err = modelspec.Load(file)
	requireDiags(t, err, file, []string{file + ":7:22: populations.E.vars.V.file: expected 3 little-endian float64 values, one per element (24 bytes); " +
		filepath.Join(dir, "data", "v.bin") + " has 32 bytes"})

	write(4, "odd.bin")
	_, err = modelspec.Load(file)
	requireDiags(t, err, file, []string{file + ":7:22: populations.E.vars.V.file: expected 4 little-endian float64 values, one per element (32 bytes); " +
		filepath.Join(dir, "odd.bin") + " has 12 bytes"})

	// Issue 18, item 10: a file that never ends, and one far too large, are
	// refused from their size, without reading them.
	write(10, "/dev/zero")
	_, err = modelspec.Load(file)
	requireDiags(t, err, file, []string{file + ":7:22: populations.E.vars.V.file: expected 10 little-endian float64 values, one per element (80 bytes); /dev/zero has more"})
	huge := filepath.Join(dir, "huge.bin")
	f, err := os.Create(huge)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(2<<30)) // sparse: no disk used
	require.NoError(t, f.Close())
	write(10, "huge.bin")
	_, err = modelspec.Load(file)
	requireDiags(t, err, file, []string{file + ":7:22: populations.E.vars.V.file: expected 10 little-endian float64 values, one per element (80 bytes); " +
		huge + " has 2147483648 bytes"})
}

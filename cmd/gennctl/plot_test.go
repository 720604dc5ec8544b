package main

import (
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gennctl/gennctl/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodePNG checks that path is a PNG of w×h pixels with at least minInk pixels that are not
// near-white in its central region (inside the axes).
func decodePNG(t *testing.T, path string, w, h, minInk int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, w, img.Bounds().Dx())
	require.Equal(t, h, img.Bounds().Dy())
	ink := 0
	for y := h / 5; y < h-h/5; y++ {
		for x := w / 6; x < w-w/8; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r < 0xc000 || g < 0xc000 || b < 0xc000 {
				ink++
			}
		}
	}
	assert.Greater(t, ink, minInk, "%s shows data", path)
}

// TestPlotRealSweep runs a small sweep with the binary and draws both figures from its output.
func TestPlotRealSweep(t *testing.T) {
	cache, out := t.TempDir(), t.TempDir()
	r := gennctl(t, cache, "sweep", "../../compat/testdata/tiny.yaml", "--out", out, "--quiet")
	require.Equal(t, 0, r.code, "sweep: %s\n%s", r.stdout, r.stderr)
	dir := filepath.Join(out, "tiny")

	cols, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	require.NoError(t, err)
	id := cols[0].Uint64[0]
	require.Equal(t, "variant_id", cols[0].Name)

	raster := filepath.Join(t.TempDir(), "raster.png")
	r = gennctl(t, cache, "plot", "raster", dir, "--variant", itoa(id), "--from", "10", "--to", "90", "-o", raster, "--width", "700", "--height", "400")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, regexp.MustCompile(`wrote .*raster.png: variant \d+, [1-9]\d* spikes`), r.stdout)
	decodePNG(t, raster, 700, 400, 300)

	rates := filepath.Join(t.TempDir(), "rates.png")
	r = gennctl(t, cache, "plot", "rates", dir, "--x", "synapses.EE.weight_update.vars.g", "--population", "E", "-o", rates)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "2 line(s)", "one line per TauM value")
	decodePNG(t, rates, 1000, 600, 1000)

	// Bad input: exit 2 with a message naming what is missing.
	r = gennctl(t, cache, "plot", "raster", dir, "--variant", "1", "-o", raster)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "variant 1 is not in")
	r = gennctl(t, cache, "plot", "rates", dir, "--x", "populations.E.params.Nope", "-o", rates)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "swept: ")
	r = gennctl(t, cache, "plot", "rates", dir, "-o", rates)
	assert.NotEqual(t, 0, r.code, "missing required --x")
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

package plot

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gplot "gonum.org/v1/plot"
)

// writeSweepDir writes a synthetic sweep directory: variants.arrow over a 3×2 grid with two
// repeats, and for variant 5 a spike file with regular spikes in E (80 neurons) and I (20).
func writeSweepDir(t *testing.T, spikes bool) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, results.SpikesDir), 0o755))
	var ids []uint64
	var rep []int64
	var g, tau, rateE, rateI []float64
	var status []string
	id := uint64(1)
	for _, gv := range []float64{0.02, 0.05, 0.08} {
		for _, tv := range []float64{10, 20} {
			for r := 0; r < 2; r++ {
				ids, rep, g, tau = append(ids, id), append(rep, int64(r)), append(g, gv), append(tau, tv)
				rateE = append(rateE, 100*gv+tv/10+float64(r))
				rateI = append(rateI, 2*(100*gv+tv/10))
				status = append(status, "done")
				id++
			}
		}
	}
	status[len(status)-1] = "failed"
	cols := []results.Column{
		{Name: "variant_id", Uint64: ids}, {Name: "repeat", Int64: rep},
		{Name: "status", String: status},
		{Name: "synapses.EE.weight_update.vars.g", Float64: g},
		{Name: "populations.E.params.TauM", Float64: tau},
		{Name: "rate_E", Unit: "Hz", Float64: rateE},
		{Name: "rate_I", Unit: "Hz", Float64: rateI},
	}
	_, err := results.WriteTable(filepath.Join(dir, results.VariantsFile), cols, nil)
	require.NoError(t, err)

	w, err := results.NewSpikeWriter(filepath.Join(dir, results.SpikeFile(5)), []string{"E", "I"},
		map[string]string{results.MetaDuration: "200", results.MetaSeed: "99"})
	require.NoError(t, err)
	if spikes {
		var v []uint64
		var p, n []uint32
		var tm []float64
		for step := 0; step < 2000; step += 10 {
			for k := 0; k < 10; k++ {
				nr := uint32((step/10*7 + k*13) % 100)
				pop := uint32(0)
				if nr >= 80 {
					pop, nr = 1, nr-80
				}
				v, p, n, tm = append(v, 5), append(p, pop), append(n, nr), append(tm, float64(step)*0.1)
			}
		}
		require.NoError(t, w.Write(v, p, n, tm))
	}
	_, err = w.Close()
	require.NoError(t, err)
	return dir
}

// inkInside counts pixels in the central region of the image (inside the axes, away from the
// title, labels and tick marks) that are clearly not the white background.
func inkInside(t *testing.T, path string, w, h int) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "the output is a valid PNG")
	require.Equal(t, image.Rect(0, 0, w, h), img.Bounds(), "image size")
	n := 0
	b := img.Bounds()
	for y := b.Min.Y + b.Dy()/5; y < b.Max.Y-b.Dy()/5; y++ {
		for x := b.Min.X + b.Dx()/6; x < b.Max.X-b.Dx()/8; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xc000 || g < 0xc000 || bl < 0xc000 {
				n++
			}
		}
	}
	return n
}

func TestRasterShowsSpikes(t *testing.T) {
	dir := writeSweepDir(t, true)
	p, info, err := Raster(dir, RasterOptions{Variant: 5})
	require.NoError(t, err)
	assert.Equal(t, 2000, info.Spikes)
	assert.Equal(t, []string{"E", "I"}, info.Populations)
	assert.Equal(t, 200.0, p.X.Max, "the window ends at the duration from the metadata")
	assert.Equal(t, 100.0, p.Y.Max, "E and I stacked: 80 + 20 neurons")
	out := filepath.Join(t.TempDir(), "raster.png")
	require.NoError(t, Save(p, 800, 500, out))
	full := inkInside(t, out, 800, 500)

	// A window holds fewer spikes.
	p, info, err = Raster(dir, RasterOptions{Variant: 5, From: 50, To: 100})
	require.NoError(t, err)
	assert.Equal(t, 500, info.Spikes)
	assert.Equal(t, 50.0, p.X.Min)

	// The same figure without spikes: axes and labels only.
	empty := writeSweepDir(t, false)
	p, info, err = Raster(empty, RasterOptions{Variant: 5})
	require.NoError(t, err)
	assert.Zero(t, info.Spikes)
	blank := filepath.Join(t.TempDir(), "blank.png")
	require.NoError(t, Save(p, 800, 500, blank))
	none := inkInside(t, blank, 800, 500)
	t.Logf("ink inside the axes: %d pixels with spikes, %d without", full, none)
	assert.Greater(t, full, none+2000, "the raster shows its spikes")

	_, _, err = Raster(dir, RasterOptions{Variant: 6})
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)
	assert.Contains(t, err.Error(), "variant 6 in "+dir+" has no spike file", "a layout-1 directory (one file per variant) is read")
	_, _, err = Raster(dir, RasterOptions{Variant: 5, From: 100, To: 50})
	assert.Error(t, err)
}

func TestRateSeries(t *testing.T) {
	dir := writeSweepDir(t, true)
	series, err := RateSeries(dir, RatesOptions{X: "synapses.EE.weight_update.vars.g", Population: "E"})
	require.NoError(t, err)
	require.Len(t, series, 2, "one line per TauM value")
	assert.Equal(t, "E: TauM=10", series[0].Label)
	assert.Equal(t, "E: TauM=20", series[1].Label)
	assert.Equal(t, []float64{0.02, 0.05, 0.08}, series[0].X)
	// mean over repeats 0 and 1 of 100 g + TauM/10 + repeat
	for j, g := range series[0].X {
		assert.InDelta(t, 100*g+1+0.5, series[0].Mean[j], 1e-9)
		assert.InDelta(t, 0.5, series[0].SEM[j], 1e-9) // sd 0.7071 / sqrt 2
		assert.Equal(t, 2, series[0].N[j])
	}
	assert.Equal(t, []int{2, 2, 1}, series[1].N, "the failed variant is left out")

	all, err := RateSeries(dir, RatesOptions{X: "populations.E.params.TauM"})
	require.NoError(t, err)
	require.Len(t, all, 6, "2 populations × 3 g values")
	assert.Equal(t, "E: g=0.02", all[0].Label)
	assert.Equal(t, "I: g=0.08", all[5].Label)

	_, err = RateSeries(dir, RatesOptions{X: "nope"})
	assert.True(t, errors.Is(err, ErrNotFound))
	_, err = RateSeries(dir, RatesOptions{X: "populations.E.params.TauM", Population: "X"})
	assert.True(t, errors.Is(err, ErrNotFound))
	assert.Contains(t, err.Error(), "populations: E, I")
	_, err = RateSeries(dir, RatesOptions{X: "status"})
	assert.Error(t, err)
}

func TestRatesPNG(t *testing.T) {
	dir := writeSweepDir(t, true)
	p, series, err := Rates(dir, RatesOptions{X: "synapses.EE.weight_update.vars.g"})
	require.NoError(t, err)
	assert.Len(t, series, 4)
	out := filepath.Join(t.TempDir(), "rates.png")
	require.NoError(t, Save(p, 640, 480, out))
	ink := inkInside(t, out, 640, 480)

	// Same axes and title, no lines.
	blankPlot, _, err := Rates(writeEmptyVariants(t), RatesOptions{X: "synapses.EE.weight_update.vars.g"})
	require.NoError(t, err)
	blank := filepath.Join(t.TempDir(), "blank.png")
	require.NoError(t, Save(blankPlot, 640, 480, blank))
	none := inkInside(t, blank, 640, 480)
	t.Logf("ink inside the axes: %d pixels with lines, %d without", ink, none)
	assert.Greater(t, ink, none+1000, "the plot shows its lines")
	assert.Error(t, Save(p, 0, 10, out))
}

// writeEmptyVariants writes a variants table whose variants all failed: no data to draw.
func writeEmptyVariants(t *testing.T) string {
	dir := t.TempDir()
	cols := []results.Column{
		{Name: "variant_id", Uint64: []uint64{1}}, {Name: "status", String: []string{"failed"}},
		{Name: "synapses.EE.weight_update.vars.g", Float64: []float64{0.1}},
		{Name: "rate_E", Float64: []float64{math.NaN()}},
	}
	_, err := results.WriteTable(filepath.Join(dir, results.VariantsFile), cols, nil)
	require.NoError(t, err)
	return dir
}

func TestShortNames(t *testing.T) {
	assert.Equal(t, []string{"EE.weight_update.vars.g", "IE.weight_update.vars.g", "TauM"},
		shortNames([]string{"synapses.EE.weight_update.vars.g", "synapses.IE.weight_update.vars.g", "populations.E.params.TauM"}))
	assert.True(t, naturalLess("g=0.05", "g=0.1"))
	assert.True(t, naturalLess("g=2, x=a", "g=10, x=a"))
}

// Issue 18, item 18: figures for a paper.

// Populations and lines get distinct colours: the microcircuit's eight
// populations no longer repeat one.
func TestColoursDistinct(t *testing.T) {
	seen := map[color.Color]int{}
	for i := 0; i < 10; i++ {
		c := Color(i)
		_, dup := seen[c]
		assert.False(t, dup, "colour %d repeats colour %d", i, seen[c])
		seen[c] = i
	}
}

// The raster names the variant's swept values in its title and the
// populations on its y axis, with their boundaries.
func TestRasterTitleAndAxis(t *testing.T) {
	dir := writeSweepDir(t, true)
	p, _, err := Raster(dir, RasterOptions{Variant: 5})
	require.NoError(t, err)
	assert.Equal(t, "variant 5 (g=0.05, TauM=10, repeat 0, seed 99): 2000 spikes", p.Title.Text)
	assert.Equal(t, "time (ms)", p.X.Label.Text)
	var labels []string
	var at []float64
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		at = append(at, tk.Value)
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Equal(t, []string{"E", "I"}, labels)
	assert.Equal(t, []float64{40, 0, 90, 80, 100}, at, "names at the middles, ticks at the boundaries")
}

// Save writes the format of the file's extension, with the legend outside
// the axes, and refuses other extensions.
func TestSaveFormats(t *testing.T) {
	dir := writeSweepDir(t, true)
	p, _, err := Rates(dir, RatesOptions{X: "synapses.EE.weight_update.vars.g"})
	require.NoError(t, err)
	out := t.TempDir()
	for ext, magic := range map[string]string{"svg": "<?xml", "pdf": "%PDF", "png": "\x89PNG", "eps": "PS-Adobe"} {
		path := filepath.Join(out, "rates."+ext)
		require.NoError(t, Save(p, 640, 480, path), ext)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(data[:min(len(data), 16)]), magic, ext)
	}
	err = Save(p, 640, 480, filepath.Join(out, "rates.gif"))
	assert.ErrorIs(t, err, ErrFormat)
	assert.NoFileExists(t, filepath.Join(out, "rates.gif"))

	// The legend is beside the axes: the right tenth of the image, where the
	// legend is, has no ink below the legend's entries.
	path := filepath.Join(out, "legend.png")
	require.NoError(t, Save(p, 1000, 600, path))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	ink := 0
	for y := 300; y < 600; y++ {
		for x := 900; x < 1000; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r < 0xc000 || g < 0xc000 || b < 0xc000 {
				ink++
			}
		}
	}
	assert.Zero(t, ink, "nothing is drawn under the legend, outside the axes")
}

// Small images get smaller text and fewer tick labels, so that none overlap.
func TestFewerTicks(t *testing.T) {
	ticks := fewerTicks{gplot.DefaultTicks{}, 3}.Ticks(0, 100)
	labelled := 0
	for _, tk := range ticks {
		if tk.Label != "" {
			labelled++
		}
	}
	assert.LessOrEqual(t, labelled, 3)
	assert.GreaterOrEqual(t, labelled, 2)
}

// TestRasterOfBatchFile reads a layout-2 directory: one spike file holds variants 4 and 5
// (sorted by variant) and variants.arrow names it; the raster of 5 draws only 5's spikes.
func TestRasterOfBatchFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, results.SpikesDir), 0o755))
	file := results.BatchFile(results.SpikesDir, "", []uint64{4, 5})
	w, err := results.NewSpikeWriter(filepath.Join(dir, file), []string{"E", "I"},
		map[string]string{results.MetaDuration: "100", results.MetaLayout: "2"})
	require.NoError(t, err)
	// variant 4: 30 spikes of E; variant 5: 7 spikes of I
	var v []uint64
	var p, n []uint32
	var tm []float64
	for i := 0; i < 30; i++ {
		v, p, n, tm = append(v, 4), append(p, 0), append(n, uint32(i)), append(tm, float64(i))
	}
	for i := 0; i < 7; i++ {
		v, p, n, tm = append(v, 5), append(p, 1), append(n, uint32(i)), append(tm, float64(10*i))
	}
	require.NoError(t, w.Write(v, p, n, tm))
	_, err = w.Close()
	require.NoError(t, err)
	cols := []results.Column{
		{Name: "variant_id", Uint64: []uint64{4, 5, 6}}, {Name: "seed", Uint64: []uint64{40, 50, 60}},
		{Name: "status", String: []string{"done", "done", "failed"}},
		{Name: results.FileColumn("spikes"), String: []string{file, file, ""}},
	}
	_, err = results.WriteTable(filepath.Join(dir, results.VariantsFile), cols, map[string]string{results.MetaLayout: "2"})
	require.NoError(t, err)

	p5, info, err := Raster(dir, RasterOptions{Variant: 5})
	require.NoError(t, err)
	assert.Equal(t, 7, info.Spikes, "only variant 5's rows of the shared file")
	assert.Contains(t, p5.Title.Text, "seed 50", "the seed comes from variants.arrow")
	_, info, err = Raster(dir, RasterOptions{Variant: 4})
	require.NoError(t, err)
	assert.Equal(t, 30, info.Spikes)
	_, _, err = Raster(dir, RasterOptions{Variant: 6})
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)
	assert.Contains(t, err.Error(), "done variants: 4, 5")
	_, _, err = Raster(dir, RasterOptions{Variant: 7})
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)
	assert.Contains(t, err.Error(), "variant 7 is not in")
}

// Package plot draws the standard figures of a sweep directory with gonum/plot: a spike raster
// of one variant, its sampled state, and firing rate against a swept parameter. It reads the
// files through package results only, so it works on any directory laid out as
// results.SpikesDir/results.VariantsFile describe, whether or not gennctl's orchestrator wrote
// it. Figures are meant for a paper: legends outside the data, one distinct colour per line or
// population, units on the axes, the variant's swept values in the title, and any of gonum's
// formats by the file's extension (Save).
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/results"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Default image size in pixels.
const (
	DefaultWidth  = 1000
	DefaultHeight = 600
	dpi           = 96
)

// ErrNotFound reports a variant, column or population that the directory does not have; the
// CLI maps it to "bad input".
var ErrNotFound = errors.New("not found")

// RasterOptions select what Raster draws.
type RasterOptions struct {
	Variant uint64
	From    float64 // ms; spikes at or after From
	To      float64 // ms; spikes before To; 0 = to the end of the simulation
}

// RasterInfo describes a drawn raster.
type RasterInfo struct {
	Spikes      int      // spikes drawn (inside the window)
	Populations []string // in the order they are stacked, bottom to top
}

// Raster draws the spikes of one variant as a raster: time on x, neuron on y, populations
// stacked in the order of the file's population dictionary (the network's order), each in its
// own colour. Population sizes come from the file's population_sizes metadata when present,
// otherwise from the highest neuron index seen.
func Raster(dir string, o RasterOptions) (*gplot.Plot, RasterInfo, error) {
	var info RasterInfo
	path, err := variantFile(dir, o.Variant, "spikes")
	if err != nil {
		return nil, info, err
	}
	sp, meta, err := results.ReadVariantSpikes(path, o.Variant)
	if err != nil {
		return nil, info, err
	}
	pops, err := results.SpikePopulations(path)
	if err != nil {
		return nil, info, err
	}
	sizes, _ := results.ParsePopulationSizes(meta[results.MetaPopulationSizes])
	for i, p := range sp.Population {
		if n := int(sp.Neuron[i]) + 1; n > sizes[p] {
			sizes[p] = n
		}
	}
	to := o.To
	if to <= 0 {
		if d, err := strconv.ParseFloat(meta[results.MetaDuration], 64); err == nil && d > 0 {
			to = d
		} else {
			to = math.Inf(1)
		}
	}
	if to <= o.From {
		return nil, info, fmt.Errorf("empty time window [%g, %g) ms", o.From, to)
	}

	offset := map[string]float64{}
	var total float64
	for _, p := range pops {
		offset[p] = total
		total += float64(sizes[p])
	}
	pts := map[string]plotter.XYs{}
	maxT := 0.0
	for i, t := range sp.Time {
		if t < o.From || t >= to {
			continue
		}
		p := sp.Population[i]
		pts[p] = append(pts[p], plotter.XY{X: t, Y: offset[p] + float64(sp.Neuron[i])})
		maxT = math.Max(maxT, t)
		info.Spikes++
	}

	p := gplot.New()
	p.Title.Text = variantTitle(dir, o.Variant, meta) + fmt.Sprintf(": %d spikes", info.Spikes)
	p.X.Label.Text = "time (ms)"
	p.Y.Label.Text = "neuron"
	p.X.Min = o.From
	if math.IsInf(to, 1) {
		p.X.Max = math.Max(maxT, o.From+1)
	} else {
		p.X.Max = to
	}
	p.Y.Min, p.Y.Max = 0, math.Max(total, 1)
	// Populations are named on the y axis, at their middle, with a line at
	// each boundary; a single population gets whole-number neuron ticks.
	var ticks []gplot.Tick
	for i, name := range pops {
		info.Populations = append(info.Populations, name)
		mid := offset[name] + float64(sizes[name])/2
		ticks = append(ticks, gplot.Tick{Value: mid, Label: name}, gplot.Tick{Value: offset[name]})
		if i > 0 {
			b, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: offset[name]}, {X: p.X.Max, Y: offset[name]}})
			if err != nil {
				return nil, info, err
			}
			b.Color, b.Width = color.Gray{Y: 0x99}, vg.Points(0.5)
			p.Add(b)
		}
		if len(pts[name]) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts[name])
		if err != nil {
			return nil, info, err
		}
		s.GlyphStyle.Color = Color(i)
		s.GlyphStyle.Shape = draw.BoxGlyph{}
		s.GlyphStyle.Radius = glyphRadius
		if total > 0 && total < 400 { // few neurons: dots as high as a neuron's row, up to 2 pt
			s.GlyphStyle.Radius = vg.Points(math.Min(2, math.Max(0.6, 200/total)))
		}
		p.Add(s)
		// The legend shows a larger copy of the glyph: the raster's dots are tiny.
		key := *s
		key.GlyphStyle.Radius = vg.Points(3)
		p.Legend.Add(name, &key)
	}
	if len(pops) == 1 {
		p.Y.Tick.Marker = integerTicks{}
		p.Y.Label.Text = "neuron of " + pops[0]
	} else {
		p.Y.Tick.Marker = gplot.ConstantTicks(append(ticks, gplot.Tick{Value: total}))
		p.Y.Label.Text = "neurons by population"
	}
	return p, info, nil
}

// glyphRadius is the half-size of a raster's dots where the neurons are many.
var glyphRadius = vg.Points(0.6)

// integerTicks are gonum's default ticks less those that are not whole
// numbers (a neuron index is one).
type integerTicks struct{}

func (integerTicks) Ticks(min, max float64) []gplot.Tick {
	var out []gplot.Tick
	for _, t := range (gplot.DefaultTicks{}).Ticks(min, max) {
		if t.Value == math.Trunc(t.Value) {
			out = append(out, t)
		} else if t.Label == "" {
			out = append(out, t) // a minor tick, unlabelled
		}
	}
	return out
}

// variantTitle names a variant for a figure's title: its id, the values of
// the swept config paths (shortened, from variants.arrow when the directory
// has one) and its seed (from the table, or from a layout-1 file's metadata).
func variantTitle(dir string, id uint64, meta map[string]string) string {
	title := fmt.Sprintf("variant %d", id)
	var parts []string
	if cols, vmeta, err := results.ReadTable(filepath.Join(dir, results.VariantsFile)); err == nil {
		byName := map[string]results.Column{}
		var names []string
		for _, c := range cols {
			byName[c.Name] = c
			names = append(names, c.Name)
		}
		row := -1
		if ids := byName["variant_id"].Uint64; ids != nil {
			row = slices.Index(ids, id)
		}
		if row >= 0 {
			axes := sweptAxes(names, vmeta)
			for i, s := range shortNames(axes) {
				if c, ok := byName[axes[i]]; ok {
					parts = append(parts, s+"="+cellString(c, row))
				}
			}
			if r, ok := byName["repeat"]; ok && r.Int64 != nil {
				parts = append(parts, "repeat "+cellString(r, row))
			}
			if s, ok := byName["seed"]; ok && s.Uint64 != nil && meta[results.MetaSeed] == "" {
				parts = append(parts, "seed "+cellString(s, row))
			}
		}
	}
	if s := meta[results.MetaSeed]; s != "" {
		parts = append(parts, "seed "+s)
	}
	if len(parts) > 0 {
		title += " (" + strings.Join(parts, ", ") + ")"
	}
	return title
}

// variantFile is the path of a variant's result file of kind (results.FileKinds).
func variantFile(dir string, id uint64, kind string) (string, error) {
	files, err := results.VariantFiles(dir, id)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s has no %s: is it a sweep output directory?", ErrNotFound, dir, results.VariantsFile)
	}
	if errors.Is(err, results.ErrNoVariant) {
		return "", fmt.Errorf("%w: %v (%s)", ErrNotFound, err, variantHint(dir))
	}
	if err != nil {
		return "", err
	}
	p, ok := files[kind]
	if !ok {
		what := map[string]string{"spikes": "no spike file (is it done?)", "state": "no state file (does the config record variables?)"}[kind]
		return "", fmt.Errorf("%w: variant %d in %s has %s; %s", ErrNotFound, id, dir, what, variantHint(dir))
	}
	return filepath.Join(dir, p), nil
}

// variantHint names a few done variants, for error messages.
func variantHint(dir string) string {
	cols, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	if err != nil {
		return "no readable " + results.VariantsFile
	}
	var idCol, statusCol results.Column
	for _, c := range cols {
		switch c.Name {
		case "variant_id":
			idCol = c
		case "status":
			statusCol = c
		}
	}
	var ids []string
	for i, id := range idCol.Uint64 {
		if i < len(statusCol.String) && statusCol.String[i] == "done" {
			ids = append(ids, strconv.FormatUint(id, 10))
		}
	}
	if len(ids) == 0 {
		return "no variant is done"
	}
	more := ""
	if len(ids) > 5 {
		ids, more = ids[:5], fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return "done variants: " + strings.Join(ids, ", ") + more + "; gennctl variants DIR lists them"
}

// RatesOptions select what Rates draws.
type RatesOptions struct {
	X          string // swept config path on the x axis (a numeric column of variants.arrow)
	Population string // one population; "" = every population with a rate_<pop> column
}

// Series is one line of a rates plot: mean rate over repeats at each x.
type Series struct {
	Label string
	X     []float64
	Mean  []float64 // Hz
	SEM   []float64 // standard error of the mean over repeats (0 for one repeat)
	N     []int     // variants averaged at each x
}

// RateSeries groups the completed variants of variants.arrow into one series per population
// and per combination of the other swept axes' values, averaging repeats at each x.
func RateSeries(dir string, o RatesOptions) ([]Series, error) {
	path := filepath.Join(dir, results.VariantsFile)
	cols, meta, err := results.ReadTable(path)
	if err != nil {
		return nil, err
	}
	byName := map[string]results.Column{}
	var names []string
	for _, c := range cols {
		byName[c.Name] = c
		names = append(names, c.Name)
	}
	axes := sweptAxes(names, meta)
	xc, ok := byName[o.X]
	if !ok {
		return nil, fmt.Errorf("%w: variants.arrow has no column %q (swept: %s)", ErrNotFound, o.X, strings.Join(axes, ", "))
	}
	if xc.Float64 == nil && xc.Int64 == nil && xc.Uint64 == nil {
		return nil, fmt.Errorf("column %q is not numeric", o.X)
	}
	var pops []string
	for _, n := range names {
		if p, ok := strings.CutPrefix(n, "rate_"); ok && (o.Population == "" || o.Population == p) {
			pops = append(pops, p)
		}
	}
	if len(pops) == 0 {
		if o.Population != "" {
			return nil, fmt.Errorf("%w: no rate_%s column in variants.arrow (populations: %s)", ErrNotFound, o.Population, strings.Join(ratePops(names), ", "))
		}
		return nil, fmt.Errorf("%w: variants.arrow has no rate_<population> columns", ErrNotFound)
	}
	// Names are shortened against every axis, x included, so that a label never reads like
	// the x axis (g for synapses.IE...g when x is synapses.EE...g).
	all := append([]string(nil), axes...)
	if !slices.Contains(all, o.X) {
		all = append(all, o.X)
	}
	var others, short []string
	for i, s := range shortNames(all) {
		if all[i] != o.X {
			others, short = append(others, all[i]), append(short, s)
		}
	}
	status := byName["status"].String
	n := xc.Len()

	type key struct{ pop, rest string }
	type acc struct {
		label string
		ys    map[float64][]float64
	}
	groups := map[key]*acc{}
	var order []key
	for _, pop := range pops {
		rate := byName["rate_"+pop].Float64
		if rate == nil {
			continue
		}
		for i := 0; i < n; i++ {
			if status != nil && status[i] != "done" {
				continue
			}
			var parts []string
			for j, a := range others {
				parts = append(parts, short[j]+"="+cellString(byName[a], i))
			}
			k := key{pop, strings.Join(parts, ", ")}
			g := groups[k]
			if g == nil {
				label := pop
				if k.rest != "" {
					label += ": " + k.rest
				}
				g = &acc{label: label, ys: map[float64][]float64{}}
				groups[k] = g
				order = append(order, k)
			}
			x := cellFloat(xc, i)
			g.ys[x] = append(g.ys[x], rate[i])
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		if order[a].pop != order[b].pop {
			return order[a].pop < order[b].pop
		}
		return naturalLess(order[a].rest, order[b].rest)
	})
	out := make([]Series, 0, len(order))
	for _, k := range order {
		g := groups[k]
		s := Series{Label: g.label}
		for x := range g.ys {
			s.X = append(s.X, x)
		}
		sort.Float64s(s.X)
		for _, x := range s.X {
			m, sem := meanSEM(g.ys[x])
			s.Mean, s.SEM, s.N = append(s.Mean, m), append(s.SEM, sem), append(s.N, len(g.ys[x]))
		}
		out = append(out, s)
	}
	return out, nil
}

// Rates draws mean firing rate (Hz) against a swept parameter, one line per population and
// per combination of the other swept axes, with error bars of the standard error over repeats.
func Rates(dir string, o RatesOptions) (*gplot.Plot, []Series, error) {
	series, err := RateSeries(dir, o)
	if err != nil {
		return nil, nil, err
	}
	p := gplot.New()
	p.Title.Text = "firing rate against " + o.X + " (mean ± s.e.m. over repeats)"
	p.X.Label.Text = o.X
	p.Y.Label.Text = "rate (Hz)"
	p.Y.Min = 0
	for i, s := range series {
		xys := make(plotter.XYs, len(s.X))
		errs := make(plotter.YErrors, len(s.X))
		for j := range s.X {
			xys[j] = plotter.XY{X: s.X[j], Y: s.Mean[j]}
			errs[j].Low, errs[j].High = s.SEM[j], s.SEM[j]
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, nil, err
		}
		c := Color(i)
		l.Color, pts.Color = c, c
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(i / len(palette))
		pts.Shape = plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(s.Label, l, pts)
		if len(s.X) > 0 {
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xys, errs})
			if err != nil {
				return nil, nil, err
			}
			eb.Color = c
			p.Add(eb)
		}
	}
	return p, series, nil
}

// palette is Tableau's ten colours: distinct from each other, in print and
// for the common colour-vision deficiencies.
var palette = []color.Color{
	color.RGBA{0x4e, 0x79, 0xa7, 0xff}, color.RGBA{0xf2, 0x8e, 0x2b, 0xff}, color.RGBA{0xe1, 0x57, 0x59, 0xff},
	color.RGBA{0x76, 0xb7, 0xb2, 0xff}, color.RGBA{0x59, 0xa1, 0x4f, 0xff}, color.RGBA{0xed, 0xc9, 0x48, 0xff},
	color.RGBA{0xb0, 0x7a, 0xa1, 0xff}, color.RGBA{0xff, 0x9d, 0xa7, 0xff}, color.RGBA{0x9c, 0x75, 0x5f, 0xff},
	color.RGBA{0xba, 0xb0, 0xac, 0xff},
}

// Color is the colour of the i-th population or line of a figure; after
// ten, colours repeat (lines then change their dashes).
func Color(i int) color.Color { return palette[i%len(palette)] }

// Formats are the file formats Save writes, by extension.
var Formats = []string{"png", "svg", "pdf", "eps", "jpg", "jpeg", "tif", "tiff"}

// Save renders p at w×h pixels (at 96 per inch for the vector formats) into
// path, in the format its extension names (Formats), written next to it and
// renamed, so that a half-written image never appears. p's legend is drawn
// to the right of the axes, outside the data (below them when it would take
// more than a third of the width). Text is made smaller for small images,
// a long title is wrapped and tick labels are thinned to fit (scaled); p
// itself is not changed.
func Save(p *gplot.Plot, w, h int, path string) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image size %dx%d: must be positive", w, h)
	}
	format, err := Format(path)
	if err != nil {
		return err
	}
	c, err := draw.NewFormattedCanvas(vg.Length(w)*vg.Inch/dpi, vg.Length(h)*vg.Inch/dpi, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	fig := scaled(p, dc)
	legend := fig.Legend
	fig.Legend = gplot.NewLegend()
	plotArea, right, below := dc, false, false
	r := legend.Rectangle(dc)
	pad := legend.TextStyle.Font.Size
	lw, lh := r.Max.X-r.Min.X+pad, r.Max.Y-r.Min.Y+pad/2
	switch {
	case r.Max.X <= r.Min.X: // no legend
	case lw <= (dc.Max.X-dc.Min.X)/3:
		plotArea, right = draw.Crop(dc, 0, -lw, 0, 0), true
	default:
		plotArea, below = draw.Crop(dc, 0, 0, lh, 0), true
	}
	aw, ah := plotArea.Max.X-plotArea.Min.X, plotArea.Max.Y-plotArea.Min.Y
	fig.Title.Text = wrap(fig.Title.Text, fig.Title.TextStyle, aw)
	fig.X.Tick.Marker = fewerTicks{fig.X.Tick.Marker, int(aw / (6 * fig.X.Tick.Label.Font.Size))}
	fig.Y.Tick.Marker = fewerTicks{fig.Y.Tick.Marker, int(ah / (2.5 * fig.Y.Tick.Label.Font.Size))}
	switch {
	case right: // beside the data, its top at theirs
		legend.Top, legend.Left = true, true
		legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw+pad/2, 0, 0, fig.DataCanvas(plotArea).Max.Y-dc.Max.Y))
	case below:
		legend.Top, legend.Left = false, true
		legend.Draw(draw.Crop(dc, pad, 0, pad/4, 0))
	}
	fig.Draw(plotArea)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// scaled is a copy of p with text for canvas c: gonum's text sizes suit an
// image of 800×480 pixels or more; smaller ones get smaller text (down to
// half). Save then wraps the title to the width and keeps only as many tick
// labels as fit side by side.
func scaled(p *gplot.Plot, c draw.Canvas) *gplot.Plot {
	fig := *p
	w, h := c.Max.X-c.Min.X, c.Max.Y-c.Min.Y
	k := math.Max(0.5, math.Min(1, math.Min(float64(w/(800*vg.Inch/dpi)), float64(h/(480*vg.Inch/dpi)))))
	for _, sty := range []*text.Style{&fig.Title.TextStyle, &fig.X.Label.TextStyle, &fig.Y.Label.TextStyle,
		&fig.X.Tick.Label, &fig.Y.Tick.Label, &fig.Legend.TextStyle} {
		sty.Font.Size = vg.Length(float64(sty.Font.Size) * k)
	}
	fig.Legend.ThumbnailWidth = vg.Length(float64(fig.Legend.ThumbnailWidth) * k)
	return &fig
}

// wrap breaks s into lines no wider than w, at ", " or else at spaces.
func wrap(s string, sty text.Style, w vg.Length) string {
	if sty.Width(s) <= w {
		return s
	}
	sep := ", "
	if !strings.Contains(s, sep) {
		sep = " "
	}
	words := strings.SplitAfter(s, sep)
	var lines []string
	line := ""
	for _, word := range words {
		if line != "" && sty.Width(line+word) > w {
			lines = append(lines, strings.TrimSpace(line))
			line = ""
		}
		line += word
	}
	return strings.Join(append(lines, strings.TrimSpace(line)), "\n")
}

// fewerTicks keeps at most max labelled ticks of a Ticker, evenly spread
// (every k-th), so that tick labels do not overlap on a small axis.
type fewerTicks struct {
	gplot.Ticker
	max int
}

func (t fewerTicks) Ticks(min, max float64) []gplot.Tick {
	ticks := t.Ticker.Ticks(min, max)
	labelled := 0
	for _, tk := range ticks {
		if tk.Label != "" {
			labelled++
		}
	}
	if t.max < 2 || labelled <= t.max {
		return ticks
	}
	every := (labelled + t.max - 1) / t.max
	n := 0
	for i := range ticks {
		if ticks[i].Label == "" {
			continue
		}
		if n%every != 0 {
			ticks[i].Label = ""
		}
		n++
	}
	return ticks
}

// ErrFormat is an image file name whose extension names no format Save writes.
var ErrFormat = errors.New("unknown image format")

// Format is the image format of a file name, from its extension (Formats).
func Format(path string) (string, error) {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if !slices.Contains(Formats, format) {
		return "", fmt.Errorf("%w: %s: want the extension of one of %s", ErrFormat, path, strings.Join(Formats, ", "))
	}
	return format, nil
}

// legendWidth is the width the legend takes to the right of the axes (with
// a margin), 0 for no legend.
func legendWidth(l gplot.Legend, c draw.Canvas) vg.Length {
	r := l.Rectangle(c)
	if r.Max.X <= r.Min.X {
		return 0
	}
	return r.Max.X - r.Min.X + l.TextStyle.Font.Size
}

// sweptAxes returns the swept config paths: the variants file's "axes" metadata when present,
// otherwise its columns whose names are dotted config paths.
func sweptAxes(names []string, meta map[string]string) []string {
	if a := strings.TrimSpace(meta[results.MetaAxes]); a != "" {
		return strings.Split(a, "\n")
	}
	var axes []string
	for _, n := range names {
		if strings.Contains(n, ".") {
			axes = append(axes, n)
		}
	}
	return axes
}

func ratePops(names []string) []string {
	var pops []string
	for _, n := range names {
		if p, ok := strings.CutPrefix(n, "rate_"); ok {
			pops = append(pops, p)
		}
	}
	return pops
}

// shortNames gives each dotted path its shortest unique suffix of path components, e.g.
// synapses.EE.weight_update.vars.g and synapses.IE.weight_update.vars.g become EE.weight_update.vars.g
// and IE.weight_update.vars.g, and populations.E.params.TauM becomes TauM.
func shortNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		parts := strings.Split(p, ".")
		for k := 1; k <= len(parts); k++ {
			s := strings.Join(parts[len(parts)-k:], ".")
			unique := true
			for j, q := range paths {
				if j != i && (q == s || strings.HasSuffix(q, "."+s)) {
					unique = false
					break
				}
			}
			if unique || k == len(parts) {
				out[i] = s
				break
			}
		}
	}
	return out
}

func cellString(c results.Column, i int) string {
	switch {
	case c.Float64 != nil:
		return strconv.FormatFloat(c.Float64[i], 'g', -1, 64)
	case c.Int64 != nil:
		return strconv.FormatInt(c.Int64[i], 10)
	case c.Uint64 != nil:
		return strconv.FormatUint(c.Uint64[i], 10)
	case c.String != nil:
		return c.String[i]
	}
	return ""
}

func cellFloat(c results.Column, i int) float64 {
	switch {
	case c.Float64 != nil:
		return c.Float64[i]
	case c.Int64 != nil:
		return float64(c.Int64[i])
	default:
		return float64(c.Uint64[i])
	}
}

func meanSEM(v []float64) (float64, float64) {
	var sum float64
	for _, x := range v {
		sum += x
	}
	m := sum / float64(len(v))
	if len(v) < 2 {
		return m, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss/float64(len(v)-1)) / math.Sqrt(float64(len(v)))
}

// naturalLess orders labels such as "g=0.05" before "g=0.1" by comparing numbers numerically.
func naturalLess(a, b string) bool {
	as, bs := strings.Split(a, ", "), strings.Split(b, ", ")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		_, av, _ := strings.Cut(as[i], "=")
		_, bv, _ := strings.Cut(bs[i], "=")
		x, e1 := strconv.ParseFloat(av, 64)
		y, e2 := strconv.ParseFloat(bv, 64)
		if e1 == nil && e2 == nil && x != y {
			return x < y
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}

// StateOptions select what State draws.
type StateOptions struct {
	Variant uint64
	Var     string   // OWNER.VAR, e.g. E.V: a recorded variable of a population, synapse group or current source
	Neurons []uint32 // the elements to draw (nil: every recorded one, at most MaxStateLines)
	From    float64  // ms; samples at or after From
	To      float64  // ms; samples at or before To; 0 = to the end
}

// MaxStateLines bounds the traces State draws when no neurons are chosen.
const MaxStateLines = 20

// StateInfo describes a drawn state plot.
type StateInfo struct {
	Neurons []uint32 // drawn, in legend order
	Samples int      // points drawn
	More    int      // recorded elements not drawn (beyond MaxStateLines)
}

// State draws the sampled values of one recorded variable of one variant
// (DIR/state/variant-<id>.arrow) against time, one line per neuron.
func State(dir string, o StateOptions) (*gplot.Plot, StateInfo, error) {
	var info StateInfo
	owner, v, ok := strings.Cut(o.Var, ".")
	if !ok || owner == "" || v == "" {
		return nil, info, fmt.Errorf("%w: --var %q: want OWNER.VAR, e.g. E.V", ErrNotFound, o.Var)
	}
	path, err := variantFile(dir, o.Variant, "state")
	if err != nil {
		return nil, info, err
	}
	st, meta, err := results.ReadVariantState(path, o.Variant)
	if err != nil {
		return nil, info, err
	}
	to := o.To
	if to <= 0 {
		to = math.Inf(1)
	}
	series := map[uint32]plotter.XYs{}
	var recorded []string
	seen := map[string]bool{}
	for i := 0; i < st.Len(); i++ {
		name := st.Population[i] + "." + st.Var[i]
		if !seen[name] {
			seen[name] = true
			recorded = append(recorded, name)
		}
		if st.Population[i] != owner || st.Var[i] != v || st.Time[i] < o.From || st.Time[i] > to {
			continue
		}
		series[st.Neuron[i]] = append(series[st.Neuron[i]], plotter.XY{X: st.Time[i], Y: st.Value[i]})
	}
	if !seen[o.Var] {
		return nil, info, fmt.Errorf("%w: variant %d records no %s (it records %s)", ErrNotFound, o.Variant, o.Var, strings.Join(recorded, ", "))
	}
	neurons := o.Neurons
	if neurons == nil {
		for n := range series {
			neurons = append(neurons, n)
		}
		slices.Sort(neurons)
		if len(neurons) > MaxStateLines {
			info.More = len(neurons) - MaxStateLines
			neurons = neurons[:MaxStateLines]
		}
	}
	p := gplot.New()
	p.Title.Text = variantTitle(dir, o.Variant, meta) + ": " + o.Var
	p.X.Label.Text = "time (ms)"
	p.Y.Label.Text = o.Var // in the variable's own unit, which the file does not say
	for i, n := range neurons {
		xys, ok := series[n]
		if !ok {
			return nil, info, fmt.Errorf("%w: %s of neuron %d is not recorded (or has no sample in the window)", ErrNotFound, o.Var, n)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, info, err
		}
		l.Color, l.Width = Color(i), vg.Points(1)
		l.Dashes = plotutil.Dashes(i / len(palette))
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("neuron %d", n), l)
		info.Neurons = append(info.Neurons, n)
		info.Samples += len(xys)
	}
	return p, info, nil
}

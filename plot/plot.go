// Package plot draws the standard figures of a sweep directory with gonum/plot: a spike raster
// of one variant and firing rate against a swept parameter. It reads the files through package
// results only, so it works on any directory laid out as results.SpikesDir/results.VariantsFile
// describe, whether or not gennctl's orchestrator wrote it.
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
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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
	path := filepath.Join(dir, results.SpikeFile(o.Variant))
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, info, fmt.Errorf("%w: no spike file for variant %d in %s (%s)", ErrNotFound, o.Variant, dir, variantHint(dir))
	}
	sp, meta, err := results.ReadSpikes(path)
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
	p.Title.Text = fmt.Sprintf("variant %d: %d spikes", o.Variant, info.Spikes)
	if s := meta[results.MetaSeed]; s != "" {
		p.Title.Text += ", seed " + s
	}
	p.X.Label.Text = "time (ms)"
	p.Y.Label.Text = "neuron"
	p.Legend.Top = true
	for i, name := range pops {
		info.Populations = append(info.Populations, name)
		if len(pts[name]) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts[name])
		if err != nil {
			return nil, info, err
		}
		s.GlyphStyle.Color = plotutil.DarkColors[i%len(plotutil.DarkColors)]
		s.GlyphStyle.Shape = draw.BoxGlyph{}
		s.GlyphStyle.Radius = vg.Points(0.6)
		p.Add(s)
		// The legend shows a larger copy of the glyph: the raster's dots are tiny.
		key := *s
		key.GlyphStyle.Radius = vg.Points(3)
		p.Legend.Add(name, &key)
	}
	p.X.Min = o.From
	if math.IsInf(to, 1) {
		p.X.Max = math.Max(maxT, o.From+1)
	} else {
		p.X.Max = to
	}
	p.Y.Min, p.Y.Max = 0, math.Max(total, 1)
	return p, info, nil
}

// variantHint names a few variants that have spike files, for error messages.
func variantHint(dir string) string {
	ents, err := os.ReadDir(filepath.Join(dir, results.SpikesDir))
	if err != nil {
		return "no " + results.SpikesDir + " directory: is it a sweep output directory?"
	}
	var ids []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "variant-") && strings.HasSuffix(n, ".arrow") {
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(n, "variant-"), ".arrow"))
		}
	}
	if len(ids) == 0 {
		return "no spike files"
	}
	sort.Strings(ids)
	more := ""
	if len(ids) > 5 {
		ids, more = ids[:5], fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return "variants with spikes: " + strings.Join(ids, ", ") + more + "; ids are in variants.arrow"
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
	p.Title.Text = "firing rate vs " + o.X
	p.X.Label.Text = o.X
	p.Y.Label.Text = "rate (Hz)"
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Left = true
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
		c := plotutil.DarkColors[i%len(plotutil.DarkColors)]
		l.Color, pts.Color = c, c
		l.Width = vg.Points(1.5)
		l.Dashes = plotutil.Dashes(i / len(plotutil.DarkColors))
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

// SavePNG renders p as a PNG of w×h pixels at path (written next to it and renamed, so a
// half-written image never appears).
func SavePNG(p *gplot.Plot, w, h int, path string) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image size %dx%d: must be positive", w, h)
	}
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*vg.Inch/dpi, vg.Length(h)*vg.Inch/dpi), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
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

package sweep

import (
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// fileSpikeCounts counts a done variant's spikes per population from its rows of
// spikeFile: for a variant completed by a version that did not store its summary.
func (r *runner) fileSpikeCounts(v *Variant, spikeFile string) ([]int64, bool) {
	if spikeFile == "" {
		return nil, false
	}
	sp, _, err := results.ReadVariantSpikes(filepath.Join(r.dir, spikeFile), v.ID())
	if err != nil {
		return nil, false
	}
	net := r.plan.Groups[v.Group].Net
	idx := map[string]int{}
	for i, p := range net.Populations {
		idx[p.Name] = i
	}
	c := make([]int64, len(net.Populations))
	for _, p := range sp.Population {
		c[idx[p]]++
	}
	return c, true
}

// tableCurrent reports whether the variants table recorded by this sweep
// (config) verifies and was written after the last change of any variant:
// a run that ran nothing need not read every variant's results again to
// write the same table.
func (r *runner) tableCurrent() (bool, error) {
	outs, err := r.db.Outputs(nil, "variants")
	if err != nil {
		return false, err
	}
	last, err := r.db.LastVariantUpdate()
	if err != nil {
		return false, err
	}
	path := filepath.ToSlash(VariantsPath(r.opts.Shard))
	for _, o := range outs {
		if o.Path != path || o.SweepID != r.sweepID || !o.Created.After(last) {
			continue
		}
		sum, size, err := results.FileSHA256(filepath.Join(r.dir, o.Path))
		return err == nil && sum == o.SHA256 && size == o.Bytes, nil
	}
	return false, nil
}

// writeVariantsTable writes variants.arrow: one row per variant with its
// swept values, repeat, seed, structure, status, per-population spike
// counts and mean rates, and its summaries (NaN where not done). statuses
// are the variants' statuses as recorded (provenance.DB.Statuses).
func (r *runner) writeVariantsTable(sweepID int64, statuses map[uint64]string) error {
	plan := r.plan
	n := len(plan.Variants)
	ids := make([]uint64, n)
	seeds := make([]uint64, n)
	repeats := make([]int64, n)
	keys := make([]string, n)
	status := make([]string, n)
	axes := map[string]*results.Column{}
	var axisCols []*results.Column
	for _, a := range plan.Axes {
		c := &results.Column{Name: a}
		axes[a] = c
		axisCols = append(axisCols, c)
	}
	// A swept path is numeric if every value is a number.
	for _, a := range plan.Axes {
		numeric := true
		for _, v := range plan.Variants {
			for _, as := range v.Point.Assign {
				if as.Path == a && as.Value.Tag != "!!int" && as.Value.Tag != "!!float" {
					numeric = false
				}
			}
		}
		if numeric {
			axes[a].Float64 = make([]float64, n)
		} else {
			axes[a].String = make([]string, n)
		}
	}
	popNames := map[string]bool{}
	for _, g := range plan.Groups {
		for _, p := range g.Net.Populations {
			popNames[p.Name] = true
		}
	}
	pops := make([]string, 0, len(popNames))
	for p := range popNames {
		pops = append(pops, p)
	}
	sort.Strings(pops)
	spikes := map[string][]int64{}
	rates := map[string][]float64{}
	// Where a variant has no result (not done, or no such population), the
	// count is -1 and the rate missing (NaN), so that averages such as
	// pandas' groupby().mean() leave it out.
	for _, p := range pops {
		spikes[p], rates[p] = make([]int64, n), make([]float64, n)
		for i := range spikes[p] {
			spikes[p][i], rates[p][i] = -1, math.NaN()
		}
	}
	var sumNames []string
	sumCols := map[string][]float64{}
	for _, g := range plan.Groups {
		for _, name := range summaryColumns(g.Net) {
			if _, ok := sumCols[name]; !ok {
				sumNames = append(sumNames, name)
				sumCols[name] = make([]float64, n)
				for i := range sumCols[name] {
					sumCols[name][i] = math.NaN()
				}
			}
		}
	}
	for i, v := range plan.Variants {
		ids[i], seeds[i], repeats[i] = v.ID(), v.Point.Seed, int64(v.Point.Repeat)
		keys[i] = plan.Groups[v.Group].Key
		st, ok := statuses[v.ID()]
		if !ok {
			st = provenance.StatusPending // a merge of shards that have not started
		}
		status[i] = st
		for _, as := range v.Point.Assign {
			c := axes[as.Path]
			if c.Float64 != nil {
				c.Float64[i], _ = strconv.ParseFloat(as.Value.Value, 64)
			} else {
				c.String[i] = CanonicalValue(as.Value)
			}
		}
	}
	// The done variants' files and figures stream from provenance into their rows.
	rowOf := make(map[uint64]int, n)
	for i, v := range plan.Variants {
		if status[i] == provenance.StatusDone {
			rowOf[v.ID()] = i
		}
	}
	fileCols := map[string][]string{} // kind: the file of each row ("" where none)
	err := r.db.EachFile(func(f provenance.FileRecord) error {
		for _, id := range f.Variants {
			i, ok := rowOf[id]
			if !ok {
				continue
			}
			c := fileCols[f.Kind]
			if c == nil {
				c = make([]string, n)
				fileCols[f.Kind] = c
			}
			c[i] = f.Path
		}
		return nil
	})
	if err != nil {
		return err
	}
	setCounts := func(i int, count func(pi int, name string) int64) {
		v := plan.Variants[i]
		duration := plan.Profiles[v.Profile].Duration
		for pi, p := range plan.Groups[v.Group].Net.Populations {
			c := count(pi, p.Name)
			spikes[p.Name][i] = c
			rates[p.Name][i] = float64(c) / float64(p.Size) / (duration / 1000) // a sweep has a duration
		}
	}
	figured := make([]bool, n)
	err = r.db.EachSummary(func(sm provenance.Summary) error {
		i, ok := rowOf[sm.VariantID]
		if !ok {
			return nil
		}
		byPop, vals, err := parseSummary(sm)
		if err != nil {
			return nil // an unreadable summary leaves the row's figures missing
		}
		figured[i] = true
		setCounts(i, func(_ int, name string) int64 { return byPop[name] })
		for name, x := range vals {
			if c, ok := sumCols[name]; ok {
				c[i] = x
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, i := range rowOf {
		if figured[i] {
			continue
		}
		var spikeFile string
		if c := fileCols["spikes"]; c != nil {
			spikeFile = c[i]
		}
		if counts, ok := r.fileSpikeCounts(plan.Variants[i], spikeFile); ok {
			setCounts(i, func(pi int, _ string) int64 { return counts[pi] })
		}
	}
	cols := []results.Column{{Name: "variant_id", Uint64: ids}, {Name: "repeat", Int64: repeats}, {Name: "seed", Uint64: seeds},
		{Name: "structure_key", String: keys, Dictionary: true}, {Name: "status", String: status, Dictionary: true}}
	for _, c := range axisCols {
		cols = append(cols, *c)
	}
	for _, p := range pops {
		cols = append(cols, results.Column{Name: "spikes_" + p, Int64: spikes[p]},
			results.Column{Name: "rate_" + p, Unit: "Hz", Float64: rates[p]})
	}
	for _, name := range sumNames {
		cols = append(cols, results.Column{Name: name, Unit: summaryUnit(name), Float64: sumCols[name]})
	}
	for _, k := range results.FileKinds {
		if c, ok := fileCols[k.Kind]; ok {
			cols = append(cols, results.Column{Name: results.FileColumn(k.Kind), String: c, Dictionary: true})
		}
	}
	meta := map[string]string{results.MetaLayout: strconv.Itoa(results.LayoutVersion), results.MetaGennctlVersion: r.opts.Version, results.MetaConfigDigest: plan.ConfigDigest,
		results.MetaName: plan.Name, results.MetaAxes: strings.Join(plan.Axes, "\n"), results.MetaTimeUnit: "ms"}
	if len(plan.Variants) > 0 {
		v := plan.Variants[0]
		meta[results.MetaDT] = strconv.FormatFloat(plan.Groups[v.Group].Net.Sim.DT, 'g', -1, 64)
		meta[results.MetaDuration] = strconv.FormatFloat(plan.Profiles[v.Profile].Duration, 'g', -1, 64)
	}
	path := VariantsPath(r.opts.Shard)
	info, err := results.WriteTable(filepath.Join(r.dir, path), cols, meta, r.writeOpts()...)
	if err != nil {
		return err
	}
	return r.db.RecordOutputs([]provenance.Output{{SweepID: sweepID, Kind: "variants", Path: path, Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256}})
}

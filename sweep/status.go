package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// OpenDir opens the provenance database of a sweep directory (<out>/<name>).
// Given <out> holding exactly one sweep directory, it uses that one. It
// never creates a database.
func OpenDir(dir string) (string, *provenance.DB, error) {
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
		if ents, _ := filepath.Glob(filepath.Join(dir, "*", DBFile)); len(ents) == 1 {
			dir = filepath.Dir(ents[0])
		} else if shards, _ := shardDatabases(dir); len(shards) > 0 {
			return "", nil, fmt.Errorf("%w: %s holds the shards of a sweep but no %s: run gennctl merge %s first", ErrNotMerged, dir, DBFile, dir)
		} else if len(ents) > 1 {
			return "", nil, fmt.Errorf("%s holds %d sweeps; name one of them (e.g. %s)", dir, len(ents), filepath.Dir(ents[0]))
		} else {
			return "", nil, fmt.Errorf("%s is not a sweep directory (no %s)", dir, DBFile)
		}
	}
	db, err := provenance.Open(filepath.Join(dir, DBFile))
	if err != nil {
		return "", nil, err
	}
	return dir, db, nil
}

// ErrNotMerged: the directory holds shard databases but no merged one yet.
var ErrNotMerged = errors.New("not merged")

// StatusReport summarises a sweep directory.
type StatusReport struct {
	Dir          string    `json:"dir"`
	Name         string    `json:"name"`
	ConfigDigest string    `json:"config_digest"`
	Created      time.Time `json:"created"`
	Variants     int       `json:"variants"`
	// Counts by status: pending, running, done, failed, and abandoned:
	// variants recorded running although no orchestrator runs (one was
	// killed); the next sweep runs them again.
	Counts map[string]int `json:"counts"`
	// Orchestrator says whether a gennctl sweep holds the directory's lock
	// now (for a shard's database: that shard's).
	Orchestrator   bool          `json:"orchestrator_running"`
	EarlierConfigs int           `json:"earlier_config_variants"` // variants recorded for an earlier config only
	Failures       []FailureInfo `json:"failures"`
	Runs           int           `json:"runs"`           // attempts
	WorkerSeconds  float64       `json:"worker_seconds"` // sum over batch attempts of their duration
	FirstStart     time.Time     `json:"first_start,omitzero"`
	LastEnd        time.Time     `json:"last_end,omitzero"`
	Builds         int           `json:"builds"`
	Compiled       int           `json:"compiled"`
	CacheHits      int           `json:"cache_hits"`
	CompileSeconds float64       `json:"compile_seconds"`
	PeakRSSBytes   int64         `json:"peak_rss_bytes"` // largest of any run
}

// StatusAbandoned counts variants recorded running that no orchestrator
// runs: a killed sweep left them, and the next one runs them again.
const StatusAbandoned = "abandoned"

// FailureInfo is one failed variant.
type FailureInfo struct {
	VariantID uint64 `json:"variant_id"`
	Point     string `json:"point"` // the swept values, a JSON object
	Repeat    int    `json:"repeat"`
	Attempts  int    `json:"attempts"`
	Failure   string `json:"failure"` // kind: crash, timeout, nonfinite, job, killed, exit
	Error     string `json:"error"`
}

// Status reports on a sweep directory's provenance database, that of
// shard s (Whole: the sweep's own).
func Status(dir string, db *provenance.DB, s Shard) (*StatusReport, error) {
	rep := &StatusReport{Dir: dir, Counts: map[string]int{}, Failures: []FailureInfo{}, Orchestrator: Running(dir, s)}
	last, ok, err := LastSweep(db)
	if err != nil {
		return nil, err
	}
	if ok {
		rep.Name, rep.ConfigDigest, rep.Created = last.Name, last.ConfigDigest, last.Created
	}
	// Aggregates in SQL: a sweep of 10^6 variants has as many variant and
	// run rows.
	totals, err := db.RunTotals()
	if err != nil {
		return nil, err
	}
	rep.Runs, rep.PeakRSSBytes, rep.FirstStart, rep.LastEnd, rep.WorkerSeconds =
		totals.Runs, totals.PeakRSSBytes, totals.FirstStart, totals.LastEnd, totals.WorkerSeconds
	var sweepID int64 // 0: no sweep recorded, every variant counts
	if ok {
		sweepID = last.ID
	}
	counts, others, err := db.StatusCounts(sweepID)
	if err != nil {
		return nil, err
	}
	rep.EarlierConfigs = others
	for status, n := range counts {
		rep.Variants += n
		if status == provenance.StatusRunning && !rep.Orchestrator {
			status = StatusAbandoned
		}
		rep.Counts[status] += n
	}
	failed, err := db.FailedVariants(sweepID)
	if err != nil {
		return nil, err
	}
	for _, v := range failed {
		rep.Failures = append(rep.Failures, FailureInfo{VariantID: v.ID, Point: v.Point, Repeat: v.Repeat, Attempts: v.Attempts,
			Failure: v.Failure, Error: v.Error})
	}
	builds, err := db.Builds()
	if err != nil {
		return nil, err
	}
	for _, b := range builds {
		rep.Builds++
		if b.CacheHit {
			rep.CacheHits++
		} else {
			rep.Compiled++
			rep.CompileSeconds += b.Duration.Seconds()
		}
	}
	return rep, nil
}

// VariantReport is the full provenance of one variant.
type VariantReport struct {
	Dir          string             `json:"dir"`
	Variant      provenance.Variant `json:"variant"`
	Point        json.RawMessage    `json:"point"`
	Sweep        SweepInfo          `json:"sweep"` // the config that last ran it
	Runs         []provenance.Run   `json:"runs"`
	Builds       []provenance.Build `json:"builds"`
	Outputs      []OutputReport     `json:"outputs"`
	SeedDecimal  string             `json:"seed_decimal"`
	StructureKey string             `json:"structure_key"`
	// SpikeCounts and Summaries are the figures stored with the variant's
	// completion (JSON objects: population -> count, column -> value or
	// null); absent for variants done before they were stored.
	SpikeCounts json.RawMessage `json:"spike_counts,omitempty"`
	Summaries   json.RawMessage `json:"summaries,omitempty"`
}

// SweepInfo names a recorded config.
type SweepInfo struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	ConfigDigest string    `json:"config_digest"`
	Created      time.Time `json:"created"`
	Version      string    `json:"gennctl_version"`
	Commit       string    `json:"vcs_commit"`
	Dirty        bool      `json:"vcs_dirty"`
}

// OutputReport is a recorded output and whether the file still matches.
type OutputReport struct {
	provenance.Output
	Verified bool   `json:"verified"`
	Problem  string `json:"problem,omitempty"`
}

// ShowVariant collects a variant's provenance.
func ShowVariant(dir string, db *provenance.DB, id uint64) (*VariantReport, error) {
	v, err := db.Variant(id)
	if errors.Is(err, provenance.ErrNotFound) {
		return nil, fmt.Errorf("%s has no variant %d; list its ids with: gennctl variants %s", dir, id, dir)
	}
	if err != nil {
		return nil, err
	}
	rep := &VariantReport{Dir: dir, Variant: v, Point: json.RawMessage(v.Point), SeedDecimal: fmt.Sprint(v.Seed), StructureKey: v.StructureKey,
		Runs: []provenance.Run{}, Builds: []provenance.Build{}, Outputs: []OutputReport{}}
	if rep.Runs, err = db.Runs(id); err != nil {
		return nil, err
	}
	sw, err := variantSweep(db, v, rep.Runs)
	if err != nil {
		return nil, err
	}
	rep.Sweep = SweepInfo{ID: sw.ID, Name: sw.Name, ConfigDigest: sw.ConfigDigest, Created: sw.Created, Version: sw.GennctlVersion,
		Commit: sw.VCSCommit, Dirty: sw.VCSDirty}
	seen := map[int64]bool{}
	for _, r := range rep.Runs {
		if r.BuildID == 0 || seen[r.BuildID] {
			continue
		}
		seen[r.BuildID] = true
		b, err := db.Build(r.BuildID)
		if err != nil {
			return nil, err
		}
		rep.Builds = append(rep.Builds, b)
	}
	if sm, err := db.VariantSummary(id); err == nil {
		rep.SpikeCounts, rep.Summaries = json.RawMessage(sm.SpikeCounts), json.RawMessage(sm.Values)
	}
	outs, err := db.Outputs(&id, "")
	if err != nil {
		return nil, err
	}
	for _, o := range outs {
		or := OutputReport{Output: o}
		sum, size, err := results.FileSHA256(filepath.Join(dir, o.Path))
		switch {
		case err != nil:
			or.Problem = err.Error()
		case sum != o.SHA256 || size != o.Bytes:
			or.Problem = fmt.Sprintf("file differs from the record: sha256 %s, %d bytes", sum, size)
		default:
			or.Verified = true
		}
		rep.Outputs = append(rep.Outputs, or)
	}
	return rep, nil
}

// variantSweep is the recorded config a variant's results come from: the
// sweep of its last completed run, else the sweep it belongs to.
func variantSweep(db *provenance.DB, v provenance.Variant, runs []provenance.Run) (provenance.Sweep, error) {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Status == provenance.StatusDone && runs[i].SweepID != 0 {
			return db.Sweep(runs[i].SweepID)
		}
	}
	return db.Sweep(v.SweepID)
}

// ReproduceResult compares a variant's recorded spikes with a rerun.
type ReproduceResult struct {
	VariantID      uint64
	Recorded       string // results.VariantDigest of the variant's rows in the recorded file
	Reproduced     string // the same of the rerun's
	Match          bool
	RecordedPath   string
	ReproducedPath string
	ConfigDigest   string // of the recorded config used
	Differences    []string
	State          []FileMatch // the variant's recorded state files, if any
	// Summary compares the spike counts and summaries stored with the
	// variant's completion (nil for a variant done before they were stored).
	Summary *SummaryMatch
}

// SummaryMatch compares a variant's stored figures with a reproduction's.
type SummaryMatch struct {
	Recorded, Reproduced provenance.Summary
	Match                bool
}

// FileMatch compares one recorded output file with its reproduction.
type FileMatch struct {
	Path       string // relative to the sweep directory
	Recorded   string // results.VariantDigest of the variant's rows
	Reproduced string // the same of the rerun's ("" if the rerun wrote no such file)
	Match      bool
}

// Reproduce reruns one variant of a sweep directory alone, from the config
// text and seed recorded in its provenance (not any file on disk), into a
// directory under tmpDir, and compares the variant's rows in the spike
// (and state) files with the recorded ones, and the stored spike counts and
// summaries (all there is to compare for a variant that keeps only
// summaries). opts supplies the module cache, workers and version.
func Reproduce(ctx context.Context, dir string, db *provenance.DB, id uint64, tmpDir string, opts Options) (*ReproduceResult, error) {
	v, err := db.Variant(id)
	if err != nil {
		return nil, err
	}
	if v.Status != provenance.StatusDone {
		return nil, fmt.Errorf("variant %d is %s, not done: there is no recorded output to reproduce", id, v.Status)
	}
	outs, err := db.Outputs(&id, "spikes")
	if err != nil {
		return nil, err
	}
	recSummary, sumErr := db.VariantSummary(id)
	if len(outs) == 0 && sumErr != nil {
		return nil, fmt.Errorf("variant %d has no recorded spike file or summary", id)
	}
	var rec provenance.Output // none for a variant that keeps only summaries
	if len(outs) > 0 {
		rec = outs[len(outs)-1]
	}
	runs, err := db.Runs(id)
	if err != nil {
		return nil, err
	}
	sw, err := variantSweep(db, v, runs)
	if err != nil {
		return nil, err
	}
	// The file name as given: generated code names it in #line directives
	// (and the structure key digests code positions). Without one recorded,
	// the sweep's name is also the default name of a config without name:.
	file := sw.ConfigPath
	if file == "" {
		file = sw.Name + ".yaml"
	}
	plan, err := NewPlan(file, []byte(sw.ConfigText))
	if err != nil {
		return nil, fmt.Errorf("planning the recorded config: %w", err)
	}
	idx := -1
	for i, pv := range plan.Variants {
		if pv.ID() == id {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("variant %d is not a variant of the recorded config %.12s", id, sw.ConfigDigest)
	}
	pv := plan.Variants[idx]
	if pv.Point.Seed != v.Seed {
		return nil, fmt.Errorf("variant %d: the recorded config gives seed %d, provenance records %d", id, pv.Point.Seed, v.Seed)
	}
	if key := plan.Groups[pv.Group].Key; key != v.StructureKey {
		return nil, fmt.Errorf("variant %d: the recorded config gives structure %.12s, provenance records %.12s (another gennctl version?)",
			id, key, v.StructureKey)
	}
	sub := plan.Subset([]int{idx})
	opts.OutDir = tmpDir
	opts.Shard = Whole
	opts.Retries, opts.ForceConfig = 0, false
	opts.Progress = nil
	if _, err := Run(ctx, sub, opts); err != nil {
		return nil, err
	}
	res := &ReproduceResult{VariantID: id, ConfigDigest: sw.ConfigDigest, Match: true}
	reproduced, err := results.VariantFiles(filepath.Join(tmpDir, sub.Name), id)
	if err != nil {
		return nil, err
	}
	if rec.Path != "" {
		// The recorded file is verified first: its rows are only the recorded result
		// while the file is the one provenance describes.
		res.RecordedPath = filepath.Join(dir, rec.Path)
		verified := false
		if sum, size, err := results.FileSHA256(res.RecordedPath); err == nil && sum == rec.SHA256 && size == rec.Bytes {
			verified = true
			if res.Recorded, _, err = results.VariantDigest(res.RecordedPath, id); err != nil {
				return nil, err
			}
		}
		res.ReproducedPath = filepath.Join(tmpDir, sub.Name, reproduced["spikes"])
		if res.Reproduced, _, err = results.VariantDigest(res.ReproducedPath, id); err != nil {
			return nil, err
		}
		res.Match = verified && res.Reproduced == res.Recorded
		switch {
		case !verified:
			res.Differences = append(res.Differences, "the recorded spike file "+rec.Path+" does not verify against provenance (damaged or replaced; gennctl sweep reruns its variants)")
		case !res.Match:
			res.Differences = explainDifference(res.RecordedPath, res.ReproducedPath, id)
		}
	}
	if sumErr == nil {
		if res.Summary, err = reproducedSummary(filepath.Join(tmpDir, sub.Name, DBFile), recSummary); err != nil {
			return nil, err
		}
		res.Match = res.Match && res.Summary.Match
	}
	states, err := db.Outputs(&id, "state")
	if err != nil {
		return nil, err
	}
	for _, o := range states {
		fm := FileMatch{Path: o.Path}
		if sum, size, err := results.FileSHA256(filepath.Join(dir, o.Path)); err != nil || sum != o.SHA256 || size != o.Bytes {
			res.Differences = append(res.Differences, "the recorded state file "+o.Path+" does not verify against provenance")
		} else {
			fm.Recorded, _, _ = results.VariantDigest(filepath.Join(dir, o.Path), id)
		}
		if p, ok := reproduced["state"]; ok {
			fm.Reproduced, _, _ = results.VariantDigest(filepath.Join(tmpDir, sub.Name, p), id)
		}
		fm.Match = fm.Recorded != "" && fm.Reproduced == fm.Recorded
		res.Match = res.Match && fm.Match
		res.State = append(res.State, fm)
	}
	return res, nil
}

// reproducedSummary compares a recorded summary with the one a
// reproduction stored in its provenance.db.
func reproducedSummary(dbPath string, recorded provenance.Summary) (*SummaryMatch, error) {
	db, err := provenance.Open(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	got, err := db.VariantSummary(recorded.VariantID)
	if err != nil {
		return nil, err
	}
	return &SummaryMatch{Recorded: recorded, Reproduced: got,
		Match: got.SpikeCounts == recorded.SpikeCounts && got.Values == recorded.Values}, nil
}

// explainDifference says how a variant's spikes differ between two spike files: metadata
// keys, spike counts, first differing spike.
func explainDifference(a, b string, id uint64) []string {
	sa, ma, errA := results.ReadVariantSpikes(a, id)
	sb, mb, errB := results.ReadVariantSpikes(b, id)
	if errA != nil {
		return []string{"recorded file: " + errA.Error()}
	}
	if errB != nil {
		return []string{"reproduced file: " + errB.Error()}
	}
	var out []string
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if ma[k] != mb[k] {
			out = append(out, fmt.Sprintf("metadata %s: recorded %q, reproduced %q", k, ma[k], mb[k]))
		}
	}
	if sa.Len() != sb.Len() {
		out = append(out, fmt.Sprintf("spikes: recorded %d, reproduced %d", sa.Len(), sb.Len()))
	}
	n := min(sa.Len(), sb.Len())
	for i := 0; i < n; i++ {
		if sa.Population[i] != sb.Population[i] || sa.Neuron[i] != sb.Neuron[i] || sa.Time[i] != sb.Time[i] {
			out = append(out, fmt.Sprintf("first differing spike, row %d: recorded %s[%d] at %g ms, reproduced %s[%d] at %g ms",
				i, sa.Population[i], sa.Neuron[i], sa.Time[i], sb.Population[i], sb.Neuron[i], sb.Time[i]))
			break
		}
	}
	if len(out) == 0 {
		out = append(out, "the spikes and metadata are equal; the rows differ in layout")
	}
	return out
}

// FirstLine is the first line of a message.
func FirstLine(s string) string { return strings.TrimSpace(firstLine(s)) }

// ShardStatus is the progress of one shard of a sweep directory.
type ShardStatus struct {
	Shard        string         `json:"shard"` // file-name stem, e.g. shard-003-of-016
	Variants     int            `json:"variants"`
	Counts       map[string]int `json:"counts"`
	Orchestrator bool           `json:"orchestrator_running"`
	// Unmerged counts the shard's done variants that the sweep's own
	// database does not have as done (all of them before any merge).
	Unmerged int `json:"unmerged"`
}

// ShardsStatus reports the progress recorded in each shard database under
// dir/shards (none for an unsharded sweep), and how much of it main, the
// sweep's own database (nil: none yet), lacks. It only reads.
func ShardsStatus(dir string, main *provenance.DB) ([]ShardStatus, error) {
	paths, err := shardDatabases(dir)
	if err != nil {
		return nil, err
	}
	var out []ShardStatus
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".db")
		sh, _ := parseShardName(name)
		db, err := provenance.Open(p)
		if err != nil {
			return nil, err
		}
		rep, err := Status(dir, db, sh)
		var done []provenance.Variant
		if err == nil {
			done, err = db.Variants(provenance.StatusDone)
		}
		db.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		st := ShardStatus{Shard: name, Variants: rep.Variants, Counts: rep.Counts, Orchestrator: rep.Orchestrator}
		for _, v := range done {
			if main == nil {
				st.Unmerged++
				continue
			}
			if m, err := main.Variant(v.ID); err != nil || m.Status != provenance.StatusDone {
				st.Unmerged++
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// shardDatabases lists the shard databases of a sweep directory, sorted.
func shardDatabases(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, ShardsDir, "shard-*-of-*.db"))
	sort.Strings(paths)
	return paths, err
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Files    int      `json:"files"`    // recorded output files checked
	Problems []string `json:"problems"` // one line per finding; none: all is well
	Damaged  bool     `json:"database_damaged"`
}

// Verify checks a sweep directory as a rerun would: SQLite's full
// integrity check of the database, every recorded output file against its
// recorded size and sha256, and that every done variant has its spike file
// (or, keeping only summaries, its summary) recorded. It reads every file and writes nothing.
func Verify(dir string, db *provenance.DB) (*VerifyReport, error) {
	rep := &VerifyReport{Problems: []string{}}
	if err := db.Check(false); err != nil {
		var de *provenance.DamagedError
		if !errors.As(err, &de) {
			return nil, err
		}
		rep.Problems, rep.Damaged = append(rep.Problems, err.Error()), true
		return rep, nil // nothing in it can be trusted
	}
	outs, err := db.Outputs(nil, "")
	if err != nil {
		return nil, err
	}
	// A file holding many variants has one record per variant, all with its size and
	// sha256: it is read once.
	var files []provenance.Output
	held := map[string]int{}
	for _, o := range outs {
		if held[o.Path] == 0 {
			files = append(files, o)
		}
		held[o.Path]++
	}
	rep.Files = len(files)
	found := make([]string, len(files))
	forEach(len(files), func(i int) {
		o := files[i]
		name := o.Path
		if n := held[o.Path]; n > 1 {
			name = fmt.Sprintf("%s (holding %d variants)", o.Path, n)
		}
		sum, size, err := results.FileSHA256(filepath.Join(dir, o.Path))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			found[i] = fmt.Sprintf("%s: missing (recorded %d bytes)", name, o.Bytes)
		case err != nil:
			found[i] = fmt.Sprintf("%s: %v", name, err)
		case size != o.Bytes:
			found[i] = fmt.Sprintf("%s: %d bytes, recorded %d (truncated or rewritten)", name, size, o.Bytes)
		case sum != o.SHA256:
			found[i] = fmt.Sprintf("%s: sha256 %s, recorded %s (altered)", name, sum, o.SHA256)
		}
	})
	for _, f := range found {
		if f != "" {
			rep.Problems = append(rep.Problems, f)
		}
	}
	spikes := map[uint64]bool{}
	for _, o := range outs {
		if o.Kind == "spikes" && o.VariantID != nil {
			spikes[*o.VariantID] = true
		}
	}
	done, err := db.Variants(provenance.StatusDone)
	if err != nil {
		return nil, err
	}
	summarised, err := db.SummaryIDs()
	if err != nil {
		return nil, err
	}
	for _, v := range done {
		// A variant that keeps only summaries has them instead.
		if !spikes[v.ID] && !summarised[v.ID] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("variant %d is done but has no spike file or summary recorded", v.ID))
		}
	}
	return rep, nil
}

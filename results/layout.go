package results

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// The dataset layout of one sweep directory <out>/<name>/. These mirror the constants of
// package sweep (which writes the files) so that readers such as package plot need not import
// the orchestrator.
const (
	SpikesDir    = "spikes"
	StateDir     = "state"
	VariantsFile = "variants.arrow"
)

// LayoutVersion is the version of the dataset layout written by this gennctl, recorded as
// MetaLayout in every result file and in variants.arrow.
//
// Layout 1 (before gennctl recorded a layout) held one file per variant and kind,
// <kind dir>/variant-<id>.arrow (SpikeFile, StateFile, SynapseFile, SpikeEventFile). Layout 2
// holds one file per batch and kind, <kind dir>/<prefix><digest>.arrow (BatchFile), whose rows
// are sorted by variant_id; variants.arrow names each variant's files (its *_file columns)
// and the provenance database records them per variant. Readers find a variant's file through
// VariantFiles, which reads both layouts.
const LayoutVersion = 2

// SpikeFile is the layout-1 spike file of a variant, relative to the sweep directory.
func SpikeFile(id uint64) string {
	return filepath.Join(SpikesDir, "variant-"+strconv.FormatUint(id, 10)+".arrow")
}

// StateFile is the layout-1 state file (sampled variables) of a variant, relative to the
// sweep directory.
func StateFile(id uint64) string {
	return filepath.Join(StateDir, "variant-"+strconv.FormatUint(id, 10)+".arrow")
}

// BatchFile is the layout-2 file of kind dir (SpikesDir, StateDir, SynapsesDir,
// SpikeEventsDir) holding the variants ids, relative to the sweep directory. The name is a
// digest of the set of ids, so writing the same set again replaces its file and two
// different sets never share one; prefix (e.g. a shard's) lets a writer tell its files from
// others' in a shared directory.
func BatchFile(dir, prefix string, ids []uint64) string {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	h := sha256.New()
	var b [8]byte
	for _, id := range sorted {
		binary.LittleEndian.PutUint64(b[:], id)
		h.Write(b[:])
	}
	return filepath.Join(dir, prefix+hex.EncodeToString(h.Sum(nil))[:20]+".arrow")
}

// FileKinds are the kinds of per-variant result files, by directory: the value is the
// output kind recorded in provenance and the stem of the variants table's column
// (<kind>_file).
var FileKinds = []struct{ Dir, Kind string }{
	{SpikesDir, "spikes"}, {StateDir, "state"}, {SpikeEventsDir, "spike_events"}, {SynapsesDir, "synapses"},
}

// Schema-metadata keys of the files of a sweep. Values are strings, as Arrow requires; numbers
// are written with strconv.FormatFloat(x, 'g', -1, 64).
const (
	MetaVariantID      = "variant_id"      // spike and state files: the variant of every row
	MetaSeed           = "seed"            // spike and state files: the variant's seed
	MetaDT             = "dt"              // simulation time step, in MetaTimeUnit
	MetaDuration       = "duration"        // simulated time, in MetaTimeUnit
	MetaTimeUnit       = "time_unit"       // "ms"
	MetaStructureKey   = "structure_key"   // digest of the generated code's structure
	MetaConfigDigest   = "config_digest"   // digest of the experiment document
	MetaGennctlVersion = "gennctl_version" // version of the writing binary
	MetaName           = "name"            // variants file: the sweep's name
	// MetaPopulationSizes lists "name=size" pairs joined by ",", e.g. "E=3200,I=800"
	// (optional; see ParsePopulationSizes).
	MetaPopulationSizes = "population_sizes"
	// MetaAxes lists the swept config paths (the variants table's parameter columns) joined
	// by "\n" (optional; readers fall back to the columns whose names contain a dot).
	MetaAxes = "axes"
	// MetaLayout is the dataset layout version (LayoutVersion) of variants.arrow and of the
	// result files; absent in layout 1.
	MetaLayout = "layout"
)

// FormatPopulationSizes is the inverse of ParsePopulationSizes, with names sorted.
func FormatPopulationSizes(sizes map[string]int) string {
	names := make([]string, 0, len(sizes))
	for n := range sizes {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + strconv.Itoa(sizes[n])
	}
	return strings.Join(parts, ",")
}

// ParsePopulationSizes reads a MetaPopulationSizes value.
func ParsePopulationSizes(s string) (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, num, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(num)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("results: bad population size %q in %q", part, s)
		}
		out[name] = n
	}
	return out, nil
}

// SpikePopulations returns the population categories of a spike file in dictionary order (the
// order of the populations list given to NewSpikeWriter), including populations without spikes.
func SpikePopulations(path string) ([]string, error) {
	f, r, err := openReader(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer r.Close()
	is := r.Schema().FieldIndices(ColPopulation)
	if len(is) != 1 {
		return nil, fmt.Errorf("results: %s is not a spike file: want one column %q", path, ColPopulation)
	}
	if r.NumRecords() == 0 {
		return []string{}, nil
	}
	rec, err := r.Record(0)
	if err != nil {
		return nil, fmt.Errorf("results: read %s: %w", path, err)
	}
	col := rec.Column(is[0])
	if col.DataType().ID() != arrow.DICTIONARY {
		// Plain strings (a file rewritten by another tool): order of first appearance.
		vals, err := stringValues(col)
		if err != nil {
			return nil, err
		}
		var out []string
		seen := map[string]bool{}
		for _, v := range vals {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		return out, nil
	}
	return stringValues(col.(*array.Dictionary).Dictionary())
}

// FileMetadata reads the schema metadata of an Arrow IPC file without reading its rows.
func FileMetadata(path string) (map[string]string, error) {
	f, r, err := openReader(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer r.Close()
	return metadataMap(r.Schema().Metadata()), nil
}

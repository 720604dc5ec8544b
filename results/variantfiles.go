package results

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// FileColumn is the column of variants.arrow that names a variant's file of kind (one of
// FileKinds' Kind values), relative to the sweep directory; "" where it has none.
func FileColumn(kind string) string { return kind + "_file" }

// ErrNoVariant: variants.arrow has no row for the variant.
var ErrNoVariant = errors.New("no such variant")

// VariantFiles returns the result files of variant id in the sweep directory dir by kind,
// relative to dir; kinds without a file are absent. In layout 2 they come from the file
// columns of variants.arrow; in layout 1 (no MetaLayout) they are the per-variant names
// (SpikeFile, ...) of the files that exist.
func VariantFiles(dir string, id uint64) (map[string]string, error) {
	cols, meta, err := ReadTable(filepath.Join(dir, VariantsFile))
	if err != nil {
		return nil, err
	}
	if meta[MetaLayout] == "" {
		out := map[string]string{}
		for kind, p := range map[string]string{"spikes": SpikeFile(id), "state": StateFile(id),
			"synapses": SynapseFile(id), "spike_events": SpikeEventFile(id)} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				out[kind] = p
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		return out, nil
	}
	if v, err := strconv.Atoi(meta[MetaLayout]); err != nil || v > LayoutVersion {
		return nil, fmt.Errorf("results: %s has dataset layout %q; this gennctl reads layouts up to %d: upgrade gennctl",
			filepath.Join(dir, VariantsFile), meta[MetaLayout], LayoutVersion)
	}
	byName := map[string]Column{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	ids := byName[ColVariantID].Uint64
	row := -1
	for i, v := range ids {
		if v == id {
			row = i
			break
		}
	}
	if row < 0 {
		return nil, fmt.Errorf("%w: variant %d is not in %s", ErrNoVariant, id, filepath.Join(dir, VariantsFile))
	}
	out := map[string]string{}
	for _, k := range FileKinds {
		if c, ok := byName[FileColumn(k.Kind)]; ok && row < len(c.String) && c.String[row] != "" {
			out[k.Kind] = c.String[row]
		}
	}
	return out, nil
}

// variantRows narrows rec to the rows of variant only (its variant column at index col is
// sorted, as every writer of this package sorts a file by variant); nil when it has none.
func variantRows(rec arrow.Record, col int, only uint64) (arrow.Record, error) {
	v, ok := rec.Column(col).(*array.Uint64)
	if !ok {
		return nil, errors.New("variant_id column has an unexpected type")
	}
	vals := v.Uint64Values()
	lo := sort.Search(len(vals), func(i int) bool { return vals[i] >= only })
	hi := sort.Search(len(vals), func(i int) bool { return vals[i] > only })
	if lo == hi {
		return nil, nil
	}
	return rec.NewSlice(int64(lo), int64(hi)), nil
}

// ofVariant wraps a readRecords callback so that it sees only the rows of one variant.
func ofVariant(only uint64, add func(rec arrow.Record, idx map[string]int) error) func(rec arrow.Record, idx map[string]int) error {
	return func(rec arrow.Record, idx map[string]int) error {
		sub, err := variantRows(rec, idx[ColVariantID], only)
		if err != nil || sub == nil {
			return err
		}
		defer sub.Release()
		return add(sub, idx)
	}
}

// VariantDigest is the hex sha256 of the rows of one variant in a result file of any kind:
// every column's values, row by row, in file order. It compares a variant's results across
// files that hold different sets of variants (a batch file and a rerun of the variant
// alone), where the files' own checksums differ.
func VariantDigest(path string, id uint64) (string, int64, error) {
	h := sha256.New()
	var rows int64
	_, err := readRecords(path, "result file", []string{ColVariantID}, ofVariant(id, func(rec arrow.Record, _ map[string]int) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			for _, c := range rec.Columns() {
				h.Write([]byte(c.ValueStr(i)))
				h.Write([]byte{0x1f})
			}
			h.Write([]byte{0x1e})
		}
		rows += rec.NumRows()
		return nil
	}))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), rows, nil
}

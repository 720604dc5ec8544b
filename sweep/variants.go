package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gennctl/gennctl/provenance"
)

// VariantRow is one variant of a sweep directory as `gennctl variants`
// lists it.
type VariantRow struct {
	ID     uint64         `json:"variant_id"`
	Status string         `json:"status"` // as in StatusReport.Counts, abandoned included
	Repeat int            `json:"repeat"`
	Seed   uint64         `json:"seed"`
	Point  map[string]any `json:"point"` // swept config path → value
	// Failure and Error say why a failed variant failed (its last run's
	// failure kind, and the error).
	Failure string `json:"failure,omitempty"`
	Error   string `json:"error,omitempty"`
}

// variantStatuses are the statuses a listing may be filtered by.
var variantStatuses = []string{provenance.StatusDone, provenance.StatusFailed, provenance.StatusRunning, provenance.StatusPending, StatusAbandoned}

// Variants lists the variants of the config last run in the sweep
// directory dir (as Status counts them), by id, those of one status when
// status is not "". axes are the swept paths of their points, sorted.
func Variants(dir string, db *provenance.DB, status string) (rows []VariantRow, axes []string, err error) {
	if status != "" && !slices.Contains(variantStatuses, status) {
		return nil, nil, fmt.Errorf("%w: --status %q: want one of %s", ErrBadFilter, status, strings.Join(variantStatuses, ", "))
	}
	last, ok, err := LastSweep(db)
	if err != nil {
		return nil, nil, err
	}
	vs, err := db.Variants("")
	if err != nil {
		return nil, nil, err
	}
	live := Running(dir, Whole)
	seen := map[string]bool{}
	rows = []VariantRow{}
	for _, v := range vs {
		if ok && v.SweepID != last.ID {
			continue
		}
		row := VariantRow{ID: v.ID, Status: v.Status, Repeat: v.Repeat, Seed: v.Seed}
		if row.Status == provenance.StatusRunning && !live {
			row.Status = StatusAbandoned
		}
		if status != "" && row.Status != status {
			continue
		}
		if err := json.Unmarshal([]byte(v.Point), &row.Point); err != nil {
			return nil, nil, fmt.Errorf("variant %d: point %q: %w", v.ID, v.Point, err)
		}
		if v.Status == provenance.StatusFailed {
			row.Failure, row.Error = v.Failure, v.Error
		}
		for k := range row.Point {
			if !seen[k] {
				seen[k] = true
				axes = append(axes, k)
			}
		}
		rows = append(rows, row)
	}
	sort.Strings(axes)
	return rows, axes, nil
}

// ErrBadFilter is a filter of a listing that matches nothing by definition.
var ErrBadFilter = errors.New("bad filter")

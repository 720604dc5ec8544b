package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gennctl/gennctl/provenance"
)

// MergeSummary is what Merge found.
type MergeSummary struct {
	Shards   []string // shard databases merged
	Variants int      // variants of the sweep
	Done     int
	Failed   int
	Missing  []uint64 // variants not done in any shard (pending, running or never started)
}

// Merge folds the shard databases under dir/shards into dir/provenance.db
// and writes one variants table for the whole sweep. It is idempotent and
// may run while shards still run: it merges what they have recorded and
// reports the variants that are not done yet.
func Merge(dir string) (*MergeSummary, error) {
	shards, err := filepath.Glob(filepath.Join(dir, ShardsDir, "shard-*.db"))
	if err != nil {
		return nil, err
	}
	sort.Strings(shards)
	if len(shards) == 0 {
		if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
			return nil, fmt.Errorf("%s holds no sweep (no %s and no %s/shard-*.db)", dir, DBFile, ShardsDir)
		}
	}
	db, err := provenance.Open(filepath.Join(dir, DBFile))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	sum := &MergeSummary{Shards: shards}
	for _, s := range shards {
		if _, err := db.MergeFrom(s); err != nil {
			return nil, err
		}
	}
	sweeps, err := db.Sweeps()
	if err != nil {
		return nil, err
	}
	if len(sweeps) != 1 {
		return nil, fmt.Errorf("%s: expected the shards of one sweep, found %d sweeps (configs)", dir, len(sweeps))
	}
	sw := sweeps[0]
	file := sw.ConfigPath
	if file == "" {
		file = sw.Name + ".yaml"
	}
	plan, err := NewPlan(file, []byte(sw.ConfigText))
	if err != nil {
		return nil, fmt.Errorf("re-planning the recorded config: %w", err)
	}
	sum.Variants = len(plan.Variants)
	for _, v := range plan.Variants {
		rec, err := db.Variant(v.ID())
		switch {
		case err != nil || rec.Status == "pending" || rec.Status == "running":
			sum.Missing = append(sum.Missing, v.ID())
		case rec.Status == "done":
			sum.Done++
		default:
			sum.Failed++
		}
	}
	r := &runner{plan: plan, opts: Options{Shard: Whole, Version: sw.GennctlVersion}, dir: dir, db: db, stats: map[uint64][]int64{}}
	if err := r.writeVariantsTable(sw.ID); err != nil {
		return nil, err
	}
	return sum, nil
}

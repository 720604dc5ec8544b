package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gennctl/gennctl/provenance"
)

// MergeSummary is what Merge found.
type MergeSummary struct {
	Shards   []string `json:"shards"`   // shard databases merged
	Variants int      `json:"variants"` // variants of the sweep
	Done     int      `json:"done"`
	Failed   int      `json:"failed"`
	Missing  []uint64 `json:"missing"` // variants not done in any shard (pending, running or never started)
	// ShardsMissing names the shards of a partition (shard-I-of-N) that
	// have no database yet: never started. ShardsIncomplete says, per shard
	// with missing variants, how many of its variants are missing.
	ShardsMissing    []string `json:"shards_missing"`
	ShardsIncomplete []string `json:"shards_incomplete"`
}

// Merge folds the shard databases under dir/shards into dir/provenance.db
// and writes one variants table for the whole sweep. It is idempotent and
// may run while shards still run: it merges what they have recorded and
// reports the variants that are not done yet.
func Merge(dir string) (*MergeSummary, error) {
	shards, err := shardDatabases(dir)
	if err != nil {
		return nil, err
	}
	if len(shards) == 0 {
		if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
			return nil, fmt.Errorf("%s holds no sweep (no %s and no %s/shard-*.db)", dir, DBFile, ShardsDir)
		}
	}
	unlock, err := lockMerge(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	db, err := provenance.Open(filepath.Join(dir, DBFile))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	sum := &MergeSummary{Shards: shards, Missing: []uint64{}}
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
	statuses, err := db.Statuses()
	if err != nil {
		return nil, err
	}
	missing := map[int]bool{} // indices into plan.Variants
	for i, v := range plan.Variants {
		switch st, ok := statuses[v.ID()]; {
		case !ok || st == provenance.StatusPending || st == provenance.StatusRunning:
			sum.Missing = append(sum.Missing, v.ID())
			missing[i] = true
		case st == provenance.StatusDone:
			sum.Done++
		default:
			sum.Failed++
		}
	}
	sum.ShardsMissing, sum.ShardsIncomplete = shardGaps(plan, shards, missing)
	r := &runner{plan: plan, opts: Options{Shard: Whole, Version: sw.GennctlVersion}, dir: dir, db: db}
	if err := r.writeVariantsTable(sw.ID, statuses); err != nil {
		return nil, err
	}
	return sum, nil
}

// shardGaps names, for every partition (shard count) among the shard
// databases found, the shards that have no database and the shards whose
// variants are not all done (missing holds the missing variants' indices).
func shardGaps(plan *Plan, found []string, missing map[int]bool) (absent, incomplete []string) {
	absent, incomplete = []string{}, []string{}
	have := map[Shard]bool{}
	var counts []int
	for _, f := range found {
		if s, ok := parseShardName(strings.TrimSuffix(filepath.Base(f), ".db")); ok {
			if !slices.Contains(counts, s.Count) {
				counts = append(counts, s.Count)
			}
			have[s] = true
		}
	}
	sort.Ints(counts)
	for _, n := range counts {
		for i := 0; i < n; i++ {
			s := Shard{Index: i, Count: n}
			vs := plan.ShardVariants(s)
			if !have[s] {
				absent = append(absent, s.Name())
				continue
			}
			k := 0
			for _, vi := range vs {
				if missing[vi] {
					k++
				}
			}
			if k > 0 {
				incomplete = append(incomplete, fmt.Sprintf("%s (%d of %d variant(s) not done)", s.Name(), k, len(vs)))
			}
		}
	}
	return absent, incomplete
}

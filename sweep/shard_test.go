package sweep_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseShard(t *testing.T) {
	s, err := sweep.ParseShard("3/16")
	require.NoError(t, err)
	assert.Equal(t, sweep.Shard{Index: 3, Count: 16}, s)
	assert.Equal(t, "shard-003-of-016", s.Name())
	for _, bad := range []string{"16/16", "-1/4", "a/b", "3", "0/0"} {
		_, err := sweep.ParseShard(bad)
		assert.Error(t, err, bad)
	}
}

func TestShardFromSlurm(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	_, ok, err := sweep.ShardFromSlurm(env(nil))
	require.NoError(t, err)
	assert.False(t, ok)
	s, ok, err := sweep.ShardFromSlurm(env(map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "5"}))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, sweep.Shard{Index: 2, Count: 5}, s)
	// --array=10-19: tasks 10..19 are shards 0..9.
	s, _, err = sweep.ShardFromSlurm(env(map[string]string{"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "19"}))
	require.NoError(t, err)
	assert.Equal(t, sweep.Shard{Index: 2, Count: 10}, s)
	_, _, err = sweep.ShardFromSlurm(env(map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "5"}))
	assert.Error(t, err)
	_, _, err = sweep.ShardFromSlurm(env(map[string]string{"SLURM_ARRAY_TASK_ID": "1"}))
	assert.Error(t, err)
}

// Every variant is in exactly one shard; small structure groups are not
// split; no shard carries much more than its share of the work.
func TestShardPartition(t *testing.T) {
	// 3 delays (3 structures of equal cost) x 8 weights = 24 variants.
	plan := planText(t, "small.yaml", "testdata/small.yaml",
		"sweep: {grid: {synapses.EI.delay_steps: [1, 2, 3], synapses.EE.weight_update.vars.g: {linspace: [0.03, 0.06, 8]}}}\n")
	require.Len(t, plan.Groups, 3)
	for _, n := range []int{1, 2, 3, 5, 24, 30} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seen := map[int]int{}
			var loads []float64
			for i := 0; i < n; i++ {
				vs := plan.ShardVariants(sweep.Shard{Index: i, Count: n})
				again := plan.ShardVariants(sweep.Shard{Index: i, Count: n})
				assert.Equal(t, vs, again, "deterministic")
				load := 0.0
				for _, v := range vs {
					seen[v]++
					load += sweep.VariantCost(plan.Groups[plan.Variants[v].Group])
				}
				loads = append(loads, load)
				if n == 3 {
					groups := map[int]bool{}
					for _, v := range vs {
						groups[plan.Variants[v].Group] = true
					}
					assert.Len(t, groups, 1, "with 3 shards each structure group stays whole")
				}
			}
			assert.Len(t, seen, len(plan.Variants))
			for v, c := range seen {
				assert.Equal(t, 1, c, "variant %d", v)
			}
			total, max := 0.0, 0.0
			for _, l := range loads {
				total += l
				if l > max {
					max = l
				}
			}
			if n <= len(plan.Variants) {
				// A shard holds at most its fair share plus one chunk.
				assert.LessOrEqual(t, max, 2*total/float64(n)+1e-9)
			}
		})
	}
}

// Shards run separately and merged give the variant set and byte-identical
// spike files of one unsharded run; merging twice changes nothing; a shard
// rerun after completion does not duplicate anything.
func TestShardsMergeLikeOneRun(t *testing.T) {
	cache := t.TempDir()
	sweepText := "sweep: {repeats: 2, grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05, 0.06]}}\n"
	plan := planText(t, "small.yaml", "testdata/small.yaml", sweepText)
	require.Len(t, plan.Variants, 6)

	whole := run(t, plan, opts(t, cache))

	o := opts(t, cache)
	const n = 3
	for i := 0; i < n; i++ {
		o.Shard = sweep.Shard{Index: i, Count: n}
		run(t, plan, o)
	}
	dir := filepath.Join(o.OutDir, plan.Name)
	partial, err := sweep.Merge(dir)
	require.NoError(t, err)
	assert.Len(t, partial.Shards, n)
	assert.Equal(t, 6, partial.Done)
	assert.Empty(t, partial.Missing)

	// Rerunning a finished shard runs nothing; merging again is a no-op.
	o.Shard = sweep.Shard{Index: 1, Count: n}
	again := run(t, plan, o)
	assert.Equal(t, 0, again.Ran)
	_, err = sweep.Merge(dir)
	require.NoError(t, err)

	db, err := provenance.Open(filepath.Join(dir, sweep.DBFile))
	require.NoError(t, err)
	defer db.Close()
	vs, err := db.Variants("")
	require.NoError(t, err)
	assert.Len(t, vs, 6)
	for _, v := range plan.Variants {
		id := v.ID()
		outs, err := db.Outputs(&id, "spikes")
		require.NoError(t, err)
		require.Len(t, outs, 1, "variant %d recorded once", id)
		runs, err := db.Runs(id)
		require.NoError(t, err)
		assert.Len(t, runs, 1, "variant %d ran once", id)
		a, _, err := results.VariantDigest(variantFile(t, whole.Dir, id, "spikes"), id)
		require.NoError(t, err)
		b, _, err := results.VariantDigest(variantFile(t, dir, id, "spikes"), id)
		require.NoError(t, err)
		assert.Equal(t, a, b, "variant %d: sharded spikes differ from the unsharded ones", id)
	}
	table, _, err := results.ReadTable(filepath.Join(dir, results.VariantsFile))
	require.NoError(t, err)
	assert.Len(t, table[0].Uint64, 6)
}

// Merging while shards are missing reports them.
func TestMergeReportsMissing(t *testing.T) {
	plan := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {repeats: 4}\n")
	o := opts(t, t.TempDir())
	o.Shard = sweep.Shard{Index: 0, Count: 2}
	run(t, plan, o)
	sum, err := sweep.Merge(filepath.Join(o.OutDir, plan.Name))
	require.NoError(t, err)
	assert.Equal(t, 4, sum.Variants)
	assert.Equal(t, len(plan.ShardVariants(o.Shard)), sum.Done)
	assert.Len(t, sum.Missing, 4-sum.Done)
}

// The merged variants table takes the spike counts of done variants from
// the provenance the shards recorded (a merge of 10^6 variants does not read
// the spike files again): with the spike files gone, it still has the counts
// the unsharded run wrote.
func TestMergeCountsFromShardTables(t *testing.T) {
	cache := t.TempDir()
	plan := planText(t, "small.yaml", "testdata/small.yaml", "sweep: {grid: {synapses.EE.weight_update.vars.g: [0.04, 0.05, 0.06, 0.07]}}\n")
	whole := run(t, plan, opts(t, cache))
	o := opts(t, cache)
	for i := 0; i < 2; i++ {
		o.Shard = sweep.Shard{Index: i, Count: 2}
		run(t, plan, o)
	}
	dir := filepath.Join(o.OutDir, plan.Name)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, results.SpikesDir)))
	_, err := sweep.Merge(dir)
	require.NoError(t, err)
	column := func(path, name string) []int64 {
		t.Helper()
		cols, _, err := results.ReadTable(path)
		require.NoError(t, err)
		for _, c := range cols {
			if c.Name == name {
				return c.Int64
			}
		}
		t.Fatalf("%s has no column %s", path, name)
		return nil
	}
	for _, pop := range []string{"spikes_E", "spikes_I"} {
		want := column(filepath.Join(whole.Dir, results.VariantsFile), pop)
		assert.Equal(t, want, column(filepath.Join(dir, results.VariantsFile), pop), pop)
		for _, n := range want {
			assert.Positive(t, n, "the network spikes")
		}
	}
}

package sweep_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatchFilesHoldManyVariants: dataset layout 2. A batch's spikes are one file holding
// all of its variants, sorted by variant; variants.arrow names each variant's file; a
// damaged file reruns exactly its variants and leaves the other file alone; a file no
// record names (a run killed between rename and commit) is removed.
func TestBatchFilesHoldManyVariants(t *testing.T) {
	plan := faultPlan(t, 40, "")
	o := opts(t, t.TempDir())
	o.Workers, o.BatchSize = 1, 20
	first := run(t, plan, o)
	require.Equal(t, 40, first.Ran)

	ents, err := os.ReadDir(filepath.Join(first.Dir, results.SpikesDir))
	require.NoError(t, err)
	require.Len(t, ents, 2, "40 variants in batches of 20: two spike files")
	_, meta, err := results.ReadTable(filepath.Join(first.Dir, results.VariantsFile))
	require.NoError(t, err)
	assert.Equal(t, "2", meta[results.MetaLayout])

	byFile := map[string][]uint64{}
	for _, v := range plan.Variants {
		f := variantFile(t, first.Dir, v.ID(), "spikes")
		byFile[f] = append(byFile[f], v.ID())
		sp := spikesOf(t, first.Dir, v.ID())
		require.NotZero(t, sp.Len(), "variant %d spikes", v.ID())
		for _, id := range sp.Variant {
			require.Equal(t, v.ID(), id, "only the variant's own rows")
		}
	}
	require.Len(t, byFile, 2)
	for f, ids := range byFile {
		assert.Len(t, ids, 20)
		all, fmeta, err := results.ReadSpikes(f)
		require.NoError(t, err)
		assert.Equal(t, "2", fmeta[results.MetaLayout])
		assert.True(t, sort.SliceIsSorted(all.Variant, func(i, j int) bool { return all.Variant[i] < all.Variant[j] }), "%s is sorted by variant", f)
	}

	var damaged, intact string
	for f := range byFile {
		if damaged == "" {
			damaged = f
		} else {
			intact = f
		}
	}
	intactSum, _, err := results.FileSHA256(intact)
	require.NoError(t, err)
	digests := map[uint64]string{}
	for _, id := range byFile[damaged] {
		digests[id], _, err = results.VariantDigest(damaged, id)
		require.NoError(t, err)
	}
	info, err := os.Stat(damaged)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(damaged, info.Size()/2))
	// An orphan: a complete result file that no record names.
	orphan := filepath.Join(first.Dir, results.SpikesDir, "0123456789abcdef0123.arrow")
	data, err := os.ReadFile(intact)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(orphan, data, 0o644))

	again := run(t, plan, o)
	assert.Equal(t, 20, again.Ran, "exactly the damaged file's variants")
	assert.Equal(t, 20, again.Skipped)
	assert.NoFileExists(t, orphan, "an unrecorded result file is removed")
	after, _, err := results.FileSHA256(intact)
	require.NoError(t, err)
	assert.Equal(t, intactSum, after, "the intact file is untouched")
	for id, want := range digests {
		got, _, err := results.VariantDigest(variantFile(t, again.Dir, id, "spikes"), id)
		require.NoError(t, err)
		assert.Equal(t, want, got, "variant %d reruns to the same rows", id)
	}
	checkSweep(t, again.Dir, plan, nil)
	ents, err = os.ReadDir(filepath.Join(first.Dir, results.SpikesDir))
	require.NoError(t, err)
	assert.Len(t, ents, 2, "no variant's rows stand in two files")
}

// TestSingleVariantBatchStreams: a batch of one variant streams its rows into its files as
// they come (here 800,400 state samples, beyond streamRows), and gives exactly the rows of
// the same variants run in one batch of two, which holds them until it ends.
func TestSingleVariantBatchStreams(t *testing.T) {
	data, err := os.ReadFile("testdata/small.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(data), "record: {spikes: true}", "record: {spikes: true, vars: {V: {every: 0.1}}}", 1) +
		"sweep: {repeats: 2}\n"
	plan, err := sweep.NewPlan("small.yaml", []byte(text))
	require.NoError(t, err)
	cache := t.TempDir()
	digests := func(batch int) map[string]string {
		o := opts(t, cache)
		o.BatchSize, o.Workers = batch, 1
		sum := run(t, plan, o)
		out := map[string]string{}
		for _, v := range plan.Variants {
			for _, kind := range []string{"spikes", "state"} {
				d, rows, err := results.VariantDigest(variantFile(t, sum.Dir, v.ID(), kind), v.ID())
				require.NoError(t, err)
				require.Positive(t, rows)
				if kind == "state" {
					require.EqualValues(t, 400*2001, rows, "E.V of 400 neurons at 2001 times")
				}
				out[fmt.Sprint(v.ID(), kind)] = d
			}
		}
		return out
	}
	assert.Equal(t, digests(2), digests(1), "streamed and held rows are the same")
}

// TestDurationSweepProfiles: variants of one structure that run for different durations are
// batched by profile; each batch's files carry its own duration, and a summary window that
// ends at the duration by default ends at the variant's (the count of the whole run equals
// its spike count, the rate is that count over its duration).
func TestDurationSweepProfiles(t *testing.T) {
	data, err := os.ReadFile("testdata/small.yaml")
	require.NoError(t, err)
	text := string(data) + "summaries:\n  E: {stats: [count, rate]}\nsweep: {grid: {simulation.duration: [100, 200]}}\n"
	plan, err := sweep.NewPlan("small.yaml", []byte(text))
	require.NoError(t, err)
	require.Len(t, plan.Groups, 1, "the duration is not part of the structure")
	sum := run(t, plan, opts(t, t.TempDir()))
	byName := tableColumns(t, sum.Dir)
	for row, id := range byName["variant_id"].Uint64 {
		duration := byName["simulation.duration"].Float64[row]
		_, meta, err := results.ReadVariantSpikes(variantFile(t, sum.Dir, id, "spikes"), id)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(duration), meta[results.MetaDuration], "variant %d's file says its duration", id)
		count := byName["summaries.E.count"].Float64[row]
		assert.Equal(t, float64(byName["spikes_E"].Int64[row]), count, "the default window is the whole run of %g ms", duration)
		assert.InDelta(t, count/400/(duration/1000), byName["summaries.E.rate"].Float64[row], 1e-9, "rate over %g ms", duration)
	}
}

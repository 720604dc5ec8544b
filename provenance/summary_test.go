package provenance

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVariantSummary(t *testing.T) {
	d, _ := openTemp(t)
	sid := newSweep(t, d)
	require.NoError(t, d.UpsertVariants(sid, []Variant{{ID: 1}, {ID: 2}}))
	_, err := d.VariantSummary(1)
	require.True(t, errors.Is(err, ErrNotFound), "none before completion: %v", err)

	// Stored in the completing transaction; a failing completion stores none.
	bad := Summary{VariantID: 1, SpikeCounts: `{"E":3}`, Values: `not json`}
	require.Error(t, d.CompleteVariants(Completion{Variants: []uint64{1}, Summaries: []Summary{bad}}))
	_, err = d.VariantSummary(1)
	require.True(t, errors.Is(err, ErrNotFound))
	c, err := d.CountsByStatus()
	require.NoError(t, err)
	assert.Equal(t, map[string]int{StatusPending: 2}, c, "nothing of the failed completion is left")

	s := Summary{VariantID: 1, SpikeCounts: `{"E":3}`, Values: `{"summaries.E.cv_isi":null,"summaries.E.rate":2.5}`}
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1}, Summaries: []Summary{s}}))
	got, err := d.VariantSummary(1)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	// A rerun replaces it.
	s.SpikeCounts = `{"E":4}`
	require.NoError(t, d.CompleteVariants(Completion{Variants: []uint64{1}, Summaries: []Summary{s}}))
	got, err = d.VariantSummary(1)
	require.NoError(t, err)
	assert.Equal(t, `{"E":4}`, got.SpikeCounts)

	// The bulk readers see the same: variant 1's summary, none of variant 2.
	ids, err := d.SummaryIDs()
	require.NoError(t, err)
	assert.Equal(t, map[uint64]bool{1: true}, ids)
	var all []Summary
	require.NoError(t, d.EachSummary(func(s Summary) error { all = append(all, s); return nil }))
	assert.Equal(t, []Summary{got}, all)
}

// A merge takes a shard's summaries with the variant rows it takes.
func TestMergeSummaries(t *testing.T) {
	main, _ := openTemp(t)
	shard, err := Open(filepath.Join(t.TempDir(), "shard.db"))
	require.NoError(t, err)
	defer shard.Close()
	for _, d := range []*DB{main, shard} {
		require.NoError(t, d.UpsertVariants(newSweep(t, d), []Variant{{ID: 1}, {ID: 2}}))
	}
	s := Summary{VariantID: 2, SpikeCounts: `{"E":7}`, Values: `{"summaries.E.rate":1}`}
	require.NoError(t, shard.CompleteVariants(Completion{Variants: []uint64{2}, Ended: time.Now().Add(time.Second), Summaries: []Summary{s}}))
	for i := 0; i < 2; i++ { // idempotent
		_, err = main.MergeFrom(shard.Path())
		require.NoError(t, err)
		got, err := main.VariantSummary(2)
		require.NoError(t, err)
		assert.Equal(t, s, got)
		_, err = main.VariantSummary(1)
		assert.True(t, errors.Is(err, ErrNotFound))
	}
}

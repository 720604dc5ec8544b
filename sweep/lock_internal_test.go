package sweep

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLocksExcludeOverlappingRuns: any two runs that could write the same
// variants exclude each other, whatever their shard arguments; the shards of
// one partition run together; Running tells which run holds its locks.
func TestLocksExcludeOverlappingRuns(t *testing.T) {
	dir := t.TempDir()
	take := func(s Shard) func() {
		t.Helper()
		unlock, err := lockDir(dir, s)
		require.NoError(t, err, "shard %s", s)
		return unlock
	}
	refused := func(s Shard, holder string) {
		t.Helper()
		_, err := lockDir(dir, s)
		require.ErrorIs(t, err, ErrLocked, "shard %s", s)
		assert.Contains(t, err.Error(), holder, "shard %s", s)
	}

	a := take(Shard{0, 2})
	assert.True(t, Running(dir, Shard{0, 2}))
	assert.False(t, Running(dir, Shard{1, 2}))
	assert.True(t, Running(dir, Whole), "a shard runs in the directory")
	refused(Whole, "a sweep --shard")
	refused(Shard{1, 3}, "a sweep --shard I/2")
	refused(Shard{0, 2}, "sweep --shard 0/2")
	b := take(Shard{1, 2})
	assert.True(t, Running(dir, Shard{1, 2}))
	a()
	refused(Shard{0, 3}, "a sweep --shard I/2")
	b()
	assert.False(t, Running(dir, Shard{1, 2}), "the locks go with the run")

	w := take(Whole)
	assert.True(t, Running(dir, Whole))
	refused(Whole, "another gennctl sweep (pid")
	refused(Shard{0, 2}, "another gennctl sweep (pid")
	_, err := lockMerge(dir)
	require.ErrorIs(t, err, ErrLocked, "a merge writes what a run of every variant writes")
	w()
	m, err := lockMerge(dir)
	require.NoError(t, err)
	refused(Whole, "a sweep --shard") // (a merge holds the read lock that shards hold)
	s := take(Shard{0, 2})
	s()
	m()
	c := take(Shard{2, 3})
	c()
	assert.False(t, Running(dir, Whole))
}

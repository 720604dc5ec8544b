package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gennctl/gennctl/results"
)

// crashAt is the test hook GENNCTL_TEST_CRASH_AT=<point>:<n>: the process
// kills itself with SIGKILL the n-th time it reaches the named point
// (before-rename, after-rename: of a spike file; after-commit: of a batch's
// provenance), so tests can kill the orchestrator at exact moments.
var crashAt = struct {
	sync.Mutex
	point string
	n     int
}{}

func init() {
	if v := os.Getenv("GENNCTL_TEST_CRASH_AT"); v != "" {
		p, n, _ := strings.Cut(v, ":")
		crashAt.point = p
		crashAt.n, _ = strconv.Atoi(n)
	}
}

func crashPoint(name string) {
	if crashAt.point == "" {
		return
	}
	crashAt.Lock()
	defer crashAt.Unlock()
	if name == crashAt.point {
		crashAt.n--
		if crashAt.n <= 0 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns
		}
	}
}

// lockDir takes an exclusive lock on the sweep directory for the life of
// the process (the kernel releases it when the process dies, even by
// SIGKILL), so two orchestrators never write one sweep at once.
// Shards of one sweep run concurrently in one directory: each locks its
// own name, and cleans only its own temporary files (see cleanTemp).
func lockDir(dir string, s Shard) (func(), error) {
	path := filepath.Join(dir, LockFile)
	if s.Sharded() {
		path = filepath.Join(dir, ShardsDir, "."+s.Name()+".lock")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := strings.TrimSpace(string(b))
			if holder != "" {
				holder = " (pid " + holder + ")"
			}
			return nil, fmt.Errorf("%w%s: %s; wait for it to finish or stop it", ErrLocked, holder, dir)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		f.Close() // releases the lock
	}, nil
}

// cleanTemp removes the temporary files (".<name>.tmp-<random>") that a
// killed orchestrator left in the sweep directory and its spikes directory.
// owned (final paths relative to dir) limits it to this run's files: shards
// share the directory and must not remove each other's files in progress.
func cleanTemp(dir string, owned map[string]bool) {
	for _, d := range []string{dir, filepath.Join(dir, results.SpikesDir), filepath.Join(dir, results.StateDir), filepath.Join(dir, ShardsDir)} {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			base, _, isTmp := strings.Cut(strings.TrimPrefix(n, "."), ".tmp-")
			if !e.Type().IsRegular() || !strings.HasPrefix(n, ".") || !isTmp {
				continue
			}
			rel, _ := filepath.Rel(dir, filepath.Join(d, base))
			if owned == nil || owned[rel] {
				_ = os.Remove(filepath.Join(d, n))
			}
		}
	}
}

// tempOwned lists the files this run writes (nil: all of the directory's,
// for a sweep that is not sharded).
func (r *runner) tempOwned() map[string]bool {
	if !r.opts.Shard.Sharded() {
		return nil
	}
	owned := map[string]bool{VariantsPath(r.opts.Shard): true}
	for _, vi := range r.mine {
		owned[results.SpikeFile(r.plan.Variants[vi].ID())] = true
		owned[results.StateFile(r.plan.Variants[vi].ID())] = true
	}
	return owned
}

package sweep

import (
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

package sweep

import (
	"errors"
	"io/fs"
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
// (before-rename, after-rename: of a batch's result files, even when it writes
// none; after-commit: of a batch's provenance), so tests can kill the orchestrator at exact moments.
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

// kindDirs are the directories of per-variant result files.
func kindDirs() []string {
	dirs := make([]string, len(results.FileKinds))
	for i, k := range results.FileKinds {
		dirs[i] = k.Dir
	}
	return dirs
}

// cleanTemp removes the temporary files (".<name>.tmp-<random>") that a killed orchestrator
// left in the sweep directory and its result directories, of the files this run owns
// (shards share the directory and must not remove each other's files in progress).
func (r *runner) cleanTemp() {
	for _, d := range append([]string{".", ShardsDir}, kindDirs()...) {
		ents, err := os.ReadDir(filepath.Join(r.dir, d))
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			base, _, isTmp := strings.Cut(strings.TrimPrefix(n, "."), ".tmp-")
			if e.Type().IsRegular() && strings.HasPrefix(n, ".") && isTmp && r.owns(filepath.Join(d, base)) {
				_ = os.Remove(filepath.Join(r.dir, d, n))
			}
		}
	}
}

// owns reports whether this run writes the file at rel (relative to the sweep directory):
// every file of an unsharded sweep except the result files shards name after themselves; a
// shard's own database, variants table and result files.
func (r *runner) owns(rel string) bool {
	base := filepath.Base(rel)
	if !r.opts.Shard.Sharded() {
		return !strings.HasPrefix(base, "shard-")
	}
	return rel == filepath.Clean(VariantsPath(r.opts.Shard)) || rel == filepath.Clean(DBPath(r.opts.Shard)) ||
		strings.HasPrefix(base, r.filePrefix())
}

// removeUnrecorded removes the result files this run owns that no output record names
// (recorded: by path): a run killed after renaming a file into place and before recording
// it leaves one, and its rows must not stand beside those of the variants' rerun.
func (r *runner) removeUnrecorded(recorded map[string]int32) error {
	for _, d := range kindDirs() {
		ents, err := os.ReadDir(filepath.Join(r.dir, d))
		if err != nil {
			continue
		}
		for _, e := range ents {
			rel := filepath.ToSlash(filepath.Join(d, e.Name()))
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".arrow") || !r.owns(rel) {
				continue
			}
			if _, ok := recorded[rel]; !ok {
				if err := os.Remove(filepath.Join(r.dir, rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
	}
	return nil
}

package sweep

import (
	"errors"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/gennctl/gennctl/modelspec"
	"github.com/gennctl/gennctl/provenance"
)

// Precheck is the integrity check of a sweep directory's database started
// before the sweep is planned, so that the two run side by side: at 10^6
// variants each takes seconds, and a rerun that finds everything done does
// little else. It reads the file without the directory's lock, so Run
// takes its verdict only for the database Run opens and only if the file is
// unchanged from when the check began to when Run holds the lock; otherwise
// Run checks the database itself, as without a precheck.
type Precheck struct {
	path  string
	stamp fileStamp
	done  chan error // the check's result, once
	err   error
}

// StartPrecheck starts the check of the database that Run will open for
// the config in file with results under outDir, for shard, if that database
// exists and its write-ahead log is empty (nil: Run checks). The check
// writes nothing (provenance.QuickCheckFile). The sweep's name is read as Decode reads
// it; a config whose name this does not find is checked by Run instead.
func StartPrecheck(file, outDir string, shard Shard) *Precheck {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	path := filepath.Join(outDir, configName(file, data), DBPath(shard))
	stamp, ok := stampOf(path)
	if !ok || stamp.walSize > 0 {
		// No database, or commits still in its write-ahead log (a killed
		// run's), which the read-only check would not see: Run checks.
		return nil
	}
	p := &Precheck{path: path, stamp: stamp, done: make(chan error, 1)}
	go func() { p.done <- provenance.QuickCheckFile(path) }()
	return p
}

// configName is the name of the sweep in a config: its top-level name, else
// the file's base name without extension (as modelspec's Decode).
func configName(file string, data []byte) string {
	name := modelspec.DefaultName(file)
	root, err := modelspec.Parse(file, data)
	if err != nil {
		return name
	}
	if n, err := LookupPath(root, "name"); err == nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return name
}

// Wait waits for the check to end; a caller that does not give the
// precheck to Run calls it before it returns.
func (p *Precheck) Wait() {
	if p != nil && p.done != nil {
		p.err = <-p.done
		p.done = nil
	}
}

// stands reports whether the precheck checked the database at path as it is
// now (call it holding the directory's lock, before writing).
func (p *Precheck) stands(path string) bool {
	if p == nil || p.path != path {
		return false
	}
	stamp, ok := stampOf(path)
	return ok && stamp == p.stamp
}

// verdict waits for the check and returns its result, or check() when the
// precheck could not read the file (a read-only open can fail where Run's
// can not).
func (p *Precheck) verdict(check func() error) error {
	p.Wait()
	var damaged *provenance.DamagedError
	if p.err != nil && !errors.As(p.err, &damaged) {
		return check()
	}
	return p.err
}

// fileStamp identifies the content of a database: SQLite writes the main
// file or its write-ahead log for every change. (On a file system whose
// times are coarser than the writes, another process's write in the same
// tick could go unseen; the check of the next run would then find damage.)
type fileStamp struct {
	size, walSize int64
	mtime         int64
}

func stampOf(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	s := fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if wal, err := os.Stat(path + "-wal"); err == nil {
		s.walSize = wal.Size()
	}
	return s, true
}

// Package results writes and reads the Arrow IPC files of a sweep: spikes as a long table
// (variant_id, population, neuron, time) and generic tables such as the variants table.
//
// Files use the Arrow IPC *file* format (Feather v2, uncompressed) so that pandas
// (pyarrow.feather.read_feather / pandas.read_feather) and R (arrow::read_feather) open them
// directly. Every file is written under a temporary name in its final directory, fsynced and
// renamed, so nothing half-written ever appears under a final name: a rerun may trust any file
// it finds there as long as its recorded sha256 verifies.
//
// The package imports no sibling package of gennctl.
package results

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// FileInfo describes a finished output file as it should be recorded in provenance.
type FileInfo struct {
	Path   string // the final path, as given to the writer
	Rows   int64  // data rows in the file (spikes for a spike file)
	Bytes  int64  // file size
	SHA256 string // lowercase hex sha256 of the whole file
}

// atomicFile is a sequential sink that writes to a temporary file next to the final path and
// hashes the bytes as they go, so committing does not need to read a possibly large file back.
//
// It implements io.WriteSeeker only as far as the Arrow file writer needs: that writer asks
// for the current position with Seek(0, io.SeekCurrent) and never moves backwards.
type atomicFile struct {
	final string
	tmp   string
	f     *os.File
	buf   *bufio.Writer
	h     hash.Hash
	n     int64
	done  bool // committed or aborted
}

// createAtomic opens a fresh temporary file ".<base>.tmp-<random>" in the directory of path.
// The temporary file lives in the same directory so the final rename is atomic (same file
// system) and a crash leaves only dot-files that never match a final name.
func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("results: %q is not a file path", path)
	}
	if dir == "" {
		dir = "."
	}
	var lastErr error
	for i := 0; i < 10; i++ {
		var rnd [8]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return nil, fmt.Errorf("results: random temp name: %w", err)
		}
		tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(rnd[:]))
		// 0666 so that the final file gets the user's umask, like any other created file
		// (os.CreateTemp would force 0600).
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				lastErr = err
				continue
			}
			return nil, fmt.Errorf("results: create %s: %w", path, err)
		}
		return &atomicFile{
			final: path,
			tmp:   tmp,
			f:     f,
			buf:   getFileBuffer(f),
			h:     sha256.New(),
		}, nil
	}
	return nil, fmt.Errorf("results: create temporary file for %s: %w", path, lastErr)
}

func (a *atomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, errors.New("results: write after close")
	}
	n, err := a.buf.Write(p)
	a.h.Write(p[:n])
	a.n += int64(n)
	return n, err
}

// Seek reports the current position; any real seek is refused because the hash is computed
// over the byte stream in order.
func (a *atomicFile) Seek(offset int64, whence int) (int64, error) {
	if offset == 0 && whence == io.SeekCurrent {
		return a.n, nil
	}
	return a.n, errors.New("results: atomic file supports only sequential writes")
}

// commit flushes, fsyncs and renames the temporary file to its final name, then fsyncs the
// directory so the rename itself survives a power loss. On failure the temporary file is
// removed and nothing appears at the final path.
func (a *atomicFile) commit(rows int64) (FileInfo, error) {
	if a.done {
		return FileInfo{}, errors.New("results: file already closed")
	}
	fail := func(err error) (FileInfo, error) {
		a.abort()
		return FileInfo{}, fmt.Errorf("results: write %s: %w", a.final, err)
	}
	if err := a.buf.Flush(); err != nil {
		return fail(err)
	}
	a.releaseBuffer()
	if err := a.f.Sync(); err != nil {
		return fail(err)
	}
	if err := a.f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(a.tmp, a.final); err != nil {
		return fail(err)
	}
	a.done = true
	syncDir(filepath.Dir(a.final))
	return FileInfo{
		Path:   a.final,
		Rows:   rows,
		Bytes:  a.n,
		SHA256: hex.EncodeToString(a.h.Sum(nil)),
	}, nil
}

// abort closes and removes the temporary file. It is safe to call more than once and after a
// successful commit (then it does nothing).
func (a *atomicFile) abort() {
	if a.done {
		return
	}
	a.done = true
	a.releaseBuffer()
	a.f.Close()
	os.Remove(a.tmp)
}

// releaseBuffer returns the write buffer to the pool; nothing is written after it.
func (a *atomicFile) releaseBuffer() {
	putFileBuffer(a.buf)
	a.buf = nil
}

// syncDir fsyncs a directory so a completed rename is durable. Errors are ignored: some file
// systems refuse fsync on directories, and the data itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// FileSHA256 returns the lowercase hex sha256 and the size of the file at path. It is used to
// verify outputs recorded in provenance before a rerun skips their variants.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("results: hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Runs that could write the same variants exclude each other, whatever
// their shard arguments; shards of one partition (same N) write disjoint
// variants and run together. Every run locks byte ranges of the sweep
// directory's lock file with open-file-description locks (fcntl
// F_OFD_SETLK), which the kernel releases when the process ends, even by
// SIGKILL, and which another process can test without taking them
// (F_OFD_GETLK), so that `gennctl status` tells a running sweep from an
// abandoned one without ever making a starting sweep fail:
//
//	byte 0          the whole sweep: written by a run of every variant, read by each shard and merge
//	byte 1          a mutex held while a shard checks and takes its partition
//	byte 2+N        read by each shard of a partition into N
//	byte 2^40+I     written by shard I (of the one partition that runs)
const (
	lockWhole     = 0
	lockMutex     = 1
	lockCountBase = 2
	lockShardBase = 1 << 40
)

// lockDir takes the locks of a run of shard s (Whole: every variant) of
// the sweep in dir for the life of the process, or returns an error
// wrapping ErrLocked that says which run holds them.
func lockDir(dir string, s Shard) (func(), error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	fd := f.Fd()
	refuse := func(who string) error {
		f.Close()
		return fmt.Errorf("%w: %s is running in %s and could write the same variants; wait for it to finish or stop it", ErrLocked, who, dir)
	}
	if !s.Sharded() {
		if err := setLock(fd, unix.F_WRLCK, lockWhole, 1, false); err != nil {
			if !errors.Is(err, errHeld) {
				f.Close()
				return nil, fmt.Errorf("locking %s: %w", path, err)
			}
			return nil, refuse(lockHolder(fd, path))
		}
		_ = f.Truncate(0)
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return func() {
			_ = f.Truncate(0)
			f.Close() // releases the locks
		}, nil
	}
	if err := setLock(fd, unix.F_RDLCK, lockWhole, 1, false); err != nil {
		if !errors.Is(err, errHeld) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		return nil, refuse(lockHolder(fd, path))
	}
	// Checking for another partition and taking this one is one step for
	// every shard, under the mutex.
	if err := setLock(fd, unix.F_WRLCK, lockMutex, 1, true); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	own := int64(lockCountBase + s.Count)
	for _, r := range [][2]int64{{lockCountBase, own - lockCountBase}, {own + 1, lockShardBase - own - 1}} {
		if n, typ := heldAt(fd, r[0], r[1]); typ != unix.F_UNLCK {
			return nil, refuse(fmt.Sprintf("a sweep --shard I/%d", n-lockCountBase))
		}
	}
	if err := setLock(fd, unix.F_RDLCK, own, 1, false); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := setLock(fd, unix.F_WRLCK, lockShardBase+int64(s.Index), 1, false); err != nil {
		if errors.Is(err, errHeld) {
			return nil, refuse("sweep --shard " + s.String())
		}
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	_ = setLock(fd, unix.F_UNLCK, lockMutex, 1, false)
	return func() { f.Close() }, nil
}

// lockMerge takes the lock of a merge into the sweep in dir: it writes the
// sweep's own database and variants table, as a run of every variant does,
// and so excludes one (read lock on the whole-sweep byte); shards, which
// write their own files, run on.
func lockMerge(dir string) (func(), error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := setLock(f.Fd(), unix.F_RDLCK, lockWhole, 1, false); err != nil {
		holder := lockHolder(f.Fd(), path)
		f.Close()
		if errors.Is(err, errHeld) {
			return nil, fmt.Errorf("%w: %s is running in %s and writes what a merge writes; wait for it to finish", ErrLocked, holder, dir)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// errHeld: another open file description holds a conflicting lock.
var errHeld = errors.New("lock held")

func setLock(fd uintptr, typ int16, start, n int64, wait bool) error {
	cmd := unix.F_OFD_SETLK
	if wait {
		cmd = unix.F_OFD_SETLKW
	}
	lk := unix.Flock_t{Type: typ, Whence: 0, Start: start, Len: n}
	for {
		err := unix.FcntlFlock(fd, cmd, &lk)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES):
			return errHeld
		}
		return err
	}
}

// heldAt reports whether another open file description holds a lock in
// [start, start+n): where the first one starts and its type (F_UNLCK: none).
func heldAt(fd uintptr, start, n int64) (int64, int16) {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: start, Len: n}
	if err := unix.FcntlFlock(fd, unix.F_OFD_GETLK, &lk); err != nil {
		return 0, unix.F_UNLCK
	}
	return lk.Start, lk.Type
}

// lockHolder says which run holds the whole-sweep byte: a run of every
// variant writes its pid into the file, shards do not.
func lockHolder(fd uintptr, path string) string {
	if _, typ := heldAt(fd, lockWhole, 1); typ == unix.F_RDLCK {
		return "a sweep --shard (or a gennctl merge)"
	}
	b, _ := os.ReadFile(path)
	if pid := strings.TrimSpace(string(b)); pid != "" {
		return "another gennctl sweep (pid " + pid + ")"
	}
	return "another gennctl sweep"
}

// Running reports whether an orchestrator runs shard s of the sweep in dir
// now, whether it holds its locks; for Whole, whether any run (of every
// variant, or a shard, whose results a merge brings into the sweep's own
// database) does. It only tests the locks, so it never gets in the way of
// a sweep starting.
func Running(dir string, s Shard) bool {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return false
	}
	defer f.Close()
	fd := f.Fd()
	if !s.Sharded() {
		_, typ := heldAt(fd, lockWhole, 1)
		return typ != unix.F_UNLCK
	}
	_, partition := heldAt(fd, lockCountBase+int64(s.Count), 1)
	_, shard := heldAt(fd, lockShardBase+int64(s.Index), 1)
	return partition != unix.F_UNLCK && shard != unix.F_UNLCK
}

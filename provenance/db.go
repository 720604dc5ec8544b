// Package provenance is the SQLite store of a sweep: the config as given and its digest, the
// environment, each variant with its status, each build, each run and each output file.
//
// The database lives at <out>/<name>/provenance.db. It is opened in WAL mode so readers (a
// status command, a notebook) never block the orchestrator and vice versa; writers wait for
// each other through a busy timeout instead of failing with "database is locked". The schema
// evolves through an append-only list of migrations tracked in PRAGMA user_version.
//
// Conventions, chosen so the file is easy to query from the sqlite3 shell, pandas or R:
//   - timestamps are TEXT, RFC 3339 in UTC with a fixed nine-digit fraction
//     ("2006-01-02T15:04:05.000000000Z"), so they sort lexically in time order and parse with
//     time.RFC3339Nano; a missing time is NULL;
//   - durations are REAL seconds;
//   - booleans are INTEGER 0/1;
//   - JSON values (a variant's parameter point, the GPU list) are TEXT;
//   - seeds are TEXT holding the decimal uint64, because seeds use all 64 bits and SQLite
//     integers are signed; the Go structs carry them as uint64;
//   - variant ids are INTEGER and must be below 2^53, so they survive JSON, JavaScript and
//     float64 columns in pandas unchanged.
//
// The package takes digests and values as plain data and imports no sibling package.
package provenance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	// Also registers the "sqlite3" database/sql driver.
	"github.com/mattn/go-sqlite3"
)

// BusyTimeout is how long a connection waits for another writer's lock before giving up.
// Transactions here are short (milliseconds), so ten seconds only runs out on a hung process.
const BusyTimeout = 10 * time.Second

// ErrNotFound is returned (wrapped) by lookups of a single row that does not exist.
var ErrNotFound = errors.New("provenance: not found")

// DB is an open provenance store. It is safe for concurrent use by multiple goroutines, and
// several processes may open the same file at once.
type DB struct {
	db   *sql.DB
	path string
	// write is held by every write of this process: its writers (the
	// workers' batches) queue here, in order, rather than in SQLite's busy
	// handler, which polls with sleeps of up to 100 ms while another
	// connection of the pool holds the write lock.
	write sync.Mutex
}

// Open opens (creating if needed) the database at path and brings its schema up to date.
// A database written by a newer gennctl (more migrations than this build knows) is refused
// rather than used with a schema this code does not understand.
func Open(path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	// A file: URI with the path escaped, so names containing '?' or '#' stay file names.
	// The pragmas are applied by the driver to every pooled connection, which matters for
	// foreign_keys and busy_timeout: they are per-connection settings in SQLite.
	// _txlock=immediate makes every transaction take the write lock at BEGIN: a deferred
	// transaction that reads and then writes can fail with SQLITE_BUSY at once (without
	// waiting) when another writer committed in between, which is exactly the "database is
	// locked" error concurrent shards must never see.
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL") // safe in WAL mode: a crash may lose the last commit, never consistency
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()

	sdb, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("provenance: open %s: %w", path, err)
	}
	d := &DB{db: sdb, path: path}
	ctx := context.Background()
	if err := d.enableWAL(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("provenance: open %s: %w", path, d.damaged(err))
	}
	if err := d.migrate(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("provenance: open %s: %w", path, d.damaged(err))
	}
	return d, nil
}

// Close closes the database. The last connection to close checkpoints the WAL into the main
// file, so a finished sweep directory can be copied as one file.
func (d *DB) Close() error {
	return d.db.Close()
}

// Path returns the path the database was opened with.
func (d *DB) Path() string { return d.path }

// SQL exposes the underlying handle for ad-hoc read queries (reports, merges, tests). Writes
// should go through the typed methods, which keep the invariants.
func (d *DB) SQL() *sql.DB { return d.db }

// SchemaVersion returns the number of migrations applied (PRAGMA user_version).
func (d *DB) SchemaVersion() (int, error) {
	var v int
	err := d.db.QueryRow("PRAGMA user_version").Scan(&v)
	return v, err
}

// enableWAL switches the database file to WAL mode. The mode is persistent (stored in the
// file), so it is set once here rather than by every pooled connection. Switching needs an
// exclusive lock and SQLite does not always wait for it through the busy handler (a connection
// holding a shared lock gets SQLITE_BUSY at once to avoid deadlock), which happens when
// several processes create the same new database together; so busy errors are retried here
// until BusyTimeout.
func (d *DB) enableWAL(ctx context.Context) error {
	deadline := time.Now().Add(BusyTimeout)
	for {
		var mode string
		err := d.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil && !strings.EqualFold(mode, "wal") {
			// e.g. an in-memory or read-only database; WAL is required for concurrent use.
			return fmt.Errorf("cannot enable WAL journal mode (got %q)", mode)
		}
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(time.Duration(5+mrand.Intn(20)) * time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's "database is locked" (SQLITE_BUSY or SQLITE_LOCKED).
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// migrate applies the migrations not yet applied, each in its own transaction together with
// the user_version bump, so a crash never leaves a half-applied migration. The version is read
// inside the (immediate, hence exclusive for writers) transaction, so two processes opening a
// new database at once cannot apply the same migration twice.
func (d *DB) migrate(ctx context.Context) error {
	for {
		done, err := d.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

func (d *DB) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, err
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("schema version %d is newer than this gennctl knows (%d); upgrade gennctl", v, len(migrations))
	case v == len(migrations):
		return true, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migration %d: %w", v+1, err)
	}
	// PRAGMA takes no bound parameters; v+1 is our own integer, not input.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("migration %d: %w", v+1, err)
	}
	return false, tx.Commit()
}

// inTx runs f in one transaction and commits it, or rolls back if f or the commit fails.
func (d *DB) inTx(f func(tx *sql.Tx) error) error {
	d.write.Lock()
	defer d.write.Unlock()
	tx, err := d.db.Begin()
	if err != nil {
		return fmt.Errorf("provenance: begin: %w", d.damaged(err))
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return d.damaged(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("provenance: commit: %w", d.damaged(err))
	}
	return nil
}

// timeLayout is RFC 3339 with a fixed-width fraction: time.RFC3339Nano trims trailing zeros,
// which breaks lexical ordering ("05Z" sorts after "05.5Z").
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// exec runs one write statement outside a transaction.
func (d *DB) exec(query string, args ...any) (sql.Result, error) {
	d.write.Lock()
	defer d.write.Unlock()
	return d.db.Exec(query, args...)
}

// dbTime converts t to its stored form; the zero time is stored as NULL.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored timestamp; NULL gives the zero time.
func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("provenance: bad timestamp %q: %w", s.String, err)
	}
	return t, nil
}

// now is the default for timestamps the caller leaves zero. Stored with nanoseconds, so a
// recorded time reads back exactly.
func now() time.Time { return time.Now().UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DamagedError is a database that SQLite finds damaged (a failed integrity check, or a file
// that is not a database at all). Its message says how to recover.
type DamagedError struct {
	Path     string
	Problems []string // SQLite's findings, at most maxProblems
}

// maxProblems bounds the findings a DamagedError lists.
const maxProblems = 10

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is damaged (SQLite: %s).", e.Path, strings.Join(e.Problems, "; "))
	fmt.Fprintf(&b, "\nThe result files are not affected. To recover, either salvage the records and rerun the same command,"+
		" which verifies every recorded file and runs what is missing:"+
		"\n  mv %[1]s %[1]s.damaged && rm -f %[1]s-wal %[1]s-shm && sqlite3 %[1]s.damaged .recover | sqlite3 %[1]s"+
		"\nor move the database aside and rerun, which runs every variant again:"+
		"\n  mv %[1]s %[1]s.damaged && rm -f %[1]s-wal %[1]s-shm", e.Path)
	return b.String()
}

// isDamage reports whether err is SQLite saying the file is corrupt or not a database.
func isDamage(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// damaged turns SQLite's corruption errors into a *DamagedError and leaves others as they are.
func (d *DB) damaged(err error) error {
	if isDamage(err) {
		return &DamagedError{Path: d.path, Problems: []string{err.Error()}}
	}
	return err
}

// QuickCheckFile runs Check(true) on the database file at path, opened read-only as an
// immutable file: SQLite then takes no locks and creates no files beside it (no -wal, no
// -shm), so that a caller may check a sweep's database before it holds the sweep
// directory's lock, and a command that then stops on bad input has written nothing. The
// caller must make sure that the file has no write-ahead log to read (its content would be
// left out) and that it did not change during the check. Damage is a *DamagedError naming
// path; any other error (the file cannot be opened) is returned as is.
func QuickCheckFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("provenance: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	sdb, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("provenance: open %s: %w", path, err)
	}
	defer sdb.Close()
	return (&DB{db: sdb, path: path}).Check(true)
}

// Check runs SQLite's integrity check over the whole database (quick: PRAGMA quick_check,
// which skips the comparison of indexes with their tables and is much faster) and returns a
// *DamagedError listing what it found, or nil when the database is sound.
func (d *DB) Check(quick bool) error {
	pragma := "PRAGMA integrity_check"
	if quick {
		pragma = "PRAGMA quick_check"
	}
	rows, err := d.db.Query(fmt.Sprintf("%s(%d)", pragma, maxProblems))
	if err != nil {
		return d.damaged(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return d.damaged(err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return d.damaged(err)
	}
	if len(problems) > 0 {
		return &DamagedError{Path: d.path, Problems: problems}
	}
	return nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite" // also registers the pure-Go "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas are set on every SQLite connection unless the DSN already
// sets the same pragma. busy_timeout comes first (the driver runs it first
// whatever the order) so the others cannot fail on a locked file.
var sqlitePragmas = []string{
	"busy_timeout(5000)",
	"foreign_keys(1)", // SQLite ignores REFERENCES ... ON DELETE CASCADE without it
	"journal_mode(WAL)",
}

// openSQLite opens a SQLite database with exactly one connection.
//
// Why one connection: SQLite admits one writer at a time whatever we do.
// With a pool, concurrent writers wait inside SQLite's busy handler, which
// polls and gives up with SQLITE_BUSY after busy_timeout, and in WAL mode a
// transaction that reads before it writes fails with SQLITE_BUSY at once
// when another connection committed in between, whatever busy_timeout says.
// With a single connection database/sql queues the callers instead: none
// of them ever meets a lock, each waits only as long as its own context
// allows, and ":memory:" works (every connection would get its own empty
// database otherwise). The cost, reads queuing behind writes, is fine for
// the local runs and tests SQLite is here for; production uses PostgreSQL.
//
// _txlock=immediate and busy_timeout still matter when another process (a
// second instance, the sqlite3 shell) uses the same file: a transaction then
// takes the write lock at BEGIN, so it waits in the busy handler rather than
// failing when it later tries to upgrade a read lock.
func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	dsn, err := sqliteDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open(DriverSQLite, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	sqlDB.SetMaxOpenConns(1)
	// Keep that connection forever: closing it would drop a :memory:
	// database and re-run the pragmas for nothing.
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	if err := pingSQLite(ctx, sqlDB); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// sqlx picks the placeholder style from this name; "sqlite3" is the
	// name it knows for ? placeholders.
	return &DB{x: sqlx.NewDb(sqlDB, "sqlite3"), driver: DriverSQLite}, nil
}

// sqliteDSN adds the pragmas and _txlock to dsn and creates the directory
// of the database file.
func sqliteDSN(dsn string) (string, error) {
	path, rawQuery, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("store: invalid sqlite DSN parameters: %w", err)
	}
	for _, p := range sqlitePragmas {
		if !hasPragma(q["_pragma"], p) {
			q.Add("_pragma", p)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	file := strings.TrimPrefix(path, "file:")
	if file == "" {
		return "", fmt.Errorf("store: sqlite DSN has no file name")
	}
	if !strings.HasPrefix(file, ":memory:") && q.Get("mode") != "memory" {
		if err := createPrivately(file); err != nil {
			return "", fmt.Errorf("store: create the sqlite database: %w", err)
		}
	}
	return path + "?" + q.Encode(), nil
}

// createPrivately makes a new database file, and the folders it needs,
// readable by the owner alone: the file holds every password hash and
// every task, and SQLite gives its -wal and -shm files the database
// file's permissions. A file that exists is left as it is (its owner
// chose its mode).
func createPrivately(file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// hasPragma reports whether set already names the pragma of p, for example
// "busy_timeout=100" or "busy_timeout(100)" for p "busy_timeout(5000)".
func hasPragma(set []string, p string) bool {
	name, _, _ := strings.Cut(p, "(")
	for _, s := range set {
		s = strings.ToLower(strings.TrimSpace(s))
		if strings.HasPrefix(s, name) {
			return true
		}
	}
	return false
}

// pingSQLite opens the connection, which applies the pragmas. Switching a
// fresh file to WAL mode takes a lock that busy_timeout does not wait for,
// so two processes opening one new file together (two services
// started separately, docs/architecture.md) can see SQLITE_BUSY once: that, and only that, is retried for
// a few seconds.
func pingSQLite(ctx context.Context, sqlDB *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		err := sqlDB.PingContext(ctx)
		var sqliteErr *sqlite.Error
		busy := errors.As(err, &sqliteErr) && sqliteErr.Code()&0xff == sqlite3.SQLITE_BUSY
		if !busy || time.Now().Add(delay).After(deadline) {
			return err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

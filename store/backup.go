package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose backups are
// the database server's business.
var ErrBackupPostgres = errors.New("the database is PostgreSQL: back it up with pg_dump, or with RDS snapshots and point-in-time recovery (docs/operations.md)")

// Backup writes a consistent copy of the SQLite database to the new file
// path, while the database keeps taking writes: VACUUM INTO reads one
// snapshot (in WAL mode a reader neither waits for writers nor stops
// them) and writes it out compacted, as a database of its own, without
// the WAL. The copy is written next to path under a temporary name and
// linked into place once complete, so path never holds half a backup.
// An existing path is an error, never overwritten.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.driver != DriverSQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Lstat(path); err == nil {
		return errBackupExists(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return err
	}
	partial := tmp.Name()
	// VACUUM INTO refuses a file that exists, even empty: the name was
	// only reserved.
	_ = tmp.Close()
	_ = os.Remove(partial)
	defer os.Remove(partial) // the copy stays under path's name alone
	if _, err := db.x.ExecContext(ctx, "VACUUM INTO ?", partial); err != nil {
		return fmt.Errorf("copy the database: %w", err)
	}
	// VACUUM INTO creates the file with the process's umask (0644 as a
	// rule); a copy holds every password hash, like the live file.
	if err := os.Chmod(partial, 0o600); err != nil {
		return err
	}
	if err := syncFile(partial); err != nil {
		return err
	}
	// A link, unlike a rename, never replaces a file that appeared at
	// path meanwhile.
	if err := os.Link(partial, path); errors.Is(err, os.ErrExist) {
		return errBackupExists(path)
	} else if err != nil {
		return err
	}
	return syncFile(dir)
}

func errBackupExists(path string) error {
	return fmt.Errorf("%s exists already: give a new file name (a backup never overwrites)", path)
}

// syncFile flushes a file (or a directory, for a rename in it) to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

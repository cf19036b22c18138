package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"taskapi/store"
)

// Backup is the `taskapi backup FILE` command: a consistent copy of the
// embedded SQLite database (its configured path) in the new file FILE, taken while
// the server keeps running and taking writes (store.DB.Backup). It opens
// the database without migrating it. On PostgreSQL it copies nothing and
// says what to use instead (pg_dump, RDS snapshots). Its one line of
// output is for the person or script that ran it: no log line beside it,
// which on stdout would mix JSON into what a script reads.
func Backup(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return errors.New("backup: want one argument, the new file to write the copy to: taskapi backup FILE")
	}
	if cfg.DB.Driver != store.DriverSQLite {
		return fmt.Errorf("backup: %w", store.ErrBackupPostgres)
	}
	// Opening would create an empty database where none is: a backup of
	// nothing is a mistake (a wrong path) to report.
	if _, err := os.Stat(cfg.DB.DSN); err != nil {
		return fmt.Errorf("backup: no database at %s=%s: %w", EnvSQLitePath, cfg.DB.DSN, err)
	}
	// backups/taskapi-<time>.db on a fresh clone names a folder that is
	// not there yet: make it, as start-up makes the database's, readable
	// by the owner alone (a copy holds every password hash).
	if err := os.MkdirAll(filepath.Dir(args[0]), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if err := db.Backup(ctx, args[0]); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "backup of %s written to %s\n", cfg.DB.DSN, args[0])
	return err
}

package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"taskapi"
)

// migrations holds one directory of goose SQL files per dialect.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// Migrate brings the schema up to the newest version. It is safe to run on
// every start: applied versions are recorded in goose_db_version and
// skipped. Instances that start together take turns: on PostgreSQL through
// a session advisory lock, on SQLite through an OS file lock next to the
// database file (see lockSQLiteFile), so exactly one of them applies each
// version.
//
// A failure is for the operator who reads the start-up error line: its
// text is the cause, not a client message. It still carries the code of
// the classified error, so that ErrorCode tells a database that is down
// (EUNAVAILABLE) from a migration that is broken (EINTERNAL).
func (db *DB) Migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+db.driver)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	// The global registry holds Go migrations registered by init functions
	// anywhere in the binary; this package has SQL migrations only.
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	switch db.driver {
	case DriverPostgres:
		dialect = goose.DialectPostgres
		locker, err := db.migrationLocker(ctx)
		if err != nil {
			return migrateFailed(err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case DriverSQLite:
		// goose has no locker for SQLite, and this handle's single
		// connection (see openSQLite) serialises only this process: two
		// processes on one file (the auth and the task service started
		// together) would both read version 0 and both apply it.
		unlock, err := db.lockSQLiteMigrations(ctx)
		if err != nil {
			return migrateFailed(err)
		}
		defer unlock()
	}
	provider, err := goose.NewProvider(dialect, db.x.DB, dir, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	// provider.Close would close db's pool, so it is not called.
	if _, err := provider.Up(ctx); err != nil {
		return migrateFailed(err)
	}
	return nil
}

// migrateError is a failed migration: its text is the cause, plainly, and
// it unwraps to the classified *taskapi.Error (whose own text would carry
// a client message such as "An unexpected error occurred").
type migrateError struct {
	cause      error
	classified error
}

func migrateFailed(err error) error {
	var te *taskapi.Error
	if errors.As(err, &te) && te.Err != nil {
		err = te.Err
	}
	return &migrateError{cause: err, classified: classify(err)}
}

func (e *migrateError) Error() string { return "store: migrate: " + e.cause.Error() }
func (e *migrateError) Unwrap() error { return e.classified }

// lockSQLiteMigrations takes the migration lock of the database file, and
// returns its release. An in-memory database belongs to this connection
// alone and needs none.
func (db *DB) lockSQLiteMigrations(ctx context.Context) (unlock func(), err error) {
	var file string
	err = db.x.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file)
	if err != nil {
		return nil, fmt.Errorf("find the database file: %w", err)
	}
	if file == "" {
		return func() {}, nil
	}
	return lockSQLiteFile(ctx, file+".lock")
}

// migrationLocker returns an advisory-lock locker whose key is derived from
// the current schema. The version table and everything the migrations
// create live in that schema, so migrators of one schema must exclude each
// other while those of different schemas (parallel tests, tenants) need
// not wait for each other.
func (db *DB) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var schema sql.NullString
	if err := db.x.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte("taskapi goose " + schema.String))
	// Retry every second instead of goose's five: a migration here takes
	// milliseconds. Give up after five minutes, or when ctx ends.
	return lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64())),
		lock.WithLockTimeout(1, 300),
	)
}

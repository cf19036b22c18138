package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory of goose SQL files per dialect.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// Migrate brings the schema up to the newest version. It is safe to run on
// every start: applied versions are recorded in goose_db_version and
// skipped. On PostgreSQL, instances that start together take turns through
// a session advisory lock, so exactly one of them applies each version.
func (db *DB) Migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+db.driver)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	// The global registry holds Go migrations registered by init functions
	// anywhere in the binary; this package has SQL migrations only.
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if db.driver == DriverPostgres {
		dialect = goose.DialectPostgres
		locker, err := db.migrationLocker(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// SQLite needs no locker: its single connection (see openSQLite) is held
	// by the provider for the whole run, which serialises Migrate calls.
	provider, err := goose.NewProvider(dialect, db.x.DB, dir, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	// provider.Close would close db's pool, so it is not called.
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", classify(err))
	}
	return nil
}

// migrationLocker returns an advisory-lock locker whose key is derived from
// the current schema. The version table and everything the migrations
// create live in that schema, so migrators of one schema must exclude each
// other while those of different schemas (parallel tests, tenants) need
// not wait for each other.
func (db *DB) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var schema sql.NullString
	if err := db.x.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, classify(err)
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

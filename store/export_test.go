package store

import (
	"context"
	"database/sql"
)

// ExecRaw runs SQL past the store's methods, for tests that need rows the
// store would never write. Errors are classified like the store's own.
func ExecRaw(ctx context.Context, db *DB, query string, args ...any) error {
	_, err := db.x.ExecContext(ctx, db.rebind(query), args...)
	return classify(err)
}

// QueryRaw runs a single-row query past the store's methods.
func QueryRaw(ctx context.Context, db *DB, query string, args ...any) *sql.Row {
	return db.x.QueryRowContext(ctx, db.rebind(query), args...)
}

// ScanTime scans a TIMESTAMP column the way the store does, for tests
// that read columns no store method returns.
type ScanTime = dbTime

// Driver names db's engine, for tests whose SQL differs by dialect.
func Driver(db *DB) string { return db.driver }

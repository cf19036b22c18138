package store

import (
	"context"
	"database/sql"

	"taskapi"
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

// SelectRaw runs a query past the store's methods into a slice of rows.
func SelectRaw(ctx context.Context, db *DB, dest any, query string, args ...any) error {
	return db.x.SelectContext(ctx, dest, db.rebind(query), args...)
}

// ListStatement is one SELECT that ListTasks may run, with its arguments.
type ListStatement struct {
	SQL  string
	Args []any
}

// ListStatements returns every SELECT that ListTasks runs for f, one per
// segment of the list, whether or not the page reaches it, so that a test
// can EXPLAIN each of them.
func ListStatements(db *DB, f taskapi.TaskFilter) []ListStatement {
	p := db.planList(f)
	var out []ListStatement
	for i, seg := range p.segments {
		after := p.after
		if i > 0 {
			after = nil
		}
		sql, args := p.query.statement(seg, after, p.limit+1, p.skip, i == 0)
		out = append(out, ListStatement{SQL: sql, Args: args})
	}
	return out
}

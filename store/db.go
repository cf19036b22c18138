// Package store persists users and tasks in PostgreSQL (production) or
// SQLite (local runs and tests) behind one set of queries.
//
// Every method returns a *taskapi.Error whose Message is safe for clients:
// driver and SQL text only ever travel in the wrapped cause, for the log.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The drivers Open accepts in Config.Driver.
const (
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
)

// Config says which database to use and how to pool connections to it.
type Config struct {
	// Driver is DriverPostgres or DriverSQLite.
	Driver string
	// DSN is a lib/pq URL or keyword string (see PostgresParams) for
	// PostgreSQL, or a file path (optionally "file:" prefixed, with extra
	// driver parameters after "?") for SQLite.
	DSN string
	// The pool settings apply to PostgreSQL only; zero keeps database/sql's
	// default. SQLite always uses one connection, see openSQLite.
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	ConnMaxIdleTime time.Duration
	// ConnectTimeout bounds every PostgreSQL connection attempt (TCP
	// dial, TLS and the start-up exchange), on top of the deadline of the
	// request that needs the connection; zero means only that deadline.
	// Connections the pool opens in the background for queued requests
	// have no deadline of their own: this alone keeps a database that
	// accepts TCP and never answers from holding their slots forever.
	ConnectTimeout time.Duration
}

// DB is a connection pool that implements the handlers' UserStore and
// TaskStore. It is safe for concurrent use.
type DB struct {
	x      *sqlx.DB
	driver string
	// lastFull is when (Unix nanoseconds) a write last found the database
	// out of space, 0 once a write succeeded since (see noteWrite).
	lastFull atomic.Int64
}

// Open prepares a pool for cfg.
//
// For PostgreSQL it checks the DSN but does not dial: a database that is
// down while the service starts must not stop it for good, because the
// pool reconnects on its own once the server is back. Callers that want to
// wait for the database use Ping with their own retry policy.
//
// For SQLite it creates the file's directory and opens the file right away,
// since a failure there is a configuration error, not an outage.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	switch cfg.Driver {
	case DriverPostgres:
		return openPostgres(cfg)
	case DriverSQLite:
		return openSQLite(ctx, cfg)
	}
	return nil, fmt.Errorf("store: unknown driver %q (want %q or %q)", cfg.Driver, DriverPostgres, DriverSQLite)
}

func openPostgres(cfg Config) (*DB, error) {
	// NewConnector parses the DSN without connecting, so a typo fails at
	// start-up rather than on the first request. Its error is not wrapped
	// with the DSN, which may hold a password.
	if _, err := pq.NewConnector(cfg.DSN); err != nil {
		return nil, fmt.Errorf("store: invalid postgres DSN: %w", err)
	}
	sqlDB := sql.OpenDB(guardedConnector{dsn: withBinaryParameters(cfg.DSN), timeout: cfg.ConnectTimeout})
	if cfg.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	}
	if cfg.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	}
	if cfg.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	}
	if cfg.ConnMaxIdleTime > 0 {
		sqlDB.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	}
	return &DB{x: sqlx.NewDb(sqlDB, "postgres"), driver: DriverPostgres}, nil
}

// Ping reports whether the database answers and takes writes, for
// readiness checks. A database that cannot be reached is EUNAVAILABLE; one
// whose last write found it out of space, a moment ago, with no write
// succeeding since, is ESTORAGE (see storageError).
func (db *DB) Ping(ctx context.Context) error {
	if err := classify(db.x.PingContext(ctx)); err != nil {
		return err
	}
	return db.storageError()
}

// Close closes the pool. Later calls on db fail with EUNAVAILABLE.
func (db *DB) Close() error {
	return db.x.Close()
}

// rebind turns a query written with ? placeholders into the driver's
// syntax ($1, $2... for PostgreSQL), so each query has one text.
func (db *DB) rebind(query string) string {
	return db.x.Rebind(query)
}

// notFound reports whether err means a single-row query matched nothing.
func notFound(err error) bool {
	return errors.Is(err, sql.ErrNoRows)
}

// Stats reports the connection pool's figures, for metrics.
func (db *DB) Stats() sql.DBStats { return db.x.Stats() }

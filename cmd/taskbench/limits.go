package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"

	_ "github.com/lib/pq" // the services' driver: the limits go through it too
	"golang.org/x/crypto/bcrypt"

	"taskapi/internal/loadgen"
)

// The limits: what the database and bcrypt do on their own on this
// machine, in the same run, through the same driver and library as the
// services, at the same concurrency.

// openPool opens the limits' pool with the driver settings the services
// use: lib/pq with binary_parameters (store.Open turns it on), one round
// trip per query with arguments.
func openPool(dsn string, conns int) (*sql.DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("binary_parameters", "yes")
	u.RawQuery = q.Encode()
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// selectLimit runs a single-row SELECT by primary key (and owner, as
// GET /tasks/{id} does) on the tasks table the services use.
func selectLimit(ctx context.Context, db *sql.DB, o loadgen.Options, owner int64, ids []int64) loadgen.Result {
	return loadgen.Run(ctx, o, func(ctx context.Context, _ int, seq int64) error {
		n, err := drain(db.QueryContext(ctx, "SELECT * FROM tasks WHERE id = $1 AND user_id = $2", ids[seq%int64(len(ids))], owner))
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("select: %d rows, want 1", n)
		}
		return nil
	})
}

// bcryptLimit runs bcrypt verifications of a correct password at cost, one
// worker per CPU: more workers cannot verify faster, only queue.
func bcryptLimit(ctx context.Context, cost int, o loadgen.Options) (loadgen.Result, int, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-password"), cost)
	if err != nil {
		return loadgen.Result{}, 0, err
	}
	o.Concurrency = runtime.NumCPU()
	return loadgen.Run(ctx, o, func(context.Context, int, int64) error {
		return bcrypt.CompareHashAndPassword(hash, []byte("bench-password"))
	}), o.Concurrency, nil
}

package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// inTx runs fn in a transaction and commits it; fn's error rolls it back
// and is returned classified. The writes of users, tasks and revocations
// go through here, for three reasons:
//
//   - Statements that belong together commit together or not at all.
//   - Outside a transaction, database/sql sends a statement again on a new
//     connection when the driver reports the connection broken, and lib/pq
//     reports a connection closed while it waited for the answer that way
//     (driver.ErrBadConn), although the server may have received the
//     statement and will still commit it: a POST /tasks whose connection
//     was cut mid-query stored the task twice. In a transaction only BEGIN
//     is ever sent again, which changes nothing; a statement whose
//     connection breaks fails (503) and the server rolls it back. Only a
//     COMMIT cut before its answer leaves the outcome unknown, and says
//     so (commitFailed).
//   - Every write's outcome passes here, so this is where a database out
//     of space is noticed, and where a write that succeeds again shows
//     that space came back (noteWrite, which Ping reports).
func (db *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return db.noteWrite(db.runTx(ctx, fn))
}

// runTx is inTx without noting the outcome, for a transaction that may
// write nothing (a prune that found no expired row): its success would
// say nothing about space.
func (db *DB) runTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		return db.commitFailed(err)
	}
	return nil
}

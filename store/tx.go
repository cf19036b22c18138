package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// inTx runs fn in a transaction and commits it; fn's error rolls it back
// and is returned classified. The writes of users, revocations and task
// creates go through here (a task's update or delete is one statement
// that repeats safely: oneStatement), for three reasons:
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

// oneStatement runs a write that is one statement, in the statement's own
// implicit transaction: one round trip where BEGIN, the statement and
// COMMIT take three (PostgreSQL spent a sixth of its CPU per update on
// the other two; see docs/capacity.md). fn runs its statement on c and
// reports whether it got the statement's answer (done): a statement that
// changed no row may run a read on c to explain why, whose failure says
// nothing about the write.
//
// It suits a write that repeats safely, an update or a delete, and keeps
// what inTx promises, answered differently:
//
//   - c is one connection that database/sql never swaps: a statement
//     whose connection breaks is not sent again behind the caller's back
//     (database/sql retries only calls on the pool itself).
//   - The statement commits on its own on the server, so once it is sent
//     a broken connection leaves its outcome unknown, as a cut COMMIT
//     does in inTx: the answer says so (commitFailed). A failure before
//     anything is sent (no connection) is a plain 503. The one cost: a
//     pooled connection that the server closed (a restart) was met by
//     inTx's BEGIN, which database/sql sent again on a new one; here the
//     write on it answers "outcome unknown", once per such connection.
//
// A create stays in inTx: it does not repeat safely, and there a 503 for
// a cut statement means, for certain, that nothing was stored.
func (db *DB) oneStatement(ctx context.Context, fn func(c *sqlx.Conn) (done bool, err error)) error {
	c, err := db.x.Connx(ctx)
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	done, err := fn(c)
	if err != nil && !done {
		err = db.commitFailed(err)
	}
	return db.noteWrite(classify(err))
}

package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"taskapi"
)

// pruneTarget is one side table whose rows expire: those whose column is
// before now - ttl are of no use any more.
type pruneTarget struct {
	table  string
	key    string // the primary key, by which a batch is deleted
	column string // when a row expires (ttl 0) or was made (ttl > 0)
	ttl    time.Duration
}

// pruneTargets lists every table Prune keeps bounded. A table that gains
// expiring rows is pruned by adding it here (with an index on its column,
// which the batches are read by).
var pruneTargets = []pruneTarget{
	// An Idempotency-Key is remembered for a window after its create.
	{table: "idempotency_keys", key: "id", column: "created_at", ttl: taskapi.IdempotencyWindow},
	// A revocation matters only until the token would have expired anyway.
	{table: "revoked_tokens", key: "jti", column: "expires_at"},
	// A login or registration count matters until its window (or
	// backoff, or known address) ends.
	{table: "attempt_counters", key: "key", column: "expires_at"},
}

// statement deletes up to a batch of the table's expired rows, the oldest
// first. The names are the constants above, never input. On PostgreSQL
// the rows are locked as they are picked and those another instance's
// prune holds are skipped, so that any number of instances prune at once
// without waiting for (or deadlocking with) each other; SQLite runs one
// writer at a time anyway.
func (p pruneTarget) statement(driver string) string {
	pick := "SELECT " + p.key + " FROM " + p.table + " WHERE " + p.column + " < ? ORDER BY " + p.column + " LIMIT ?"
	if driver == DriverPostgres {
		pick += " FOR UPDATE SKIP LOCKED"
	}
	return "DELETE FROM " + p.table + " WHERE " + p.key + " IN (" + pick + ")"
}

// PruneLimits bounds one Prune: rows per statement (one short transaction
// each, so a prune never holds locks long) and statements per table.
type PruneLimits struct {
	Batch   int
	Batches int
}

// Prune deletes the expired rows of every side table (pruneTargets) as of
// now, in batches within limits, and returns how many rows it deleted per
// table. A table with more expired rows than the limits allow is left for
// the next Prune: a periodic Prune catches up with any backlog while none
// of them takes long. It is safe to run on every instance at once.
func (db *DB) Prune(ctx context.Context, now time.Time, limits PruneLimits) (map[string]int64, error) {
	deleted := make(map[string]int64, len(pruneTargets))
	for _, p := range pruneTargets {
		cutoff := timeArg(normTime(now.Add(-p.ttl)))
		query := db.rebind(p.statement(db.driver))
		for range limits.Batches {
			var n int64
			err := db.runTx(ctx, func(tx *sqlx.Tx) error {
				res, err := tx.ExecContext(ctx, query, cutoff, limits.Batch)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			// A batch that deleted nothing wrote nothing: on a full disk it
			// succeeds all the same, and must not end the condition.
			if err != nil || n > 0 {
				_ = db.noteWrite(err)
			}
			if err != nil {
				return deleted, err
			}
			deleted[p.table] += n
			if n < int64(limits.Batch) {
				break
			}
		}
	}
	return deleted, nil
}

package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"taskapi"
)

// UpdateAttempts reads the attempt counters of keys, calls update with
// them and writes back what it returns, all in one transaction that holds
// the keys locked from the read to the commit: two instances updating the
// same key at once run one after the other, so neither loses the other's
// count and no check-then-take race lets an extra attempt through.
//
// update receives one counter per key, in the order of keys; a key with
// no row or an expired one (ExpiresAt not after now) comes as a zero
// counter holding only its Key. It returns the counters' next states in
// the same order and whether to write them; false leaves the database as
// it was (a refused attempt writes nothing). A returned counter that has
// expired by now is stored expired, absent to every reader until Prune
// deletes it with the others that expired.
//
// Keys are locked in sorted order, so concurrent updates of overlapping
// key sets never deadlock.
func (db *DB) UpdateAttempts(ctx context.Context, keys []string, now time.Time, update func(current []taskapi.AttemptCounter) ([]taskapi.AttemptCounter, bool)) error {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	nowArg := timeArg(now)
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		// One statement reads every key and holds it locked to the commit:
		// a missing key is inserted as an expired placeholder (a missing
		// row cannot be locked; a concurrent insert of the same key waits
		// for this transaction), an existing one is "updated" to itself,
		// which locks it. The rows come in key order, so concurrent
		// updates of overlapping keys never deadlock. A refused attempt
		// rolls back, placeholders included: it leaves nothing behind.
		values := make([]string, len(sorted))
		args := make([]any, 0, 4*len(sorted))
		for i, k := range sorted {
			values[i] = "(?, 0, ?, ?, ?)"
			args = append(args, k, nowArg, nowArg, nowArg)
		}
		var rows []struct {
			Key         string `db:"key"`
			Attempts    int    `db:"attempts"`
			WindowStart dbTime `db:"window_start"`
			NextAt      dbTime `db:"next_at"`
			ExpiresAt   dbTime `db:"expires_at"`
		}
		if err := tx.SelectContext(ctx, &rows, db.rebind(
			insertAttempts+
				strings.Join(values, ", ")+` ON CONFLICT (key) DO UPDATE SET key = excluded.key
				RETURNING `+attemptColumns), args...); err != nil {
			return err
		}
		byKey := make(map[string]taskapi.AttemptCounter, len(rows))
		for _, r := range rows {
			if r.ExpiresAt.Time.After(now) {
				byKey[r.Key] = taskapi.AttemptCounter{Key: r.Key, Attempts: r.Attempts,
					WindowStart: r.WindowStart.Time, NextAt: r.NextAt.Time, ExpiresAt: r.ExpiresAt.Time}
			}
		}
		current := make([]taskapi.AttemptCounter, len(keys))
		for i, k := range keys {
			current[i] = byKey[k]
			current[i].Key = k
		}
		next, write := update(current)
		if !write {
			return errNoWrite
		}
		return db.writeAttempts(ctx, tx, next, now)
	})
	if errors.Is(err, errNoWrite) {
		return nil
	}
	return err
}

// writeAttempts stores next in one statement. A counter that has expired
// by now is written expired (it counts as absent, and the periodic prune
// deletes it), which spares a login's give-back a DELETE's round trip.
func (db *DB) writeAttempts(ctx context.Context, tx *sqlx.Tx, next []taskapi.AttemptCounter, now time.Time) error {
	values := make([]string, 0, len(next))
	args := make([]any, 0, 5*len(next))
	for _, c := range next {
		if !c.ExpiresAt.After(now) {
			c = taskapi.AttemptCounter{Key: c.Key, WindowStart: now, NextAt: now, ExpiresAt: now}
		}
		values = append(values, "(?, ?, ?, ?, ?)")
		args = append(args, c.Key, c.Attempts, timeArg(c.WindowStart), timeArg(c.NextAt), timeArg(c.ExpiresAt))
	}
	if len(values) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, db.rebind(
		insertAttempts+
			strings.Join(values, ", ")+` ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts,
			window_start = excluded.window_start, next_at = excluded.next_at, expires_at = excluded.expires_at`),
		args...)
	return err
}

// attemptColumns are attempt_counters' columns, in the order every
// statement here lists, inserts and reads them.
const attemptColumns = "key, attempts, window_start, next_at, expires_at"

// insertAttempts begins an insert of whole counters; the VALUES follow.
const insertAttempts = "INSERT INTO attempt_counters (" + attemptColumns + ") VALUES "

// errNoWrite rolls back an UpdateAttempts transaction whose update chose
// not to write; it never leaves UpdateAttempts.
var errNoWrite = errors.New("attempt counters unchanged")

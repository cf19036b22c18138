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
// expired by now is deleted; Prune deletes the others that expired.
//
// Keys are locked in sorted order, so concurrent updates of overlapping
// key sets never deadlock.
func (db *DB) UpdateAttempts(ctx context.Context, keys []string, now time.Time, update func(current []taskapi.AttemptCounter) ([]taskapi.AttemptCounter, bool)) error {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	nowArg := timeArg(now)
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		// A missing row cannot be locked: insert an expired placeholder
		// first, so that the next statement locks every key. A concurrent
		// insert of the same key waits for this transaction.
		values := make([]string, len(sorted))
		args := make([]any, 0, 2*len(sorted))
		for i, k := range sorted {
			values[i] = "(?, 0, ?, ?, ?)"
			args = append(args, k, nowArg, nowArg, nowArg)
		}
		if _, err := tx.ExecContext(ctx, db.rebind(
			`INSERT INTO attempt_counters (key, attempts, window_start, next_at, expires_at) VALUES `+
				strings.Join(values, ", ")+` ON CONFLICT (key) DO NOTHING`), args...); err != nil {
			return err
		}
		lock := ""
		if db.driver == DriverPostgres {
			lock = " FOR UPDATE" // SQLite's write transaction holds the whole file
		}
		query, inArgs, err := sqlx.In(`SELECT key, attempts, window_start, next_at, expires_at
			FROM attempt_counters WHERE key IN (?) ORDER BY key`+lock, sorted)
		if err != nil {
			return err
		}
		var rows []struct {
			Key         string `db:"key"`
			Attempts    int    `db:"attempts"`
			WindowStart dbTime `db:"window_start"`
			NextAt      dbTime `db:"next_at"`
			ExpiresAt   dbTime `db:"expires_at"`
		}
		if err := tx.SelectContext(ctx, &rows, db.rebind(query), inArgs...); err != nil {
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

// writeAttempts stores the live counters of next in one statement and
// deletes the expired ones.
func (db *DB) writeAttempts(ctx context.Context, tx *sqlx.Tx, next []taskapi.AttemptCounter, now time.Time) error {
	var values []string
	var args []any
	var dead []string
	for _, c := range next {
		if !c.ExpiresAt.After(now) {
			dead = append(dead, c.Key)
			continue
		}
		values = append(values, "(?, ?, ?, ?, ?)")
		args = append(args, c.Key, c.Attempts, timeArg(c.WindowStart), timeArg(c.NextAt), timeArg(c.ExpiresAt))
	}
	if len(values) > 0 {
		if _, err := tx.ExecContext(ctx, db.rebind(
			`INSERT INTO attempt_counters (key, attempts, window_start, next_at, expires_at) VALUES `+
				strings.Join(values, ", ")+` ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts,
				window_start = excluded.window_start, next_at = excluded.next_at, expires_at = excluded.expires_at`),
			args...); err != nil {
			return err
		}
	}
	if len(dead) == 0 {
		return nil
	}
	query, inArgs, err := sqlx.In("DELETE FROM attempt_counters WHERE key IN (?)", dead)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, db.rebind(query), inArgs...)
	return err
}

// errNoWrite rolls back an UpdateAttempts transaction whose update chose
// not to write; it never leaves UpdateAttempts.
var errNoWrite = errors.New("attempt counters unchanged")

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"taskapi"
)

// errKeyTaken is how CreateTaskOnce's transaction reports that another
// request remembered the key first; it never leaves this package.
var errKeyTaken = errors.New("idempotency key taken")

// IdempotentTask returns the result remembered under userID's key, or nil
// when there is none created at or after notBefore (expired counts as
// none).
func (db *DB) IdempotentTask(ctx context.Context, userID int64, key taskapi.IdempotencyKey) (*taskapi.IdempotentResult, error) {
	return db.idempotentTask(ctx, db.x, userID, key)
}

func (db *DB) idempotentTask(ctx context.Context, q sqlx.QueryerContext, userID int64, key taskapi.IdempotencyKey) (*taskapi.IdempotentResult, error) {
	var row struct {
		RequestHash string `db:"request_hash"`
		TaskID      int64  `db:"task_id"`
		Response    string `db:"response"`
		CreatedAt   dbTime `db:"created_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, db.rebind(
		`SELECT request_hash, task_id, response, created_at FROM idempotency_keys
		WHERE user_id = ? AND idem_key = ? AND created_at >= ?`),
		userID, key.Key, timeArg(normTime(key.NotBefore)))
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err)
	}
	res := &taskapi.IdempotentResult{RequestHash: row.RequestHash, CreatedAt: row.CreatedAt.Time}
	if err := json.Unmarshal([]byte(row.Response), &res.Task); err != nil || res.Task.ID != row.TaskID {
		return nil, taskapi.Wrap(fmt.Errorf("idempotency key row for task %d does not hold it: %v", row.TaskID, err), taskapi.EINTERNAL, taskapi.MsgInternal)
	}
	res.Task.Version = 1 // the answer is the task as created
	return res, nil
}

// CreateTaskOnce inserts t, like CreateTask (quota included), and
// remembers it under key for
// t.UserID, in one transaction: the key is stored exactly when the task
// is. It returns nil when it created t. When the key was remembered first
// by another request (two requests with one key at once), it stores
// nothing and returns that request's result instead: on PostgreSQL the
// second insert of the key waits for the first transaction and fails once
// it commits; SQLite runs one write at a time. The caller compares the
// request hashes. An expired entry of the same key is replaced; the
// other expired entries are Prune's.
//
// With a positive key.PerUser, a user who has that many keys remembered
// already is refused (ETOOMANY, with a Retry-After for when the oldest
// expires) and nothing is stored. On PostgreSQL the transaction first
// locks the user's row (FOR NO KEY UPDATE: not against the foreign-key
// checks of the user's other writes), so concurrent keyed creates of one
// user count one after the other and never overshoot; creates without a
// key do not wait for it.
func (db *DB) CreateTaskOnce(ctx context.Context, t *taskapi.Task, quota int, key taskapi.IdempotencyKey) (*taskapi.IdempotentResult, error) {
	stored := newTaskRow(t)
	notBefore := timeArg(normTime(key.NotBefore))
	err := db.retryNearQuota(func(exact bool) error {
		return db.inTx(ctx, func(tx *sqlx.Tx) error {
			return db.createOnce(ctx, tx, &stored, quota, exact, key, notBefore)
		})
	})
	if errors.Is(err, errKeyTaken) {
		first, err := db.IdempotentTask(ctx, stored.UserID, key)
		if err != nil {
			return nil, err
		}
		if first == nil { // taken, then expired or deleted with its user meanwhile
			return nil, taskapi.Errorf(taskapi.ECONFLICT, taskapi.MsgKeyInProgress)
		}
		return first, nil
	}
	if err != nil {
		return nil, err
	}
	*t = stored
	return nil, nil
}

// createOnce is CreateTaskOnce's transaction.
func (db *DB) createOnce(ctx context.Context, tx *sqlx.Tx, stored *taskapi.Task, quota int, exact bool, key taskapi.IdempotencyKey, notBefore string) error {
	if key.PerUser > 0 && db.driver == DriverPostgres {
		// An account deletion takes this row first too (FOR UPDATE), and
		// task_create takes it before any counter row: one order.
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", stored.UserID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, db.rebind(
		"DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND created_at < ?"),
		stored.UserID, key.Key, notBefore); err != nil {
		return err
	}
	if err := db.insertTask(ctx, tx, stored, quota, exact); err != nil {
		return err
	}
	if err := db.checkKeyLimit(ctx, tx, stored.UserID, key); err != nil {
		return err
	}
	response, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, db.rebind(
		`INSERT INTO idempotency_keys (user_id, idem_key, request_hash, task_id, response, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`),
		stored.UserID, key.Key, key.RequestHash, stored.ID, string(response), timeArg(stored.CreatedAt))
	if uniqueViolation(err) {
		return errKeyTaken
	}
	return err
}

// checkKeyLimit refuses one more key to a user who has key.PerUser keys
// remembered (created at or after key.NotBefore), saying when the oldest
// of them expires.
func (db *DB) checkKeyLimit(ctx context.Context, tx *sqlx.Tx, userID int64, key taskapi.IdempotencyKey) error {
	if key.PerUser <= 0 {
		return nil
	}
	notBefore := normTime(key.NotBefore)
	var n int
	if err := tx.GetContext(ctx, &n, db.rebind(
		"SELECT COUNT(*) FROM idempotency_keys WHERE user_id = ? AND created_at >= ?"),
		userID, timeArg(notBefore)); err != nil {
		return err
	}
	if n < key.PerUser {
		return nil
	}
	var oldest dbTime
	if err := tx.GetContext(ctx, &oldest, db.rebind(
		"SELECT created_at FROM idempotency_keys WHERE user_id = ? AND created_at >= ? ORDER BY created_at LIMIT 1"),
		userID, timeArg(notBefore)); err != nil {
		return err
	}
	// The oldest key expires IdempotencyWindow after its creation, which
	// is that long before NotBefore's "now": at oldest - NotBefore from now.
	wait := max(oldest.Time.Sub(notBefore), time.Second)
	return &taskapi.Error{Code: taskapi.ETOOMANY, Message: taskapi.MsgTooManyKeys, RetryAfter: wait}
}

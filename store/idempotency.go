package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"taskapi"
)

// expiredKeysPerCreate bounds how many expired idempotency keys one create
// deletes, so that clean-up never makes a create slow: a steady stream of
// keyed creates deletes expired keys faster than they accumulate.
const expiredKeysPerCreate = 100

// deleteExpiredKeys deletes a batch of expired keys (SQLite runs one
// writer at a time, so batches never overlap).
const deleteExpiredKeys = `DELETE FROM idempotency_keys WHERE id IN
	(SELECT id FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`

// deleteExpiredKeysPostgres skips the rows that a concurrent create is
// deleting already, so that two creates never wait for each other (or
// deadlock) over clean-up.
const deleteExpiredKeysPostgres = `DELETE FROM idempotency_keys WHERE id IN
	(SELECT id FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED)`

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
// request hashes. An expired entry of the same key is replaced, and up to
// expiredKeysPerCreate other expired entries are deleted.
func (db *DB) CreateTaskOnce(ctx context.Context, t *taskapi.Task, quota int, key taskapi.IdempotencyKey) (*taskapi.IdempotentResult, error) {
	stored := newTaskRow(t)
	notBefore := timeArg(normTime(key.NotBefore))
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		cleanUp := deleteExpiredKeys
		if db.driver == DriverPostgres {
			cleanUp = deleteExpiredKeysPostgres
		}
		if _, err := tx.ExecContext(ctx, db.rebind(cleanUp), notBefore, expiredKeysPerCreate); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(
			"DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND created_at < ?"),
			stored.UserID, key.Key, notBefore); err != nil {
			return err
		}
		if err := db.insertTask(ctx, tx, &stored, quota); err != nil {
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

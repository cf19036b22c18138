package store

import (
	"time"

	"github.com/lib/pq"

	"taskapi"
)

// storageFullHold is how long after a write found the database out of
// space Ping keeps reporting it, unless a write succeeds first. Space
// comes back when an operator (or a clean-up) frees it, with nothing to
// announce it: the next write that succeeds ends the condition at once,
// and a service that takes no writes stops reporting it after the hold.
const storageFullHold = 15 * time.Second

// noteWrite records what a write transaction's outcome says about the
// database's space and returns err unchanged: a storage-full error
// starts (or extends) the condition Ping reports, a success ends it.
func (db *DB) noteWrite(err error) error {
	switch {
	case err == nil:
		db.lastFull.Store(0)
	case taskapi.ErrorCode(err) == taskapi.ESTORAGE:
		db.lastFull.Store(time.Now().UnixNano())
	}
	return err
}

// storageError is the ESTORAGE error Ping reports while the last write
// that found the database out of space is younger than storageFullHold
// and no write succeeded since, nil otherwise.
func (db *DB) storageError() error {
	at := db.lastFull.Load()
	if at == 0 {
		return nil
	}
	since := time.Since(time.Unix(0, at))
	if since >= storageFullHold {
		return nil
	}
	e := taskapi.Errorf(taskapi.ESTORAGE, taskapi.MsgStorageFull)
	e.RetryAfter = storageFullRetryAfter
	return e
}

// commitFailed classifies the error of a COMMIT. On PostgreSQL a COMMIT
// whose connection broke before its answer came back may have been
// committed or not: the server may have received it. No retry on our side
// can tell, so the client hears that the outcome is unknown, and how to
// retry safely (the same Idempotency-Key replays a create that did
// commit). An answer from the server (a *pq.Error) is a known outcome,
// and SQLite runs in-process: its commit either happened or was rolled
// back (the driver rolls back a COMMIT that failed).
func (db *DB) commitFailed(err error) error {
	if db.driver == DriverPostgres && pq.As(err) == nil && unavailable(err) {
		return taskapi.Wrap(err, taskapi.EUNAVAILABLE, taskapi.MsgOutcomeUnknown)
	}
	return classify(err)
}

package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/lib/pq"

	"taskapi"
)

// TestStorageCondition: a write that finds the database out of space
// makes Ping report it; a write that succeeds ends it at once, and without
// writes it ends after storageFullHold.
func TestStorageCondition(t *testing.T) {
	db := &DB{driver: DriverSQLite}
	if err := db.storageError(); err != nil {
		t.Fatalf("fresh store: %v", err)
	}
	full := classify(&pq.Error{Code: "53100"})
	if got := db.noteWrite(full); got != full {
		t.Fatalf("noteWrite changed the error: %v", got)
	}
	if code := taskapi.ErrorCode(db.storageError()); code != taskapi.ESTORAGE {
		t.Fatalf("after a storage-full write: %q, want %q", code, taskapi.ESTORAGE)
	}
	// Another failure says nothing about space.
	_ = db.noteWrite(classify(driver.ErrBadConn))
	if db.storageError() == nil {
		t.Fatal("an unrelated failure ended the condition")
	}
	_ = db.noteWrite(nil)
	if err := db.storageError(); err != nil {
		t.Fatalf("after a successful write: %v", err)
	}
	_ = db.noteWrite(full)
	db.lastFull.Store(time.Now().Add(-storageFullHold).UnixNano())
	if err := db.storageError(); err != nil {
		t.Fatalf("%s after the last storage-full write: %v", storageFullHold, err)
	}
}

// TestCommitFailed: only a PostgreSQL COMMIT whose answer was lost with
// the connection has an unknown outcome; the server's answer, or SQLite's,
// is a known one.
func TestCommitFailed(t *testing.T) {
	cut := &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}
	cases := []struct {
		name   string
		driver string
		err    error
		code   string
		msg    string
	}{
		{"postgres cut", DriverPostgres, fmt.Errorf("commit: %w", cut), taskapi.EUNAVAILABLE, taskapi.MsgOutcomeUnknown},
		{"postgres bad conn", DriverPostgres, driver.ErrBadConn, taskapi.EUNAVAILABLE, taskapi.MsgOutcomeUnknown},
		{"postgres eof", DriverPostgres, io.EOF, taskapi.EUNAVAILABLE, taskapi.MsgOutcomeUnknown},
		{"postgres rolled back", DriverPostgres, &pq.Error{Code: "40001"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"postgres disk full", DriverPostgres, &pq.Error{Code: "53100"}, taskapi.ESTORAGE, taskapi.MsgStorageFull},
		{"sqlite", DriverSQLite, driver.ErrBadConn, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := &DB{driver: c.driver}
			err := db.commitFailed(c.err)
			var e *taskapi.Error
			if !errors.As(err, &e) || e.Code != c.code || e.Message != c.msg {
				t.Errorf("commitFailed = %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
}

// TestPruneOfNothingKeepsCondition: a prune that finds nothing to delete
// writes nothing, so its success does not end the storage-full condition
// (on a full disk it succeeds all the same); one that deletes rows does.
func TestPruneOfNothingKeepsCondition(t *testing.T) {
	db, err := Open(t.Context(), Config{Driver: DriverSQLite, DSN: t.TempDir() + "/prune.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	_ = db.noteWrite(classify(&pq.Error{Code: "53100"}))
	if _, err := db.Prune(t.Context(), time.Now(), PruneLimits{Batch: 10, Batches: 1}); err != nil {
		t.Fatal(err)
	}
	if code := taskapi.ErrorCode(db.Ping(t.Context())); code != taskapi.ESTORAGE {
		t.Fatalf("after a prune that deleted nothing, Ping = %q, want %q", code, taskapi.ESTORAGE)
	}
	u := &taskapi.User{Username: "u", Email: "u@example.com", PasswordHash: "x", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("after a write that succeeded, Ping = %v", err)
	}
}

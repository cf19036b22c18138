package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"taskapi"
)

// How long a client is asked to wait (Retry-After) when the database is
// out of space, and when it is out of another resource (memory,
// connections): space comes back when an operator acts, memory and
// connection slots within moments.
const (
	storageFullRetryAfter = 30 * time.Second
	resourcesRetryAfter   = 5 * time.Second
)

// classify turns a driver error into the *taskapi.Error the handlers
// expect. The client-facing Message is always one of the fixed messages;
// the driver's text, which may quote SQL or data, stays in the cause.
//
//   - The database has no room to write (SQLite's SQLITE_FULL,
//     PostgreSQL's 53100 disk_full): ESTORAGE with MsgStorageFull and a
//     Retry-After, so the transport answers 507. Every write runs in a
//     transaction (inTx) that such an error rolls back, so nothing is
//     half-written.
//   - The database is out of another resource (the rest of PostgreSQL's
//     class 53: out_of_memory, too_many_connections...): EUNAVAILABLE with
//     MsgDatabaseDown and a Retry-After.
//   - The database cannot be reached or used right now: EUNAVAILABLE with
//     MsgDatabaseDown, so the transport answers 503 and callers may retry.
//     This includes a cancelled or expired context: a request whose client
//     went away, or that ran out of time waiting for the database, did not
//     get an answer from it, and the caller has nobody to blame. So does
//     a transaction PostgreSQL rolled back whole (deadlock, serialization
//     failure): nothing was written and a retry may succeed.
//   - A CHECK constraint rejected a value: EINVALID, naming the field.
//   - A foreign key rejected a row: ENOTFOUND "User not found". Every
//     foreign key of the schema references users(id), so the row named a
//     user that is gone (deleted while their token was still accepted).
//   - Anything else is a bug or unforeseen: EINTERNAL with MsgInternal.
//
// Errors that are already a *taskapi.Error pass through unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var te *taskapi.Error
	if errors.As(err, &te) {
		return err
	}
	if storageFull(err) {
		e := taskapi.Wrap(err, taskapi.ESTORAGE, taskapi.MsgStorageFull)
		e.RetryAfter = storageFullRetryAfter
		return e
	}
	if pqErr := pq.As(err); pqErr != nil && pqErr.Code.Class() == pqerror.ClassInsufficientResources {
		e := taskapi.Wrap(err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
		e.RetryAfter = resourcesRetryAfter
		return e
	}
	if unavailable(err) {
		return taskapi.Wrap(err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
	}
	if foreignKeyViolation(err) {
		return taskapi.Wrap(err, taskapi.ENOTFOUND, taskapi.MsgUserNotFound)
	}
	if details, ok := checkViolation(err); ok {
		e := taskapi.Invalid(details...)
		e.Err = err
		return e
	}
	return taskapi.Wrap(err, taskapi.EINTERNAL, taskapi.MsgInternal)
}

// unavailable reports whether err means the database could not be reached
// or refused to work, as opposed to rejecting this particular statement.
func unavailable(err error) bool {
	switch {
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		errors.Is(err, pq.ErrSSLNotSupported):
		return true
	}
	// database/sql does not export its "database is closed" error.
	if strings.Contains(err.Error(), "sql: database is closed") {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if pqErr := pq.As(err); pqErr != nil {
		switch pqErr.Code.Class() {
		case pqerror.ClassConnectionException, // 08: the connection broke or was refused
			pqerror.ClassInvalidAuthorizationSpecification, // 28: bad credentials, fails at connect
			pqerror.ClassInvalidCatalogName,                // 3D: the database does not exist, fails at connect
			pqerror.ClassTransactionRollback:               // 40: deadlock or serialization failure, rolled back whole: safe to retry
			return true
		}
		switch pqErr.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow,
			pqerror.QueryCanceled: // statement_timeout, or cancelled with its context
			return true
		}
		return false
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		// The primary code is the low byte of an extended code.
		switch sqliteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN:
			return true
		}
	}
	return false
}

// storageFull reports whether err means the database has no room left to
// write: a full disk (or, for SQLite, the max_page_count limit).
func storageFull(err error) bool {
	if pq.As(err, pqerror.DiskFull) != nil {
		return true
	}
	var sqliteErr *sqlite.Error
	return errors.As(err, &sqliteErr) && sqliteErr.Code()&0xff == sqlite3.SQLITE_FULL
}

// uniqueViolation reports whether err is a unique index rejecting a value.
func uniqueViolation(err error) bool {
	if pq.As(err, pqerror.UniqueViolation) != nil {
		return true
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		code := sqliteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// foreignKeyViolation reports whether err is a REFERENCES constraint
// rejecting a row, for example a revocation for a user that is gone.
func foreignKeyViolation(err error) bool {
	if pq.As(err, pqerror.ForeignKeyViolation) != nil {
		return true
	}
	var sqliteErr *sqlite.Error
	return errors.As(err, &sqliteErr) && sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// checkFields maps the migrations' CHECK constraint names to the field
// error a client sees; the names are the same on both engines.
var checkFields = map[string]taskapi.FieldError{
	"tasks_status_check":   {Field: "status", Message: taskapi.MsgInvalidStatus},
	"tasks_priority_check": {Field: "priority", Message: taskapi.MsgInvalidPriority},
}

// checkViolation reports whether err is a CHECK constraint rejecting a
// value and, when the constraint is one of ours, the field it guards.
func checkViolation(err error) (details []taskapi.FieldError, ok bool) {
	name, ok := checkConstraint(err)
	if !ok {
		return nil, false
	}
	if f, known := checkFields[name]; known {
		details = append(details, f)
	}
	return details, true
}

// checkConstraint returns the name of the CHECK constraint err reports.
func checkConstraint(err error) (name string, ok bool) {
	if pqErr := pq.As(err, pqerror.CheckViolation); pqErr != nil {
		return pqErr.Constraint, true
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) && sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK {
		// SQLite names the constraint only in its message:
		// "CHECK constraint failed: tasks_status_check".
		for n := range checkFields {
			if strings.Contains(sqliteErr.Error(), n) {
				return n, true
			}
		}
		return "", true
	}
	return "", false
}

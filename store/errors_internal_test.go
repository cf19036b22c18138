package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"taskapi"
)

func TestClassify(t *testing.T) {
	const secret = "SELECT password_hash FROM users"
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused " + secret)}
	cases := []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"bad conn", driver.ErrBadConn, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"conn done", sql.ErrConnDone, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"db closed", errors.New("sql: database is closed"), taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"net", fmt.Errorf("wrapped: %w", refused), taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"eof", fmt.Errorf("read: %w", io.EOF), taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"unexpected eof", io.ErrUnexpectedEOF, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"deadline", context.DeadlineExceeded, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"canceled", context.Canceled, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"connection failure", &pq.Error{Code: "08006", Message: secret}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"admin shutdown", &pq.Error{Code: "57P01"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"crash shutdown", &pq.Error{Code: "57P02"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"cannot connect now", &pq.Error{Code: "57P03"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"bad password", &pq.Error{Code: "28P01"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"deadlock", &pq.Error{Code: "40P01", Message: secret}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"serialization failure", &pq.Error{Code: "40001"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown},
		{"check", &pq.Error{Code: "23514", Constraint: "tasks_status_check", Message: secret}, taskapi.EINVALID, "Validation failed"},
		{"syntax", &pq.Error{Code: "42601", Message: secret}, taskapi.EINTERNAL, taskapi.MsgInternal},
		{"unique outside CreateUser", &pq.Error{Code: "23505"}, taskapi.EINTERNAL, taskapi.MsgInternal},
		{"other", errors.New(secret), taskapi.EINTERNAL, taskapi.MsgInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := classify(c.err)
			var e *taskapi.Error
			if !errors.As(err, &e) {
				t.Fatalf("classify = %T %v", err, err)
			}
			if e.Code != c.code || e.Message != c.msg {
				t.Errorf("classify = %s %q, want %s %q", e.Code, e.Message, c.code, c.msg)
			}
			if !errors.Is(err, c.err) {
				t.Error("the cause is not kept")
			}
			if strings.Contains(e.Message, "SELECT") {
				t.Errorf("message leaks SQL: %q", e.Message)
			}
		})
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
	known := taskapi.TaskNotFound(1)
	if got := classify(known); got != known {
		t.Errorf("classify changed an Error: %v", got)
	}
}

// TestClassifyOutOfResources: a database out of space or of another
// resource is never a 500: disk_full (and SQLite's SQLITE_FULL) is
// ESTORAGE, 507, the rest of PostgreSQL's class 53 is EUNAVAILABLE, 503;
// both tell the client when to try again.
func TestClassifyOutOfResources(t *testing.T) {
	const secret = "INSERT INTO tasks"
	cases := []struct {
		name       string
		err        error
		code, msg  string
		retryAfter time.Duration
	}{
		{"disk full", &pq.Error{Code: "53100", Message: secret}, taskapi.ESTORAGE, taskapi.MsgStorageFull, storageFullRetryAfter},
		{"out of memory", &pq.Error{Code: "53200", Message: secret}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown, resourcesRetryAfter},
		{"too many connections", &pq.Error{Code: "53300"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown, resourcesRetryAfter},
		{"insufficient resources", &pq.Error{Code: "53000"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown, resourcesRetryAfter},
		{"configuration limit", &pq.Error{Code: "53400"}, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown, resourcesRetryAfter},
		{"wrapped disk full", fmt.Errorf("commit: %w", &pq.Error{Code: "53100"}), taskapi.ESTORAGE, taskapi.MsgStorageFull, storageFullRetryAfter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e *taskapi.Error
			if err := classify(c.err); !errors.As(err, &e) {
				t.Fatalf("classify = %T %v", err, err)
			}
			if e.Code != c.code || e.Message != c.msg || e.RetryAfter != c.retryAfter {
				t.Errorf("classify = %s %q retry after %s, want %s %q retry after %s", e.Code, e.Message, e.RetryAfter, c.code, c.msg, c.retryAfter)
			}
			if !errors.Is(e, c.err) {
				t.Error("the cause is not kept")
			}
		})
	}
}

func TestCheckViolationDetails(t *testing.T) {
	err := classify(&pq.Error{Code: "23514", Constraint: "tasks_priority_check"})
	var e *taskapi.Error
	if !errors.As(err, &e) || len(e.Details) != 1 || e.Details[0].Field != "priority" {
		t.Fatalf("classify = %+v, want one detail for priority", err)
	}
	err = classify(&pq.Error{Code: "23514", Constraint: "some_future_check"})
	if !errors.As(err, &e) || e.Code != taskapi.EINVALID || len(e.Details) != 0 {
		t.Fatalf("unknown constraint: %+v", err)
	}
}

package store_test

import (
	"errors"
	"testing"

	"taskapi"
	"taskapi/handlers"
	"taskapi/store"
)

// The store is what the handlers are wired to.
var (
	_ handlers.UserStore       = (*store.DB)(nil)
	_ handlers.AccountStore    = (*store.DB)(nil)
	_ handlers.RevocationStore = (*store.DB)(nil)
	_ handlers.TaskStore       = (*store.DB)(nil)
)

// wantErr fails t unless err is a *taskapi.Error with the given code and
// client message, and returns it for further checks.
func wantErr(t *testing.T, err error, code, message string) *taskapi.Error {
	t.Helper()
	var e *taskapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *taskapi.Error %s %q", err, err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("error = %s %q, want %s %q (cause: %v)", e.Code, e.Message, code, message, e.Err)
	}
	return e
}

func TestOpenRejectsUnknownDriver(t *testing.T) {
	if _, err := store.Open(t.Context(), store.Config{Driver: "mysql", DSN: "x"}); err == nil {
		t.Fatal("Open with driver mysql succeeded")
	}
}

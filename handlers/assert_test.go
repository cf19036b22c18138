package handlers_test

import (
	"errors"
	"testing"

	"taskapi"
)

// wantError fails t unless err is a *taskapi.Error with the given code and
// message and, when fields are given, details naming exactly those fields.
func wantError(t *testing.T, err error, code, message string, fields ...string) {
	t.Helper()
	var e *taskapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want a *taskapi.Error %s %q", err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("error = %s %q, want %s %q", e.Code, e.Message, code, message)
	}
	if len(fields) == 0 {
		return
	}
	var got []string
	for _, d := range e.Details {
		got = append(got, d.Field)
	}
	if len(got) != len(fields) {
		t.Fatalf("detail fields = %v, want %v (%+v)", got, fields, e.Details)
	}
	for i := range fields {
		if got[i] != fields[i] {
			t.Fatalf("detail fields = %v, want %v (%+v)", got, fields, e.Details)
		}
	}
}

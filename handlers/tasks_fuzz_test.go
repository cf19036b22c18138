package handlers_test

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
)

// The seeds of these targets run in every `go test`; `make fuzz` explores
// from them. Each checks the handler through its public API, over the
// in-memory store, against an oracle written independently of the code.

// clientCodes are the error codes a client's input may cause; anything else
// (EINTERNAL, EUNAVAILABLE) would be a 5xx.
var clientCodes = []string{taskapi.EINVALID, taskapi.ENOTFOUND, taskapi.EFORBIDDEN}

// errorCode returns err's code, failing t unless err is a *taskapi.Error
// with one of the codes in want.
func errorCode(t *testing.T, what string, err error, want ...string) string {
	t.Helper()
	var e *taskapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not a *taskapi.Error", what, err, err)
	}
	if !slices.Contains(want, e.Code) {
		t.Fatalf("%s: error code %s (%v), want one of %v", what, e.Code, err, want)
	}
	return e.Code
}

var decimal = regexp.MustCompile(`^[0-9]+$`)

// FuzzTaskID sends arbitrary path ids to Get, Update and Delete. An id is
// valid exactly when it is decimal digits naming 1 to 2^31-1 (the SERIAL
// column); a valid id finds the task (its owner), 403 (anyone else) or 404,
// an invalid one is 400. Never a 5xx, never a panic.
func FuzzTaskID(f *testing.F) {
	for _, s := range []string{
		"3", "03", "0003", "4", "0", "-3", "+3", " 3", "3 ", "3\n", "3.0", "3e0", "0x3", "0b11", "3_0",
		"2147483647", "2147483648", "-2147483648", "9223372036854775807", "9223372036854775808",
		"99999999999999999999999", "", "abc", "NaN", "∞", "３", "٣", "\x00", "%33", "3/4", "../3",
	} {
		f.Add(s)
	}
	// Every input starts from a fresh store holding alice's one task,
	// number 3: the store numbers tasks from 1 and never reuses a number,
	// so tasks 1 and 2 are created and deleted first. The store is made
	// once and copied for each input (newFixtureFrom): registering alice
	// and bob took most of an input's time.
	const taskID = 3
	seed := newFixture(f)
	alice, bob := seed.user("alice"), seed.user("bob")
	for want := int64(1); want <= taskID; want++ {
		created, err := seed.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "mine"})
		if err != nil || created.Task.ID != want {
			f.Fatalf("task %d: Create = %+v, %v", want, created, err)
		}
		if want < taskID {
			if _, err := seed.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: itoa(want)}); err != nil {
				f.Fatal(err)
			}
		}
	}
	data := seed.snapshot(f)
	f.Fuzz(func(t *testing.T, id string) {
		fx := newFixtureFrom(t, data)

		n, perr := strconv.ParseInt(id, 10, 64)
		valid := decimal.MatchString(id) && perr == nil && n >= 1 && n <= math.MaxInt32
		want := func(caller taskapi.Principal) string { // "" is success
			switch {
			case !valid:
				return taskapi.EINVALID
			case n != taskID:
				return taskapi.ENOTFOUND
			case caller != alice:
				return taskapi.EFORBIDDEN
			}
			return ""
		}
		for _, caller := range []taskapi.Principal{bob, alice} { // alice last: she deletes
			got, err := fx.tasks.Get(ctx, handlers.TaskRequest{Caller: caller, ID: id})
			check(t, "Get "+strconv.Quote(id), err, want(caller))
			if err == nil && got.Task.ID != int64(taskID) {
				t.Fatalf("Get %q returned task %d, want %d", id, got.Task.ID, taskID)
			}
			_, err = fx.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: caller, ID: id, Title: taskapi.Some("renamed")})
			check(t, "Update "+strconv.Quote(id), err, want(caller))
			_, err = fx.tasks.Delete(ctx, handlers.TaskRequest{Caller: caller, ID: id})
			check(t, "Delete "+strconv.Quote(id), err, want(caller))
		}
	})
}

// check fails t unless err is nil when want is "", or has code want.
func check(t *testing.T, what string, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("%s: %v, want success", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s succeeded, want %s", what, want)
	}
	if code := errorCode(t, what, err, clientCodes...); code != want {
		t.Fatalf("%s: %v, want %s", what, err, want)
	}
}

// FuzzListQuery sends arbitrary query parameters to List: it answers a
// page within the documented bounds or 400 naming only query fields.
func FuzzListQuery(f *testing.F) {
	f.Add("", "", "", "", "", "")
	f.Add("pending", "high", "due_date", "asc", "100", "0")
	f.Add("done", "urgent", "title", "up", "0", "-1")
	f.Add("PENDING", "High", "created_at;DROP TABLE tasks", "DESC", "101", "+1")
	f.Add("", "", "priority", "desc", "1", "2147483647")
	f.Add("", "", "", "", "1e2", "2147483648")
	f.Add("", "", "", "", " 20", "99999999999999999999")
	f.Add("in_progress", "low", "created_at", "asc", "020", "00")
	fx := newFixture(f)
	alice := fx.user("alice")
	for i := range 5 {
		if _, err := fx.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "task " + strconv.Itoa(i)}); err != nil {
			f.Fatal(err)
		}
	}
	queryFields := []string{"status", "priority", "sort", "order", "limit", "offset"}
	f.Fuzz(func(t *testing.T, status, priority, sort, order, limit, offset string) {
		req := handlers.ListTasksRequest{Caller: alice, Status: status, Priority: priority, Sort: sort, Order: order, Limit: limit, Offset: offset}
		resp, err := fx.tasks.List(ctx, req)
		if err != nil {
			errorCode(t, "List", err, taskapi.EINVALID)
			var e *taskapi.Error
			errors.As(err, &e)
			if len(e.Details) == 0 {
				t.Fatalf("List %+v: 400 without details", req)
			}
			for _, d := range e.Details {
				if !slices.Contains(queryFields, d.Field) {
					t.Fatalf("List %+v: detail names %q, not a query parameter", req, d.Field)
				}
			}
			return
		}
		if resp.Limit < 1 || resp.Limit > handlers.MaxPageSize || resp.Offset < 0 {
			t.Fatalf("List %+v: limit %d offset %d out of bounds", req, resp.Limit, resp.Offset)
		}
		if resp.Count != len(resp.Tasks) || resp.Count > resp.Limit || resp.Total < resp.Count || resp.Tasks == nil {
			t.Fatalf("List %+v: count %d, %d tasks, total %d, limit %d", req, resp.Count, len(resp.Tasks), resp.Total, resp.Limit)
		}
		for _, p := range []struct {
			name, raw string
			got       int
		}{{"limit", limit, resp.Limit}, {"offset", offset, resp.Offset}} {
			if p.raw != "" && (!decimal.MatchString(p.raw) || strconv.Itoa(p.got) != trimZeros(p.raw)) {
				t.Fatalf("List: %s %q accepted as %d", p.name, p.raw, p.got)
			}
		}
	})
}

// trimZeros drops leading zeros from a string of digits ("007" is 7).
func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// FuzzParseDueDate: whatever ParseDueDate accepts is UTC at microsecond
// precision; within the years 0001-9999 it survives the trip through RFC
// 3339 and JSON (what answers carry) unchanged and a task accepts it as
// is; outside them a task refuses it with 400 on due_date.
func FuzzParseDueDate(f *testing.F) {
	for _, s := range []string{
		"2026-03-04T05:06:07Z", "2026-03-04T05:06:07.123456789+02:00", "2026-03-04T05:06:07", "2026-03-04T05:06",
		"2026-03-04", "0001-01-01", "0001-01-01T00:30:00+01:00", "0000-12-31T23:00:00-01:00", "9999-12-31T23:59:59.9999999Z",
		"9999-12-31T23:00:00-01:00", "10000-01-01", "2026-02-29", "2024-02-29", "2026-13-01", "2026-03-04 05:06",
		"2026-03-04T24:00:00Z", "2026-03-04T05:06:07+24:00", "2026-03-04T05:06:07-23:59", "2026-03-04t05:06:07z",
		"2026-03-04T05:06:60Z", "+2026-03-04", "", "tomorrow",
	} {
		f.Add(s)
	}
	fx := newFixture(f)
	alice := fx.user("alice")
	minDue := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDue := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := handlers.ParseDueDate(s)
		_, err := fx.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "t", DueDate: &s})
		if !ok {
			if err == nil {
				t.Fatalf("ParseDueDate(%q) refused it, but a task accepted it", s)
			}
			return
		}
		if got.Location() != time.UTC || got.Nanosecond()%1000 != 0 {
			t.Fatalf("ParseDueDate(%q) = %v: not UTC at microsecond precision", s, got)
		}
		if got.Before(minDue) || !got.Before(maxDue) {
			if err == nil {
				t.Fatalf("due date %q (%v in UTC) outside 0001-9999 was accepted", s, got)
			}
			wantError(t, err, taskapi.EINVALID, "Validation failed", "due_date")
			return
		}
		// What an answer says is what a client sends back next time.
		text := got.Format(time.RFC3339Nano)
		again, ok := handlers.ParseDueDate(text)
		if !ok || !again.Equal(got) {
			t.Fatalf("ParseDueDate(%q) = %v, written %q, read back %v, %v", s, got, text, again, ok)
		}
		js, jerr := json.Marshal(got)
		var decoded time.Time
		if jerr != nil || json.Unmarshal(js, &decoded) != nil || !decoded.Equal(got) {
			t.Fatalf("ParseDueDate(%q) = %v does not survive JSON (%s, %v)", s, got, js, jerr)
		}
		if err != nil {
			t.Fatalf("due date %q (%v) refused by Create: %v", s, got, err)
		}
	})
}

// Package proptest holds what the property tests of app and handlers
// (pgregory.net/rapid) share: the least number of iterations and the run
// that enforces it, the generators of white space, text and titles, and
// the comparison of two tasks. It is an ordinary package because test
// packages cannot share _test.go code, and the two copies had drifted.
package proptest

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"pgregory.net/rapid"

	"taskapi"
	"taskapi/handlers"
)

// MinChecks is the least number of iterations of every property, on each
// engine it runs on.
const MinChecks = 100

var (
	raiseOnce sync.Once
	raiseErr  error
)

// RaiseChecks raises rapid's iteration count to at least MinChecks for the
// rest of the test binary. rapid reads it from its -rapid.checks flag
// (default 100, or RAPID_CHECKS) and divides it by 5 under -short, so
// under -short it asks for 5 MinChecks. The flag is process-wide and every
// rapid.Check reads it, so it is written once, whatever the number of
// calls, and must be written before any rapid.Check that does not go
// through Check runs (a TestMain can call it for that): written from a
// test, it would race with a parallel test's rapid.Check. Every call
// returns the first one's error. testing.Short must be ready (flags
// parsed).
func RaiseChecks() error {
	raiseOnce.Do(func() {
		f := flag.Lookup("rapid.checks")
		if f == nil {
			raiseErr = errors.New("rapid did not register -rapid.checks")
			return
		}
		n := MinChecks
		if testing.Short() {
			n *= 5
		}
		if cur, err := strconv.Atoi(f.Value.String()); err == nil && cur >= n {
			return
		}
		raiseErr = f.Value.Set(strconv.Itoa(n))
	})
	return raiseErr
}

// Check runs prop with rapid.Check for at least MinChecks iterations,
// whatever -rapid.checks, RAPID_CHECKS or -short say (see RaiseChecks),
// and fails t if fewer passed: rapid stops early when the test deadline
// is near, and a property that ran a handful of times proves little.
func Check(t *testing.T, prop func(*rapid.T)) {
	t.Helper()
	if err := RaiseChecks(); err != nil {
		t.Fatal(err)
	}
	passed := 0
	rapid.Check(t, func(rt *rapid.T) {
		prop(rt)
		passed++ // reached only when the iteration passed
	})
	if passed < MinChecks {
		t.Fatalf("only %d iterations ran, want at least %d", passed, MinChecks)
	}
	t.Logf("%d iterations passed", passed)
}

// Space draws a little leading or trailing white space, ASCII and not,
// which the API trims from usernames, emails and titles.
func Space(t *rapid.T, label string) string {
	return rapid.StringOfN(rapid.RuneFrom([]rune{' ', '\t', '\n', '\u00a0', '\u3000'}), 0, 3, -1).Draw(t, label)
}

// TextRune draws any rune but NUL, which the handlers refuse in text and
// passwords (PostgreSQL text cannot hold it; handlers' validation tests
// cover that), so that the properties check everything else.
var TextRune = rapid.Rune().Filter(func(r rune) bool { return r != 0 })

// Title draws a valid title: after trimming, 1 to handlers.TitleMaxLen
// characters, the whole at most that many too, any Unicode but NUL, often
// with outer white space. It returns what is sent and what must be stored.
func Title(t *rapid.T, label string) (sent, stored string) {
	lead, trail := Space(t, label+" lead"), Space(t, label+" trail")
	room := handlers.TitleMaxLen - utf8.RuneCountInString(lead) - utf8.RuneCountInString(trail) - 1
	// The first rune is visible, so that trimming never leaves the title
	// empty.
	first := rapid.RuneFrom(nil, unicode.L, unicode.N, unicode.P, unicode.S).Draw(t, label+" first")
	n := rapid.IntRange(0, room).Draw(t, label+" length")
	rest := rapid.StringOfN(TextRune, n, n, -1).Draw(t, label+" rest")
	sent = lead + string(first) + rest + trail
	return sent, strings.TrimSpace(sent)
}

// T is what SameTask needs of a *testing.T or a *rapid.T: app calls it
// from fixed tests and from properties, handlers from properties.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
}

// SameTask fails t unless got has want's attributes (title, description,
// status, priority, due date); with strict, also the same id, owner and
// timestamps. Strict is for a task read back; a task just created or
// updated has an id and times the caller cannot predict.
func SameTask(t T, what string, got, want taskapi.Task, strict bool) {
	t.Helper()
	diff := func(field string, g, w any) {
		t.Helper() // so that a failure names SameTask's caller
		t.Fatalf("%s: %s = %v, want %v\ngot  %+v\nwant %+v", what, field, g, w, got, want)
	}
	if got.Title != want.Title {
		diff("title", strconv.Quote(got.Title), strconv.Quote(want.Title))
	}
	if (got.Description == nil) != (want.Description == nil) || (got.Description != nil && *got.Description != *want.Description) {
		diff("description", fmtPtr(got.Description), fmtPtr(want.Description))
	}
	if got.Status != want.Status {
		diff("status", got.Status, want.Status)
	}
	if got.Priority != want.Priority {
		diff("priority", got.Priority, want.Priority)
	}
	if (got.DueDate == nil) != (want.DueDate == nil) || (got.DueDate != nil && !got.DueDate.Equal(*want.DueDate)) {
		diff("due_date", fmtPtr(got.DueDate), fmtPtr(want.DueDate))
	}
	if !strict {
		return
	}
	if got.ID != want.ID || got.UserID != want.UserID {
		diff("id/user_id", [2]int64{got.ID, got.UserID}, [2]int64{want.ID, want.UserID})
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		diff("created_at/updated_at", [2]time.Time{got.CreatedAt, got.UpdatedAt}, [2]time.Time{want.CreatedAt, want.UpdatedAt})
	}
}

// fmtPtr shows an optional field: null when absent, else its value quoted,
// so that an empty string and a missing one read differently.
func fmtPtr[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%q", fmt.Sprint(*p))
}

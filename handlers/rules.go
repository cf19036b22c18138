package handlers

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"taskapi"
)

// Input limits. The string limits match the database columns (VARCHAR(50),
// VARCHAR(100), VARCHAR(200)) so that nothing valid here fails there.
const (
	UsernameMinLen    = 3
	UsernameMaxLen    = 50
	EmailMaxLen       = 100
	PasswordMinLen    = 8
	PasswordMaxBytes  = 72 // bcrypt's limit; longer is refused, never truncated
	TitleMaxLen       = 200
	DescriptionMaxLen = 10000
	DefaultPageSize   = 20
	MaxPageSize       = 100
	maxOffset         = 1<<31 - 1
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// fieldErrors collects the rules an input breaks, so a client learns of
// every problem in one answer rather than one per round trip.
type fieldErrors []taskapi.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, taskapi.FieldError{Field: field, Message: message})
}

// err returns the validation error, or nil when no rule was broken.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return taskapi.Invalid(f...)
}

func checkUsername(fe *fieldErrors, username string) {
	switch n := utf8.RuneCountInString(username); {
	case n == 0:
		fe.add("username", "Username is required")
	case n < UsernameMinLen || n > UsernameMaxLen:
		fe.add("username", "Username must be between 3 and 50 characters")
	case !usernamePattern.MatchString(username):
		fe.add("username", "Username may contain only letters, digits, '_', '.' and '-'")
	}
}

func checkEmail(fe *fieldErrors, email string) {
	if email == "" {
		fe.add("email", "Email is required")
		return
	}
	if utf8.RuneCountInString(email) > EmailMaxLen {
		fe.add("email", "Email must be at most 100 characters")
		return
	}
	// ParseAddress also accepts `Name <a@b>`; requiring the bare address
	// back keeps display names and comments out of the column.
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		fe.add("email", "Email must be a valid address such as name@example.com")
	}
}

func checkNewPassword(fe *fieldErrors, field, password string) {
	switch {
	case password == "":
		fe.add(field, "Password is required")
	case utf8.RuneCountInString(password) < PasswordMinLen:
		fe.add(field, "Password must be at least 8 characters")
	case len(password) > PasswordMaxBytes:
		fe.add(field, "Password must be at most 72 bytes")
	case strings.ContainsRune(password, 0):
		// bcrypt ends its key with a NUL: a 71-byte password and the same
		// plus a NUL would share a hash.
		fe.add(field, "Password must not contain the NUL character (U+0000)")
	}
}

// IdempotencyKeyMaxLen is the longest Idempotency-Key accepted.
const IdempotencyKeyMaxLen = 255

// checkIdempotencyKey accepts 1 to IdempotencyKeyMaxLen visible ASCII
// characters (a UUID, a ULID, any printable token): nothing that could
// smuggle spaces, control characters or encodings into logs or keys.
func checkIdempotencyKey(fe *fieldErrors, key string) {
	ok := len(key) >= 1 && len(key) <= IdempotencyKeyMaxLen
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		fe.add("Idempotency-Key", fmt.Sprintf("Idempotency-Key must be 1 to %d visible ASCII characters, such as a UUID", IdempotencyKeyMaxLen))
	}
}

// checkTitle validates a title that is being set, trimmed of outer space.
func checkTitle(fe *fieldErrors, title string) {
	switch {
	case strings.TrimSpace(title) == "":
		fe.add("title", "Title is required")
	case utf8.RuneCountInString(title) > TitleMaxLen:
		fe.add("title", "Title must be at most 200 characters")
	case strings.ContainsRune(title, 0):
		fe.add("title", noNUL)
	}
}

func checkDescription(fe *fieldErrors, description string) {
	switch {
	case utf8.RuneCountInString(description) > DescriptionMaxLen:
		fe.add("description", "Description must be at most 10000 characters")
	case strings.ContainsRune(description, 0):
		fe.add("description", noNUL)
	}
}

// noNUL explains why U+0000 is refused: PostgreSQL text cannot hold it, so
// accepting it would store on one engine and fail on the other.
const noNUL = "Text must not contain the NUL character (U+0000)"

func checkStatus(fe *fieldErrors, s taskapi.Status) {
	if !s.Valid() {
		fe.add("status", taskapi.MsgInvalidStatus)
	}
}

func checkPriority(fe *fieldErrors, p taskapi.Priority) {
	if !p.Valid() {
		fe.add("priority", taskapi.MsgInvalidPriority)
	}
}

// dueDateLayouts are tried in order. The zone-less forms are what HTML
// date and datetime-local inputs send; they are taken as UTC.
var dueDateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseDueDate reads a due date in any accepted layout and returns it in
// UTC, truncated to microseconds (the database's precision).
func ParseDueDate(s string) (time.Time, bool) {
	for _, layout := range dueDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == time.RFC3339Nano && !validOffset(s) {
				return time.Time{}, false
			}
			return t.UTC().Truncate(time.Microsecond), true
		}
	}
	return time.Time{}, false
}

// validOffset reports whether an RFC 3339 time that Go parsed ends in Z
// or an offset RFC 3339 allows: hours 00-23, minutes 00-59. Go also takes
// +24:00 and a minute of 60 (+12:60 as +13:00), which another client's
// parser refuses: one request, two readings.
func validOffset(s string) bool {
	if n := len(s); n > 0 && (s[n-1] == 'Z' || s[n-1] == 'z') {
		return true
	}
	if len(s) < 6 {
		return false
	}
	off := s[len(s)-6:] // +hh:mm, which Go's parse has checked is digits
	hours := int(off[1]-'0')*10 + int(off[2]-'0')
	minutes := int(off[4]-'0')*10 + int(off[5]-'0')
	return hours <= 23 && minutes <= 59
}

// The due dates a task may have, in UTC: every engine stores these years
// and every client's RFC 3339 encoder can write them back (year 0 and
// 10000 fail one or the other).
var (
	minDueDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDueDate = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

func checkDueDate(fe *fieldErrors, s string) *time.Time {
	t, ok := ParseDueDate(s)
	switch {
	case !ok:
		fe.add("due_date", "Due date must be RFC 3339 (2025-01-31T17:00:00Z), YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD")
		return nil
	case t.Before(minDueDate) || t.After(maxDueDate):
		fe.add("due_date", "Due date must lie between the years 0001 and 9999 in UTC")
		return nil
	}
	return &t
}

// parseID reads a task id from a path: a positive decimal integer that
// fits the database's SERIAL column.
func parseID(fe *fieldErrors, s string) int64 {
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil || id <= 0 || !digitsOnly(s) {
		fe.add("id", "Task id must be a positive integer")
		return 0
	}
	return id
}

// parseInt reads an optional non-negative integer query parameter.
func parseInt(fe *fieldErrors, field, s string, def, min, max int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max || !digitsOnly(s) {
		fe.add(field, field+" must be an integer between "+strconv.Itoa(min)+" and "+strconv.Itoa(max))
		return def
	}
	return n
}

// digitsOnly reports whether s is plain decimal digits: no sign, so that
// "+1" and "-0" are refused like any other odd spelling.
func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

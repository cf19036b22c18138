package store

import (
	"fmt"
	"time"
)

// timeLayout is how times are sent to both engines: UTC, no zone, six
// fractional digits. PostgreSQL parses it into a TIMESTAMP exactly. SQLite
// stores the text and compares it as text, so every instant needs exactly
// one spelling for ORDER BY due_date or created_at to follow time; the
// driver's own formatting of a time.Time (t.String()) would keep the
// caller's zone and, for time.Now() values, a monotonic clock suffix.
const timeLayout = "2006-01-02 15:04:05.000000"

// normTime is t as the database keeps it: UTC, microsecond precision
// (PostgreSQL's), no monotonic clock reading. Values the store returns and
// the times it writes back into the caller's structs pass through it, so a
// round trip compares equal with ==.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// timeArg is the query argument for t.
func timeArg(t time.Time) string {
	return normTime(t).Format(timeLayout)
}

// nullTimeArg is the query argument for an optional time: NULL for nil.
func nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeArg(*t)
}

// parseLayouts are the text forms a TIMESTAMP column may come back in from
// SQLite: ours, and SQLite's own CURRENT_TIMESTAMP and ISO 8601 forms for
// rows written by something else.
var parseLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
}

// dbTime scans a nullable TIMESTAMP column into a normalised time.
//
// lib/pq hands TIMESTAMP values over as time.Time in a zero-offset zone
// that is not time.UTC, so == would fail against a UTC time. modernc's
// SQLite driver turns text into time.Time only for a column declared
// TIMESTAMP, not for an expression, and passes on the text otherwise.
// Scanning through this type accepts every form and normalises it.
type dbTime struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = dbTime{}
		return nil
	case time.Time:
		*t = dbTime{Time: normTime(v), Valid: true}
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a time", src)
}

func (t *dbTime) parse(s string) error {
	for _, layout := range parseLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = dbTime{Time: normTime(v), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("store: unrecognised time %q", s)
}

// ptr returns the time, or nil for NULL.
func (t dbTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

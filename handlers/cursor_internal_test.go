package handlers

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"taskapi"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 2, 3, 4, 5, 6, 789000, time.UTC)
	tasks := []taskapi.Task{
		{ID: 1, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC), Priority: taskapi.PriorityLow},
		{ID: 42, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), DueDate: &due, Priority: taskapi.PriorityHigh},
		{ID: maxTaskID, CreatedAt: maxDueDate, DueDate: &minDueDate, Priority: taskapi.PriorityMedium},
	}
	filters := []taskapi.TaskFilter{
		{Sort: taskapi.SortCreatedAt},
		{Sort: taskapi.SortDueDate, Ascending: true, Status: taskapi.StatusCompleted},
		{Sort: taskapi.SortPriority, Priority: taskapi.PriorityLow, Status: taskapi.StatusInProgress},
		{Sort: taskapi.SortCreatedAt, Words: []string{"milk"}},
		{Sort: taskapi.SortCreatedAt, Words: []string{"milk", "eggs"}},
		{Sort: taskapi.SortCreatedAt, Words: []string{"milkeggs"}},
		{Sort: taskapi.SortDueDate, Ascending: true, Status: taskapi.StatusCompleted, Words: []string{"milk"}},
	}
	for i, f := range filters {
		for _, task := range tasks {
			s := cursorFor(f, task)
			c, ok := parseCursor(s)
			if !ok || !c.belongsTo(f) || !reflect.DeepEqual(c.after, task.Key()) {
				t.Errorf("cursor %q for %+v after %+v decodes to %+v (ok %v)", s, f, task.Key(), c, ok)
			}
			for j, other := range filters {
				if i != j && c.belongsTo(other) {
					t.Errorf("cursor for %+v also claims list %+v", f, other)
				}
			}
		}
	}
}

// TestCursorRejectsAlterations changes a valid cursor in every way a
// client might by mistake or on purpose: every single character replaced,
// cut short, extended, padded, re-encoded with the standard alphabet, or
// not base64 at all. None may decode.
func TestCursorRejectsAlterations(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	good := cursorFor(taskapi.TaskFilter{Sort: taskapi.SortDueDate}, taskapi.Task{ID: 77, CreatedAt: due, DueDate: &due, Priority: taskapi.PriorityHigh})
	if _, ok := parseCursor(good); !ok {
		t.Fatalf("valid cursor %q refused", good)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range good {
		for _, r := range alphabet {
			if byte(r) == good[i] {
				continue
			}
			bad := good[:i] + string(r) + good[i+1:]
			if _, ok := parseCursor(bad); ok {
				t.Errorf("cursor with character %d changed to %q accepted: %q", i, r, bad)
			}
		}
	}
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	for _, bad := range []string{
		"", good[:len(good)-1], good[:10], good + "A", good + "=", good + "==",
		base64.StdEncoding.EncodeToString(raw), "not a cursor", "%%%%", strings.Repeat("A", MaxCursorLen+1),
		base64.RawURLEncoding.EncodeToString(append(raw, 0)),
	} {
		if _, ok := parseCursor(bad); ok {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"taskapi"
)

// A list cursor is opaque to clients: base64url (no padding) of a
// version byte, the list it belongs to (sort, order, filters), the
// position of the last task of the page it follows (its id, created_at,
// due date and priority: every sort's key), for a search a digest of its
// words, and a checksum.
//
// The cursor grants nothing: the user always comes from the token, so a
// forged cursor can only name a position in the caller's own list. It is
// therefore validated rather than signed (a signature would need a secret
// shared by every task-service instance). Every field is range-checked,
// and the checksum, a truncated SHA-256, makes an altered or truncated
// cursor a 400 instead of a silently different page.
const (
	cursorVersion  = 1
	cursorSumBytes = 8
	// MaxCursorLen bounds the cursor parameter; a real one is under 60.
	MaxCursorLen = 200
)

// listCursor is a decoded cursor.
type listCursor struct {
	sort     taskapi.TaskSort
	asc      bool
	status   taskapi.Status
	priority taskapi.Priority
	after    taskapi.TaskKey
	search   [searchSumBytes]byte // digest of the words; zero without a search
}

// searchSumBytes is the length of the digest of a search's words that a
// cursor carries: enough that two searches a client makes never share it.
const searchSumBytes = 8

// The enumerations a cursor stores as small numbers; index 0 of the
// filters means "no filter".
var (
	cursorSorts      = []taskapi.TaskSort{taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority}
	cursorStatuses   = []taskapi.Status{"", taskapi.StatusPending, taskapi.StatusInProgress, taskapi.StatusCompleted}
	cursorPriorities = []taskapi.Priority{"", taskapi.PriorityLow, taskapi.PriorityMedium, taskapi.PriorityHigh}
)

const (
	flagAscending = 1 << iota
	flagDueDate
	flagSearch
	flagAll = flagAscending | flagDueDate | flagSearch
)

// cursorFor returns the cursor that continues list f after task t.
func cursorFor(f taskapi.TaskFilter, t taskapi.Task) string {
	var flags byte
	if f.Ascending {
		flags |= flagAscending
	}
	if t.DueDate != nil {
		flags |= flagDueDate
	}
	if len(f.Words) > 0 {
		flags |= flagSearch
	}
	b := []byte{cursorVersion, byte(indexOf(cursorSorts, f.Sort)), flags,
		byte(indexOf(cursorStatuses, f.Status)), byte(indexOf(cursorPriorities, f.Priority)),
		byte(indexOf(cursorPriorities, t.Priority))}
	b = binary.AppendUvarint(b, uint64(t.ID))
	b = binary.AppendVarint(b, t.CreatedAt.UnixMicro())
	if t.DueDate != nil {
		b = binary.AppendVarint(b, t.DueDate.UnixMicro())
	}
	if len(f.Words) > 0 {
		digest := searchSum(f.Words)
		b = append(b, digest[:]...)
	}
	sum := cursorSum(b)
	return base64.RawURLEncoding.EncodeToString(append(b, sum[:]...))
}

// parseCursor decodes a cursor; ok is false for anything cursorFor could
// not have written.
func parseCursor(s string) (c listCursor, ok bool) {
	if len(s) > MaxCursorLen {
		return c, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) < 6+cursorSumBytes {
		return c, false
	}
	b, sum := raw[:len(raw)-cursorSumBytes], raw[len(raw)-cursorSumBytes:]
	if want := cursorSum(b); !bytes.Equal(sum, want[:]) {
		return c, false
	}
	if b[0] != cursorVersion || int(b[1]) >= len(cursorSorts) || b[2]&^flagAll != 0 ||
		int(b[3]) >= len(cursorStatuses) || int(b[4]) >= len(cursorPriorities) ||
		b[5] == 0 || int(b[5]) >= len(cursorPriorities) {
		return c, false
	}
	c = listCursor{sort: cursorSorts[b[1]], asc: b[2]&flagAscending != 0,
		status: cursorStatuses[b[3]], priority: cursorPriorities[b[4]]}
	c.after.Priority = cursorPriorities[b[5]]
	rest := b[6:]
	id, n := binary.Uvarint(rest)
	if n <= 0 || id == 0 || id > maxTaskID {
		return c, false
	}
	c.after.ID, rest = int64(id), rest[n:]
	created, n := binary.Varint(rest)
	if n <= 0 || !cursorTimeOK(created) {
		return c, false
	}
	c.after.CreatedAt, rest = time.UnixMicro(created).UTC(), rest[n:]
	if b[2]&flagDueDate != 0 {
		due, n := binary.Varint(rest)
		if n <= 0 || !cursorTimeOK(due) {
			return c, false
		}
		d := time.UnixMicro(due).UTC()
		c.after.DueDate, rest = &d, rest[n:]
	}
	if b[2]&flagSearch != 0 {
		if len(rest) < searchSumBytes {
			return c, false
		}
		c.search, rest = [searchSumBytes]byte(rest), rest[searchSumBytes:]
	}
	return c, len(rest) == 0
}

// belongsTo reports whether c was made for list f: another sort, order,
// filter or search would make its position meaningless.
func (c listCursor) belongsTo(f taskapi.TaskFilter) bool {
	var search [searchSumBytes]byte
	if len(f.Words) > 0 {
		search = searchSum(f.Words)
	}
	return c.sort == f.Sort && c.asc == f.Ascending && c.status == f.Status && c.priority == f.Priority &&
		c.search == search
}

// searchSum is the digest of a search's words that binds a cursor to it:
// "Milk," and "milk" are one search, "milk eggs" another.
func searchSum(words []string) [searchSumBytes]byte {
	h := sha256.New()
	h.Write([]byte("taskapi list search\x00"))
	for _, w := range words {
		h.Write(append([]byte(w), 0))
	}
	return [searchSumBytes]byte(h.Sum(nil))
}

// maxTaskID is the largest id the tasks table's SERIAL column holds.
const maxTaskID = 1<<31 - 1

// cursorTimeOK accepts the instants a task may hold (years 1 to 9999).
func cursorTimeOK(micros int64) bool {
	return micros >= minDueDate.UnixMicro() && micros <= maxDueDate.UnixMicro()
}

func cursorSum(b []byte) [cursorSumBytes]byte {
	h := sha256.Sum256(append([]byte("taskapi list cursor\x00"), b...))
	return [cursorSumBytes]byte(h[:cursorSumBytes])
}

func indexOf[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return 0
}

package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
	"taskapi/internal/syncbuf"
)

// manualTimers is the error log's clock in tests: nothing fires until the
// test says so, so intervals end by count, not by sleeping.
type manualTimers struct {
	mu      sync.Mutex
	pending []func()
}

func (m *manualTimers) afterFunc(_ time.Duration, f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, f)
}

// endInterval runs every timer due, as if one interval had passed.
func (m *manualTimers) endInterval() {
	m.mu.Lock()
	due := m.pending
	m.pending = nil
	m.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// logLines is a JSON log, read back line by line.
type logLines struct{ syncbuf.Buffer }

// take returns the lines written since the last take.
func (l *logLines) take(t *testing.T) (access int, errs []map[string]any) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(l.Take()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case rec["msg"] == "request":
			access++
		case rec["level"] == "ERROR":
			errs = append(errs, rec)
		}
	}
	return access, errs
}

// TestRepeatedFailuresAreCollapsed: during an outage every request fails
// the same way. Each keeps its access-log line, but the ERROR log has the
// first failure at once and then one summary line per interval with the
// count; a failure of another kind is logged at once; after a quiet
// interval the next failure is logged at once again.
func TestRepeatedFailuresAreCollapsed(t *testing.T) {
	logs := &logLines{}
	timers := &manualTimers{}
	var port atomic.Int64
	port.Store(40000)
	authDown := true
	api := NewServer(Options{
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Tasks:  handlers.NewTasks(nil, time.Now),
		Tokens: validatorFunc(func(context.Context, string) (taskapi.Principal, error) {
			if !authDown {
				panic("a bug") // another kind of failure: 500
			}
			// The same failure, from a new local port each time.
			cause := fmt.Errorf("dial tcp 10.0.1.5:3000->10.0.0.7:%d: connect: connection refused", port.Add(1))
			return taskapi.Principal{}, taskapi.Wrap(cause, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
		}),
		errorLogTimer: timers.afterFunc,
	})
	fail := func(n int) (ids []string) {
		t.Helper()
		for range n {
			req := httptest.NewRequest("GET", "/tasks", nil)
			req.Header.Set("Authorization", "Bearer x")
			w := httptest.NewRecorder()
			api.ServeHTTP(w, req)
			if w.Code != 503 && w.Code != 500 {
				t.Fatalf("status %d, want a server-side failure", w.Code)
			}
			ids = append(ids, w.Header().Get(RequestIDHeader))
		}
		return ids
	}
	expect := func(what string, wantAccess int, want ...map[string]any) {
		t.Helper()
		access, errs := logs.take(t)
		if access != wantAccess {
			t.Errorf("%s: %d access-log lines, want %d (one per request)", what, access, wantAccess)
		}
		if len(errs) != len(want) {
			t.Fatalf("%s: %d ERROR lines, want %d: %v", what, len(errs), len(want), errs)
		}
		for i, w := range want {
			for k, v := range w {
				if fmt.Sprint(errs[i][k]) != fmt.Sprint(v) {
					t.Errorf("%s: ERROR line %d has %s = %v, want %v (%v)", what, i, k, errs[i][k], v, errs[i])
				}
			}
		}
	}

	ids := fail(100)
	expect("100 identical failures", 100,
		map[string]any{"msg": "request failed", "request_id": ids[0], "status": 503})
	timers.endInterval()
	expect("the end of the interval", 0,
		map[string]any{"msg": "request failed repeatedly", "repeated": 99, "last_request_id": ids[99], "status": 503})

	ids = fail(5)
	expect("5 more in the next interval", 5)
	timers.endInterval()
	expect("the end of the next interval", 0,
		map[string]any{"msg": "request failed repeatedly", "repeated": 5, "last_request_id": ids[4]})

	authDown = false
	ids = fail(3)
	expect("a failure of another kind", 3,
		map[string]any{"msg": "request failed", "request_id": ids[0], "status": 500})

	timers.endInterval() // 503s: none in this interval, forgotten; 500s: 2 repeats
	expect("an interval with repeats of one kind only", 0,
		map[string]any{"msg": "request failed repeatedly", "repeated": 2, "status": 500})
	authDown = true
	ids = fail(1)
	expect("a failure after a quiet interval", 1,
		map[string]any{"msg": "request failed", "request_id": ids[0], "status": 503})
}

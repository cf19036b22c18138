package metrics_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"taskapi/metrics"
)

// TestSummaryIsOneShortLinePerBusyService: through Summary a flush writes
// one short log line per service that saw requests (count, 5xx, average
// and maximum time) and nothing for idle services, routes or the pool.
func TestSummaryIsOneShortLinePerBusyService(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	r := metrics.New(metrics.Summary(logger), "TaskManagement", "auth-service", "task-service")
	r.Observe("task-service", "GET /tasks", 200, 10*time.Millisecond)
	r.Observe("task-service", "POST /tasks", 503, 30*time.Millisecond)
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want one for the busy service:\n%s", len(lines), out.String())
	}
	want := "msg=metrics service=task-service requests=2 errors_5xx=1 avg_ms=20 max_ms=30"
	if !strings.Contains(lines[0], want) {
		t.Errorf("summary = %s\nwant it to contain %s", lines[0], want)
	}
	if len(lines[0]) > 200 {
		t.Errorf("a %d-character summary line", len(lines[0]))
	}
}

// TestSummaryReportsUnreadableRecords: a record it cannot read is a
// warning in the log, not lost silently.
func TestSummaryReportsUnreadableRecords(t *testing.T) {
	var out bytes.Buffer
	w := metrics.Summary(slog.New(slog.NewTextHandler(&out, nil)))
	if n, err := w.Write([]byte("not json\n")); err != nil || n != 9 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if !strings.Contains(out.String(), "unreadable metrics record") {
		t.Errorf("log = %q, want a warning", out.String())
	}
}

package metrics_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"taskapi/internal/emfcheck"
	"taskapi/internal/syncbuf"
	"taskapi/metrics"
)

// lines splits the recorder's output into EMF records, each validated.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" {
			recs = append(recs, emfcheck.Check(t, l))
		}
	}
	return recs
}

func find(recs []map[string]any, service, route string) map[string]any {
	for _, r := range recs {
		if r["Service"] == service && (r["Route"] == route || (route == "" && r["Route"] == nil)) && r["RequestCount"] != nil {
			return r
		}
	}
	return nil
}

func num(v any) float64 {
	f, _ := v.(json.Number).Float64()
	return f
}

func TestFlushAggregatesPerServiceAndRoute(t *testing.T) {
	var out bytes.Buffer
	r := metrics.New(&out, "TaskManagement", "auth-service", "task-service")
	for i := 0; i < 8; i++ {
		r.Observe("task-service", "GET /tasks", 200, time.Duration(i+1)*time.Millisecond)
	}
	r.Observe("task-service", "POST /tasks", 503, 40*time.Millisecond)
	r.Observe("task-service", "POST /tasks", 400, 2*time.Millisecond)
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	recs := lines(t, out.String())

	total := find(recs, "task-service", "")
	if total == nil || num(total["RequestCount"]) != 10 || num(total["ErrorCount"]) != 1 || num(total["ErrorRate"]) != 10 {
		t.Fatalf("service record = %v", total)
	}
	post := find(recs, "task-service", "POST /tasks")
	if num(post["RequestCount"]) != 2 || num(post["ErrorCount"]) != 1 || num(post["ErrorRate"]) != 50 {
		t.Fatalf("route record = %v", post)
	}
	// The idle service still reports, with zeros and no response time.
	idle := find(recs, "auth-service", "")
	if idle == nil || num(idle["RequestCount"]) != 0 || idle["ResponseTime"] != nil {
		t.Fatalf("idle service record = %v", idle)
	}
	// The distribution keeps every observation and exact statistics.
	rt := total["ResponseTime"].(map[string]any)
	var n float64
	for _, c := range rt["Counts"].([]any) {
		n += num(c)
	}
	if n != 10 || num(rt["Count"]) != 10 || num(rt["Max"]) != 40 || num(rt["Min"]) != 1 || num(rt["Sum"]) != 78 {
		t.Fatalf("ResponseTime = %v", rt)
	}

	// A new interval starts empty.
	out.Reset()
	r.Flush()
	if again := find(lines(t, out.String()), "task-service", ""); num(again["RequestCount"]) != 0 {
		t.Fatalf("counts carried over: %v", again)
	}
}

func TestHistogramStaysWithin100Values(t *testing.T) {
	var out bytes.Buffer
	r := metrics.New(&out, "NS")
	for d := time.Microsecond; d < 2*time.Minute; d = d * 11 / 10 {
		r.Observe("s", "GET /x", 200, d)
	}
	r.Flush()
	for _, rec := range lines(t, out.String()) { // checkEMF enforces the limit
		if rec["ResponseTime"] == nil {
			t.Fatal("no distribution")
		}
	}
}

func TestPoolFiguresAreGaugesAndDeltas(t *testing.T) {
	var out bytes.Buffer
	stats := sql.DBStats{OpenConnections: 3, InUse: 2, Idle: 1, WaitCount: 10, WaitDuration: 5 * time.Millisecond}
	r := metrics.New(&out, "NS")
	r.WatchPool("task-service", func() sql.DBStats { return stats })
	stats.WaitCount, stats.WaitDuration = 14, 25*time.Millisecond
	r.Flush()
	var pool map[string]any
	for _, rec := range lines(t, out.String()) {
		if rec["DBOpenConnections"] != nil {
			pool = rec
		}
	}
	if pool == nil || num(pool["DBOpenConnections"]) != 3 || num(pool["DBInUseConnections"]) != 2 ||
		num(pool["DBWaitCount"]) != 4 || num(pool["DBWaitDuration"]) != 20 || pool["Service"] != "task-service" {
		t.Fatalf("pool record = %v", pool)
	}
}

func TestRunFlushesOnIntervalAndAtShutdown(t *testing.T) {
	var out syncbuf.Buffer
	r := metrics.New(&out, "NS", "s")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, 20*time.Millisecond) }()
	// Two interval flushes, however long a busy machine takes for them.
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out.String(), "\n") < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("fewer than two interval flushes in 10s")
		}
	}
	r.Observe("s", "GET /x", 200, time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs := lines(t, out.String())
	if len(recs) < 3 {
		t.Fatalf("want interval flushes plus a final one, got %d records", len(recs))
	}
	var served float64
	for _, rec := range recs {
		if rec["Route"] == nil {
			served += num(rec["RequestCount"])
		}
	}
	if served != 1 {
		t.Fatalf("the request observed before shutdown was reported %v times", served)
	}
}

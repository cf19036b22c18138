package app

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"taskapi/internal/emfcheck"
	"taskapi/internal/faultproxy"
	"taskapi/internal/testdb"
)

// logLines splits a server's output into access-log entries, other log
// entries and EMF records (each validated against the EMF structure).
func logLines(t *testing.T, out string) (access, other, emf []map[string]any) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if emfcheck.IsEMF(line) {
			emf = append(emf, emfcheck.Check(t, line))
			continue
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if entry["msg"] == "request" {
			access = append(access, entry)
		} else {
			other = append(other, entry)
		}
	}
	return access, other, emf
}

// TestLogsAndMetricsAccountForEveryRequest sends a known mix of requests,
// a database outage among them, and checks the log stream: one access line
// per request with the documented fields, and EMF records whose counts add
// up to what was sent, 5xx answers counted as errors.
func TestLogsAndMetricsAccountForEveryRequest(t *testing.T) {
	dsn, err := url.Parse(testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, dsn.Host)
	dsn.Host = proxy.Addr
	const secret = "observability-secret-must-never-be-logged-0123"
	s := startServer(t, map[string]string{
		"DATABASE_URL": dsn.String(), "JWT_SECRET": secret,
		"METRICS_INTERVAL": "1h", // only the flush at shutdown: one record set to add up
		"LOG_LEVEL":        "info",
	})
	token, userID := s.register(t, "alice") // 2 requests: register, login
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "t"}, "X-Amzn-Trace-Id", "Root=1-abc-def").expect(t, 201, "")
	s.call(t, "GET", "/tasks/1", token, nil, "X-Request-ID", "client-chosen-id").expect(t, 200, "")
	s.call(t, "GET", "/tasks/999", token, nil).expect(t, 404, "")
	s.call(t, "GET", "/nowhere", "", nil).expect(t, 404, "")
	proxy.Down()
	s.call(t, "GET", "/tasks", token, nil).expect(t, 503, "Database connection failed")
	s.call(t, "GET", "/tasks", token, nil).expect(t, 503, "Database connection failed")
	proxy.Up(t)
	const sent = 8
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	out := s.Logs.String()

	for _, leak := range []string{secret, "correct horse battery", token} {
		if strings.Contains(out, leak) {
			t.Errorf("the log holds a secret: %.20s…", leak)
		}
	}

	access, other, emf := logLines(t, out)
	if len(access) != sent {
		t.Fatalf("%d access lines for %d requests", len(access), sent)
	}
	for _, a := range access {
		for _, field := range []string{"service", "method", "route", "status", "duration_ms", "bytes", "request_id"} {
			if a[field] == nil || a[field] == "" {
				t.Errorf("access line lacks %s: %v", field, a)
			}
		}
	}
	get := access[3]
	if get["route"] != "/tasks/{id}" || get["request_id"] != "client-chosen-id" || get["user_id"] != userID || get["service"] != "task-service" {
		t.Errorf("GET /tasks/1 logged as %v", get)
	}
	if access[2]["trace_id"] != "Root=1-abc-def" {
		t.Errorf("the ALB trace id was not logged: %v", access[2])
	}
	if access[5]["route"] != "unmatched" {
		t.Errorf("an unknown path must log as unmatched, not its raw path: %v", access[5])
	}
	var started, stopped bool
	for _, o := range other {
		started = started || (o["msg"] == "server started" && o["version"] != nil && o["database"] == "postgres")
		stopped = stopped || o["msg"] == "server stopped"
	}
	if !started || !stopped {
		t.Errorf("start-up and shutdown lines missing: %v", other)
	}

	// Service totals add up to the requests sent; the two 503s are errors.
	var requests, errors float64
	routes := map[string]float64{}
	for _, rec := range emf {
		if rec["RequestCount"] == nil {
			continue // the database pool's record
		}
		n, _ := rec["RequestCount"].(json.Number).Float64()
		if route, ok := rec["Route"].(string); ok {
			routes[rec["Service"].(string)+" "+route] += n
			continue
		}
		e, _ := rec["ErrorCount"].(json.Number).Float64()
		requests += n
		errors += e
	}
	if requests != sent || errors != 2 {
		t.Errorf("EMF totals: %v requests, %v errors; want %d and 2", requests, errors, sent)
	}
	if routes["task-service GET /tasks"] != 2 || routes["auth-service POST /auth/login"] != 1 || routes["taskapi unmatched"] != 1 {
		t.Errorf("per-route counts = %v", routes)
	}
}

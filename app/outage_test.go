package app

import (
	"net/url"
	"testing"
	"time"

	"taskapi/internal/faultproxy"
	"taskapi/internal/testdb"
)

// TestDatabaseOutage cuts the connection to PostgreSQL under a running
// server: requests that need the database get 503 "Database connection
// failed" within their deadline, the liveness check stays 200 (so ECS does
// not replace the task), and the service recovers by itself.
func TestDatabaseOutage(t *testing.T) {
	dsn, err := url.Parse(testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, dsn.Host)
	dsn.Host = proxy.Addr
	s := startServer(t, map[string]string{"DATABASE_URL": dsn.String(), "JWT_SECRET": testSecret, "REQUEST_TIMEOUT": "3s"})
	token, _ := s.register(t, "alice")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")

	proxy.Down()
	start := time.Now()
	s.call(t, "GET", "/tasks", token, nil).expect(t, 503, "Database connection failed")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "during"}).expect(t, 503, "Database connection failed")
	if elapsed := time.Since(start); elapsed > 8*time.Second {
		t.Errorf("503s took %s, want them within the request deadline", elapsed)
	}
	s.call(t, "GET", "/health", "", nil).expect(t, 200, "")
	s.call(t, "GET", "/tasks/health?deep=1", "", nil).expect(t, 503, "Database connection failed")

	proxy.Up(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.call(t, "GET", "/tasks", token, nil)
		if r.Status == 200 {
			if r.Body["total"] != 1.0 {
				t.Fatalf("after recovery: %s, want exactly the task created before the outage", r.Raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 10s: %d %s", r.Status, r.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "after"}).expect(t, 201, "")
}

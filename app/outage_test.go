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

// TestDatabaseBlackHoled makes PostgreSQL accept TCP and never answer, on
// the open connections and on new ones, as a black-holed route or an RDS
// failover does, while clients keep sending requests: every request gets
// 503 "Database connection failed" within its deadline (no connect hangs
// past it), liveness stays 200, and once the database answers new
// connections again the service is back by itself within seconds,
// although the connections that fell into the hole never hear back.
func TestDatabaseBlackHoled(t *testing.T) {
	const deadline = time.Second
	f := startBehindProxy(t, map[string]string{"REQUEST_TIMEOUT": deadline.String(), "DB_MAX_OPEN_CONNS": "2"})
	token, _ := f.register(t, "alice")
	f.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")
	baseline := goroutines()

	f.proxy.BlackHole()
	// Three waves, each sent while the one before is still waiting, so
	// requests queue for the pool behind connects that are stuck.
	var pending []<-chan timedResponse
	for range 3 {
		for range 4 {
			pending = append(pending, f.async("GET", "/tasks", token, nil))
		}
		f.call(t, "GET", "/health", "", nil).expect(t, 200, "")
	}
	for _, c := range pending {
		await503(t, c, 3*deadline)
	}
	f.proxy.Heal()

	// Polled with a generous bound: with every connect bounded, the pool
	// is free again about one REQUEST_TIMEOUT after the database answers.
	healed := time.Now()
	for tries := 1; ; tries++ {
		r := f.call(t, "GET", "/tasks", token, nil)
		if r.Status == 200 {
			if r.Body["total"] != 1.0 {
				t.Errorf("after recovery: %s, want the one task", r.Raw)
			}
			t.Logf("200 again %s after the database answered (%d tries)", time.Since(healed).Round(time.Millisecond), tries)
			break
		}
		if time.Since(healed) > 20*time.Second {
			t.Fatalf("still %d %s 20s after the database answered again", r.Status, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.call(t, "POST", "/tasks", token, map[string]any{"title": "after"}).expect(t, 201, "")
	expectNoLeak(t, baseline)
}

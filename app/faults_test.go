package app

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"taskapi/internal/faultproxy"
	"taskapi/internal/testdb"
)

// Fault injection: the database connection cut mid-query, the
// database stalled or its pool exhausted, concurrent updates of one task,
// and an instance stopped and restarted under load behind a load balancer.
// Every load loop is bounded in count and time, and only loopback
// addresses are used.

// pgFault is a server whose only way to PostgreSQL is a fault proxy, and an
// admin connection that bypasses the proxy to set the scene (locks) and
// check the outcome (rows, backends).
type pgFault struct {
	*testServer
	proxy *faultproxy.Proxy
	admin *sql.DB
}

func startBehindProxy(t *testing.T, env map[string]string) *pgFault {
	t.Helper()
	direct := testdb.Postgres(t)
	dsn, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, dsn.Host)
	dsn.Host = proxy.Addr
	full := map[string]string{"DATABASE_URL": dsn.String(), "JWT_SECRET": testSecret}
	for k, v := range env {
		full[k] = v
	}
	s := startServer(t, full)
	admin, err := sql.Open("postgres", direct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return &pgFault{testServer: s, proxy: proxy, admin: admin}
}

// hold runs stmt in a transaction of its own and keeps the transaction,
// and the locks it took, until release (at the latest when the test ends).
// It returns the backend pid holding the locks.
func (f *pgFault) hold(t *testing.T, stmt string, args ...any) (pid int, release func()) {
	t.Helper()
	tx, err := f.admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow("SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	var once sync.Once
	release = func() { once.Do(func() { _ = tx.Rollback() }) }
	t.Cleanup(release)
	return pid, release
}

// waitBlocked waits until n backends wait for a lock that holder has, and
// returns their pids: the server's query has reached the database and is
// in the middle of executing.
func (f *pgFault) waitBlocked(t *testing.T, holder, n int) []int64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // a bound for a busy machine
	for {
		var pids []int64
		err := f.admin.QueryRow("SELECT COALESCE(array_agg(pid), '{}') FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", holder).
			Scan(pq.Array(&pids))
		if err != nil {
			t.Fatal(err)
		}
		if len(pids) >= n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends blocked by %d after 20s, want %d", len(pids), holder, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitGone waits until none of pids is a live backend any more.
func (f *pgFault) waitGone(t *testing.T, pids []int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // a bound for a busy machine
	for {
		var n int
		if err := f.admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", pq.Array(pids)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backends %v still alive after 20s", pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *pgFault) countTasks(t *testing.T, title string) int {
	t.Helper()
	var n int
	if err := f.admin.QueryRow("SELECT count(*) FROM tasks WHERE title = $1", title).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// send is call for other goroutines than the test's: it reports transport
// failures as errors instead of failing the test.
func (s *testServer) send(client *http.Client, method, path, token string, body any) (response, error) {
	r, err := s.api().WithClient(client).Send(method, path, token, body)
	return response(r), err
}

// async sends a request in the background; the answer arrives on the
// channel together with how long it took.
func (s *testServer) async(method, path, token string, body any) <-chan timedResponse {
	c := make(chan timedResponse, 1)
	start := time.Now()
	go func() {
		r, err := s.send(http.DefaultClient, method, path, token, body)
		c <- timedResponse{r, err, time.Since(start)}
	}()
	return c
}

type timedResponse struct {
	response
	err  error
	took time.Duration
}

// await returns the answer of an async request, failing t if there is
// none within limit or it is not a 503 "Database connection failed".
func await503(t *testing.T, c <-chan timedResponse, limit time.Duration) {
	t.Helper()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatal(r.err)
		}
		r.expect(t, 503, "Database connection failed")
		if r.took > limit {
			t.Errorf("the 503 took %s, want it within %s", r.took, limit)
		}
	case <-time.After(limit + 5*time.Second):
		t.Fatalf("no answer within %s: the request hangs past its deadline", limit+5*time.Second)
	}
}

// goroutines counts this process's goroutines once idle keep-alive
// connections are closed, so that only lasting ones are counted.
func goroutines() int {
	http.DefaultClient.CloseIdleConnections()
	return runtime.NumGoroutine()
}

// expectNoLeak waits for the goroutine count to come back to baseline
// (plus a little slack for runtime and pool housekeeping), and fails t
// with every goroutine's stack if it does not within 10s.
func expectNoLeak(t *testing.T, baseline int) {
	t.Helper()
	const slack = 5
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := goroutines()
		if n <= baseline+slack {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines 10s after recovery, %d before the fault: a leak\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awaitRecovery polls GET /tasks until it answers 200, and returns that
// answer; the service must resume by itself within 10s.
func awaitRecovery(t *testing.T, s *testServer, token string) response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.call(t, "GET", "/tasks", token, nil)
		if r.Status == 200 {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 10s: %d %s", r.Status, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDatabaseConnectionCutMidQuery cuts the server's database connections
// while a statement is executing on the server (it waits for a lock the
// test holds), once with the database still there and once gone for good.
// Each time the request gets 503 "Database connection failed" at once,
// the statement whose answer was lost is not stored (not even twice, by a
// driver retry behind the request's back), and the service recovers by
// itself.
func TestDatabaseConnectionCutMidQuery(t *testing.T) {
	const deadline = 2 * time.Second
	f := startBehindProxy(t, map[string]string{"REQUEST_TIMEOUT": deadline.String()})
	token, userID := f.register(t, "alice")
	f.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")
	baseline := goroutines()

	// A create waits in its foreign-key check on alice's row, which the
	// test has locked, when every connection is cut. lib/pq reports such a
	// cut as a broken connection, on which database/sql would send the
	// INSERT again on a new connection, while the first one is still
	// pending on the server and commits once the lock goes.
	holder, release := f.hold(t, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", userID)
	created := f.async("POST", "/tasks", token, map[string]any{"title": "cut"})
	orphans := f.waitBlocked(t, holder, 1)
	f.proxy.Cut()
	await503(t, created, deadline)
	release()
	f.waitGone(t, orphans)
	if n := f.countTasks(t, "cut"); n != 0 {
		t.Errorf("%d tasks stored by a create that answered 503, want 0", n)
	}

	// A read waits for a table lock when the database goes away for good.
	holder, release = f.hold(t, "LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
	listed := f.async("GET", "/tasks", token, nil)
	f.waitBlocked(t, holder, 1)
	f.proxy.Down()
	await503(t, listed, deadline)
	f.call(t, "GET", "/health", "", nil).expect(t, 200, "")
	release()
	f.proxy.Up(t)

	if r := awaitRecovery(t, f.testServer, token); r.Body["total"] != 1.0 {
		t.Errorf("after recovery: %s, want only the task created before the faults", r.Raw)
	}
	f.call(t, "POST", "/tasks", token, map[string]any{"title": "after"}).expect(t, 201, "")
	expectNoLeak(t, baseline)
}

// TestDatabasePoolExhausted gives the server one connection and makes the
// statement on it wait for a lock: that request and every one queued for
// the pool behind it get 503 within their deadline, liveness stays 200,
// and once the lock goes the service resumes with no goroutine left over.
func TestDatabasePoolExhausted(t *testing.T) {
	const deadline = time.Second
	f := startBehindProxy(t, map[string]string{"REQUEST_TIMEOUT": deadline.String(), "DB_MAX_OPEN_CONNS": "1"})
	token, _ := f.register(t, "alice")
	f.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")
	baseline := goroutines()

	holder, release := f.hold(t, "LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
	first := f.async("GET", "/tasks", token, nil)
	f.waitBlocked(t, holder, 1) // the pool's only connection is now stuck
	queued := make([]<-chan timedResponse, 6)
	for i := range queued {
		queued[i] = f.async("GET", "/tasks", token, nil)
	}
	f.call(t, "GET", "/health", "", nil).expect(t, 200, "")
	await503(t, first, 3*deadline)
	for _, c := range queued {
		await503(t, c, 3*deadline)
	}
	release()

	if r := awaitRecovery(t, f.testServer, token); r.Body["total"] != 1.0 {
		t.Errorf("after recovery: %s, want the one task", r.Raw)
	}
	expectNoLeak(t, baseline)
}

// TestDatabaseStalled keeps the server's database connections open but
// lets no byte through, as a hung server or a black-holed network does:
// requests must still get 503 within their deadline.
func TestDatabaseStalled(t *testing.T) {
	const deadline = time.Second
	f := startBehindProxy(t, map[string]string{"REQUEST_TIMEOUT": deadline.String(), "DB_MAX_OPEN_CONNS": "1"})
	token, _ := f.register(t, "alice")
	f.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")
	baseline := goroutines()

	f.proxy.Stall()
	pending := make([]<-chan timedResponse, 4)
	for i := range pending {
		pending[i] = f.async("GET", "/tasks", token, nil)
	}
	f.call(t, "GET", "/health", "", nil).expect(t, 200, "")
	for _, c := range pending {
		await503(t, c, 3*deadline)
	}
	f.proxy.Resume()

	if r := awaitRecovery(t, f.testServer, token); r.Body["total"] != 1.0 {
		t.Errorf("after recovery: %s, want the one task", r.Raw)
	}
	expectNoLeak(t, baseline)
}

// TestConcurrentUpdatesOfOneTask has many clients change different fields
// of one task at once: every answer shows its own change, every field
// ends with a value some client wrote to it (none is lost to a concurrent
// update of another field), and updated_at ends no earlier than any
// answer's updated_at.
func TestConcurrentUpdatesOfOneTask(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		env := map[string]string{"JWT_SECRET": testSecret, "LOG_LEVEL": "warn"}
		for k, v := range dbEnv {
			env[k] = v
		}
		s := startServer(t, env)
		token, _ := s.register(t, "alice")
		created := s.call(t, "POST", "/tasks", token, map[string]any{
			"title": "original", "description": "original", "status": "pending", "priority": "medium",
		}).expect(t, 201, "")
		path := fmt.Sprintf("/tasks/%.0f", created.Body["task"].(map[string]any)["id"].(float64))

		const perField = 4
		type put struct{ field, value string }
		var puts []put
		for i := range perField {
			puts = append(puts,
				put{"title", fmt.Sprintf("title %d", i)},
				put{"description", fmt.Sprintf("description %d", i)},
				put{"status", []string{"in_progress", "completed"}[i%2]},
				put{"priority", []string{"low", "high"}[i%2]},
				put{"due_date", fmt.Sprintf("2030-01-%02dT00:00:00Z", i+1)},
			)
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(puts)}}
		defer client.CloseIdleConnections()
		start := make(chan struct{})
		answers := make([]response, len(puts))
		errs := make([]error, len(puts))
		var wg sync.WaitGroup
		for i, p := range puts {
			wg.Go(func() {
				<-start
				answers[i], errs[i] = s.send(client, "PUT", path, token, map[string]string{p.field: p.value})
			})
		}
		close(start)
		wg.Wait()

		var latest time.Time
		for i, p := range puts {
			if errs[i] != nil {
				t.Fatalf("PUT %s: %v", p.field, errs[i])
			}
			r := answers[i].expect(t, 200, "")
			task := r.Body["task"].(map[string]any)
			if task[p.field] != p.value {
				t.Errorf("PUT %s=%q answered %s = %v", p.field, p.value, p.field, task[p.field])
			}
			if at := parseAnswerTime(t, task["updated_at"]); at.After(latest) {
				latest = at
			}
		}
		final := s.call(t, "GET", path, token, nil).expect(t, 200, "").Body["task"].(map[string]any)
		for _, field := range []string{"title", "description", "status", "priority", "due_date"} {
			var written []string
			for _, p := range puts {
				if p.field == field {
					written = append(written, p.value)
				}
			}
			if v, _ := final[field].(string); !slices.Contains(written, v) {
				t.Errorf("%s = %v at the end, want one of the values written to it %q (an update was lost)", field, final[field], written)
			}
		}
		if at := parseAnswerTime(t, final["updated_at"]); at.Before(latest) {
			t.Errorf("updated_at = %s at the end, earlier than an answer's %s: it went back", at, latest)
		}
	})
}

func parseAnswerTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return at
}

// roundRobin is a load balancer's view of two targets: each request goes
// to the next target, and one that refuses the connection (its instance
// stopped listening, as a deregistered ALB target does) is skipped for
// the other. Only requests without a body are sent twice.
type roundRobin struct {
	targets   []string
	next      atomic.Uint64
	transport *http.Transport
	served    []atomic.Int64
	refused   atomic.Int64
}

func newRoundRobin(targets ...string) *roundRobin {
	return &roundRobin{
		targets:   targets,
		transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 5 * time.Second},
		served:    make([]atomic.Int64, len(targets)),
	}
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	first := rr.next.Add(1)
	var err error
	for i := range uint64(len(rr.targets)) {
		k := (first + i) % uint64(len(rr.targets))
		out := req.Clone(req.Context())
		out.URL.Host = rr.targets[k]
		var resp *http.Response
		resp, err = rr.transport.RoundTrip(out)
		if err == nil {
			rr.served[k].Add(1)
			return resp, nil
		}
		if req.Body != nil && req.Body != http.NoBody {
			return nil, err
		}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			rr.refused.Add(1)
		case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF):
			// A keep-alive connection the stopping server closed as idle
			// just as a request went out on it (the race every HTTP/1.1
			// client meets at a graceful shutdown). A bodiless GET is safe
			// to send again, so it goes to the next target, as a load
			// balancer or the client's own transport would send it.
		default:
			return nil, err
		}
	}
	return nil, err
}

// TestRollingRestartUnderLoad runs two instances on one database behind a
// round-robin load balancer and, while four clients keep sending requests,
// stops one instance the way SIGTERM does and starts it again: no request
// fails, the stopped instance's Serve returns nil well inside ECS's 30s
// stop timeout, and the restarted instance takes traffic again.
//
// The load is driven by counts, not a time window, so a busy machine only
// makes the test slower: it lasts until the restarted instance has served
// afterRestart requests, bounded by loadLimit and a count per client.
func TestRollingRestartUnderLoad(t *testing.T) {
	env := map[string]string{
		"SQLITE_PATH": t.TempDir() + "/taskapi.db", "JWT_SECRET": testSecret,
		"HOST": "127.0.0.1", "LOG_LEVEL": "error",
	}
	a := startServer(t, env)
	b := startServer(t, env)
	token, _ := a.register(t, "alice")
	a.call(t, "POST", "/tasks", token, map[string]any{"title": "t"}).expect(t, 201, "")

	hostA, hostB := strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")
	rr := newRoundRobin(hostA, hostB)
	defer rr.transport.CloseIdleConnections()
	lb := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(&url.URL{Scheme: "http", Host: hostA}) },
		Transport: rr,
	})
	defer lb.Close()
	front := &testServer{URL: lb.URL}

	const (
		workers      = 4
		perWorker    = 50000 // a bound only: the load ends long before
		afterRestart = 50    // requests the restarted instance must serve
		loadLimit    = 90 * time.Second
	)
	loadEnd := time.Now().Add(loadLimit)
	var sent, failed atomic.Int64
	var finished atomic.Bool
	var failMu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
			defer client.CloseIdleConnections()
			for i := 0; i < perWorker && !finished.Load() && time.Now().Before(loadEnd); i++ {
				sent.Add(1)
				r, err := front.send(client, "GET", "/tasks", token, nil)
				if err == nil && r.Status == 200 {
					continue
				}
				failed.Add(1)
				failMu.Lock()
				failures = append(failures, fmt.Sprintf("%d %v %s", r.Status, err, r.Raw))
				failMu.Unlock()
			}
		})
	}
	defer func() { finished.Store(true); wg.Wait() }()
	// waitUntil waits until cond holds, or fails the test when the load's
	// bound ends first.
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(loadEnd) {
				t.Fatalf("%s: not within %s of load (%d requests sent)", what, loadLimit, sent.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	sentAtLeast := func(n int64) func() bool {
		target := sent.Load() + n
		return func() bool { return sent.Load() >= target }
	}

	waitUntil("100 requests before the stop", sentAtLeast(100))
	stopStart := time.Now()
	if err := b.stop(); err != nil {
		t.Errorf("the stopped instance's Serve returned %v, want nil", err)
	}
	if took := time.Since(stopStart); took > 10*time.Second {
		t.Errorf("stopping took %s, want well inside 30s", took)
	}
	waitUntil("100 requests while it is stopped", sentAtLeast(100))
	servedBefore := rr.served[1].Load()
	restartEnv := map[string]string{"PORT": b.URL[strings.LastIndex(b.URL, ":")+1:]}
	for k, v := range env {
		restartEnv[k] = v
	}
	startServer(t, restartEnv)
	waitUntil("the restarted instance serving", func() bool { return rr.served[1].Load()-servedBefore >= afterRestart })
	finished.Store(true)
	wg.Wait()

	t.Logf("%d requests, %d failed; served by A %d, by B %d (%d after its restart); %d refused connections skipped",
		sent.Load(), failed.Load(), rr.served[0].Load(), rr.served[1].Load(), rr.served[1].Load()-servedBefore, rr.refused.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed during the restart, want none; first: %s", failed.Load(), sent.Load(), failures[0])
	}
	if rr.refused.Load() == 0 {
		t.Error("no request met the stopped instance: the test did not exercise the restart")
	}
}

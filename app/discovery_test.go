package app

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi/internal/faultproxy"
	"taskapi/internal/testdns"
)

const authName = "auth-service.task-management.local"

// splitCluster is the ECS layout on loopback: auth tasks on 127.0.0.2 and
// 127.0.0.3 sharing one port, listed by a DNS server as Cloud Map does, and
// one task service that finds them by name.
type splitCluster struct {
	t       *testing.T
	port    string
	authEnv map[string]string
	auth    map[string]*testServer // by IP
	dns     *testdns.Server
	tasks   *testServer
	// proxies, when set, stand at each auth task's address in front of
	// the server (see startServerBehindProxy), so that killAuth can cut it.
	proxies map[string]*faultproxy.Proxy
}

func newSplitCluster(t *testing.T, taskEnv map[string]string) *splitCluster {
	return buildSplitCluster(t, taskEnv, false)
}

// newKillableSplitCluster is newSplitCluster with every auth task behind a
// proxy of its own, for killAuth.
func newKillableSplitCluster(t *testing.T, taskEnv map[string]string) *splitCluster {
	return buildSplitCluster(t, taskEnv, true)
}

func buildSplitCluster(t *testing.T, taskEnv map[string]string, killable bool) *splitCluster {
	dbEnv := engines[0].env(t) // SQLite, shared by every process like RDS
	c := &splitCluster{t: t, port: freePortOn(t, "127.0.0.2", "127.0.0.3"), auth: map[string]*testServer{}}
	if killable {
		c.proxies = map[string]*faultproxy.Proxy{}
	}
	c.authEnv = map[string]string{"SERVICE": "auth", "JWT_SECRET": testSecret, "PORT": c.port}
	for k, v := range dbEnv {
		c.authEnv[k] = v
	}
	c.startAuth("127.0.0.2")
	c.startAuth("127.0.0.3")
	c.dns = testdns.New(t, authName, "127.0.0.2", "127.0.0.3")
	env := map[string]string{
		"SERVICE":          "task",
		"AUTH_SERVICE_URL": "http://" + authName + ":" + c.port,
		"AUTH_DNS_SERVER":  c.dns.Addr,
		"AUTH_CACHE_TTL":   "0",
	}
	for k, v := range dbEnv {
		env[k] = v
	}
	for k, v := range taskEnv {
		env[k] = v
	}
	c.tasks = startServer(t, env)
	return c
}

func (c *splitCluster) startAuth(ip string) {
	env := map[string]string{"HOST": ip}
	for k, v := range c.authEnv {
		env[k] = v
	}
	if c.proxies != nil {
		c.auth[ip], c.proxies[ip] = startServerBehindProxy(c.t, env, net.JoinHostPort(ip, c.port))
		return
	}
	c.auth[ip] = startServer(c.t, env)
}

// killAuth cuts the auth task at ip at once, as a crash or SIGKILL would:
// its listener and every connection to it close, requests in flight
// included, with no draining.
func (c *splitCluster) killAuth(ip string) {
	c.proxies[ip].Down()
}

func (c *splitCluster) stopAuth(ip string) {
	if err := c.auth[ip].stop(); err != nil {
		c.t.Fatal(err)
	}
}

// freePortOn finds a port free on every given address.
func freePortOn(t *testing.T, ips ...string) string {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		ln, err := net.Listen("tcp", ips[0]+":0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ok := true
		for _, ip := range ips[1:] {
			other, err := net.Listen("tcp", net.JoinHostPort(ip, port))
			if err != nil {
				ok = false
				break
			}
			other.Close()
		}
		ln.Close()
		if ok {
			return port
		}
	}
	t.Fatal("no port free on every address")
	return ""
}

// taskLoad is clients calling GET /tasks on the task service until
// finish, each call answered or failed counted, so that a test moves on
// after a number of requests rather than after a time that a busy machine
// may fill with none.
type taskLoad struct {
	t        *testing.T
	answered atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	failures []string
}

// loadTasks starts four clients; each stops at finish, or after 5,000
// requests or 60 s, whichever comes first.
func (c *splitCluster) loadTasks(token string) *taskLoad {
	const workers, perWorker, limit = 4, 5000, 60 * time.Second
	l := &taskLoad{t: c.t, stop: make(chan struct{})}
	deadline := time.Now().Add(limit)
	for range workers {
		l.wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			for i := 0; i < perWorker && time.Now().Before(deadline); i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				r, err := c.tasks.send(client, "GET", "/tasks", token, nil)
				if err != nil || r.Status != 200 {
					l.mu.Lock()
					l.failures = append(l.failures, fmt.Sprintf("%d %v %s", r.Status, err, r.Raw))
					l.mu.Unlock()
				}
				l.answered.Add(1)
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	l.t.Cleanup(func() { l.finish() })
	return l
}

// await waits until n more requests have been answered, for at most 30s.
func (l *taskLoad) await(n int64) {
	l.t.Helper()
	target := l.answered.Load() + n
	for deadline := time.Now().Add(30 * time.Second); l.answered.Load() < target; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			l.t.Fatalf("%d of %d more requests answered in 30s", l.answered.Load()-target+n, n)
		}
	}
}

// finish stops the clients and returns every failure they met.
func (l *taskLoad) finish() []string {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures
}

// TestAuthTaskLossLosesNoRequest kills one of two auth tasks while clients
// keep calling the task service: its connections are cut at once, with
// calls in flight on them, and new ones are refused. Every request still
// succeeds, because the client retries a cut or refused call on the live
// task.
func TestAuthTaskLossLosesNoRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		hang bool
	}{
		// Killed in the middle of steady traffic.
		{"killed", false},
		// Hung first, then killed: the calls that reached it meanwhile
		// (at least one, the test waits for it) are in flight when its
		// connections are cut.
		{"hung then killed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newKillableSplitCluster(t, nil)
			token, _ := c.auth["127.0.0.3"].register(t, "alice")
			load := c.loadTasks(token)
			load.await(20)
			victim := c.proxies["127.0.0.2"]
			if tc.hang {
				victim.Stall()
				for deadline := time.Now().Add(30 * time.Second); victim.Held() == 0; time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("no call reached the hung auth task in 30s")
					}
				}
			}
			open := victim.Conns()
			c.killAuth("127.0.0.2")
			load.await(40) // traffic goes on without it
			for _, f := range load.finish() {
				t.Errorf("request failed while one auth task was still up: %s", f)
			}
			if open == 0 {
				t.Error("no connection to the killed task was open: the kill cut nothing")
			}
			// The task service still serves, through the live task only.
			c.tasks.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")
		})
	}
}

// TestAuthTaskGracefulStopLosesNoRequest stops one of two auth tasks the
// way ECS does in a deployment (SIGTERM: in-flight requests finish, then
// the listener closes) while clients keep calling: no request fails.
func TestAuthTaskGracefulStopLosesNoRequest(t *testing.T) {
	c := newSplitCluster(t, nil)
	token, _ := c.auth["127.0.0.2"].register(t, "alice")
	load := c.loadTasks(token)
	load.await(20)
	c.stopAuth("127.0.0.2")
	load.await(40)
	for _, f := range load.finish() {
		t.Errorf("request failed while one auth task was still up: %s", f)
	}
}

// TestAllAuthTasksDownFailsFastAndRecovers: with no auth task left the
// task service answers 503 quickly instead of stacking up requests, and
// serves again by itself once an auth task is back.
func TestAllAuthTasksDownFailsFastAndRecovers(t *testing.T) {
	c := newSplitCluster(t, map[string]string{"AUTH_BREAKER_OPEN": "300ms", "AUTH_BREAKER_FAILURES": "3"})
	token, _ := c.auth["127.0.0.3"].register(t, "alice")
	c.tasks.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")

	c.stopAuth("127.0.0.2")
	c.stopAuth("127.0.0.3")
	for i := 0; i < 10; i++ {
		start := time.Now()
		c.tasks.call(t, "GET", "/tasks", token, nil).expect(t, 503, "Authentication service unavailable")
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("503 took %s, want it within 2s", d)
		}
	}

	c.startAuth("127.0.0.3")
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.tasks.call(t, "GET", "/tasks", token, nil)
		if r.Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery 10s after an auth task came back: %d %s", r.Status, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRevokedTokenRejectedAfterCacheExpiry: the task service caches a
// validation for AUTH_CACHE_TTL; after logout it keeps accepting the token
// for at most that long (the documented trade), then refuses it.
func TestRevokedTokenRejectedAfterCacheExpiry(t *testing.T) {
	c := newSplitCluster(t, map[string]string{"AUTH_CACHE_TTL": "400ms"})
	auth := c.auth["127.0.0.2"]
	token, _ := auth.register(t, "alice")
	c.tasks.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")

	auth.call(t, "POST", "/auth/logout", token, nil).expect(t, 200, "")
	auth.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "")

	time.Sleep(500 * time.Millisecond)
	if r := c.tasks.call(t, "GET", "/tasks", token, nil); r.Status != 401 {
		t.Fatalf("revoked token still accepted after the cache entry expired: %d %s", r.Status, r.Raw)
	}
}

// TestSilentDNSKeepsTaskServiceUp: the DNS server stops answering while
// the auth tasks are up. Parallel requests through the task service keep
// being served, quickly, from the addresses it already knows, and the
// breaker stays closed.
func TestSilentDNSKeepsTaskServiceUp(t *testing.T) {
	c := newSplitCluster(t, map[string]string{
		"AUTH_DNS_REFRESH": "100ms", "AUTH_TIMEOUT": "300ms",
		"REQUEST_TIMEOUT": "3s", // bounds each request if a lookup holds it
	})
	token, _ := c.auth["127.0.0.2"].register(t, "alice")
	c.tasks.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")

	c.dns.Silence()
	time.Sleep(120 * time.Millisecond) // the known addresses are due for a lookup
	const workers, rounds = 6, 3
	var wg sync.WaitGroup
	failures := make(chan string, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				start := time.Now()
				r := c.tasks.call(t, "GET", "/tasks", token, nil)
				if took := time.Since(start); r.Status != 200 || took > time.Second {
					failures <- strconv.Itoa(r.Status) + " after " + took.String() + " " + r.Raw
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("request while DNS was silent: %s", f)
	}
	if logs := c.tasks.Logs.String(); strings.Contains(logs, "circuit breaker state changed") {
		t.Error("the breaker moved while every auth task was up")
	}
}

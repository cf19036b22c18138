package app

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

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
}

func newSplitCluster(t *testing.T, taskEnv map[string]string) *splitCluster {
	dbEnv := engines[0].env(t) // SQLite, shared by every process like RDS
	c := &splitCluster{t: t, port: freePortOn(t, "127.0.0.2", "127.0.0.3"), auth: map[string]*testServer{}}
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
	c.auth[ip] = startServer(c.t, env)
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

// TestAuthTaskLossLosesNoRequest kills one of two auth tasks while
// clients keep calling the task service: every request still succeeds,
// because calls to the dead task move on to the live one.
func TestAuthTaskLossLosesNoRequest(t *testing.T) {
	c := newSplitCluster(t, nil)
	token, _ := c.auth["127.0.0.2"].register(t, "alice")

	const workers, perWorker = 4, 40
	var wg sync.WaitGroup
	failures := make(chan string, workers*perWorker)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				r := c.tasks.call(t, "GET", "/tasks", token, nil)
				if r.Status != 200 {
					failures <- strconv.Itoa(r.Status) + " " + r.Raw
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	time.Sleep(40 * time.Millisecond)
	c.stopAuth("127.0.0.2")
	wg.Wait()
	close(failures)
	for f := range failures {
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

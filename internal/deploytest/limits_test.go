package deploytest_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi/internal/deploytest"
)

// floodLogins is how many logins for other names the flood sends. The
// lockout lives in PostgreSQL; an auth process answers a locked address
// from memory for a second (throttle's refusalMemory) and then asks the
// database again, so 20,000 (several seconds here under -race) crosses
// that recheck several times on each process. No number of other names
// can push the lock out: they are refused by the address's key, one
// entry, before any name's key is remembered. DEPLOYTEST_FLOOD raises it
// for a manual check (the 300,000).
func floodLogins(t *testing.T) int {
	if s := os.Getenv("DEPLOYTEST_FLOOD"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1_000_000 {
			t.Fatalf("DEPLOYTEST_FLOOD=%q: want 1 to 1,000,000", s)
		}
		return n
	}
	return 20_000
}

// postFrom sends a JSON body to p's path from client c (bound to its own
// loopback address) through the kit, and returns the status and the
// Retry-After; a transport error fails t. From other goroutines, use
// post, which fails nothing.
func postFrom(t *testing.T, c *http.Client, p *deploytest.Process, path string, body any, header ...string) (int, string) {
	t.Helper()
	r := p.API().WithClient(c).Call(t, "POST", path, "", body, header...)
	return r.Status, r.Header.Get("Retry-After")
}

// post is postFrom for any goroutine: the status, or an error.
func post(c *http.Client, p *deploytest.Process, path string, body any, header ...string) (int, error) {
	r, err := p.API().WithClient(c).Send("POST", path, "", body, header...)
	return r.Status, err
}

func credentials(name, password string) map[string]string {
	return map[string]string{"username": name, "password": password}
}

// TestLimitsHoldForTheWholeDeployment runs two auth processes of the real
// binary on one PostgreSQL schema, with their default TRUSTED_PROXY_HOPS
// (0), and clients on distinct loopback addresses: registrations and
// failed logins are counted once for both; a burst of concurrent wrong
// passwords split between them checks the limit once; the lockout binds
// the (account, address) pair, so the owner from another address logs in;
// a forged X-Forwarded-For lifts nothing; and the lockout survives a
// flood of logins for other names from the locked address and a restart
// of every process.
func TestLimitsHoldForTheWholeDeployment(t *testing.T) {
	t.Parallel() // its own processes and schema: the other tests start theirs during its flood
	d := deploytest.Start(t, deploytest.Options{Auth: 2, Env: map[string]string{
		"LOGIN_MAX_FAILURES": "5", "LOGIN_IP_MAX_FAILURES": "20", "LOGIN_ACCOUNT_MAX_FAILURES": "100",
		"REGISTER_IP_MAX": "8", "LOG_LEVEL": "info",
	}})
	if d.DatabaseURL == "" {
		t.Fatal("the deployment is not on PostgreSQL")
	}
	auths := d.Auth
	first, second := auths[0], auths[1]
	const password = "correct horse battery"
	var (
		signup   = deploytest.ClientFrom("127.0.0.2")
		attacker = deploytest.ClientFrom("127.0.0.3")
		owner    = deploytest.ClientFrom("127.0.0.4")
	)

	// Registrations: 12 from one address, alternating, 8 allowed in all.
	var created, refused int
	for i := 0; i < 12; i++ {
		status, _ := postFrom(t, signup, auths[i%2], "/auth/register", map[string]string{
			"username": fmt.Sprint("user", i), "email": fmt.Sprintf("user%d@example.com", i), "password": password})
		switch status {
		case 201:
			created++
		case 429:
			refused++
		default:
			t.Fatalf("registration %d: status %d", i, status)
		}
	}
	if created != 8 || refused != 4 {
		t.Fatalf("12 registrations from one address on two processes: %d created, %d refused; want REGISTER_IP_MAX=8 for the deployment and 4 refused", created, refused)
	}
	if status, _ := postFrom(t, owner, first, "/auth/register", map[string]string{"username": "victim", "email": "victim@example.com", "password": password}); status != 201 {
		t.Fatalf("registering the victim from another address: %d", status)
	}

	// 40 concurrent wrong passwords from one address, split between the
	// processes: 5 are checked (401), 35 refused.
	var wg sync.WaitGroup
	var statuses sync.Map
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, err := post(attacker, auths[i%2], "/auth/login", credentials("victim", fmt.Sprint("guess-", i)))
			if err != nil {
				t.Error(err)
			}
			n, _ := statuses.LoadOrStore(status, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		}()
	}
	wg.Wait()
	count := func(status int) int64 {
		if n, ok := statuses.Load(status); ok {
			return n.(*atomic.Int64).Load()
		}
		return 0
	}
	if count(401) != 5 || count(429) != 35 {
		var all []string
		statuses.Range(func(k, v any) bool {
			all = append(all, fmt.Sprintf("%v×%d", k, v.(*atomic.Int64).Load()))
			return true
		})
		t.Fatalf("40 concurrent wrong passwords on two processes: %v; want 5 × 401 (LOGIN_MAX_FAILURES for the deployment) and 35 × 429", all)
	}

	// lockedOut checks the pair is locked on both processes, the right
	// password included, forged addresses too, while the owner at another
	// address logs in.
	lockedOut := func(when string) {
		t.Helper()
		for _, p := range auths {
			if status, ra := postFrom(t, attacker, p, "/auth/login", credentials("victim", password)); status != 429 || ra == "" {
				t.Fatalf("%s: the locked pair on %s: status %d, Retry-After %q; want 429 with Retry-After", when, p.Name, status, ra)
			}
			if status, _ := postFrom(t, attacker, p, "/auth/login", credentials("victim", password), "X-Forwarded-For", "198.51.100.77"); status != 429 {
				t.Fatalf("%s: a forged X-Forwarded-For lifted the lockout on %s: status %d", when, p.Name, status)
			}
			if status, _ := postFrom(t, owner, p, "/auth/login", credentials("victim", password)); status != 200 {
				t.Fatalf("%s: the owner from another address on %s: status %d, want 200", when, p.Name, status)
			}
		}
	}
	lockedOut("after the burst")

	// The flood: logins for ever new names from the locked address. The
	// address's remaining 15 failures are checked; every other one is a
	// cheap 429 that writes nothing.
	n := floodLogins(t)
	start := time.Now()
	var checked, throttled, other atomic.Int64
	var failed atomic.Pointer[error] // the first transport error, if any
	var next atomic.Int64
	const workers = 8
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]string{"password": "guess-guess"}
			for {
				i := next.Add(1)
				if i > int64(n) || time.Since(start) > 5*time.Minute {
					return
				}
				body["username"] = fmt.Sprint("ghost", i)
				status, err := post(attacker, auths[i%2], "/auth/login", body, "X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
				switch {
				case err != nil:
					failed.CompareAndSwap(nil, &err)
					other.Add(1)
				case status == 401:
					checked.Add(1)
				case status == 429:
					throttled.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("flood: %d logins for other names in %s (%.0f/s): %d checked, %d refused 429, %d other",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), checked.Load(), throttled.Load(), other.Load())
	if total := checked.Load() + throttled.Load() + other.Load(); total != int64(n) {
		t.Fatalf("the flood sent %d of %d logins within 5 minutes", total, n)
	}
	if err := failed.Load(); err != nil {
		t.Errorf("the flood: %v", *err)
	}
	if checked.Load() != 15 || other.Load() != 0 {
		t.Fatalf("flood from one address: %d passwords checked, %d neither 401 nor 429; want the address's remaining 15 (LOGIN_IP_MAX_FAILURES=20 less the 5) and 0", checked.Load(), other.Load())
	}
	db, err := sql.Open("postgres", d.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow("SELECT COUNT(*) FROM attempt_counters").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows > 60 {
		t.Fatalf("%d counter rows after the flood: refused attempts must write nothing", rows)
	}
	lockedOut("after the flood")

	// Restart every auth process: the counts are in the database.
	for _, p := range auths {
		p.Restart(t)
	}
	lockedOut("after a restart of every auth process")
	if status, _ := postFrom(t, attacker, first, "/auth/login", credentials("user1", password)); status != 429 {
		t.Fatalf("after the restart the blocked address tried another account: %d, want 429", status)
	}
	if status, _ := postFrom(t, signup, second, "/auth/register", map[string]string{"username": "late", "email": "late@example.com", "password": password}); status != 429 {
		t.Fatalf("after the restart a ninth registration from the address: %d, want 429", status)
	}
}

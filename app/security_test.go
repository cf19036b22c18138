package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"taskapi/tokens"
)

// forged builds a token from header and claims signed by method with key,
// outside our signer, as an attacker would.
func forged(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claimsFor(userID any, mutate ...func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"user_id": userID, "username": "alice", "email": "alice@example.com", "jti": "j1",
		"iss": tokens.Issuer, "aud": tokens.Audience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// TestHostileTokensAreRefusedEverywhere sends RFC 8725's catalogue of bad
// tokens to /auth/validate and to /tasks: every one is a 401 and no task
// handler runs (nothing is created).
func TestHostileTokensAreRefusedEverywhere(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "JWT_SECRET": testSecret})
	good, id := s.register(t, "alice")
	secret := []byte(testSecret)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claimsFor(id)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(good, ".")
	tamperedPayload := parts[0] + "." + jwtEncode(`{"user_id":999,"username":"mallory","iss":"taskapi-auth","aud":"taskapi","exp":9999999999,"iat":1,"jti":"x"}`) + "." + parts[2]
	// A listener that counts connections: a jku or x5u header must never
	// make the server fetch anything.
	trap, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	go func() {
		for {
			c, err := trap.Accept()
			if err != nil {
				return
			}
			fetches.Add(1)
			c.Close()
		}
	}()
	defer func() {
		trap.Close()
		if n := fetches.Load(); n != 0 {
			t.Errorf("the server made %d outbound connections for token headers", n)
		}
	}()
	trapURL := "http://" + trap.Addr().String()
	withHeader := func(h map[string]any) string {
		return forged(t, jwt.SigningMethodHS256, []byte("attacker-controlled-key-0123456789"), h, claimsFor(id))
	}

	cases := map[string]string{
		"alg none":                 none,
		"alg NONE":                 jwtEncode(`{"alg":"NONE","typ":"JWT"}`) + "." + parts[1] + ".",
		"alg missing":              jwtEncode(`{"typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		"HS384 with our secret":    forged(t, jwt.SigningMethodHS384, secret, nil, claimsFor(id)),
		"RS256 attacker key":       forged(t, jwt.SigningMethodRS256, rsaKey, nil, claimsFor(id)),
		"ES256 attacker key":       forged(t, jwt.SigningMethodES256, ecKey, nil, claimsFor(id)),
		"empty signature":          parts[0] + "." + parts[1] + ".",
		"tampered payload":         tamperedPayload,
		"wrong secret":             forged(t, jwt.SigningMethodHS256, []byte("wrong-secret-wrong-secret-wrong!!"), nil, claimsFor(id)),
		"expired":                  forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Second).Unix() })),
		"nbf in the future":        forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
		"iat in the future":        forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })),
		"missing exp":              forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { delete(c, "exp") })),
		"user_id missing":          forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { delete(c, "user_id") })),
		"user_id 0":                forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(0)),
		"user_id string":           forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(fmt.Sprint(id))),
		"user_id fraction":         forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id+0.5)),
		"no iss":                   forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { delete(c, "iss") })),
		"no aud":                   forged(t, jwt.SigningMethodHS256, secret, nil, claimsFor(id, func(c jwt.MapClaims) { delete(c, "aud") })),
		"kid header, attacker key": withHeader(map[string]any{"kid": "../../etc/passwd"}),
		"jku header":               withHeader(map[string]any{"jku": trapURL + "/jwks.json"}),
		"x5u header":               withHeader(map[string]any{"x5u": trapURL + "/cert.pem"}),
		"embedded jwk":             withHeader(map[string]any{"jwk": map[string]any{"kty": "oct", "k": "YXR0YWNrZXI"}}),
		"8 KB token":               good + strings.Repeat("A", 8<<10),
		"100,000 dots":             strings.Repeat(".", 100000),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			for _, req := range []struct{ method, path string }{{"POST", "/auth/validate"}, {"POST", "/tasks"}, {"GET", "/tasks"}} {
				r := s.call(t, req.method, req.path, token, map[string]any{"title": "must not exist"})
				if r.Status != 401 || r.Body["error"] != "Unauthorized" {
					t.Fatalf("%s %s = %d %s, want 401", req.method, req.path, r.Status, r.Raw)
				}
			}
		})
	}
	// Tokens anywhere but a well-formed Authorization header do not count.
	for name, hdr := range map[string]string{
		"query string only": "", "Basic scheme": "Basic " + good, "no scheme": good,
		"Bearer twice": "Bearer Bearer " + good, "Bearer no space": "Bearer" + good,
	} {
		req, _ := http.NewRequest("GET", s.URL+"/tasks?access_token="+good+"&token="+good, nil)
		if hdr != "" {
			req.Header.Set("Authorization", hdr)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
	if list := s.call(t, "GET", "/tasks", good, nil).expect(t, 200, ""); list.Body["total"] != 0.0 {
		t.Fatalf("a refused request created a task: %s", list.Raw)
	}
	s.call(t, "GET", "/tasks", " bearer  "+good, nil) // scheme is case-insensitive: still fine
}

func jwtEncode(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// TestLoginThrottleOverHTTP: behind one proxy (TRUSTED_PROXY_HOPS=1),
// failed logins lock the (account, address) pair out with 429 and
// Retry-After, while the owner from another address logs in; the client
// address is the right-most X-Forwarded-For entry (the ALB's), so forging
// entries to its left does not dodge the per-address limit.
func TestLoginThrottleOverHTTP(t *testing.T) {
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "TRUSTED_PROXY_HOPS": "1",
		"LOGIN_MAX_FAILURES": "3", "LOGIN_IP_MAX_FAILURES": "6"})
	s.register(t, "alice")
	s.register(t, "bob")
	bad := map[string]string{"username": "alice", "password": "wrong-password"}
	good := map[string]string{"username": "alice", "password": "correct horse battery"}
	for i := 0; i < 3; i++ {
		s.call(t, "POST", "/auth/login", "", bad, "X-Forwarded-For", "198.51.100.1").expect(t, 401, "Invalid username or password")
	}
	r := s.call(t, "POST", "/auth/login", "", good, "X-Forwarded-For", "198.51.100.1")
	r.expect(t, 429, "Too many failed login attempts, try again later")
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	s.call(t, "POST", "/auth/login", "", good, "X-Forwarded-For", "198.51.100.2").expect(t, 200, "")
	s.call(t, "POST", "/auth/login", "", map[string]string{"username": "bob", "password": "correct horse battery"}).expect(t, 200, "")

	// One address, forging a new left-most entry each time: still one address.
	for i := 0; i < 6; i++ {
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": fmt.Sprint("ghost", i), "password": "guess-guess"},
			"X-Forwarded-For", fmt.Sprintf("10.0.0.%d, 203.0.113.50", i)).expect(t, 401, "")
	}
	s.call(t, "POST", "/auth/login", "", map[string]string{"username": "bob", "password": "correct horse battery"},
		"X-Forwarded-For", "10.9.9.9, 203.0.113.50").expect(t, 429, "")
}

// TestForgedForwardedForLiftsNothingByDefault: with no proxy configured
// (the default, as for make run or a bare container) X-Forwarded-For is
// ignored, so a new forged address per request is still the one peer.
func TestForgedForwardedForLiftsNothingByDefault(t *testing.T) {
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "LOGIN_MAX_FAILURES": "3", "LOGIN_IP_MAX_FAILURES": "6"})
	if !strings.Contains(s.Logs.String(), `"client_address":"peer address`) {
		t.Errorf("the start-up line does not say that X-Forwarded-For is ignored:\n%s", s.Logs.String())
	}
	s.register(t, "alice")
	for i := 0; i < 3; i++ {
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "wrong-password"},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)).expect(t, 401, "")
	}
	s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "wrong-password"},
		"X-Forwarded-For", "198.51.100.200").expect(t, 429, "Too many failed login attempts, try again later")
	for i := 0; i < 3; i++ {
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": fmt.Sprint("ghost", i), "password": "guess-guess"},
			"X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i)).expect(t, 401, "")
	}
	s.call(t, "POST", "/auth/login", "", map[string]string{"username": "ghost9", "password": "guess-guess"},
		"X-Forwarded-For", "10.0.0.99").expect(t, 429, "")
}

// TestRegistrationThrottleOverHTTP: registrations from one client address
// are limited (REGISTER_IP_MAX per REGISTER_IP_WINDOW), a taken name's 409
// counting like a success, while another address may still register.
func TestRegistrationThrottleOverHTTP(t *testing.T) {
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "REGISTER_IP_MAX": "3", "REGISTER_IP_WINDOW": "1h", "TRUSTED_PROXY_HOPS": "1"})
	body := func(name string) map[string]string {
		return map[string]string{"username": name, "email": name + "@example.com", "password": "correct horse battery"}
	}
	s.call(t, "POST", "/auth/register", "", body("alice"), "X-Forwarded-For", "198.51.100.1").expect(t, 201, "")
	s.call(t, "POST", "/auth/register", "", body("alice"), "X-Forwarded-For", "198.51.100.1").expect(t, 409, "Username or email already exists")
	s.call(t, "POST", "/auth/register", "", body("bob"), "X-Forwarded-For", "10.0.0.1, 198.51.100.1").expect(t, 201, "")
	r := s.call(t, "POST", "/auth/register", "", body("carol"), "X-Forwarded-For", "10.0.0.2, 198.51.100.1")
	r.expect(t, 429, "Too many registrations from this address, try again later")
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	s.call(t, "POST", "/auth/login", "", map[string]string{"username": "carol", "password": "correct horse battery"}).expect(t, 401, "")
	s.call(t, "POST", "/auth/register", "", body("carol"), "X-Forwarded-For", "198.51.100.2").expect(t, 201, "")
}

// TestLoginStormKeepsServiceResponsive floods the login with more
// concurrent bcrypt work than the bound allows: the excess gets 503 with
// Retry-After quickly, and /health keeps answering.
func TestLoginStormKeepsServiceResponsive(t *testing.T) {
	s := startServer(t, map[string]string{
		"SQLITE_PATH": t.TempDir() + "/db", "BCRYPT_COST": "8", "BCRYPT_CONCURRENCY": "1",
		"BCRYPT_QUEUE_TIMEOUT": "5ms", "LOGIN_MAX_FAILURES": "1000", "LOGIN_IP_MAX_FAILURES": "1000",
	})
	s.register(t, "alice")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	stop := make(chan struct{})
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				r := s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "wrong-password"})
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
				if r.Status == 503 && r.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			}
		}()
	}
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			s.call(t, "GET", "/health", "", nil).expect(t, 200, "")
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("/health took %s during the storm", d)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	<-healthDone
	if statuses[503] == 0 || statuses[401] == 0 || statuses[500] > 0 {
		t.Errorf("statuses = %v, want some 401s (checked), some 503s (turned away), no 500s", statuses)
	}
}

func TestUserIDCannotBeSmuggled(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"})
	_, bobID := s.register(t, "bob")
	alice, aliceID := s.register(t, "alice")
	// Request bodies are closed: every smuggled field, in any spelling, is
	// refused by name, and nothing is written.
	body := fmt.Sprintf(`{"title":"x","user_id":%[1]v,"USER_ID":%[1]v,"User_Id":%[1]v,"userId":%[1]v,"id":77,"created_at":"2000-01-01T00:00:00Z"}`, bobID)
	refused := s.call(t, "POST", "/tasks", alice, body).expect(t, 400, "Validation failed")
	if got, want := refused.fields(), []string{"USER_ID", "User_Id", "created_at", "id", "userId", "user_id"}; !slices.Equal(got, want) {
		t.Fatalf("refusal names %v, want %v", got, want)
	}
	if list := s.call(t, "GET", "/tasks", alice, nil).expect(t, 200, ""); list.Body["total"] != 0.0 {
		t.Fatalf("a refused create wrote a task: %s", list.Raw)
	}
	task := s.call(t, "POST", "/tasks", alice, `{"title":"x"}`).expect(t, 201, "").Body["task"].(map[string]any)
	if task["user_id"] != aliceID {
		t.Fatalf("task = %v", task)
	}
	path := fmt.Sprintf("/tasks/%v", task["id"])
	refused = s.call(t, "PUT", path, alice, fmt.Sprintf(`{"title":"y","title":"z","User_ID":%v}`, bobID)).expect(t, 400, "Validation failed")
	if got := refused.fields(); !slices.Equal(got, []string{"User_ID", "title"}) {
		t.Fatalf("refusal names %v, want User_ID and the repeated title", got)
	}
	// A repeated key is refused by name (two parsers could read it
	// differently), even after a null, and nothing is written.
	refused = s.call(t, "PUT", path, alice, `{"description":null,"description":"kept","status":"pending","Status":"completed"}`).expect(t, 400, "Validation failed")
	if got := refused.fields(); !slices.Equal(got, []string{"description", "Status"}) {
		t.Fatalf("repeated keys: refusal names %v", got)
	}
	upd := s.call(t, "GET", path, alice, nil).expect(t, 200, "").Body["task"].(map[string]any)
	if upd["user_id"] != aliceID || upd["title"] != "x" || upd["status"] != "pending" {
		t.Fatalf("a refused update wrote: %v", upd)
	}
}

func TestSecurityHeadersAndCORS(t *testing.T) {
	t.Parallel()
	origin := "https://app.example.com"
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "CORS_ALLOWED_ORIGINS": origin})
	for _, path := range []string{"/health", "/nope", "/tasks"} {
		r := s.call(t, "GET", path, "", nil)
		for h, want := range map[string]string{
			"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
	if r := s.call(t, "GET", "/health", "", nil, "X-Forwarded-Proto", "https"); !strings.Contains(r.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS behind an HTTPS listener")
	}
	if r := s.call(t, "DELETE", "/health", "", nil); r.Status != 405 || r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("405 without security headers or Allow: %d %v", r.Status, r.Header)
	}

	preflight := func(from string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", s.URL+"/tasks", nil)
		req.Header.Set("Origin", from)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight(origin); resp.Header.Get("Access-Control-Allow-Origin") != origin || resp.StatusCode >= 300 {
		t.Errorf("allowed origin's preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an unlisted origin was allowed: %v", resp.Header)
	}
	r := s.call(t, "GET", "/health", "", nil, "Origin", "https://evil.example")
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("an unlisted origin was echoed")
	}

	off := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"})
	if r := off.call(t, "GET", "/health", "", nil, "Origin", origin); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS must be off by default")
	}
}

func TestBadCORSOriginIsAStartupError(t *testing.T) {
	for _, bad := range []string{"*", "https://*.example.com", "app.example.com", "https://app.example.com/path"} {
		if _, err := LoadConfig(func(k string) string {
			return map[string]string{"CORS_ALLOWED_ORIGINS": bad}[k]
		}); err == nil || !strings.Contains(err.Error(), "CORS_ALLOWED_ORIGINS") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestTaskQuotaOverHTTP(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "TASK_QUOTA": "2"})
	token, _ := s.register(t, "alice")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "1"}).expect(t, 201, "")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "2"}).expect(t, 201, "")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "3"}).expect(t, 403, "Task limit of 2 reached; delete tasks to add more")
}

// TestTaskQuotaUnderConcurrency sends 200 creates at once with
// TASK_QUOTA=5, on each engine: exactly five are stored, and every other
// answer is the quota's 403.
func TestTaskQuotaUnderConcurrency(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		env := maps.Clone(dbEnv)
		env["TASK_QUOTA"] = "5"
		// SQLite answers the 200 one after another: on a loaded machine
		// under -race the last ones wait longer than the default 10s.
		env["REQUEST_TIMEOUT"] = "2m"
		s := startServer(t, env)
		token, _ := s.register(t, "alice")
		// A client of its own, whose connections are closed once the
		// burst is over: the transport may leave a connection it dialled
		// for the burst unused, and the server's graceful stop waits
		// about 5 s for a connection that never sent a request.
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		statuses := make([]int, 200)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() {
				<-start
				req, err := http.NewRequest("POST", s.URL+"/tasks", strings.NewReader(`{"title":"t"}`))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				statuses[i] = resp.StatusCode
			})
		}
		close(start)
		wg.Wait()
		counts := map[int]int{}
		for _, code := range statuses {
			counts[code]++
		}
		if counts[201] != 5 || counts[403] != 195 {
			t.Errorf("answers by status %v, want 5 created and 195 refused", counts)
		}
		if r := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); r.Body["total"] != 5.0 {
			t.Errorf("list after the burst: %s, want total 5", r.Raw)
		}
	})
}

// TestSlowlorisIsDropped: a client that trickles its headers is cut off
// after the read-header timeout instead of holding a connection forever.
func TestSlowlorisIsDropped(t *testing.T) {
	s := startServerWith(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"}, func(c *Config) {
		c.ReadHeaderTimeout = 300 * time.Millisecond
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprint(conn, "GET /health HTTP/1.1\r\nHost: x\r\n")
	closed := false
	for i := 0; i < 40 && !closed; i++ { // at most ~4 s
		if _, err := fmt.Fprintf(conn, "X-Slow-%d: a\r\n", i); err != nil {
			closed = true
			break
		}
		time.Sleep(100 * time.Millisecond)
		conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		buf := make([]byte, 1)
		if _, err := conn.Read(buf); err != nil && !isTimeout(err) {
			closed = true
		}
	}
	if !closed {
		t.Fatalf("connection still open after %s of trickled headers", time.Since(start))
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestHTTPEdges covers what clients and proxies send besides the happy
// path: HEAD, 405 with Allow, unclean paths, charsets.
func TestHTTPEdges(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"})
	token, _ := s.register(t, "alice")
	if r := s.call(t, "PATCH", "/tasks", token, nil); r.Status != 405 || r.Header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PATCH /tasks: %d Allow %q", r.Status, r.Header.Get("Allow"))
	}
	if r := s.call(t, "HEAD", "/tasks", token, nil); r.Status != 200 || r.Raw != "" {
		t.Errorf("HEAD /tasks: %d %q", r.Status, r.Raw)
	}
	// A doubled slash is not cleaned into a redirect (a client would
	// follow it as a GET): it is simply not a route.
	s.call(t, "POST", "//tasks", token, map[string]any{"title": "x"}).expect(t, 404, "")
	s.call(t, "POST", "/tasks", token, `{"title":"x"}`, "Content-Type", "application/json; charset=latin1").expect(t, 415, "")
	s.call(t, "POST", "/tasks", token, `{"title":"x"}`, "Content-Type", "application/json; charset=UTF-8").expect(t, 201, "")
	if r := s.call(t, "GET", "/health", "", nil); r.Body["service"] != "taskapi" {
		t.Errorf("/health of an all-in-one process = %v, want service taskapi", r.Body)
	}
}

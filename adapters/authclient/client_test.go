package authclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"taskapi"
	"taskapi/adapters/authclient"
	"taskapi/handlers"
	"taskapi/internal/faultproxy"
	"taskapi/internal/testdns"
	"taskapi/tokens"
)

const serviceName = "auth-service.task-management.local"

var ctx = context.Background()

// newClient returns a client for the fake service, found through dns.
// testOptions are the configuration's defaults for the auth client, with
// quick backoff.
func testOptions(base string, resolver authclient.Resolver) authclient.Options {
	return authclient.Options{
		BaseURL: base, Resolver: resolver,
		Timeout: 2 * time.Second, Budget: 2500 * time.Millisecond, Retries: 2,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		DNSRefresh: 10 * time.Second, BreakerFailures: 5, BreakerOpen: 10 * time.Second,
	}
}

// newClient is a client of f, found through d, with testOptions changed
// by edit (if not nil).
func newClient(t testing.TB, f *fakeAuth, d *testdns.Server, edit func(*authclient.Options)) *authclient.Client {
	t.Helper()
	opts := testOptions("http://"+serviceName+":"+f.Port, d.Resolver())
	if edit != nil {
		edit(&opts)
	}
	c, err := authclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOptionsAreExplicit: a zero duration or count is refused, not
// replaced by some default the caller never chose.
func TestOptionsAreExplicit(t *testing.T) {
	if _, err := authclient.New(authclient.Options{BaseURL: "http://127.0.0.1:1"}); err == nil ||
		!strings.Contains(err.Error(), "Timeout") || !strings.Contains(err.Error(), "BreakerFailures") {
		t.Errorf("zero options: err = %v, want each missing value named", err)
	}
	for name, edit := range map[string]func(*authclient.Options){
		"negative retries": func(o *authclient.Options) { o.Retries = -1 },
		"zero budget":      func(o *authclient.Options) { o.Budget = 0 },
	} {
		opts := testOptions("http://127.0.0.1:1", nil)
		edit(&opts)
		if _, err := authclient.New(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := authclient.New(testOptions("http://127.0.0.1:1", nil)); err != nil {
		t.Errorf("complete options: %v", err)
	}
}

func wantCode(t *testing.T, err error, code, message string) {
	t.Helper()
	if taskapi.ErrorCode(err) != code || err.(*taskapi.Error).Message != message {
		t.Fatalf("err = %v, want %s %q", err, code, message)
	}
}

func TestSpreadsCallsOverEveryAddress(t *testing.T) {
	ips := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}
	f := newFakeAuth(t, ips...)
	d := testdns.New(t, serviceName, ips...)
	c := newClient(t, f, d, nil)
	for i := 0; i < 30; i++ {
		p, err := c.ValidateToken(ctx, "token")
		if err != nil || p.UserID != 7 || p.Username != "alice" {
			t.Fatalf("ValidateToken = %+v, %v", p, err)
		}
	}
	for _, ip := range ips {
		if n := f.calls()[ip]; n != 10 {
			t.Errorf("%s got %d of 30 calls, want 10 (round robin): %v", ip, n, f.calls())
		}
	}
}

func TestFollowsDNSChanges(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2", "127.0.0.3")
	d := testdns.New(t, serviceName, "127.0.0.2")
	c := newClient(t, f, d, func(o *authclient.Options) { o.DNSRefresh = 50 * time.Millisecond })
	for i := 0; i < 4; i++ {
		if _, err := c.ValidateToken(ctx, "t"); err != nil {
			t.Fatal(err)
		}
	}
	// A task replaces another: the record set changes.
	d.Set("127.0.0.3")
	time.Sleep(60 * time.Millisecond)
	before := f.calls()["127.0.0.2"]
	for i := 0; i < 4; i++ {
		if _, err := c.ValidateToken(ctx, "t"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls(); got["127.0.0.2"] != before || got["127.0.0.3"] != 4 {
		t.Errorf("after the change calls = %v, want all 4 new calls on 127.0.0.3", got)
	}
}

func TestConnectionErrorMovesToNextAddress(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2", "127.0.0.3")
	d := testdns.New(t, serviceName, "127.0.0.2", "127.0.0.3")
	c := newClient(t, f, d, nil)
	f.kill("127.0.0.2")
	for i := 0; i < 10; i++ {
		if _, err := c.ValidateToken(ctx, "t"); err != nil {
			t.Fatalf("call %d failed although one auth task is up: %v", i, err)
		}
	}
	if f.calls()["127.0.0.3"] != 10 {
		t.Errorf("calls = %v", f.calls())
	}
}

func TestRetriesTransientStatusesOnly(t *testing.T) {
	cases := []struct {
		name       string
		statuses   []int
		wantCalls  int
		wantCode   string
		wantMesage string
	}{
		{"503 then 200", []int{503, 200}, 2, "", ""},
		{"502, 504 then 200", []int{502, 504, 200}, 3, "", ""},
		{"always 503", []int{503, 503, 503, 503}, 3, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown},
		{"401 is never retried", []int{401, 200}, 1, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken},
		{"500 is not transient", []int{500, 200}, 1, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAuth(t, "127.0.0.2")
			f.setResponder(func(_ string, n int) (int, string) {
				status := tc.statuses[min(n, len(tc.statuses))-1]
				switch status {
				case 200:
					return 200, validBody(time.Now().Add(time.Hour))
				case 401:
					return 401, `{"error":"Unauthorized","message":"Invalid token"}`
				}
				return status, `{"error":"x","message":"y"}`
			})
			c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), nil)
			_, err := c.ValidateToken(ctx, "t")
			if tc.wantCode == "" && err != nil {
				t.Fatal(err)
			} else if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode, tc.wantMesage)
			}
			if got := f.total(); got != tc.wantCalls {
				t.Errorf("auth service got %d calls, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestExpiredMessageIsPassedOn(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	f.setResponder(func(string, int) (int, string) {
		return 401, `{"error":"Unauthorized","message":"Token has expired"}`
	})
	c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), nil)
	_, err := c.ValidateToken(ctx, "t")
	wantCode(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgTokenExpired)
}

func TestFailsClosedOnNonsense(t *testing.T) {
	cases := map[string]func(string, int) (int, string){
		"garbage":     func(string, int) (int, string) { return 200, "<html>hello</html>" },
		"valid false": func(string, int) (int, string) { return 200, `{"valid":false}` },
		"no user":     func(string, int) (int, string) { return 200, `{"valid":true,"user":{}}` },
		"redirect":    func(string, int) (int, string) { return 302, `{}` },
		"huge body": func(string, int) (int, string) {
			return 200, `{"valid":true,"x":"` + strings.Repeat("a", 10<<20) + `"}`
		},
		"401 odd message":   func(string, int) (int, string) { return 401, `{"message":"<script>"}` },
		"401 without body":  func(string, int) (int, string) { return 401, `` },
		"200 other service": func(string, int) (int, string) { return 200, `{"status":"ok"}` },
	}
	for name, respond := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeAuth(t, "127.0.0.2")
			f.setResponder(respond)
			c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), nil)
			p, err := c.ValidateToken(ctx, "t")
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if code := taskapi.ErrorCode(err); code != taskapi.EUNAVAILABLE && code != taskapi.EUNAUTHORIZED {
				t.Fatalf("err = %v", err)
			}
			if msg := err.(*taskapi.Error).Message; msg == "<script>" {
				t.Fatal("an upstream message reached the client")
			}
		})
	}
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	down := true
	f.setResponder(func(string, int) (int, string) {
		if down {
			return 503, `{}`
		}
		return 200, validBody(time.Now().Add(time.Hour))
	})
	c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"),
		func(o *authclient.Options) {
			o.Retries = 0
			o.BreakerFailures = 3
			o.BreakerOpen = 200 * time.Millisecond
		})
	for i := 0; i < 3; i++ {
		_, err := c.ValidateToken(ctx, "t")
		wantCode(t, err, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
	}
	calls := f.total()
	for i := 0; i < 20; i++ {
		_, err := c.ValidateToken(ctx, "t")
		wantCode(t, err, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
	}
	if f.total() != calls {
		t.Fatalf("the open breaker let %d calls through", f.total()-calls)
	}
	f.mu.Lock()
	down = false
	f.mu.Unlock()
	time.Sleep(250 * time.Millisecond)
	if _, err := c.ValidateToken(ctx, "t"); err != nil {
		t.Fatalf("no recovery after the open period: %v", err)
	}
}

func TestUnauthorizedNeverOpensBreaker(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	f.setResponder(func(_ string, n int) (int, string) {
		if n <= 50 {
			return 401, `{"message":"Invalid token"}`
		}
		return 200, validBody(time.Now().Add(time.Hour))
	})
	c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), func(o *authclient.Options) { o.BreakerFailures = 2 })
	for i := 0; i < 50; i++ {
		_, err := c.ValidateToken(ctx, "bad")
		wantCode(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	if _, err := c.ValidateToken(ctx, "good"); err != nil {
		t.Fatalf("50 bad tokens locked out a good one: %v", err)
	}
}

// The process's one validation cache in front of the client: repeats
// cost no call, and the answer carries the token's id, by which a
// revocation notification makes the cache forget it.
func TestCacheInFrontOfTheClientForgetsByTokenID(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	f.setResponder(func(string, int) (int, string) {
		return 200, fmt.Sprintf(`{"valid":true,"user":{"user_id":7,"username":"alice","email":"a@example.com"},"token_id":"jti-7","expires_at":%q}`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	})
	client := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), nil)
	c := handlers.CacheValidations(client, 30*time.Second, 100, time.Now)
	for range 5 {
		p, err := c.ValidateToken(ctx, "token-a")
		if err != nil || p.TokenID != "jti-7" || p.UserID != 7 {
			t.Fatalf("ValidateToken = %+v, %v; want user 7, token id jti-7", p, err)
		}
	}
	if f.total() != 1 {
		t.Fatalf("5 validations of one token cost %d calls, want 1", f.total())
	}
	c.ForgetToken("jti-7")
	if _, err := c.ValidateToken(ctx, "token-a"); err != nil || f.total() != 2 {
		t.Fatalf("after ForgetToken the cache still answered (calls %d, err %v)", f.total(), err)
	}
}

func TestUnreachableNameIs503(t *testing.T) {
	d := testdns.New(t, "other.local", "127.0.0.2")
	opts := testOptions("http://"+serviceName+":3000", d.Resolver())
	c, err := authclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ValidateToken(ctx, "t")
	wantCode(t, err, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
}

func TestPlainURLsStillWork(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.1")
	for _, host := range []string{"127.0.0.1", "localhost"} {
		c, err := authclient.New(testOptions("http://"+host+":"+f.Port+"/", nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ValidateToken(ctx, "t"); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}

// TestSlowAuthServiceIsBoundedAndFailsClosed: an auth service that
// answers too late costs at most (1+Retries) attempt timeouts plus
// backoff, and the answer is 503, never a pass.
func TestSlowAuthServiceIsBoundedAndFailsClosed(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	f.stallAnswers()
	c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), func(o *authclient.Options) { o.Timeout = 50 * time.Millisecond; o.Retries = 2 })
	start := time.Now()
	_, err := c.ValidateToken(ctx, "t")
	wantCode(t, err, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %s, want about 3 × 50ms", d)
	}
	// The last attempt gave up 50ms after it was sent: on a busy machine
	// the handler may only now count it. Nothing else is sent, so a
	// fourth never comes.
	for deadline := time.Now().Add(2 * time.Second); f.total() < 3 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
	}
	if n := f.total(); n != 3 {
		t.Errorf("%d attempts, want 1 + 2 retries of a timed-out call", n)
	}
}

// TestOversizedOrEmptyTokenNeverLeaves: a token no auth service would
// accept is refused here, with the same 401 the auth service would give,
// and without a call: an attacker's megabyte header must not travel on.
func TestOversizedOrEmptyTokenNeverLeaves(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	c := newClient(t, f, testdns.New(t, serviceName, "127.0.0.2"), func(o *authclient.Options) { o.BreakerFailures = 1 })
	for _, tc := range []struct {
		name, token, message string
	}{
		{"one byte too long", strings.Repeat("a", tokens.MaxTokenLength+1), taskapi.MsgInvalidToken},
		{"a megabyte", strings.Repeat("a", 1<<20), taskapi.MsgInvalidToken},
		{"empty", "", taskapi.MsgNoToken},
	} {
		_, err := c.ValidateToken(ctx, tc.token)
		if taskapi.ErrorCode(err) != taskapi.EUNAUTHORIZED || err.(*taskapi.Error).Message != tc.message {
			t.Errorf("%s: err = %v, want 401 %q", tc.name, err, tc.message)
		}
	}
	if n := f.total(); n != 0 {
		t.Fatalf("%d refused tokens were sent to the auth service", n)
	}
	// The longest acceptable length still goes to the auth service, and the
	// refusals above did not count against the breaker.
	if _, err := c.ValidateToken(ctx, strings.Repeat("a", tokens.MaxTokenLength)); err != nil || f.total() != 1 {
		t.Fatalf("a token of exactly MaxTokenLength: err %v, %d calls; want it sent", err, f.total())
	}
}

// TestHungAuthServiceCostsOneBudget: an auth service that accepts
// connections and never answers (frozen, not dead) costs each validation
// one budget, whatever the attempt timeout and retries would add up to,
// and so does the breaker's half-open trial.
func TestHungAuthServiceCostsOneBudget(t *testing.T) {
	hung := faultproxy.NewOn(t, "127.0.0.2:0", "127.0.0.1:1") // never dialed: the hole swallows all
	hung.BlackHole()
	_, port, _ := net.SplitHostPort(hung.Addr)
	const budget, timeout, open = 300 * time.Millisecond, 2 * time.Second, 50 * time.Millisecond
	opts := testOptions("http://"+serviceName+":"+port, testdns.New(t, serviceName, "127.0.0.2").Resolver())
	opts.Timeout, opts.Retries, opts.Budget = timeout, 2, budget
	opts.BreakerFailures, opts.BreakerOpen = 2, open
	c, err := authclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Each validation must end well before even one attempt timeout
	// would (3 attempts would take more than 3 × 2s).
	validate := func(what string) error {
		t.Helper()
		start := time.Now()
		_, err := c.ValidateToken(ctx, "t")
		wantCode(t, err, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
		if took := time.Since(start); took >= timeout {
			t.Errorf("%s took %s with a budget of %s", what, took, budget)
		}
		return err
	}
	validate("the first validation")
	validate("the second validation") // opens the breaker
	if err := validate("a validation while the breaker is open"); !errors.Is(err, gobreaker.ErrOpenState) {
		t.Errorf("the breaker did not open: %v", err)
	}
	time.Sleep(2 * open) // past the open period: the next call is a trial
	if err := validate("the half-open trial"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the trial did not reach the service and run out of budget: %v", err)
	}
}

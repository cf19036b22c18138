package authclient_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/adapters/authclient"
	"taskapi/internal/syncbuf"
	"taskapi/internal/testdns"
)

// TestSilentDNSKeepsKnownAddresses: the DNS server stops answering while
// the auth service is up. Calls go on to the addresses known from the last
// lookup, quickly (no call waits out the request deadline behind a lookup),
// the breaker stays closed, and once DNS answers again its changes are
// followed.
func TestSilentDNSKeepsKnownAddresses(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2", "127.0.0.3")
	d := testdns.New(t, serviceName, "127.0.0.2")
	logs := &syncbuf.Buffer{}
	c := newClient(t, f, d, func(o *authclient.Options) {
		o.DNSRefresh = 50 * time.Millisecond
		o.Timeout = 300 * time.Millisecond
		o.BreakerFailures = 3
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	if _, err := c.ValidateToken(ctx, "t"); err != nil {
		t.Fatal(err)
	}

	d.Silence()
	time.Sleep(60 * time.Millisecond) // the known addresses are due for a lookup
	const workers, rounds = 6, 5
	var wg sync.WaitGroup
	failures := make(chan string, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				// Each call's request deadline: generous, so that a call
				// bounded only by it shows up as slow rather than hanging
				// the test (one per call, so a slow machine does not spend
				// the later calls' time).
				reqCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
				start := time.Now()
				_, err := c.ValidateToken(reqCtx, "t")
				cancel()
				if took := time.Since(start); err != nil || took > time.Second {
					failures <- fmt.Sprintf("err %v after %s", err, took)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("call while DNS was silent: %s", f)
	}
	if strings.Contains(logs.String(), "circuit breaker state changed") {
		t.Errorf("the breaker moved while the auth service was up:\n%s", logs)
	}
	if n := f.calls()["127.0.0.3"]; n != 0 {
		t.Fatalf("127.0.0.3 got %d calls before DNS listed it", n)
	}

	// DNS is back with a new record set: it is followed again.
	d.Answer()
	d.Set("127.0.0.3")
	deadline := time.Now().Add(10 * time.Second)
	for f.calls()["127.0.0.3"] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the new record set was not followed within 10s after DNS came back: %v", f.calls())
		}
		if _, err := c.ValidateToken(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := f.calls()["127.0.0.2"]
	for range 4 {
		if _, err := c.ValidateToken(ctx, "t"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls()["127.0.0.2"]; got != before {
		t.Errorf("127.0.0.2 still got %d calls after DNS dropped it", got-before)
	}
}

// TestFirstLookupFailureFailsClosedQuickly: with no address known yet and a
// silent DNS server the call fails with 503, bounded by the attempt
// timeout rather than by the request deadline.
func TestFirstLookupFailureFailsClosedQuickly(t *testing.T) {
	f := newFakeAuth(t, "127.0.0.2")
	d := testdns.New(t, serviceName, "127.0.0.2")
	d.Silence()
	c := newClient(t, f, d, func(o *authclient.Options) { o.Timeout = 200 * time.Millisecond })
	reqCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.ValidateToken(reqCtx, "t")
	wantCode(t, err, taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the failed first lookup took %s, want about the 200ms attempt timeout", took)
	}
	if f.total() != 0 {
		t.Errorf("%d calls reached an address nobody looked up", f.total())
	}
	// Once DNS answers, the next call looks up again and succeeds.
	d.Answer()
	if _, err := c.ValidateToken(ctx, "t"); err != nil {
		t.Fatalf("no recovery once DNS answered: %v", err)
	}
}

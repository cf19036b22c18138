package handlers_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
	"taskapi/internal/fakeclock"
)

// countingValidator answers from a table of tokens and counts the calls
// that reached it (the revocation queries a cache saves). A token in
// blocked waits for it to be closed.
type countingValidator struct {
	mu      sync.Mutex
	valid   map[string]taskapi.Principal
	calls   int
	blocked map[string]chan struct{}
	inside  chan string
}

func newCountingValidator() *countingValidator {
	return &countingValidator{valid: map[string]taskapi.Principal{}, blocked: map[string]chan struct{}{}, inside: make(chan string, 10)}
}

func (v *countingValidator) ValidateToken(_ context.Context, token string) (taskapi.Principal, error) {
	v.mu.Lock()
	v.calls++
	p, ok := v.valid[token]
	gate := v.blocked[token]
	v.mu.Unlock()
	if gate != nil {
		v.inside <- token
		<-gate
	}
	if !ok {
		return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	return p, nil
}

func (v *countingValidator) set(token string, p *taskapi.Principal) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p == nil {
		delete(v.valid, token)
	} else {
		v.valid[token] = *p
	}
}

func (v *countingValidator) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls
}

func cacheFixture() (*handlers.ValidationCache, *countingValidator, *fakeclock.Clock) {
	clock := fakeclock.New(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC))
	v := newCountingValidator()
	return handlers.CacheValidations(v, 30*time.Second, 100, clock.Now), v, clock
}

func principal(user int64, jti string, exp time.Time) *taskapi.Principal {
	return &taskapi.Principal{UserID: user, Username: "u" + jti, TokenID: jti, ExpiresAt: exp}
}

func TestValidationCacheSavesRepeatsForTTL(t *testing.T) {
	t.Parallel() // see fixture
	c, v, clock := cacheFixture()
	v.set("tok", principal(1, "a", clock.Now().Add(time.Hour)))
	for i := 0; i < 5; i++ {
		p, err := c.ValidateToken(ctx, "tok")
		if err != nil || p.UserID != 1 || p.TokenID != "a" {
			t.Fatalf("call %d: %+v, %v", i, p, err)
		}
	}
	if v.count() != 1 {
		t.Errorf("5 validations asked the validator %d times, want once", v.count())
	}
	// Revoked elsewhere (another process): accepted until the TTL ends,
	// then refused.
	v.set("tok", nil)
	clock.Advance(29 * time.Second)
	if _, err := c.ValidateToken(ctx, "tok"); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := c.ValidateToken(ctx, "tok"); taskapi.ErrorCode(err) != taskapi.EUNAUTHORIZED {
		t.Fatalf("after the window: %v, want 401", err)
	}
}

func TestValidationCacheNeverOutlivesTheToken(t *testing.T) {
	t.Parallel() // see fixture
	c, v, clock := cacheFixture()
	v.set("tok", principal(1, "a", clock.Now().Add(10*time.Second)))
	if _, err := c.ValidateToken(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	v.set("tok", nil) // the real validator refuses an expired token
	clock.Advance(10 * time.Second)
	if _, err := c.ValidateToken(ctx, "tok"); err == nil {
		t.Fatal("a cached validation outlived its token's expiry")
	}
}

func TestValidationCacheDoesNotCacheFailures(t *testing.T) {
	t.Parallel() // see fixture
	c, v, clock := cacheFixture()
	if _, err := c.ValidateToken(ctx, "tok"); err == nil {
		t.Fatal("unknown token accepted")
	}
	v.set("tok", principal(1, "a", clock.Now().Add(time.Hour)))
	if _, err := c.ValidateToken(ctx, "tok"); err != nil {
		t.Fatalf("a refusal was cached: %v", err)
	}
}

func TestValidationCacheForgetsRevokedTokensAtOnce(t *testing.T) {
	t.Parallel() // see fixture
	c, v, clock := cacheFixture()
	exp := clock.Now().Add(time.Hour)
	v.set("a1", principal(1, "a1", exp))
	v.set("a2", principal(1, "a2", exp))
	v.set("b1", principal(2, "b1", exp))
	for _, tok := range []string{"a1", "a2", "b1"} {
		if _, err := c.ValidateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	// Logout of a1 in this process: refused on its very next request.
	v.set("a1", nil)
	c.ForgetToken("a1")
	if _, err := c.ValidateToken(ctx, "a1"); err == nil {
		t.Error("a token revoked through this process was accepted from the cache")
	}
	if _, err := c.ValidateToken(ctx, "a2"); err != nil {
		t.Errorf("the user's other token: %v", err)
	}
	// User 1 deleted: all their tokens go, user 2's stay cached.
	calls := v.count()
	v.set("a2", nil)
	c.ForgetUser(1)
	if _, err := c.ValidateToken(ctx, "a2"); err == nil {
		t.Error("a deleted user's token was accepted from the cache")
	}
	if _, err := c.ValidateToken(ctx, "b1"); err != nil {
		t.Errorf("another user's token: %v", err)
	}
	if v.count() != calls+1 {
		t.Errorf("validator asked %d times after the deletion, want once (a2; b1 still cached)", v.count()-calls)
	}
	// Notifications may have been missed: everything is asked again.
	calls = v.count()
	c.ForgetAll()
	if _, err := c.ValidateToken(ctx, "b1"); err != nil || v.count() != calls+1 {
		t.Errorf("after ForgetAll b1 = %v with %d calls, want asked again", err, v.count()-calls)
	}
}

// TestValidationCacheSkipsAValidationThatRacedARevocation: a validation
// that asked the database before a logout committed must not put the
// token back into the cache after the logout dropped it.
func TestValidationCacheSkipsAValidationThatRacedARevocation(t *testing.T) {
	t.Parallel() // see fixture
	c, v, clock := cacheFixture()
	v.set("tok", principal(1, "a", clock.Now().Add(time.Hour)))
	gate := make(chan struct{})
	v.mu.Lock()
	v.blocked["tok"] = gate
	v.mu.Unlock()
	done := make(chan error, 1)
	go func() { _, err := c.ValidateToken(ctx, "tok"); done <- err }()
	<-v.inside // the validator said "valid" and is about to return
	v.set("tok", nil)
	c.ForgetToken("a") // the logout lands meanwhile
	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("the request that raced the logout: %v (it may pass: it started first)", err)
	}
	v.mu.Lock()
	delete(v.blocked, "tok")
	v.mu.Unlock()
	if _, err := c.ValidateToken(ctx, "tok"); err == nil {
		t.Fatal("the raced validation was cached: a revoked token is accepted after its logout")
	}
}

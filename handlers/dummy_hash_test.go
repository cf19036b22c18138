package handlers_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
	"taskapi/password"
)

// heldHasher is bcrypt at the minimum cost whose Hash waits until open is
// closed, and which fails the first failures calls to Hash.
type heldHasher struct {
	password.Bcrypt
	open     chan struct{}
	failures atomic.Int64
	hashes   atomic.Int64
}

func (h *heldHasher) Hash(p string) (string, error) {
	<-h.open
	h.hashes.Add(1)
	if h.failures.Add(-1) >= 0 {
		return "", errors.New("busy")
	}
	return h.Bcrypt.Hash(p)
}

// TestNewAuthDoesNotWaitForTheDummyHash: start-up does not wait for the
// bcrypt hash that unknown-user logins are compared against; such a login
// waits for it instead, and still gets the usual 401.
func TestNewAuthDoesNotWaitForTheDummyHash(t *testing.T) {
	f := newFixture(t)
	h := &heldHasher{Bcrypt: password.Bcrypt{Cost: 4}, open: make(chan struct{})}
	done := make(chan *handlers.Auth, 1)
	go func() {
		a, err := handlers.NewAuth(f.store, h, f.signer, f.validator, f.clock.Now)
		if err != nil {
			t.Error(err)
		}
		done <- a
	}()
	var a *handlers.Auth
	select {
	case a = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("NewAuth waited for the dummy hash")
	}
	login := make(chan error, 1)
	go func() {
		_, err := a.Login(ctx, handlers.LoginRequest{Username: "nobody", Password: "whatever123"})
		login <- err
	}()
	close(h.open)
	if err := <-login; taskapi.ErrorCode(err) != taskapi.EUNAUTHORIZED {
		t.Fatalf("unknown user: %v, want 401", err)
	}
	if n := h.hashes.Load(); n != 1 {
		t.Errorf("the dummy password was hashed %d times, want once", n)
	}
}

// TestDummyHashFailureIsRetried: if hashing the dummy password fails (the
// bcrypt slots were busy), the next unknown-user login tries again
// rather than failing forever.
func TestDummyHashFailureIsRetried(t *testing.T) {
	f := newFixture(t)
	h := &heldHasher{Bcrypt: password.Bcrypt{Cost: 4}, open: make(chan struct{})}
	h.failures.Store(1)
	close(h.open)
	a, err := handlers.NewAuth(f.store, h, f.signer, f.validator, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for i := 0; i < 3; i++ {
		_, last = a.Login(ctx, handlers.LoginRequest{Username: "nobody", Password: "whatever123"})
	}
	if taskapi.ErrorCode(last) != taskapi.EUNAUTHORIZED {
		t.Fatalf("after a failed dummy hash: %v, want 401", last)
	}
}

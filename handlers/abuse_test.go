package handlers_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
	"taskapi/password"
	"taskapi/throttle"
)

// countingHasher counts the password comparisons a login costs.
type countingHasher struct {
	password.Bcrypt
	compares atomic.Int64
}

func (c *countingHasher) Compare(hash, pw string) error {
	c.compares.Add(1)
	return c.Bcrypt.Compare(hash, pw)
}

func TestUnknownUserCostsOneBcryptCompare(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	h := &countingHasher{Bcrypt: password.Bcrypt{Cost: 4}}
	auth, _ := handlers.NewAuth(f.store, h, f.signer, f.signer, f.clock.Now)
	auth.Login(ctx, handlers.LoginRequest{Username: "nobody", Password: "whatever-123"})
	auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "whatever-123"})
	if n := h.compares.Load(); n != 2 {
		t.Fatalf("%d bcrypt comparisons for an unknown and a known user, want one each: "+
			"an unknown user must cost the same time as a wrong password", n)
	}
}

// logins returns login limits counted in f's database: pair failures per
// (account, address), account failures before the backoff, client
// failures per address, each per 15 minutes.
func (f *fixture) logins(pair, account, client int) *throttle.Throttle {
	return throttle.New(f.store, throttle.Policy{
		Scope:    "login",
		Pair:     throttle.Rule{Max: pair, Window: 15 * time.Minute},
		Account:  throttle.Rule{Max: account, Window: 15 * time.Minute, Backoff: time.Second, BackoffMax: time.Minute},
		Client:   throttle.Rule{Max: client, Window: 15 * time.Minute},
		KnownFor: 30 * 24 * time.Hour,
	}, f.clock.Now, nil)
}

// registrations returns a registration limit per address per hour.
func (f *fixture) registrations(n int) *throttle.Throttle {
	return throttle.New(f.store, throttle.Policy{Scope: "register", Client: throttle.Rule{Max: n, Window: time.Hour}}, f.clock.Now, nil)
}

func newThrottledAuth(f *fixture) *handlers.Auth {
	auth, err := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now,
		handlers.WithLoginThrottle(f.logins(3, 1000, 5)))
	if err != nil {
		panic(err)
	}
	return auth
}

func retryAfter(err error) time.Duration {
	var e *taskapi.Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func TestFailedLoginsLockThePairNotTheOwner(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	f.user("bob")
	auth := newThrottledAuth(f)
	for i := 0; i < 3; i++ {
		_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "wrong-guess", ClientIP: "198.51.100.1"})
		wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	}
	// From that address even the right password waits: the limit is
	// checked before it, until the window ends.
	_, err := auth.Login(ctx, handlers.LoginRequest{Username: "ALICE", Password: "correct horse", ClientIP: "198.51.100.1"})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
	if ra := retryAfter(err); ra != 15*time.Minute {
		t.Errorf("RetryAfter = %s, want the rest of the window (15m)", ra)
	}
	// The owner elsewhere is not locked out, and neither is the address
	// for another account.
	if _, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse", ClientIP: "203.0.113.9"}); err != nil {
		t.Fatalf("the owner from another address was locked out: %v", err)
	}
	if _, err := auth.Login(ctx, handlers.LoginRequest{Username: "bob", Password: "correct horse", ClientIP: "198.51.100.1"}); err != nil {
		t.Fatalf("another account was locked out: %v", err)
	}
	// The lockout ends with its window.
	f.clock.Advance(15 * time.Minute)
	if _, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse", ClientIP: "198.51.100.1"}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestFailedLoginsFromManyAddressesSlowTheAccountDown(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	auth, _ := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now,
		handlers.WithLoginThrottle(f.logins(5, 3, 100)))
	login := func(pw, ip string) error {
		_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: pw, ClientIP: ip})
		return err
	}
	// The owner's usual address.
	if err := login("correct horse", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	// Three addresses, one guess each: the account's free allowance.
	for i := 1; i <= 3; i++ {
		wantError(t, login("guess-guess", "198.51.100."+itoa(int64(i))), taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	}
	// A fourth address waits 1 s, then 2 s, then 4 s: slowed, not stopped.
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		err := login("guess-guess", "198.51.100.9")
		wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
		if ra := retryAfter(err); ra != wait {
			t.Fatalf("RetryAfter = %s, want %s", ra, wait)
		}
		f.clock.Advance(wait)
		wantError(t, login("guess-guess", "198.51.100.9"), taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	}
	// The owner's known address is not slowed down, and a new one only
	// waits for its turn.
	if err := login("correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("the owner's known address was slowed down: %v", err)
	}
	// The owner's logins from there give the guessers nothing back: the
	// account is still slowed down for everyone else.
	for i := 0; i < 4; i++ {
		if err := login("correct horse", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	err := login("correct horse", "203.0.113.5")
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
	if ra := retryAfter(err); ra > time.Minute {
		t.Fatalf("the owner from a new address waits %s, want at most the backoff cap (1m)", ra)
	}
	f.clock.Advance(retryAfter(err))
	if err := login("correct horse", "203.0.113.5"); err != nil {
		t.Fatalf("the owner from a new address after the backoff: %v", err)
	}
}

func TestFailedLoginsAreThrottledPerClient(t *testing.T) {
	f := newFixture(t)
	f.user("target")
	auth := newThrottledAuth(f)
	// One address spraying a few guesses at many accounts.
	for i := 0; i < 5; i++ {
		_, err := auth.Login(ctx, handlers.LoginRequest{Username: "user" + itoa(int64(i)), Password: "guess-1234", ClientIP: "198.51.100.7"})
		wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	}
	_, err := auth.Login(ctx, handlers.LoginRequest{Username: "target", Password: "correct horse", ClientIP: "198.51.100.7"})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
	if _, err := auth.Login(ctx, handlers.LoginRequest{Username: "target", Password: "correct horse", ClientIP: "198.51.100.8"}); err != nil {
		t.Fatalf("another client was locked out: %v", err)
	}
}

func TestSuccessfulLoginForgivesThePairsFailures(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	auth, _ := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now,
		handlers.WithLoginThrottle(f.logins(3, 1000, 1000)))
	for round := 0; round < 3; round++ {
		for i := 0; i < 2; i++ {
			_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "typo-typo", ClientIP: "10.9.9.1"})
			wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
		}
		if _, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse", ClientIP: "10.9.9.1"}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// busyHasher stands in for a bcrypt pool with no free slot.
type busyHasher struct{ password.Bcrypt }

func (busyHasher) Compare(string, string) error {
	return &taskapi.Error{Code: taskapi.EUNAVAILABLE, Message: taskapi.MsgBusy, RetryAfter: time.Second}
}

func TestBusyHasherIs503NotWrongPassword(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	auth, _ := handlers.NewAuth(f.store, busyHasher{password.Bcrypt{Cost: 4}}, f.signer, f.signer, f.clock.Now)
	_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse"})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgBusy)
}

func TestTaskQuota(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.user("alice"), f.user("bob")
	tasks := handlers.NewTasks(f.store, f.clock.Now, handlers.WithQuota(2))
	for i := 0; i < 2; i++ {
		if _, err := tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "one too many"})
	wantError(t, err, taskapi.EFORBIDDEN, "Task limit of 2 reached; delete tasks to add more")
	if _, err := tasks.Create(ctx, handlers.CreateTaskRequest{Caller: bob, Title: "t"}); err != nil {
		t.Fatalf("the quota is per user: %v", err)
	}
}

func TestWrongCurrentPasswordsAreThrottled(t *testing.T) {
	f := newFixture(t)
	alice := f.user("alice")
	alice.TokenID, alice.ExpiresAt = "t1", f.clock.Now().Add(time.Hour)
	logins := f.logins(3, 1000, 1000)
	account := handlers.NewAccount(f.store, password.Bcrypt{Cost: 4}, nil, f.clock.Now, handlers.WithPasswordThrottle(logins))
	const ip = "198.51.100.1"
	for i := 0; i < 3; i++ {
		_, err := account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: alice, CurrentPassword: "guess-" + itoa(int64(i)), NewPassword: "new-password-1", ClientIP: ip})
		wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgWrongPassword)
	}
	// A stolen token cannot go on guessing, not even with the right one.
	_, err := account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: alice, CurrentPassword: "correct horse", NewPassword: "new-password-1", ClientIP: ip})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
	// The allowance is the login's too: one secret, one budget.
	auth, _ := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now, handlers.WithLoginThrottle(logins))
	_, err = auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse", ClientIP: ip})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
}

// gatedHasher is a countingHasher whose comparisons all wait at a gate,
// so that every concurrent login is past its throttle check before any
// password is compared: the widest race a burst of requests can open.
type gatedHasher struct {
	countingHasher
	arrived atomic.Int64
	gate    chan struct{}
}

func newGatedHasher() *gatedHasher {
	return &gatedHasher{countingHasher: countingHasher{Bcrypt: password.Bcrypt{Cost: 4}}, gate: make(chan struct{})}
}

func (g *gatedHasher) Compare(hash, pw string) error {
	g.arrived.Add(1)
	<-g.gate
	return g.countingHasher.Compare(hash, pw)
}

// burst runs n attempts at once. It opens the hasher's gate only when
// every attempt has either returned or is waiting to compare a password,
// so the outcome depends on counts, never on timing. It returns how many
// passwords were compared and how many attempts were refused 429.
func burst(t *testing.T, n int, h *gatedHasher, attempt func(i int) error) (compared, throttled int) {
	t.Helper()
	var wg sync.WaitGroup
	var returned, refused atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if taskapi.ErrorCode(attempt(i)) == taskapi.ETOOMANY {
				refused.Add(1)
			}
			returned.Add(1)
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for returned.Load()+h.arrived.Load() < int64(n) {
		if time.Now().After(deadline) {
			close(h.gate)
			t.Fatal("attempts neither returned nor reached the password check within 20s")
		}
		time.Sleep(time.Millisecond)
	}
	close(h.gate)
	wg.Wait()
	return int(h.compares.Load()), int(refused.Load())
}

func TestConcurrentWrongPasswordsNeverBeatTheAccountLimit(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	h := newGatedHasher()
	auth, err := handlers.NewAuth(f.store, h, f.signer, f.signer, f.clock.Now,
		handlers.WithLoginThrottle(f.logins(1000, 5, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	h.compares.Store(0) // NewAuth hashed its dummy password
	// Forty addresses at once: the account's allowance, then its backoff.
	compared, throttled := burst(t, 40, h, func(i int) error {
		_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "guess-" + itoa(int64(i)), ClientIP: "198.51.100." + itoa(int64(i))})
		return err
	})
	if compared != 5 || throttled != 35 {
		t.Fatalf("40 concurrent wrong passwords: %d compared, %d refused 429; want exactly 5 compared (the allowance) and 35 refused", compared, throttled)
	}
}

func TestConcurrentWrongPasswordsNeverBeatThePairLimit(t *testing.T) {
	f := newFixture(t)
	f.user("alice")
	h := newGatedHasher()
	auth, err := handlers.NewAuth(f.store, h, f.signer, f.signer, f.clock.Now,
		handlers.WithLoginThrottle(f.logins(5, 1000, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	h.compares.Store(0)
	compared, throttled := burst(t, 40, h, func(i int) error {
		_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "guess-" + itoa(int64(i)), ClientIP: "198.51.100.7"})
		return err
	})
	if compared != 5 || throttled != 35 {
		t.Fatalf("40 concurrent wrong passwords from one address: %d compared, %d refused 429; want 5 and 35", compared, throttled)
	}
}

func TestConcurrentWrongPasswordsNeverBeatTheClientLimit(t *testing.T) {
	f := newFixture(t)
	h := newGatedHasher()
	auth, err := handlers.NewAuth(f.store, h, f.signer, f.signer, f.clock.Now,
		handlers.WithLoginThrottle(f.logins(1000, 1000, 7)))
	if err != nil {
		t.Fatal(err)
	}
	h.compares.Store(0)
	// One address, a different account each time.
	compared, throttled := burst(t, 30, h, func(i int) error {
		_, err := auth.Login(ctx, handlers.LoginRequest{Username: "user" + itoa(int64(i)), Password: "guess-1234", ClientIP: "198.51.100.7"})
		return err
	})
	if compared != 7 || throttled != 23 {
		t.Fatalf("30 concurrent guesses from one address: %d compared, %d refused 429; want 7 and 23", compared, throttled)
	}
}

func TestConcurrentWrongCurrentPasswordsShareTheLoginLimit(t *testing.T) {
	f := newFixture(t)
	alice := f.user("alice")
	h := newGatedHasher()
	logins := f.logins(4, 1000, 1000)
	account := handlers.NewAccount(f.store, h, nil, f.clock.Now, handlers.WithPasswordThrottle(logins))
	compared, throttled := burst(t, 20, h, func(i int) error {
		_, err := account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: alice, CurrentPassword: "guess-" + itoa(int64(i)), NewPassword: "new-password-1", ClientIP: "198.51.100.7"})
		return err
	})
	if compared != 4 || throttled != 16 {
		t.Fatalf("20 concurrent wrong current passwords: %d compared, %d refused 429; want 4 and 16", compared, throttled)
	}
	auth, _ := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now, handlers.WithLoginThrottle(logins))
	_, err := auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse", ClientIP: "198.51.100.7"})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
}

func TestRegistrationsAreThrottledPerClient(t *testing.T) {
	f := newFixture(t)
	h := &countingHasher{Bcrypt: password.Bcrypt{Cost: 4}}
	auth, err := handlers.NewAuth(f.store, h, f.signer, f.signer, f.clock.Now,
		handlers.WithRegistrationThrottle(f.registrations(3)))
	if err != nil {
		t.Fatal(err)
	}
	h.compares.Store(0)
	register := func(name, ip string) error {
		_, err := auth.Register(ctx, handlers.RegisterRequest{Username: name, Email: name + "@example.com", Password: "correct horse", ClientIP: ip})
		return err
	}
	if err := register("alice", "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	// A taken name counts too: probing which accounts exist is what the
	// limit slows down.
	wantError(t, register("alice", "198.51.100.1"), taskapi.ECONFLICT, taskapi.MsgConflict)
	// Invalid input costs nothing and reveals nothing: not counted.
	wantError(t, register("a", "198.51.100.1"), taskapi.EINVALID, "Validation failed", "username")
	if err := register("bob", "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	err = register("carol", "198.51.100.1")
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyRegistrations)
	if ra := retryAfter(err); ra != time.Hour {
		t.Errorf("RetryAfter = %s, want the rest of the window (1h)", ra)
	}
	if _, err := f.store.UserByUsername(ctx, "carol"); taskapi.ErrorCode(err) != taskapi.ENOTFOUND {
		t.Fatalf("the refused registration created the account: %v", err)
	}
	if err := register("carol", "198.51.100.2"); err != nil {
		t.Fatalf("another address was throttled too: %v", err)
	}
}

func TestConcurrentRegistrationsNeverBeatTheClientLimit(t *testing.T) {
	f := newFixture(t)
	auth, err := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now,
		handlers.WithRegistrationThrottle(f.registrations(4)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "user" + itoa(int64(i))
			auth.Register(ctx, handlers.RegisterRequest{Username: name, Email: name + "@example.com", Password: "correct horse", ClientIP: "203.0.113.4"})
		}()
	}
	wg.Wait()
	if n := f.count(t, "users"); n != 4 {
		t.Fatalf("20 concurrent registrations from one address created %d accounts, want the limit of 4", n)
	}
}

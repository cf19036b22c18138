package handlers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"pgregory.net/rapid"

	"taskapi"
	"taskapi/handlers"
	"taskapi/password"
	"taskapi/store"
)

const pass = "correct horse" // the password fixture.user registers with

func TestLogoutRevokesOnlyThatToken(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	first, caller := f.login("alice", pass)
	second, _ := f.login("alice", pass)

	resp, err := f.account.Logout(ctx, handlers.LogoutRequest{Caller: caller})
	if err != nil || resp.Message != "Logged out successfully" {
		t.Fatalf("Logout = %+v, %v", resp, err)
	}
	if r, ok := f.revocations(t)[caller.TokenID]; !ok || !r.expiresAt.Equal(caller.ExpiresAt) || r.userID != caller.UserID {
		t.Errorf("revocation = %+v (present %v), want user %d until %v", r, ok, caller.UserID, caller.ExpiresAt)
	}
	_, err = f.validator.ValidateToken(ctx, first)
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	_, err = f.auth.Validate(ctx, handlers.ValidateRequest{Token: first})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	if v, err := f.auth.Validate(ctx, handlers.ValidateRequest{Token: second}); err != nil || !v.Valid {
		t.Fatalf("the other token: Validate = %+v, %v", v, err)
	}
	// Revoking again is harmless (the transport refuses the token before
	// it gets here, but a retried request may race a first one).
	if _, err := f.account.Logout(ctx, handlers.LogoutRequest{Caller: caller}); err != nil {
		t.Fatalf("second Logout: %v", err)
	}
}

// TestLogoutRevocationsArePruned: a logout's revocation lasts until the
// token would have expired; then the store's periodic Prune deletes it
// (logouts themselves delete nothing, so none of them takes long).
func TestLogoutRevocationsArePruned(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	_, old := f.login("alice", pass)
	if _, err := f.account.Logout(ctx, handlers.LogoutRequest{Caller: old}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour + time.Second) // old has expired
	_, current := f.login("alice", pass)
	if _, err := f.account.Logout(ctx, handlers.LogoutRequest{Caller: current}); err != nil {
		t.Fatal(err)
	}
	if revoked := f.revocations(t); len(revoked) != 2 {
		t.Errorf("revocations = %v before pruning, want both", revoked)
	}
	if _, err := f.store.Prune(ctx, f.clock.Now(), store.PruneLimits{Batch: 10, Batches: 1}); err != nil {
		t.Fatal(err)
	}
	if revoked := f.revocations(t); len(revoked) != 1 || revoked[current.TokenID] == (revocation{}) {
		t.Errorf("revocations = %v, want only the live one", revoked)
	}
}

func TestLogoutFailures(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	_, caller := f.login("alice", pass)

	_, err := f.account.Logout(ctx, handlers.LogoutRequest{})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	noID := caller
	noID.TokenID = ""
	_, err = f.account.Logout(ctx, handlers.LogoutRequest{Caller: noID})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)

	f.deleteUser(t, caller.UserID)
	_, err = f.account.Logout(ctx, handlers.LogoutRequest{Caller: caller})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)

	f.loseDatabase(t)
	_, err = f.account.Logout(ctx, handlers.LogoutRequest{Caller: caller})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
}

// revocationsFunc is a RevocationStore whose answer the test chooses.
type revocationsFunc func(jti string) (bool, error)

func (r revocationsFunc) RevokeToken(context.Context, string, int64, time.Time, time.Time) error {
	return errors.New("not used")
}

func (r revocationsFunc) TokenInvalidated(_ context.Context, jti string, _ int64, _ time.Time) (bool, error) {
	return r(jti)
}

func TestRejectingRevoked(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	token, caller := f.login("alice", pass)

	asked := 0
	v := handlers.RejectingRevoked(f.signer, revocationsFunc(func(jti string) (bool, error) {
		asked++
		if jti != caller.TokenID {
			t.Errorf("asked about jti %q, want %q", jti, caller.TokenID)
		}
		return false, nil
	}))
	if p, err := v.ValidateToken(ctx, token); err != nil || p != caller {
		t.Fatalf("ValidateToken = %+v, %v; want %+v", p, err, caller)
	}

	// The inner validator's refusals pass through, without a store call.
	_, err := v.ValidateToken(ctx, tamper(token))
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	_, err = v.ValidateToken(ctx, "")
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	f.clock.Advance(2 * time.Hour)
	_, err = v.ValidateToken(ctx, token)
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgTokenExpired)
	if asked != 1 {
		t.Errorf("store asked %d times, want once (for the accepted token only)", asked)
	}
}

func TestRejectingRevokedFailsClosed(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	token, _ := f.login("alice", pass)
	for _, storeErr := range []error{
		// the store's own EUNAVAILABLE passes as is
		taskapi.Wrap(errors.New("connection refused"), taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown),
		taskapi.Wrap(errors.New("no such table"), taskapi.EINTERNAL, taskapi.MsgInternal),
		errors.New("unclassified"),
	} {
		v := handlers.RejectingRevoked(f.signer, revocationsFunc(func(string) (bool, error) { return true, storeErr }))
		_, err := v.ValidateToken(ctx, token)
		wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
		if !errors.Is(err, storeErr) {
			t.Errorf("error %v does not wrap the cause %v", err, storeErr)
		}
	}
	f.loseDatabase(t)
	_, err := f.auth.Validate(ctx, handlers.ValidateRequest{Token: token})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
}

// principalOnly is a TokenValidator that accepts every token as p.
type principalOnly taskapi.Principal

func (p principalOnly) ValidateToken(context.Context, string) (taskapi.Principal, error) {
	return taskapi.Principal(p), nil
}

func TestRejectingRevokedRefusesTokenWithoutID(t *testing.T) {
	t.Parallel() // see fixture
	v := handlers.RejectingRevoked(principalOnly{UserID: 1, Username: "alice"}, revocationsFunc(func(string) (bool, error) {
		t.Error("store asked about a token without an id")
		return false, nil
	}))
	_, err := v.ValidateToken(ctx, "anything")
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
}

func TestValidateReportsExpiry(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	token, caller := f.login("alice", pass)
	resp, err := f.auth.Validate(ctx, handlers.ValidateRequest{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	want := f.clock.Now().Add(time.Hour)
	if !resp.ExpiresAt.Equal(want) || !resp.ExpiresAt.Equal(caller.ExpiresAt) || resp.ExpiresAt.Location() != time.UTC {
		t.Errorf("expires_at = %v, want %v in UTC", resp.ExpiresAt, want)
	}
}

func TestMeReadsTheDatabase(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	_, caller := f.login("alice", pass)
	registeredAt := f.clock.Now()

	// The token's claims may be stale; the answer is what is stored now.
	stale := caller
	stale.Username, stale.Email = "old-name", "old@example.com"
	resp, err := f.account.Me(ctx, handlers.MeRequest{Caller: stale})
	if err != nil {
		t.Fatal(err)
	}
	want := handlers.PublicUser{ID: caller.UserID, Username: "alice", Email: "alice@example.com", CreatedAt: registeredAt, UpdatedAt: registeredAt}
	if resp.User != want {
		t.Errorf("Me = %+v, want %+v", resp.User, want)
	}

	_, err = f.account.Me(ctx, handlers.MeRequest{})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	f.deleteUser(t, caller.UserID)
	_, err = f.account.Me(ctx, handlers.MeRequest{Caller: caller})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	f.loseDatabase(t)
	_, err = f.account.Me(ctx, handlers.MeRequest{Caller: caller})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
}

func TestChangePassword(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	before, caller := f.login("alice", pass)
	f.clock.Advance(time.Minute)

	resp, err := f.account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass, NewPassword: "new battery staple"})
	if err != nil || resp.Message != "Password updated successfully" {
		t.Fatalf("ChangePassword = %+v, %v", resp, err)
	}
	stored, _ := f.store.UserByID(ctx, caller.UserID)
	if !stored.UpdatedAt.Equal(f.clock.Now()) || stored.CreatedAt.Equal(stored.UpdatedAt) {
		t.Errorf("created_at %v updated_at %v, want updated_at %v", stored.CreatedAt, stored.UpdatedAt, f.clock.Now())
	}
	// Every session ends: the token from before the change is refused.
	_, err = f.validator.ValidateToken(ctx, before)
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	_, err = f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: pass})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	resp2, err := f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "new battery staple"})
	if err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if _, err := f.validator.ValidateToken(ctx, resp2.Token); err != nil {
		t.Errorf("token of a login after the change: %v", err)
	}
}

// Tokens tell their issue time in whole seconds: a token issued earlier
// in the second of the change is refused too, and the answer waits for
// the next second, so that a login after it is accepted.
func TestChangePasswordWithinASecond(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	f.clock.Advance(200 * time.Millisecond)
	before, caller := f.login("alice", pass) // iat: the whole second before
	f.clock.Advance(300 * time.Millisecond)
	start := time.Now()
	if _, err := f.account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass, NewPassword: "new battery staple"}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 500*time.Millisecond {
		t.Errorf("answered after %s, want the half second to the next whole second waited", waited)
	}
	_, err := f.validator.ValidateToken(ctx, before)
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	f.clock.Advance(500 * time.Millisecond) // this clock stood still during the wait
	after, _ := f.login("alice", "new battery staple")
	if _, err := f.validator.ValidateToken(ctx, after); err != nil {
		t.Errorf("token of a login after the answer: %v", err)
	}
}

func TestChangePasswordFailures(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	_, caller := f.login("alice", pass)
	storedHash := func() string {
		u, err := f.store.UserByID(ctx, caller.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}
	hashBefore := storedHash()
	cases := []struct {
		name          string
		req           handlers.ChangePasswordRequest
		code, message string
		fields        []string
	}{
		{"no caller", handlers.ChangePasswordRequest{CurrentPassword: pass, NewPassword: "new battery staple"},
			taskapi.EUNAUTHORIZED, taskapi.MsgNoToken, nil},
		{"both missing", handlers.ChangePasswordRequest{Caller: caller},
			taskapi.EINVALID, "Validation failed", []string{"current_password", "new_password"}},
		{"short new", handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass, NewPassword: "1234567"},
			taskapi.EINVALID, "Validation failed", []string{"new_password"}},
		{"new over 72 bytes", handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass, NewPassword: strings.Repeat("é", 37)},
			taskapi.EINVALID, "Validation failed", []string{"new_password"}},
		{"weak new and wrong current", handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: "wrong", NewPassword: "short"},
			taskapi.EINVALID, "Validation failed", []string{"new_password"}},
		{"wrong current", handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: "wrong password", NewPassword: "new battery staple"},
			taskapi.EUNAUTHORIZED, taskapi.MsgWrongPassword, nil},
		// bcrypt would compare only the first 72 bytes.
		{"current with a suffix past 72 bytes", handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass + strings.Repeat("x", 80), NewPassword: "new battery staple"},
			taskapi.EUNAUTHORIZED, taskapi.MsgWrongPassword, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.account.ChangePassword(ctx, tc.req)
			wantError(t, err, tc.code, tc.message, tc.fields...)
			if storedHash() != hashBefore {
				t.Fatal("a refused change altered the stored hash")
			}
		})
	}

	f.deleteUser(t, caller.UserID)
	_, err := f.account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass, NewPassword: "new battery staple"})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	f.loseDatabase(t)
	_, err = f.account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: pass, NewPassword: "new battery staple"})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
}

// passwordGen draws passwords the rules accept: 8 characters to 72 bytes,
// from all of Unicode but NUL.
var passwordGen = rapid.StringOfN(rapid.Rune().Filter(func(r rune) bool { return r != 0 }), handlers.PasswordMinLen, handlers.PasswordMaxBytes, handlers.PasswordMaxBytes).
	Filter(func(s string) bool { return len([]rune(s)) >= handlers.PasswordMinLen })

// Feature: ecs-task-management-api, Property 3: Password Security
//
// One database and one account for every case (opening and migrating a
// database per case, then registering an account per case, were most of
// the test's time): each case changes the account's password from the
// one the case before set (old) to a new one drawn (next), so every
// drawn password is both the new password of one case and the old one of
// the next.
func TestPropertyPasswordChangeStoresOnlyBcrypt(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	old := "first password of alice"
	reg, err := f.auth.Register(ctx, handlers.RegisterRequest{Username: "alice", Email: "alice@example.com", Password: old})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	caller := taskapi.Principal{UserID: reg.User.ID, Username: "alice"}
	rapid.Check(t, func(t *rapid.T) {
		next := passwordGen.Filter(func(s string) bool { return s != old }).Draw(t, "new")
		if _, err := f.account.ChangePassword(ctx, handlers.ChangePasswordRequest{Caller: caller, CurrentPassword: old, NewPassword: next}); err != nil {
			t.Fatalf("ChangePassword from %q to %q: %v", old, next, err)
		}
		prev := old
		old = next // the next case starts from this one's password
		u, err := f.store.UserByID(ctx, reg.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		hash := u.PasswordHash
		if hash == next || hash == prev || strings.Contains(hash, next) {
			t.Fatalf("stored hash %q holds the plaintext", hash)
		}
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || !strings.HasPrefix(hash, "$2a$") || len(hash) != 60 {
			t.Fatalf("stored hash %q is not bcrypt (cost %d, %v)", hash, cost, err)
		}
		hasher := password.Bcrypt{}
		if err := hasher.Compare(hash, next); err != nil {
			t.Fatalf("stored hash does not match the new password: %v", err)
		}
		if err := hasher.Compare(hash, prev); err == nil {
			t.Fatal("stored hash still matches the old password")
		}
	})
}

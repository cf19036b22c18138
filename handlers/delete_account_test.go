package handlers_test

import (
	"testing"

	"taskapi"
	"taskapi/handlers"
	"taskapi/password"
)

func TestDeletedUsersTokenIsInvalid(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	token, caller := f.login("alice", pass)
	f.deleteUser(t, caller.UserID)
	// The validator the auth service uses for /auth/validate, the account
	// routes and, in one process, /tasks: it agrees with Me.
	_, err := f.validator.ValidateToken(ctx, token)
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	_, err = f.auth.Validate(ctx, handlers.ValidateRequest{Token: token})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	_, err = f.account.Me(ctx, handlers.MeRequest{Caller: caller})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
}

func TestCreateForADeletedUserIsInvalidToken(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	f.deleteUser(t, alice.UserID)
	// A caller that a validation cache still accepts: the store's foreign
	// key refuses the row, and the caller hears that the token is no good.
	_, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "orphan"})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	if f.count(t, "tasks") != 0 {
		t.Fatal("a task was stored for a deleted user")
	}
}

func TestDeleteMe(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	bob := f.user("bob")
	token, caller := f.login("alice", pass)
	other, _ := f.login("alice", pass)
	f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: caller, Title: "mine"})
	f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: bob, Title: "bob's"})

	_, err := f.account.DeleteMe(ctx, handlers.DeleteAccountRequest{Caller: caller})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "password")
	_, err = f.account.DeleteMe(ctx, handlers.DeleteAccountRequest{Caller: caller, Password: "not the password"})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgWrongPassword)
	_, err = f.account.DeleteMe(ctx, handlers.DeleteAccountRequest{Password: pass})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	if f.count(t, "users") != 2 || f.count(t, "tasks") != 2 {
		t.Fatal("a refused deletion deleted something")
	}

	resp, err := f.account.DeleteMe(ctx, handlers.DeleteAccountRequest{Caller: caller, Password: pass})
	if err != nil || resp.Message != "Account deleted successfully" {
		t.Fatalf("DeleteMe = %+v, %v", resp, err)
	}
	for _, tk := range []string{token, other} {
		_, err = f.validator.ValidateToken(ctx, tk)
		wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	if f.count(t, "users") != 1 || f.count(t, "tasks") != 1 {
		t.Fatalf("after deletion %d users and %d tasks, want bob and his task", f.count(t, "users"), f.count(t, "tasks"))
	}
	_, err = f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: pass})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	// Deleting again with the same token: the account is gone.
	_, err = f.account.DeleteMe(ctx, handlers.DeleteAccountRequest{Caller: caller, Password: pass})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
}

func TestDeleteMeWrongPasswordsShareTheLoginLimit(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	h := newGatedHasher()
	logins := f.logins(3, 1000, 1000)
	account := handlers.NewAccount(f.store, h, f.store, f.clock.Now, handlers.WithPasswordThrottle(logins))
	const ip = "198.51.100.1"
	compared, throttled := burst(t, 12, h, func(i int) error {
		_, err := account.DeleteMe(ctx, handlers.DeleteAccountRequest{Caller: alice, Password: "guess-" + itoa(int64(i)), ClientIP: ip})
		return err
	})
	if compared != 3 || throttled != 9 {
		t.Fatalf("12 concurrent wrong passwords: %d compared, %d refused 429; want 3 and 9", compared, throttled)
	}
	// The right password waits too, and the login sees the same count.
	_, err := account.DeleteMe(ctx, handlers.DeleteAccountRequest{Caller: alice, Password: pass, ClientIP: ip})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
	auth, _ := handlers.NewAuth(f.store, password.Bcrypt{Cost: 4}, f.signer, f.signer, f.clock.Now, handlers.WithLoginThrottle(logins))
	_, err = auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: pass, ClientIP: ip})
	wantError(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyLogins)
	if f.count(t, "users") != 1 {
		t.Fatal("the account was deleted")
	}
}

// count returns how many rows table (a literal from the test) holds.
func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

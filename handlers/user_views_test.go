package handlers_test

import (
	"encoding/json"
	"testing"

	"taskapi/handlers"
)

// TestUserViewsJSON pins the user object of every answer about an account,
// byte for byte: registration shows when it was created, login no times,
// /auth/me both times, and validation names the id user_id (the task
// service reads it under that name).
func TestUserViewsJSON(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	reg, err := f.auth.Register(ctx, handlers.RegisterRequest{Username: "alice", Email: "alice@example.com", Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	login, err := f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	_, caller := f.login("alice", pass)
	me, err := f.account.Me(ctx, handlers.MeRequest{Caller: caller})
	if err != nil {
		t.Fatal(err)
	}
	valid, err := f.auth.Validate(ctx, handlers.ValidateRequest{Token: login.Token})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		answer string
		user   any
		want   string
	}{
		{"register", reg.User, `{"id":1,"username":"alice","email":"alice@example.com","created_at":"2026-01-02T03:04:05Z"}`},
		{"login", login.User, `{"id":1,"username":"alice","email":"alice@example.com"}`},
		{"me", me.User, `{"id":1,"username":"alice","email":"alice@example.com","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`},
		{"validate", valid.User, `{"user_id":1,"username":"alice","email":"alice@example.com"}`},
	} {
		got, err := json.Marshal(c.user)
		if err != nil || string(got) != c.want {
			t.Errorf("%s user = %s, %v; want %s", c.answer, got, err, c.want)
		}
	}
}

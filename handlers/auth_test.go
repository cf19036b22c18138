package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
)

var ctx = context.Background()

func TestRegisterReturnsPublicUser(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	resp, err := f.auth.Register(ctx, handlers.RegisterRequest{Username: "alice", Email: " Alice@Example.COM ", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message != "User registered successfully" || resp.User.ID == 0 || resp.User.Username != "alice" {
		t.Fatalf("response = %+v", resp)
	}
	if resp.User.Email != "alice@example.com" {
		t.Errorf("email = %q, want it trimmed and lower-cased", resp.User.Email)
	}
	if !resp.User.CreatedAt.Equal(f.clock.Now()) {
		t.Errorf("created_at = %v, want %v", resp.User.CreatedAt, f.clock.Now())
	}
	stored, _ := f.store.UserByUsername(ctx, "alice")
	if !strings.HasPrefix(stored.PasswordHash, "$2a$") || stored.PasswordHash == "correct horse" {
		t.Errorf("stored hash %q is not bcrypt", stored.PasswordHash)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel() // see fixture
	long := strings.Repeat("a", 51)
	cases := []struct {
		name   string
		req    handlers.RegisterRequest
		fields []string
	}{
		{"all missing", handlers.RegisterRequest{}, []string{"username", "email", "password"}},
		{"short username", handlers.RegisterRequest{Username: "ab", Email: "a@b.co", Password: "12345678"}, []string{"username"}},
		{"long username", handlers.RegisterRequest{Username: long, Email: "a@b.co", Password: "12345678"}, []string{"username"}},
		{"username with space", handlers.RegisterRequest{Username: "a b c", Email: "a@b.co", Password: "12345678"}, []string{"username"}},
		{"bad email", handlers.RegisterRequest{Username: "alice", Email: "not-an-email", Password: "12345678"}, []string{"email"}},
		{"email with name", handlers.RegisterRequest{Username: "alice", Email: "Al <a@b.co>", Password: "12345678"}, []string{"email"}},
		{"email too long", handlers.RegisterRequest{Username: "alice", Email: strings.Repeat("a", 95) + "@b.com", Password: "12345678"}, []string{"email"}},
		{"short password", handlers.RegisterRequest{Username: "alice", Email: "a@b.co", Password: "1234567"}, []string{"password"}},
		{"password over 72 bytes", handlers.RegisterRequest{Username: "alice", Email: "a@b.co", Password: strings.Repeat("é", 37)}, []string{"password"}},
		{"password with a NUL", handlers.RegisterRequest{Username: "alice", Email: "a@b.co", Password: "pass\x00word"}, []string{"password"}},
	}
	f := newFixture(t) // refused registrations leave it empty
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.Register(ctx, tc.req)
			wantError(t, err, taskapi.EINVALID, "Validation failed", tc.fields...)
		})
	}
}

func TestRegisterDuplicateIgnoresCase(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	_, err := f.auth.Register(ctx, handlers.RegisterRequest{Username: "ALICE", Email: "other@example.com", Password: "correct horse"})
	wantError(t, err, taskapi.ECONFLICT, taskapi.MsgConflict)
	_, err = f.auth.Register(ctx, handlers.RegisterRequest{Username: "bob", Email: "ALICE@example.com", Password: "correct horse"})
	wantError(t, err, taskapi.ECONFLICT, taskapi.MsgConflict)
}

func TestLoginIssuesTokenForOneHour(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	resp, err := f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message != "Login successful" || resp.TokenType != "Bearer" || resp.ExpiresIn != 3600 || resp.User.Username != "alice" {
		t.Fatalf("response = %+v", resp)
	}
	p, err := f.signer.ValidateToken(ctx, resp.Token)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != resp.User.ID || !p.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("principal = %+v", p)
	}
}

func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	for _, req := range []handlers.LoginRequest{
		{Username: "alice", Password: "wrong password"},
		{Username: "nobody", Password: "correct horse"},
		// bcrypt would compare only the first 72 bytes; the longer
		// password must still fail.
		{Username: "alice", Password: "correct horse" + strings.Repeat("x", 80)},
	} {
		_, err := f.auth.Login(ctx, req)
		wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidCredentials)
	}
}

func TestLoginRequiresFields(t *testing.T) {
	t.Parallel() // see fixture
	_, err := newFixture(t).auth.Login(ctx, handlers.LoginRequest{Username: " "})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "username", "password")
}

func TestLoginDatabaseDownIs503(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.loseDatabase(t)
	_, err := f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse"})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
}

func TestValidate(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	f.user("alice")
	login, _ := f.auth.Login(ctx, handlers.LoginRequest{Username: "alice", Password: "correct horse"})

	resp, err := f.auth.Validate(ctx, handlers.ValidateRequest{Token: login.Token})
	if err != nil || !resp.Valid || resp.User.Username != "alice" || resp.User.UserID != login.User.ID {
		t.Fatalf("Validate = %+v, %v", resp, err)
	}
	_, err = f.auth.Validate(ctx, handlers.ValidateRequest{})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	_, err = f.auth.Validate(ctx, handlers.ValidateRequest{Token: tamper(login.Token)})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)

	f.clock.Advance(time.Hour + time.Second)
	_, err = f.auth.Validate(ctx, handlers.ValidateRequest{Token: login.Token})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgTokenExpired)
}

// tamper changes one character in the middle of a token's signature.
func tamper(token string) string {
	b := []byte(token)
	i := len(b) - 10
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

package app

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAccountLogoutRevokesOnlyThatToken: after POST /auth/logout the token
// is refused everywhere, while another token of the same user still works.
func TestAccountLogoutRevokesOnlyThatToken(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		first, _ := s.register(t, "alice")
		second := s.freshToken(t, "alice", "correct horse battery")

		v := s.call(t, "POST", "/auth/validate", first, nil).expect(t, 200, "")
		expiresAt, err := time.Parse(time.RFC3339, v.Body["expires_at"].(string))
		if err != nil || !strings.HasSuffix(v.Body["expires_at"].(string), "Z") {
			t.Fatalf("expires_at %v is not RFC 3339 UTC: %v", v.Body["expires_at"], err)
		}
		if d := time.Until(expiresAt); d < time.Hour-time.Minute || d > time.Hour+time.Minute {
			t.Errorf("expires_at %v is %s away, want about an hour", expiresAt, d)
		}
		if v.Body["valid"] != true || v.Body["user"].(map[string]any)["username"] != "alice" {
			t.Errorf("validate = %s, want the existing fields kept", v.Raw)
		}
		s.call(t, "POST", "/tasks", first, map[string]any{"title": "before logout"}).expect(t, 201, "")

		out := s.call(t, "POST", "/auth/logout", first, nil).expect(t, 200, "")
		if out.Raw != `{"message":"Logged out successfully"}`+"\n" {
			t.Errorf("logout = %q", out.Raw)
		}

		s.call(t, "POST", "/auth/validate", first, nil).expect(t, 401, "Invalid token")
		s.call(t, "GET", "/tasks", first, nil).expect(t, 401, "Invalid token")
		s.call(t, "POST", "/tasks", first, map[string]any{"title": "after logout"}).expect(t, 401, "Invalid token")
		s.call(t, "GET", "/auth/me", first, nil).expect(t, 401, "Invalid token")
		s.call(t, "POST", "/auth/logout", first, nil).expect(t, 401, "Invalid token")

		s.call(t, "POST", "/auth/validate", second, nil).expect(t, 200, "")
		if list := s.call(t, "GET", "/tasks", second, nil).expect(t, 200, ""); list.Body["total"] != 1.0 {
			t.Errorf("the other token sees %s, want the one task", list.Raw)
		}
		s.call(t, "POST", "/auth/logout", second, nil).expect(t, 200, "")
		s.call(t, "GET", "/tasks", second, nil).expect(t, 401, "Invalid token")
		// Logging out does not stop the user logging in again.
		third := s.freshToken(t, "alice", "correct horse battery")
		s.call(t, "GET", "/tasks", third, nil).expect(t, 200, "")
	})
}

func TestAccountMe(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, id := s.register(t, "alice")
		me := s.call(t, "GET", "/auth/me", token, nil).expect(t, 200, "")
		user, _ := me.Body["user"].(map[string]any)
		if len(me.Body) != 1 || user["id"] != id || user["username"] != "alice" || user["email"] != "alice@example.com" {
			t.Fatalf("me = %s", me.Raw)
		}
		var keys []string
		for k := range user {
			keys = append(keys, k)
		}
		if want := []string{"created_at", "email", "id", "updated_at", "username"}; !slices.Equal(slices.Sorted(slices.Values(keys)), want) {
			t.Errorf("user fields = %v, want %v", slices.Sorted(slices.Values(keys)), want)
		}
		for _, k := range []string{"created_at", "updated_at"} {
			if v, _ := user[k].(string); !strings.HasSuffix(v, "Z") {
				t.Errorf("%s %q is not RFC 3339 UTC", k, v)
			} else if _, err := time.Parse(time.RFC3339, v); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		}
	})
}

func TestAccountChangePassword(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		const oldPass, newPass = "correct horse battery", "new battery staple"
		token, _ := s.register(t, "alice")
		other, _ := s.register(t, "bob")
		before := s.call(t, "GET", "/auth/me", token, nil).expect(t, 200, "").Body["user"].(map[string]any)

		s.call(t, "PUT", "/auth/password", token, map[string]string{"current_password": "wrong password", "new_password": newPass}).
			expect(t, 401, "Current password is incorrect")
		weak := s.call(t, "PUT", "/auth/password", token, map[string]string{"current_password": oldPass, "new_password": "short"}).
			expect(t, 400, "Validation failed")
		if !slices.Equal(weak.fields(), []string{"new_password"}) {
			t.Errorf("weak password details = %v (%s)", weak.fields(), weak.Raw)
		}
		empty := s.call(t, "PUT", "/auth/password", token, map[string]string{}).expect(t, 400, "Validation failed")
		if !slices.Equal(empty.fields(), []string{"current_password", "new_password"}) {
			t.Errorf("empty body details = %v (%s)", empty.fields(), empty.Raw)
		}
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": oldPass}).expect(t, 200, "")

		ok := s.call(t, "PUT", "/auth/password", token, map[string]string{"current_password": oldPass, "new_password": newPass}).expect(t, 200, "")
		if ok.Raw != `{"message":"Password updated successfully"}`+"\n" {
			t.Errorf("change = %q", ok.Raw)
		}
		// Every session of the account ended: the token that made the
		// change is refused, on the account routes and on /tasks.
		s.call(t, "GET", "/auth/me", token, nil).expect(t, 401, "Invalid token")
		s.call(t, "GET", "/tasks", token, nil).expect(t, 401, "Invalid token")
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": oldPass}).expect(t, 401, "Invalid username or password")
		fresh := s.freshToken(t, "alice", newPass)
		// The old password no longer passes as the current one.
		s.call(t, "PUT", "/auth/password", fresh, map[string]string{"current_password": oldPass, "new_password": "a third password"}).
			expect(t, 401, "Current password is incorrect")

		after := s.call(t, "GET", "/auth/me", fresh, nil).expect(t, 200, "").Body["user"].(map[string]any)
		if after["created_at"] != before["created_at"] || !parseTime(t, after["updated_at"]).After(parseTime(t, before["updated_at"])) {
			t.Errorf("before %v, after %v: want created_at kept and updated_at moved", before, after)
		}
		s.call(t, "GET", "/tasks", fresh, nil).expect(t, 200, "")
		// Bob's password is untouched.
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "bob", "password": oldPass}).expect(t, 200, "")
		s.call(t, "GET", "/auth/me", other, nil).expect(t, 200, "")

		if logs := s.Logs.String(); strings.Contains(logs, newPass) || strings.Contains(logs, oldPass) {
			t.Error("a password reached the log")
		}
	})
}

func TestAccountErrorPaths(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "alice")
		body := map[string]string{"current_password": "correct horse battery", "new_password": "new battery staple"}
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			message                   string
		}{
			{"logout without token", "POST", "/auth/logout", "", nil, 401, "No authentication token provided"},
			{"logout with garbage", "POST", "/auth/logout", "garbage", nil, 401, "Invalid token"},
			{"me without token", "GET", "/auth/me", "", nil, 401, "No authentication token provided"},
			{"me with garbage", "GET", "/auth/me", "garbage", nil, 401, "Invalid token"},
			{"password without token", "PUT", "/auth/password", "", body, 401, "No authentication token provided"},
			{"password with expired token", "PUT", "/auth/password", expiredToken(t, []byte(testSecret)), body, 401, ""},
			{"logout by GET", "GET", "/auth/logout", token, nil, 405, ""},
			{"me by POST", "POST", "/auth/me", token, nil, 405, ""},
			{"password by POST", "POST", "/auth/password", token, body, 405, ""},
			{"password by GET", "GET", "/auth/password", token, nil, 405, ""},
			{"password malformed", "PUT", "/auth/password", token, `{"current_password":`, 400, "Validation failed"},
			{"password wrong type", "PUT", "/auth/password", token, `{"current_password": 5, "new_password": "x"}`, 400, "Validation failed"},
			{"password no body", "PUT", "/auth/password", token, nil, 400, "Validation failed"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := s.call(t, tc.method, tc.path, tc.token, tc.body).expect(t, tc.status, tc.message)
				if r.Body["error"] == nil || r.Body["message"] == "" {
					t.Errorf("body = %s, want the JSON error shape", r.Raw)
				}
				if tc.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
		s.call(t, "PUT", "/auth/password", token, `{}`, "Content-Type", "text/plain").expect(t, 415, "Content-Type must be application/json")
		// None of that changed the password.
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "correct horse battery"}).expect(t, 200, "")
	})
}

// TestAccountRoutesOnAuthService: the auth service alone serves the
// account routes (authenticating them itself), and its /auth/validate,
// which the task service calls, refuses a token from before a password
// change and a logged-out token.
func TestAccountRoutesOnAuthService(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SERVICE": "auth", "SQLITE_PATH": t.TempDir() + "/db", "JWT_SECRET": testSecret})
	token, _ := s.register(t, "alice")
	s.call(t, "GET", "/auth/me", token, nil).expect(t, 200, "")
	s.call(t, "PUT", "/auth/password", token, map[string]string{"current_password": "correct horse battery", "new_password": "new battery staple"}).expect(t, 200, "")
	// The change ended the session: /auth/validate refuses the token.
	s.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "Invalid token")
	fresh := s.freshToken(t, "alice", "new battery staple")
	s.call(t, "GET", "/auth/me", fresh, nil).expect(t, 200, "")
	s.call(t, "POST", "/auth/logout", fresh, nil).expect(t, 200, "")
	s.call(t, "POST", "/auth/validate", fresh, nil).expect(t, 401, "Invalid token")
	s.call(t, "GET", "/auth/me", fresh, nil).expect(t, 401, "Invalid token")
}

// parseTime reads an RFC 3339 time from a decoded JSON body.
func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return tm
}

// freshToken logs an existing account in and returns a new token.
func (s *testServer) freshToken(t *testing.T, username, password string) string {
	t.Helper()
	r := s.call(t, "POST", "/auth/login", "", map[string]string{"username": username, "password": password}).expect(t, 200, "")
	return r.Body["token"].(string)
}

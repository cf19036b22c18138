package app

import (
	"database/sql"
	"fmt"
	"maps"
	"testing"

	_ "github.com/lib/pq"  // the "postgres" driver, for deleteUserRow
	_ "modernc.org/sqlite" // the "sqlite" driver, for deleteUserRow
)

// deleteUserRow deletes user id straight from the database, as an operator
// would, behind the API's back: its tokens stay signed and unexpired.
func deleteUserRow(t *testing.T, dbEnv map[string]string, id float64) {
	t.Helper()
	driver, dsn := "postgres", dbEnv["DATABASE_URL"]
	if dsn == "" {
		driver, dsn = "sqlite", "file:"+dbEnv["SQLITE_PATH"]+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(t.Context(), "DELETE FROM users WHERE id = $1", int64(id))
	if err != nil {
		t.Fatalf("delete user %v: %v", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("deleted %d users, want 1", n)
	}
}

// TestDeletedUsersTokenIsInvalidEverywhere: once the account is gone
// (here deleted by an operator, behind the API's back), its still signed
// and unexpired token is "Invalid token" on every route, as /auth/me
// already said, and never a 500. A process that cached the token's
// validation (AUTH_CACHE_TTL) may accept it for that long, but what it
// lets through fails cleanly: reads find nothing, creates are 401.
func TestDeletedUsersTokenIsInvalidEverywhere(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		env := maps.Clone(dbEnv)
		env["JWT_SECRET"] = testSecret // both processes accept each other's tokens
		cached := startServer(t, env)
		env["AUTH_CACHE_TTL"] = "0"
		s := startServer(t, env)
		token, id := s.register(t, "alice")
		other, _ := s.register(t, "bob")
		s.call(t, "POST", "/tasks", token, map[string]any{"title": "mine"}).expect(t, 201, "")
		cached.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")
		deleteUserRow(t, dbEnv, id)

		cached.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "Invalid token")
		cached.call(t, "GET", "/auth/me", token, nil).expect(t, 401, "Invalid token")
		cached.call(t, "POST", "/tasks", token, map[string]any{"title": "orphan"}).expect(t, 401, "Invalid token")
		if r := cached.call(t, "GET", "/tasks", token, nil); r.Status != 401 && (r.Status != 200 || r.Body["total"] != 0.0) {
			t.Fatalf("cached GET /tasks of a deleted account = %d %s, want 401, or 200 with nothing", r.Status, r.Raw)
		}

		s.call(t, "GET", "/auth/me", token, nil).expect(t, 401, "Invalid token")
		s.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "Invalid token")
		s.call(t, "GET", "/tasks", token, nil).expect(t, 401, "Invalid token")
		s.call(t, "POST", "/tasks", token, map[string]any{"title": "orphan"}).expect(t, 401, "Invalid token")
		s.call(t, "GET", "/tasks/1", token, nil).expect(t, 401, "Invalid token")
		s.call(t, "PUT", "/auth/password", token, map[string]string{"current_password": "correct horse battery", "new_password": "new battery staple"}).
			expect(t, 401, "Invalid token")
		s.call(t, "GET", "/tasks", other, nil).expect(t, 200, "")
	})
}

// TestDeletedUsersTokenOnTheSplitTaskService: the task service keeps a
// validation for AUTH_CACHE_TTL, so for that long it may still accept the
// token of a deleted account. What it lets through must fail cleanly: a
// create (whose user row is gone) is 401 Invalid token, not a 500 from
// the foreign key, and nothing is stored. Without the cache the token is
// refused at once.
func TestDeletedUsersTokenOnTheSplitTaskService(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		dbEnv["JWT_SECRET"] = testSecret
		authEnv := map[string]string{"SERVICE": "auth"}
		for k, v := range dbEnv {
			authEnv[k] = v
		}
		auth := startServer(t, authEnv)
		service := func(ttl string) *testServer {
			env := map[string]string{"SERVICE": "task", "AUTH_SERVICE_URL": auth.URL, "AUTH_CACHE_TTL": ttl}
			for k, v := range dbEnv {
				if k != "JWT_SECRET" {
					env[k] = v
				}
			}
			return startServer(t, env)
		}
		cached, uncached := service("10m"), service("0")

		token, id := auth.register(t, "alice")
		cached.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")
		deleteUserRow(t, dbEnv, id)

		auth.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "Invalid token")
		uncached.call(t, "GET", "/tasks", token, nil).expect(t, 401, "Invalid token")
		uncached.call(t, "POST", "/tasks", token, map[string]any{"title": "after"}).expect(t, 401, "Invalid token")
		cached.call(t, "POST", "/tasks", token, map[string]any{"title": "after"}).expect(t, 401, "Invalid token")
		// Within the cache's window a read finds nothing: the tasks went
		// with the account.
		if r := cached.call(t, "GET", "/tasks", token, nil); r.Status != 401 && (r.Status != 200 || r.Body["total"] != 0.0) {
			t.Fatalf("cached GET /tasks of a deleted account = %d %s, want 401, or 200 with nothing", r.Status, r.Raw)
		}
	})
}

// TestDeleteAccount: DELETE /auth/me with the password deletes the account
// and its tasks; every token of it is refused from then on, and the name
// can be registered again as a new account.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, id := s.register(t, "alice")
		second := s.freshToken(t, "alice", "correct horse battery")
		bob, _ := s.register(t, "bob")
		s.call(t, "POST", "/tasks", token, map[string]any{"title": "one"}).expect(t, 201, "")
		bobs := s.call(t, "POST", "/tasks", bob, map[string]any{"title": "bob's"}).expect(t, 201, "")

		s.call(t, "DELETE", "/auth/me", token, map[string]string{"password": "wrong password"}).expect(t, 401, "Current password is incorrect")
		missing := s.call(t, "DELETE", "/auth/me", token, map[string]string{}).expect(t, 400, "Validation failed")
		if fields := missing.fields(); len(fields) != 1 || fields[0] != "password" {
			t.Errorf("details = %v, want password", fields)
		}
		s.call(t, "DELETE", "/auth/me", token, nil).expect(t, 400, "Validation failed")
		s.call(t, "DELETE", "/auth/me", "", map[string]string{"password": "correct horse battery"}).expect(t, 401, "No authentication token provided")
		s.call(t, "GET", "/auth/me", token, nil).expect(t, 200, "")

		r := s.call(t, "DELETE", "/auth/me", token, map[string]string{"password": "correct horse battery"}).expect(t, 200, "")
		if r.Raw != `{"message":"Account deleted successfully"}`+"\n" {
			t.Errorf("delete = %q", r.Raw)
		}
		for _, tk := range []string{token, second} {
			s.call(t, "POST", "/auth/validate", tk, nil).expect(t, 401, "Invalid token")
			s.call(t, "GET", "/auth/me", tk, nil).expect(t, 401, "Invalid token")
			s.call(t, "GET", "/tasks", tk, nil).expect(t, 401, "Invalid token")
			s.call(t, "POST", "/tasks", tk, map[string]any{"title": "after"}).expect(t, 401, "Invalid token")
			s.call(t, "DELETE", "/auth/me", tk, map[string]string{"password": "correct horse battery"}).expect(t, 401, "Invalid token")
		}
		s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "correct horse battery"}).expect(t, 401, "Invalid username or password")
		// Bob and his task are untouched.
		taskID := bobs.Body["task"].(map[string]any)["id"].(float64)
		s.call(t, "GET", fmt.Sprintf("/tasks/%d", int64(taskID)), bob, nil).expect(t, 200, "")

		again, newID := s.register(t, "alice")
		if newID == id {
			t.Errorf("the new alice got the deleted account's id %v", id)
		}
		if list := s.call(t, "GET", "/tasks", again, nil).expect(t, 200, ""); list.Body["total"] != 0.0 {
			t.Errorf("the new alice sees %s, want no tasks", list.Raw)
		}
		s.call(t, "GET", "/tasks", token, nil).expect(t, 401, "Invalid token")
	})
}

// TestDeleteAccountGuessesShareTheLoginLimit: a stolen token cannot guess
// the password through DELETE /auth/me beyond the login's allowance.
func TestDeleteAccountGuessesShareTheLoginLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db", "LOGIN_MAX_FAILURES": "3"})
	token, _ := s.register(t, "alice")
	for i := 0; i < 3; i++ {
		s.call(t, "DELETE", "/auth/me", token, map[string]string{"password": fmt.Sprint("guess ", i)}).expect(t, 401, "Current password is incorrect")
	}
	s.call(t, "DELETE", "/auth/me", token, map[string]string{"password": "correct horse battery"}).expect(t, 429, "Too many failed login attempts, try again later")
	s.call(t, "POST", "/auth/login", "", map[string]string{"username": "alice", "password": "correct horse battery"}).expect(t, 429, "")
	s.call(t, "GET", "/auth/me", token, nil).expect(t, 200, "")
}

package app

import (
	"maps"
	"testing"
	"time"
)

// TestOneProcessCachesValidationsForTheWindow: all in one process,
// /tasks remembers a token's validation for AUTH_CACHE_TTL instead of
// querying the revocations on every request. A logout through another
// process sharing the database is honoured at once on PostgreSQL (the
// revocation's notification reaches this process's cache) and after the
// window on SQLite, which has no notifications (the documented trade); a
// logout through this process is honoured at once; AUTH_CACHE_TTL=0
// honours every logout at once.
func TestOneProcessCachesValidationsForTheWindow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		env := maps.Clone(dbEnv)
		env["JWT_SECRET"] = testSecret // both processes accept each other's tokens
		cached := startServer(t, env)
		env["AUTH_CACHE_TTL"] = "0"
		uncached := startServer(t, env)

		token, _ := cached.register(t, "alice")
		cached.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")
		uncached.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")

		// Logged out through the other process.
		uncached.call(t, "POST", "/auth/logout", token, nil).expect(t, 200, "")
		uncached.call(t, "GET", "/tasks", token, nil).expect(t, 401, "Invalid token")
		uncached.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "Invalid token")
		// /auth/validate is never cached.
		cached.call(t, "POST", "/auth/validate", token, nil).expect(t, 401, "Invalid token")
		if dbEnv["DATABASE_URL"] == "" {
			// SQLite: this process validated the token seconds ago, and
			// within the window it still accepts it on /tasks.
			cached.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")
		} else {
			// PostgreSQL: told by the notification, within a second or so
			// (polled, bounded at 5 s for a busy machine).
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if r := cached.call(t, "GET", "/tasks", token, nil); r.Status == 401 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("a logout through another process was not honoured here within 5s on PostgreSQL")
				}
			}
		}

		// A logout through this process bites at once.
		second := cached.freshToken(t, "alice", "correct horse battery")
		cached.call(t, "GET", "/tasks", second, nil).expect(t, 200, "")
		cached.call(t, "POST", "/auth/logout", second, nil).expect(t, 200, "")
		cached.call(t, "GET", "/tasks", second, nil).expect(t, 401, "Invalid token")
		cached.call(t, "GET", "/auth/me", second, nil).expect(t, 401, "Invalid token")
	})
}

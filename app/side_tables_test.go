package app

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"taskapi"
	"taskapi/internal/testdb"
)

// TestIdempotencyKeysPerUserOverHTTP: with IDEMPOTENCY_KEYS_PER_USER=20
// and a task quota of 3, twenty keyed creates (each task deleted again)
// succeed; the 21st is 429 with Retry-After in the JSON error shape and
// stores nothing, while a create without a key is still 201 and a replay
// of a remembered key still answers.
func TestIdempotencyKeysPerUserOverHTTP(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		env := map[string]string{"IDEMPOTENCY_KEYS_PER_USER": "20", "TASK_QUOTA": "3"}
		for k, v := range dbEnv {
			env[k] = v
		}
		s := startServer(t, env)
		token, _ := s.register(t, "alice")
		body := map[string]any{"title": "kept small"}
		for i := range 20 {
			r := s.call(t, "POST", "/tasks", token, body, "Idempotency-Key", fmt.Sprint("key-", i)).expect(t, 201, "")
			id := int64(r.Body["task"].(map[string]any)["id"].(float64))
			s.call(t, "DELETE", "/tasks/"+strconv.FormatInt(id, 10), token, nil).expect(t, 200, "")
		}
		r := s.call(t, "POST", "/tasks", token, body, "Idempotency-Key", "key-20").expect(t, 429, taskapi.MsgTooManyKeys)
		if wait, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || wait < 1 || wait > int(taskapi.IdempotencyWindow.Seconds()) {
			t.Errorf("Retry-After = %q, want the seconds until the oldest key expires", r.Header.Get("Retry-After"))
		}
		if list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 0.0 {
			t.Errorf("the refused create stored a task: %s", list.Raw)
		}
		s.call(t, "POST", "/tasks", token, body).expect(t, 201, "")
		replay := s.call(t, "POST", "/tasks", token, body, "Idempotency-Key", "key-0").expect(t, 201, "")
		if replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a remembered key was not replayed: %s", replay.Raw)
		}
	})
}

// TestPrunerDeletesExpiredRows: the server's periodic prune deletes
// expired revocations and idempotency records on its own, and keeps the
// live ones.
func TestPrunerDeletesExpiredRows(t *testing.T) {
	for _, e := range []struct {
		name string
		env  func(t *testing.T) (map[string]string, *sql.DB)
	}{
		{"sqlite", func(t *testing.T) (map[string]string, *sql.DB) {
			path := filepath.Join(t.TempDir(), "taskapi.db")
			db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			return map[string]string{"SQLITE_PATH": path}, db
		}},
		{"postgres", func(t *testing.T) (map[string]string, *sql.DB) {
			dsn := testdb.Postgres(t)
			db, err := sql.Open("postgres", dsn)
			if err != nil {
				t.Fatal(err)
			}
			return map[string]string{"DATABASE_URL": dsn, "JWT_SECRET": testSecret}, db
		}},
	} {
		t.Run(e.name, func(t *testing.T) {
			env, admin := e.env(t)
			defer admin.Close()
			s := startServerWith(t, env, func(c *Config) { c.PruneInterval = 20 * time.Millisecond })
			token, userID := s.register(t, "alice")
			s.call(t, "POST", "/tasks", token, map[string]any{"title": "live"}, "Idempotency-Key", "live").expect(t, 201, "")
			s.call(t, "POST", "/auth/logout", token, nil).expect(t, 200, "")
			expired := time.Now().UTC().Add(-taskapi.IdempotencyWindow - time.Hour).Format("2006-01-02 15:04:05")
			insert := []string{
				"INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) VALUES ('expired', $1, $2, $2)",
				"INSERT INTO idempotency_keys (user_id, idem_key, request_hash, task_id, response, created_at) VALUES ($1, 'expired', 'h', 1, '{}', $2)",
			}
			for _, q := range insert {
				if _, err := admin.Exec(q, int64(userID), expired); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			count := func(q string) int {
				var n int
				if err := admin.QueryRow(q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			deadline := time.Now().Add(10 * time.Second)
			for count("SELECT count(*) FROM revoked_tokens WHERE jti = 'expired'")+count("SELECT count(*) FROM idempotency_keys WHERE idem_key = 'expired'") > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("expired rows still there after 10 s of pruning every 20 ms:\n%s", s.Logs)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if n := count("SELECT count(*) FROM revoked_tokens") + count("SELECT count(*) FROM idempotency_keys"); n != 2 {
				t.Errorf("%d live rows left, want the logout's revocation and the live key", n)
			}
		})
	}
}

package app

import (
	"strings"
	"sync"
	"testing"
)

// TestIdempotencyKeyOverHTTP: a POST /tasks repeated with its
// Idempotency-Key gets the first answer again (status, body, ETag) marked
// Idempotent-Replayed, and creates nothing; the key with another body is
// 422; a malformed key is 400; keys belong to their user.
func TestIdempotencyKeyOverHTTP(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "alice")
		bob, _ := s.register(t, "bob")
		body := map[string]any{"title": "Pay rent", "priority": "high"}
		const key = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"

		first := s.call(t, "POST", "/tasks", token, body, "Idempotency-Key", key).expect(t, 201, "")
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Error("the first answer is marked replayed")
		}
		// The same request, spelled differently: same meaning, same key.
		again := s.call(t, "POST", "/tasks", token, `{ "priority":"high",  "title":"Pay rent" }`, "Idempotency-Key", key).expect(t, 201, "")
		if again.Raw != first.Raw || again.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Errorf("replay = %s (ETag %s), want the first answer %s (ETag %s)", again.Raw, again.Header.Get("ETag"), first.Raw, first.Header.Get("ETag"))
		}
		if again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("Idempotent-Replayed = %q, want true", again.Header.Get("Idempotent-Replayed"))
		}
		if list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 1.0 {
			t.Fatalf("after a create and its replay: %s, want one task", list.Raw)
		}

		s.call(t, "POST", "/tasks", token, map[string]any{"title": "Pay rent", "priority": "low"}, "Idempotency-Key", key).
			expect(t, 422, "Idempotency-Key was already used with a different request")
		// Bob's key is his own.
		s.call(t, "POST", "/tasks", bob, body, "Idempotency-Key", key).expect(t, 201, "")

		for _, bad := range []string{strings.Repeat("x", 256), "two words", "ключ"} {
			r := s.call(t, "POST", "/tasks", token, body, "Idempotency-Key", bad).expect(t, 400, "Validation failed")
			if f := r.fields(); len(f) != 1 || f[0] != "Idempotency-Key" {
				t.Errorf("key %q: details %v, want Idempotency-Key", bad, f)
			}
		}
		if list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 1.0 {
			t.Fatalf("refused requests created tasks: %s", list.Raw)
		}
		// Without a key every POST creates, as always.
		s.call(t, "POST", "/tasks", token, body).expect(t, 201, "")
		s.call(t, "POST", "/tasks", token, body).expect(t, 201, "")
		if list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 3.0 {
			t.Fatalf("keyless creates: %s, want three tasks", list.Raw)
		}
	})
}

// TestIdempotencyKeyConcurrentRequests: many requests with one key at once
// (a client retrying before its first attempt answered) store exactly one
// task; each gets 201 with that task (the others wait for the first) or,
// when the database is too busy, a 503 that a retry answers the same way.
func TestIdempotencyKeyConcurrentRequests(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "alice")
		const n = 10
		var wg sync.WaitGroup
		answers := make(chan response, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers <- s.call(t, "POST", "/tasks", token, map[string]any{"title": "once"}, "Idempotency-Key", "burst-1")
			}()
		}
		wg.Wait()
		close(answers)
		ids := map[any]int{}
		for r := range answers {
			switch r.Status {
			case 201:
				ids[r.Body["task"].(map[string]any)["id"]]++
			case 503:
			default:
				t.Errorf("status %d %s, want 201 (or 503 when busy)", r.Status, r.Raw)
			}
		}
		if len(ids) != 1 {
			t.Errorf("the answers named tasks %v, want one", ids)
		}
		list := s.call(t, "GET", "/tasks", token, nil).expect(t, 200, "")
		if list.Body["total"] != 1.0 {
			t.Fatalf("%d concurrent creates with one key stored %v tasks, want 1", n, list.Body["total"])
		}
		id := list.Body["tasks"].([]any)[0].(map[string]any)["id"]
		r := s.call(t, "POST", "/tasks", token, map[string]any{"title": "once"}, "Idempotency-Key", "burst-1").expect(t, 201, "")
		if r.Body["task"].(map[string]any)["id"] != id || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a later retry = %s, want task %v replayed", r.Raw, id)
		}
	})
}

// TestIdempotencyKeyAcrossTaskInstances: keys live in the database, so a
// retry that a load balancer sends to another task-service instance is
// still a replay.
func TestIdempotencyKeyAcrossTaskInstances(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		dbEnv["JWT_SECRET"] = testSecret
		authEnv := map[string]string{"SERVICE": "auth"}
		for k, v := range dbEnv {
			authEnv[k] = v
		}
		auth := startServer(t, authEnv)
		var instances []*testServer
		for range 2 {
			env := map[string]string{"SERVICE": "task", "AUTH_SERVICE_URL": auth.URL}
			for k, v := range dbEnv {
				if k != "JWT_SECRET" {
					env[k] = v
				}
			}
			instances = append(instances, startServer(t, env))
		}
		token, _ := auth.register(t, "alice")
		first := instances[0].call(t, "POST", "/tasks", token, map[string]any{"title": "retry me"}, "Idempotency-Key", "cross-1").expect(t, 201, "")
		again := instances[1].call(t, "POST", "/tasks", token, map[string]any{"title": "retry me"}, "Idempotency-Key", "cross-1").expect(t, 201, "")
		if again.Raw != first.Raw || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("the other instance answered %s, want the replay of %s", again.Raw, first.Raw)
		}
		if list := instances[1].call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 1.0 {
			t.Errorf("tasks = %v, want 1", list.Body["total"])
		}
	})
}

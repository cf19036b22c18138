package app

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"taskapi"
)

// TestCommitCutOutcomeUnknown cuts the server's database connection after
// it sent the COMMIT of a keyed create and before the answer came back
// (the commit waits, at the database, for a lock the test holds): the
// client gets 503 saying that the outcome is unknown and that a retry with
// the same Idempotency-Key is safe. The task was in fact committed; the
// retry replays it, and the user has one task, not two.
func TestCommitCutOutcomeUnknown(t *testing.T) {
	const deadline = 3 * time.Second
	f := startBehindProxy(t, map[string]string{"REQUEST_TIMEOUT": deadline.String()})
	token, _ := f.register(t, "alice")

	// A deferred trigger runs at COMMIT: it makes the commit wait for an
	// advisory lock the test holds, so the connection can be cut while the
	// COMMIT is at the server. The trigger lives in this test's schema.
	lockKey := rand.Int64()
	for _, stmt := range []string{
		`CREATE FUNCTION wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN PERFORM pg_advisory_xact_lock_shared(current_setting('taskapi.commit_lock')::bigint); RETURN NULL; END $$`,
		`CREATE CONSTRAINT TRIGGER wait_at_commit AFTER INSERT ON tasks
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_at_commit()`,
	} {
		if _, err := f.admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// The lock's key reaches the trigger as a setting of the function
	// alone, so that nothing outside this test's schema changes.
	if _, err := f.admin.Exec(`ALTER FUNCTION wait_at_commit() SET taskapi.commit_lock = ` + jsonInt(lockKey)); err != nil {
		t.Fatal(err)
	}

	const key = "c0ffee00-cut-during-commit"
	body := map[string]any{"title": "cut during commit"}
	holder, release := f.hold(t, "SELECT pg_advisory_xact_lock($1)", lockKey)
	answer := make(chan response, 1)
	go func() { answer <- f.postWithKey(token, key, body) }()
	orphans := f.waitBlocked(t, holder, 1)
	f.proxy.Cut()
	select {
	case r := <-answer:
		r.expect(t, 503, taskapi.MsgOutcomeUnknown)
	case <-time.After(deadline + 5*time.Second):
		t.Fatal("no answer to the create whose commit was cut")
	}
	// The server still had the COMMIT: it completes once the lock goes.
	release()
	f.waitGone(t, orphans)
	if n := f.countTasks(t, "cut during commit"); n != 1 {
		t.Fatalf("%d tasks stored by the cut commit, want 1 (the test relies on the commit landing)", n)
	}

	retry := f.postWithKey(token, key, body)
	for i := 0; retry.Status == 503 && i < 50; i++ { // the pool replaces the cut connection
		time.Sleep(100 * time.Millisecond)
		retry = f.postWithKey(token, key, body)
	}
	retry.expect(t, 201, "")
	if retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry was not a replay: %v %s", retry.Header, retry.Raw)
	}
	if list := f.call(t, "GET", "/tasks", token, nil).expect(t, 200, ""); list.Body["total"] != 1.0 {
		t.Errorf("after the cut create and its retry: %s, want one task", list.Raw)
	}
}

// TestUpdateCutOutcomeUnknown cuts the server's database connection while
// an update, sent as one statement that commits on its own (no BEGIN and
// COMMIT around it), waits at the database for the task's row, which the
// test has locked. The client gets 503 saying that the outcome is unknown
// (the server still has the statement), the statement is not sent again
// on another connection (the task's version goes up once, not twice),
// and the service recovers. A delete takes the same path.
func TestUpdateCutOutcomeUnknown(t *testing.T) {
	const deadline = 3 * time.Second
	f := startBehindProxy(t, map[string]string{"REQUEST_TIMEOUT": deadline.String()})
	token, _ := f.register(t, "alice")
	created := f.call(t, "POST", "/tasks", token, map[string]any{"title": "before"}).expect(t, 201, "")
	id := int64(created.Body["task"].(map[string]any)["id"].(float64))
	path := "/tasks/" + jsonInt(id)

	holder, release := f.hold(t, "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", id)
	updated := f.async("PUT", path, token, map[string]any{"title": "cut"})
	orphans := f.waitBlocked(t, holder, 1)
	f.proxy.Cut()
	select {
	case r := <-updated:
		if r.err != nil {
			t.Fatal(r.err)
		}
		r.expect(t, 503, taskapi.MsgOutcomeUnknown)
	case <-time.After(deadline + 5*time.Second):
		t.Fatal("no answer to the update whose connection was cut")
	}
	// The server still had the statement: it completes once the lock goes.
	release()
	f.waitGone(t, orphans)
	var title string
	var version int
	if err := f.admin.QueryRow("SELECT title, version FROM tasks WHERE id = $1", id).Scan(&title, &version); err != nil {
		t.Fatal(err)
	}
	if title != "cut" || version != 2 {
		t.Errorf("after the cut update: title %q version %d, want \"cut\" at version 2 (applied once)", title, version)
	}
	awaitRecovery(t, f.testServer, token)
	f.call(t, "DELETE", path, token, nil).expect(t, 200, "")
}

// jsonInt spells n as SQL and JSON do.
func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// postWithKey sends POST /tasks with an Idempotency-Key, from any
// goroutine: a transport failure is a response with status 0.
func (s *testServer) postWithKey(token, key string, body any) response {
	js, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", s.URL+"/tasks", bytes.NewReader(js))
	if err != nil {
		return response{Raw: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{Raw: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

package app

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"taskapi/handlers"
)

// TestOptimisticConcurrency: tasks carry an ETag; of many clients that
// read version N and write with If-Match, exactly one wins and the others
// get 412 instead of silently overwriting each other.
func TestOptimisticConcurrency(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "alice")
		created := s.call(t, "POST", "/tasks", token, map[string]any{"title": "v1"}).expect(t, 201, "")
		path := fmt.Sprintf("/tasks/%v", created.Body["task"].(map[string]any)["id"])
		etag := created.Header.Get("ETag")
		if etag != `"1"` {
			t.Fatalf("POST ETag = %q", etag)
		}
		if got := s.call(t, "GET", path, token, nil).expect(t, 200, "").Header.Get("ETag"); got != etag {
			t.Fatalf("GET ETag = %q, want %q", got, etag)
		}

		const writers = 8
		var wg sync.WaitGroup
		statuses := make(chan int, writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.call(t, "PUT", path, token, map[string]any{"title": fmt.Sprint("writer ", i)}, "If-Match", etag)
				statuses <- r.Status
			}()
		}
		wg.Wait()
		close(statuses)
		counts := map[int]int{}
		for st := range statuses {
			counts[st]++
		}
		if counts[200] != 1 || counts[412] != writers-1 {
			t.Fatalf("statuses = %v, want one 200 and %d × 412", counts, writers-1)
		}
		now := s.call(t, "GET", path, token, nil).expect(t, 200, "")
		if now.Header.Get("ETag") != `"2"` {
			t.Fatalf("after one winning write ETag = %q, want \"2\"", now.Header.Get("ETag"))
		}
		s.call(t, "DELETE", path, token, nil, "If-Match", etag).expect(t, 412, "The task has changed since it was read; fetch it again")
		// The version is 2, but a bare 2 is no entity tag: 400 saying how
		// to write one, not a 412 claiming the task changed.
		bad := s.call(t, "DELETE", path, token, nil, "If-Match", "2").expect(t, 400, handlers.MsgMalformedIfMatch)
		if !strings.Contains(bad.Raw, `If-Match: \"3\"`) {
			t.Errorf("the 400 does not show the expected form: %s", bad.Raw)
		}
		s.call(t, "DELETE", path, token, nil, "If-Match", `"2"`).expect(t, 200, "")
		// Without If-Match writes stay unconditional, as before.
		other := s.call(t, "POST", "/tasks", token, map[string]any{"title": "x"}).expect(t, 201, "")
		s.call(t, "PUT", fmt.Sprintf("/tasks/%v", other.Body["task"].(map[string]any)["id"]), token, map[string]any{"title": "y"}).expect(t, 200, "")
	})
}

package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestCursorWalkUnderChurn walks lists page by page through their Link
// header, in every sort and with a filter, while other requests insert
// and delete tasks, both between pages and concurrently: every task that
// existed throughout the walk comes exactly once, and no task comes
// twice. On both engines.
func TestCursorWalkUnderChurn(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "walker")
		statuses := []string{"pending", "in_progress", "completed"}
		priorities := []string{"low", "medium", "high"}
		status, priority := map[float64]string{}, map[float64]string{}
		var stable []float64 // tasks nobody deletes during the walks
		var victims []float64
		for i := 0; i < 60; i++ {
			body := map[string]any{"title": fmt.Sprint("task ", i), "status": statuses[i%3], "priority": priorities[i/3%3]}
			if i%4 != 0 { // a quarter without a due date; due dates collide in pairs
				body["due_date"] = fmt.Sprintf("2026-03-%02dT12:00:00Z", 1+i/2%28)
			}
			id := s.call(t, "POST", "/tasks", token, body).expect(t, 201, "").Body["task"].(map[string]any)["id"].(float64)
			status[id], priority[id] = statuses[i%3], priorities[i/3%3]
			if i%10 == 5 {
				victims = append(victims, id)
			} else {
				stable = append(stable, id)
			}
		}
		churn := &churner{url: s.URL, token: token, victims: victims}
		for _, shape := range []string{
			"", "order=asc", "sort=due_date", "sort=due_date&order=asc", "sort=priority", "sort=priority&order=asc",
			"status=in_progress&sort=due_date", "status=completed&priority=high&sort=priority&order=asc",
		} {
			t.Run(shape, func(t *testing.T) {
				q, _ := url.ParseQuery(shape)
				var wg sync.WaitGroup
				stop := make(chan struct{})
				wg.Go(func() { churn.run(stop, 200) }) // concurrent writes
				seen := map[float64]int{}
				next := "/tasks?limit=7&" + shape
				for pages := 0; next != ""; pages++ {
					if pages > 100 {
						t.Fatalf("more than 100 pages of 7")
					}
					churn.step() // writes between pages
					r := s.call(t, "GET", next, token, nil).expect(t, 200, "")
					for _, task := range r.Body["tasks"].([]any) {
						seen[task.(map[string]any)["id"].(float64)]++
					}
					next = nextFromLink(t, next, r)
				}
				close(stop)
				wg.Wait()
				if err := churn.failure(); err != nil {
					t.Fatal(err)
				}
				for id, n := range seen {
					if n > 1 {
						t.Errorf("task %v listed %d times", id, n)
					}
				}
				for _, id := range stable {
					s, p := q.Get("status"), q.Get("priority")
					if (s == "" || s == status[id]) && (p == "" || p == priority[id]) && seen[id] != 1 {
						t.Errorf("task %v, there throughout, listed %d times", id, seen[id])
					}
				}
			})
		}
	})
}

// nextFromLink checks that the Link header and next_cursor of r agree,
// and returns the next page's path and query ("" after the last page),
// resolving the link against the URL that was asked for.
func nextFromLink(t *testing.T, asked string, r response) string {
	t.Helper()
	link := r.Header.Get("Link")
	cursor, _ := r.Body["next_cursor"].(string)
	if link == "" {
		if cursor != "" || r.Body["next_cursor"] != nil {
			t.Fatalf("next_cursor %v without a Link header", r.Body["next_cursor"])
		}
		return ""
	}
	target, ok := strings.CutPrefix(link, "<")
	target, rel, ok2 := strings.Cut(target, ">")
	if !ok || !ok2 || rel != `; rel="next"` {
		t.Fatalf("Link header %q is not one rel=next link", link)
	}
	ref, err := url.Parse(target)
	base, err2 := url.Parse(asked)
	if err != nil || err2 != nil {
		t.Fatalf("Link %q: %v %v", link, err, err2)
	}
	next := base.ResolveReference(ref)
	if next.Query().Get("cursor") != cursor || cursor == "" {
		t.Fatalf("Link %q carries another cursor than next_cursor %q", link, cursor)
	}
	return next.RequestURI()
}

// churner creates tasks and deletes its own and the victims, over plain
// HTTP so that it may run on any goroutine; bounded by count.
type churner struct {
	url, token string
	mu         sync.Mutex
	victims    []float64
	mine       []float64
	n          int
	err        error
}

func (c *churner) run(stop <-chan struct{}, max int) {
	for i := 0; i < max; i++ {
		select {
		case <-stop:
			return
		default:
		}
		c.step()
	}
}

// step creates one task and deletes one (a victim first, then its own).
func (c *churner) step() {
	c.mu.Lock()
	c.n++
	n := c.n
	var del float64
	if len(c.victims) > 0 {
		del, c.victims = c.victims[0], c.victims[1:]
	} else if len(c.mine) > 0 {
		del, c.mine = c.mine[0], c.mine[1:]
	}
	c.mu.Unlock()
	body := map[string]any{"title": "churn", "priority": []string{"low", "medium", "high"}[n%3], "status": []string{"pending", "in_progress", "completed"}[n/3%3]}
	if n%2 == 0 {
		body["due_date"] = fmt.Sprintf("2026-03-%02dT12:00:00Z", 1+n%28)
	}
	var created struct {
		Task struct {
			ID float64 `json:"id"`
		} `json:"task"`
	}
	if err := c.do("POST", "/tasks", body, 201, &created); err != nil {
		c.fail(err)
		return
	}
	c.mu.Lock()
	c.mine = append(c.mine, created.Task.ID)
	c.mu.Unlock()
	if del != 0 {
		if err := c.do("DELETE", fmt.Sprintf("/tasks/%.0f", del), nil, 200, nil); err != nil {
			c.fail(err)
		}
	}
}

func (c *churner) do(method, path string, body any, status int, out any) error {
	var rd io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *churner) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *churner) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

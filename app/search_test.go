package app

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestSearchOverHTTP: GET /tasks?q=milk returns exactly the caller's
// tasks holding the word, through the Link header too, and a bad q is a
// JSON 400 naming it. On both engines.
func TestSearchOverHTTP(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, dbEnv map[string]string) {
		s := startServer(t, dbEnv)
		token, _ := s.register(t, "searcher")
		other, _ := s.register(t, "neighbour")
		s.call(t, "POST", "/tasks", other, map[string]any{"title": "milk for the neighbour"}).expect(t, 201, "")
		want := map[string]bool{}
		for _, task := range []struct {
			body  map[string]any
			match bool
		}{
			{map[string]any{"title": "Buy MILK!"}, true},
			{map[string]any{"title": "Shop", "description": "eggs, (milk), bread"}, true},
			{map[string]any{"title": "milkshake"}, false},
			{map[string]any{"title": "oat-milk", "status": "completed"}, true},
			{map[string]any{"title": "eggs"}, false},
			{map[string]any{"title": "milk, gone soon"}, false},
		} {
			r := s.call(t, "POST", "/tasks", token, task.body).expect(t, 201, "")
			if task.match {
				want[task.body["title"].(string)] = true
			}
			if task.body["title"] == "milk, gone soon" {
				s.call(t, "DELETE", fmt.Sprint("/tasks/", r.Body["task"].(map[string]any)["id"]), token, nil).expect(t, 200, "")
			}
		}
		var got []string
		next := "/tasks?q=" + url.QueryEscape("Milk") + "&limit=1"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("more than 5 pages of 1")
			}
			r := s.call(t, "GET", next, token, nil).expect(t, 200, "")
			if r.Body["total"] != float64(len(want)) {
				t.Errorf("total %v, want %d", r.Body["total"], len(want))
			}
			for _, task := range r.Body["tasks"].([]any) {
				got = append(got, task.(map[string]any)["title"].(string))
			}
			next = ""
			if link := r.Header.Get("Link"); link != "" {
				ref, _ := url.Parse(link[1 : len(link)-len(`>; rel="next"`)])
				next = (&url.URL{Path: "/tasks"}).ResolveReference(ref).String()
			}
		}
		if slices.Sort(got); !slices.Equal(got, []string{"Buy MILK!", "Shop", "oat-milk"}) {
			t.Errorf("q=Milk found %q", got)
		}
		r := s.call(t, "GET", "/tasks?q=milk&status=completed", token, nil).expect(t, 200, "")
		if r.Body["total"] != float64(1) {
			t.Errorf("q=milk&status=completed: %s", r.Raw)
		}
		for _, q := range []string{"%20%20", "%21%3F", strings.Repeat("a", 101)} {
			r := s.call(t, "GET", "/tasks?q="+q, token, nil).expect(t, 400, "Validation failed")
			details, _ := r.Body["details"].([]any)
			if len(details) != 1 || details[0].(map[string]any)["field"] != "q" {
				t.Errorf("q=%s: %s", q, r.Raw)
			}
		}
	})
}

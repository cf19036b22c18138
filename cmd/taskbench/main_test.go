package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaultsAndBounds(t *testing.T) {
	t.Setenv("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.conc != 32 || c.duration != 5*time.Second || c.big != 100_000 || c.small != 100 || c.total > 10*time.Minute {
		t.Errorf("defaults: %+v", c)
	}
	if c.dbURL != os.Getenv("TEST_DATABASE_URL") {
		t.Errorf("db = %q, want TEST_DATABASE_URL", c.dbURL)
	}
	for _, bad := range [][]string{
		{"-db", "postgres://postgres@db.example.com:5432/test"}, // never a remote server
		{"-db", "mysql://127.0.0.1/x"},
		{"-c", "0"},
		{"-d", "2m"},
		{"-total", "1h"},
		{"-small", "5"},
		{"-big", "10", "-small", "100"},
		{"-run", "("},
		{"stray"},
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	c, err = parseFlags([]string{"-db", "postgres://u@localhost/x", "-run", "^get-one$"})
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{cfg: c}
	if !b.wants("get-one") || b.wants("get-one-all") {
		t.Error("-run ^get-one$ must select get-one only")
	}
}

func TestParseFlagsWithoutTestDatabaseUsesCI(t *testing.T) {
	t.Setenv("TEST_DATABASE_URL", "")
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.dbURL != ciDatabase {
		t.Errorf("db = %q, want the CI server %q", c.dbURL, ciDatabase)
	}
}

func TestListenAddrReadsTheStartLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "svc.log")
	if listenAddr(path) != "" {
		t.Error("a missing log gave an address")
	}
	lines := []string{
		`{"time":"…","level":"INFO","msg":"database migrated"}`,
		`{"time":"…","level":"INFO","msg":"request","note":"server started"}`,
		`{"time":"…","level":"INFO","msg":"server started","version":"dev","addr":"127.0.0.1:41234","service":"auth"}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines[:2], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listenAddr(path); got != "" {
		t.Errorf("before the start line: %q", got)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listenAddr(path); got != "127.0.0.1:41234" {
		t.Errorf("addr = %q", got)
	}
}

func TestRouteOfKeepsErrorTextsFew(t *testing.T) {
	for in, want := range map[string]string{
		"/tasks/123":                 "/tasks/{id}",
		"/tasks?limit=20&cursor=abc": "/tasks?…",
		"/auth/login":                "/auth/login",
		"/tasks":                     "/tasks",
	} {
		if got := routeOf(in); got != want {
			t.Errorf("routeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCreatedID(t *testing.T) {
	id, err := createdID([]byte(`{"message":"Task created successfully","task":{"id":4711,"user_id":3,"title":"x"}}`))
	if err != nil || id != 4711 {
		t.Errorf("got %d, %v", id, err)
	}
	if _, err := createdID([]byte(`{"error":"nope"}`)); err == nil {
		t.Error("an answer without a task id gave no error")
	}
}

func TestTaskBodiesSpreadEveryFilter(t *testing.T) {
	seen := map[string]int{}
	for i := int64(0); i < 90; i++ {
		var v map[string]string
		if err := json.Unmarshal(taskBody(i), &v); err != nil {
			t.Fatal(err)
		}
		seen[v["status"]+"/"+v["priority"]]++
		if _, err := time.Parse("2006-01-02", v["due_date"]); err != nil {
			t.Errorf("due_date %q: %v", v["due_date"], err)
		}
	}
	// Every status with every priority, evenly: 9 combinations of 10.
	if len(seen) != 9 {
		t.Errorf("combinations: %v", seen)
	}
	for k, n := range seen {
		if n != 10 {
			t.Errorf("%s: %d of 90, want 10", k, n)
		}
	}
}

func TestShortQueryHidesTheCursor(t *testing.T) {
	if got := shortQuery("/tasks?limit=20&cursor=eyJrIjoxMjM0NTY3ODl9"); got != "/tasks?cursor=…&limit=20" {
		t.Errorf("got %q", got)
	}
	if got := shortQuery("/tasks?limit=20&offset=99980"); got != "/tasks?limit=20&offset=99980" {
		t.Errorf("got %q", got)
	}
}

// TestRenderRewritesTheMarkdownFromJSON: -render turns a JSON report and
// an analysis file into the Markdown page, running nothing.
func TestRenderRewritesTheMarkdownFromJSON(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "b.json")
	report := `{"started":"2026-11-29T08:00:00Z","finished":"2026-11-29T08:05:00Z","command":"make bench",
		"scenarios":[{"name":"get-one","deployment":"split","request":"GET /tasks/{id}","concurrency":32,"rps":1234}],
		"targets":[{"name":"get-one, split deployment","want":"≥ 60 %","got":"50 %","met":false,"why":"the HTTP stack"}]}`
	if err := os.WriteFile(js, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	analysis := filepath.Join(dir, "a.md")
	if err := os.WriteFile(analysis, []byte("## Remarks\n\nThe machine was busy.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "B.md")
	c, err := parseFlags([]string{"-render", js, "-analysis", analysis, "-md", md, "-db", "postgres://u@127.0.0.1/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := render(c); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| get-one, split deployment | ≥ 60 % | 50 % | **not met** | the HTTP stack |", "## Remarks", "The machine was busy.", "| get-one | split | `GET /tasks/{id}` | 32 | 1234 |"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rendered page lacks %q:\n%s", want, out)
		}
	}
}

package deploytest_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"taskapi/app"
	"taskapi/internal/deploytest"
)

func TestMain(m *testing.M) { os.Exit(deploytest.Main(m)) }

// call sends a JSON request and returns the status and the decoded body.
func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// login registers a user on the auth URL and returns a token.
func login(t *testing.T, auth string) string {
	t.Helper()
	if code, body := call(t, "POST", auth+"/auth/register", "",
		`{"username":"dana","email":"dana@example.com","password":"s3cret-pass"}`); code != 201 {
		t.Fatalf("register: %d %v", code, body)
	}
	code, body := call(t, "POST", auth+"/auth/login", "", `{"username":"dana","password":"s3cret-pass"}`)
	token, _ := body["token"].(string)
	if code != 200 || token == "" {
		t.Fatalf("login: %d %v", code, body)
	}
	return token
}

// A split deployment on PostgreSQL: a token from either auth process
// works on every task process, and a restarted task process comes back on
// its port and still serves it.
func TestSplitDeploymentServesAndRestarts(t *testing.T) {
	d := deploytest.Start(t, deploytest.Options{Auth: 2, Task: 2})
	if d.DatabaseURL == "" {
		t.Fatal("no database URL: want a PostgreSQL schema")
	}
	token := login(t, d.Auth[1].URL)
	for _, p := range d.Task {
		if code, body := call(t, "GET", p.URL+"/tasks", token, ""); code != 200 {
			t.Fatalf("%s GET /tasks: %d %v", p.Name, code, body)
		}
	}
	before := d.Task[0].URL
	d.Task[0].Restart(t)
	if d.Task[0].URL != before {
		t.Fatalf("restarted on %s, want %s", d.Task[0].URL, before)
	}
	if code, body := call(t, "POST", d.Task[0].URL+"/tasks", token, `{"title":"after restart"}`); code != 201 {
		t.Fatalf("POST /tasks after restart: %d %v", code, body)
	}
	if got := strings.Count(d.Task[0].Log(), `"server started"`); got != 2 {
		t.Errorf("task-0's log holds %d start lines, want 2 (one per run)", got)
	}
	d.Auth[0].Kill(t)
	if d.Auth[0].Running() {
		t.Fatal("auth-0 still running after Kill")
	}
}

// SERVICE=all on SQLite needs no PostgreSQL: two processes share one file.
func TestAllInOneOnSQLite(t *testing.T) {
	d := deploytest.Start(t, deploytest.Options{All: 2,
		Env: map[string]string{app.EnvSQLitePath: filepath.Join(t.TempDir(), "taskapi.db")}})
	token := login(t, d.All[0].URL)
	if code, body := call(t, "GET", d.All[1].URL+"/tasks", token, ""); code != 200 {
		t.Fatalf("GET /tasks on the second process: %d %v", code, body)
	}
	d.StopAll(t)
	for _, p := range d.Processes() {
		if p.Running() {
			t.Errorf("%s still running after StopAll", p.Name)
		}
	}
}

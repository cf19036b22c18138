package deploytest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"taskapi/app"
	"taskapi/internal/deploytest"
)

func TestMain(m *testing.M) { os.Exit(deploytest.Main(m)) }

// login registers a user on the auth process and returns a token.
func login(t *testing.T, auth *deploytest.Process) string {
	t.Helper()
	api := auth.API()
	api.SignUp(t, "dana", "s3cret-pass")
	return api.Login(t, "dana", "s3cret-pass")
}

// A split deployment on PostgreSQL: a token from either auth process
// works on every task process, and a restarted task process comes back on
// its port and still serves it.
func TestSplitDeploymentServesAndRestarts(t *testing.T) {
	t.Parallel() // processes, ports and a schema of its own: it waits on them beside the others
	d := deploytest.Start(t, deploytest.Options{Auth: 2, Task: 2})
	if d.DatabaseURL == "" {
		t.Fatal("no database URL: want a PostgreSQL schema")
	}
	token := login(t, d.Auth[1])
	for _, p := range d.Task {
		p.API().Call(t, "GET", "/tasks", token, nil).Expect(t, 200, "")
	}
	before := d.Task[0].URL
	d.Task[0].Restart(t)
	if d.Task[0].URL != before {
		t.Fatalf("restarted on %s, want %s", d.Task[0].URL, before)
	}
	d.Task[0].API().Call(t, "POST", "/tasks", token, `{"title":"after restart"}`).Expect(t, 201, "")
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
	t.Parallel()
	d := deploytest.Start(t, deploytest.Options{All: 2,
		Env: map[string]string{app.EnvSQLitePath: filepath.Join(t.TempDir(), "taskapi.db")}})
	token := login(t, d.All[0])
	d.All[1].API().Call(t, "GET", "/tasks", token, nil).Expect(t, 200, "")
	d.StopAll(t)
	for _, p := range d.Processes() {
		if p.Running() {
			t.Errorf("%s still running after StopAll", p.Name)
		}
	}
}

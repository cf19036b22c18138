package app

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // to read the copy

	"taskapi/internal/apitest"
)

// TestBackupUnderWrites runs `taskapi backup FILE` against the live
// database of a server that keeps taking registrations and creates
// meanwhile: it exits 0, and the copy passes PRAGMA integrity_check and
// holds every account registered before it started.
func TestBackupUnderWrites(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "taskapi.db")
	s := startServer(t, map[string]string{"SQLITE_PATH": dbPath})
	token, _ := s.register(t, "alice")
	// Registered only (no login: the copy is checked for the accounts,
	// and each login was another bcrypt compare in this serial test).
	var before []string
	for i := range 20 {
		name := fmt.Sprintf("before%02d", i)
		s.api().SignUp(t, name, apitest.Password)
		before = append(before, name)
	}

	// Writers register and create until the backup is done (bounded in
	// count, in case it never is).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := range 2 {
		wg.Go(func() {
			for i := 0; i < 500; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := map[string]string{"username": fmt.Sprintf("during%d_%d", w, i), "email": fmt.Sprintf("during%d_%d@example.com", w, i), "password": "correct horse battery"}
				if r, err := s.send(http.DefaultClient, "POST", "/auth/register", "", body); err != nil || r.Status != 201 {
					t.Errorf("register during the backup: %v %d %s", err, r.Status, r.Raw)
					return
				}
				if r, err := s.send(http.DefaultClient, "POST", "/tasks", token, map[string]any{"title": "during the backup"}); err != nil || r.Status != 201 {
					t.Errorf("create during the backup: %v %d %s", err, r.Status, r.Raw)
					return
				}
				writes.Add(2)
			}
		})
	}
	for writes.Load() < 20 { // the backup starts with the writes well under way
		if t.Failed() {
			break
		}
		time.Sleep(time.Millisecond)
	}

	copyPath := filepath.Join(t.TempDir(), "copy.db")
	var out strings.Builder
	env := map[string]string{"SQLITE_PATH": dbPath, "LOG_LEVEL": "warn"}
	err := Run(context.Background(), []string{"backup", copyPath}, func(k string) string { return env[k] }, &out)
	writesDuring := writes.Load()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("taskapi backup: %v\n%s", err, out.String())
	}
	t.Logf("%d writes before the backup ended; it said: %s", writesDuring, out.String())

	backup, err := sql.Open("sqlite", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	var check string
	if err := backup.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy = %q, %v", check, err)
	}
	for _, name := range append(before, "alice") {
		var n int
		if err := backup.QueryRow("SELECT count(*) FROM users WHERE username = ?", name).Scan(&n); err != nil || n != 1 {
			t.Errorf("account %s: %d rows in the copy (%v), want 1", name, n, err)
		}
	}
}

// TestBackupRefusals: the command says what is wrong, and writes
// nothing, for a missing argument, a file that exists, a database that
// does not, and PostgreSQL (whose backups are pg_dump's and RDS's).
func TestBackupRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "taskapi.db")
	startServer(t, map[string]string{"SQLITE_PATH": dbPath})
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no file", map[string]string{"SQLITE_PATH": dbPath}, []string{"backup"}, "taskapi backup FILE"},
		{"exists", map[string]string{"SQLITE_PATH": dbPath}, []string{"backup", existing}, "exists already"},
		{"no database", map[string]string{"SQLITE_PATH": filepath.Join(dir, "missing.db")}, []string{"backup", filepath.Join(dir, "new.db")}, "no database at SQLITE_PATH"},
		{"postgres", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/db", "JWT_SECRET": testSecret}, []string{"backup", filepath.Join(dir, "new.db")}, "pg_dump"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Run(context.Background(), c.args, func(k string) string { return c.env[k] }, &strings.Builder{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("taskapi %v = %v, want an error saying %q", c.args, err, c.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing file was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); err == nil {
		t.Error("a refused backup wrote its file")
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(entries) > 0 {
		t.Errorf("partial copies left behind: %v", entries)
	}
}

// TestBackupIntoANewFolder: the file may name folders that do not exist
// yet (backups/ on a fresh clone, as docs/operations.md has it); they are
// made, for the owner alone, and the copy is a database.
func TestBackupIntoANewFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"SQLITE_PATH": filepath.Join(dir, "taskapi.db"), "LOG_LEVEL": "warn"}
	getenv := func(k string) string { return env[k] }
	if err := Run(context.Background(), []string{"migrate"}, getenv, &strings.Builder{}); err != nil {
		t.Fatalf("taskapi migrate: %v", err)
	}
	copyPath := filepath.Join(dir, "backups", "daily", "copy.db")
	// At the default log level: what a script reads from stdout is the
	// one line of output, with no log line beside it.
	delete(env, "LOG_LEVEL")
	var out strings.Builder
	if err := Run(context.Background(), []string{"backup", copyPath}, getenv, &out); err != nil {
		t.Fatalf("taskapi backup %s: %v", copyPath, err)
	}
	if want := "backup of " + env["SQLITE_PATH"] + " written to " + copyPath + "\n"; out.String() != want {
		t.Errorf("taskapi backup printed %q, want only %q", out.String(), want)
	}
	info, err := os.Stat(filepath.Dir(copyPath))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("the backup folder is %v, want -rwx------ (a copy holds every password hash)", perm)
	}
	backup, err := sql.Open("sqlite", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	var result string
	if err := backup.QueryRow("PRAGMA integrity_check").Scan(&result); err != nil || result != "ok" {
		t.Errorf("integrity_check of the copy = %q, %v", result, err)
	}
}

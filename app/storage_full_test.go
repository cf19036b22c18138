package app

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"taskapi"
)

// mountTmpfs mounts a tmpfs of the given size (such as "3m") on a new
// directory until the test ends and returns the directory, and a function
// that resizes it in place. Mounting needs root (CI runs as root): the
// test is skipped, saying why, where it cannot mount.
func mountTmpfs(t *testing.T, size string) (dir string, resize func(size string)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: mounting a small tmpfs to fill needs root (CI runs as root)")
	}
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot mount a tmpfs on %s (a container without CAP_SYS_ADMIN?): %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir, func(size string) {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount %s with size %s: %v %s", dir, size, err, out)
		}
	}
}

// TestFullDisk fills the embedded database's disk, a 3 MB tmpfs, with
// creates. Once it is full every write is 507 with the JSON error shape
// and a Retry-After (a create, a registration, a logout), never 500; the
// tasks stored are exactly those that were answered 201; the deep health
// check is 503 while it lasts; the log has one line for the whole burst.
// Then the disk grows and both writes and the health check recover, with
// no restart.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	dir, resize := mountTmpfs(t, "3m")
	s := startServer(t, map[string]string{"SQLITE_PATH": filepath.Join(dir, "taskapi.db")})
	token, _ := s.register(t, "alice")
	description := strings.Repeat("full disk ", 1000)

	// Tokens of another account, for logouts while the disk fills.
	s.register(t, "carol")
	var spare []string
	for range 30 {
		login := s.call(t, "POST", "/auth/login", "", map[string]string{"username": "carol", "password": "correct horse battery"}).expect(t, 200, "")
		spare = append(spare, login.Body["token"].(string))
	}

	// Fill with 10 kB tasks until one no longer fits.
	created := 0
	for {
		r := s.call(t, "POST", "/tasks", token, map[string]any{"title": "filler", "description": description})
		if r.Status == 201 {
			if created++; created == 1000 { // 1000 × 10 kB is three times the disk
				t.Fatalf("%d creates of 10 kB fit on a 3 MB disk", created)
			}
			continue
		}
		r.expect(t, 507, taskapi.MsgStorageFull)
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("507 without Retry-After: %v", r.Header)
		}
		break
	}
	// Smaller writes may still fit in what is left: a small create, a
	// registration and a logout each, round after round, until a round in
	// which every one is refused. Each is either done or 507, never 500.
	users := 0
	for round := 0; ; round++ {
		if round == 200 || len(spare) == 0 {
			t.Fatalf("small writes still fit after %d rounds", round)
		}
		create := s.call(t, "POST", "/tasks", token, map[string]any{"title": "small"})
		register := s.call(t, "POST", "/auth/register", "", map[string]string{
			"username": fmt.Sprint("late", round), "email": fmt.Sprint("late", round, "@example.com"), "password": "correct horse battery",
		})
		logout := s.call(t, "POST", "/auth/logout", spare[0], nil)
		refused := 0
		for _, w := range []struct {
			r    response
			done int
			n    *int
		}{{create, 201, &created}, {register, 201, &users}, {logout, 200, nil}} {
			switch w.r.Status {
			case w.done:
				if w.n != nil {
					*w.n++
				}
			default:
				w.r.expect(t, 507, taskapi.MsgStorageFull)
				refused++
			}
		}
		if logout.Status == 200 {
			spare = spare[1:]
		}
		if refused == 3 {
			break
		}
	}
	t.Logf("the disk took %d tasks and %d more accounts", created, users)

	// While the disk is full, every write is refused the same way, the
	// deep health check says so, and reads still work.
	for i := 0; i < 5; i++ {
		s.call(t, "POST", "/tasks", token, map[string]any{"title": "more"}).expect(t, 507, taskapi.MsgStorageFull)
	}
	s.call(t, "GET", "/health?deep=1", "", nil).expect(t, 503, taskapi.MsgDatabaseFull)
	s.call(t, "GET", "/health", "", nil).expect(t, 200, "") // liveness stays: a restart would not free space
	// The token whose logout was refused still works: nothing was revoked.
	s.call(t, "GET", "/auth/me", spare[0], nil).expect(t, 200, "")
	// Nothing half-written: the list holds the tasks answered 201, no
	// more.
	if r := s.call(t, "GET", "/tasks?limit=1", token, nil).expect(t, 200, ""); r.Body["total"] != float64(created) {
		t.Errorf("total = %v after %d creates answered 201", r.Body["total"], created)
	}
	if n := strings.Count(s.Logs.String(), `"msg":"request failed","request_id":`); n != 2 {
		t.Errorf("%d \"request failed\" lines, want 2, one for the burst of full-disk errors and one for the health check's:\n%s", n, s.Logs)
	}

	resize("16m")
	s.call(t, "POST", "/tasks", token, map[string]any{"title": "after", "description": description}).expect(t, 201, "")
	s.call(t, "GET", "/health?deep=1", "", nil).expect(t, 200, "")
	s.call(t, "POST", "/auth/register", "", map[string]string{
		"username": "bob", "email": "bob@example.com", "password": "correct horse battery",
	}).expect(t, 201, "")
	s.call(t, "POST", "/auth/logout", spare[0], nil).expect(t, 200, "")
	s.call(t, "GET", "/auth/me", spare[0], nil).expect(t, 401, taskapi.MsgInvalidToken)
}

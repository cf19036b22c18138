package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"taskapi/internal/deploytest"
	"taskapi/internal/faultproxy"
)

// TestFatalStartupIsOneLineAndExit1 runs the real binary with a broken
// deployment: it must exit 1 and say why on exactly one JSON line, which is
// what ECS shows next to a stopped task.
func TestFatalStartupIsOneLineAndExit1(t *testing.T) {
	t.Parallel() // its own processes (see TestHelpAndVersionExitZero)
	bin := deploytest.Binary(t)
	// A port nothing listens on: the database is unreachable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()
	// A database that accepts TCP and never answers (a black-holed route,
	// a failover): lib/pq alone would wait for its start-up reply forever.
	silent := faultproxy.New(t, "127.0.0.1:1")
	silent.BlackHole()

	cases := map[string]struct {
		env  []string
		want string
		// limit is how long giving up may take (20s unless set).
		limit time.Duration
	}{
		"bad config":                {[]string{"PORT=http", "SERVICE=both"}, "PORT", 0},
		"no secret with a database": {[]string{"DB_HOST=db.internal"}, "JWT_SECRET", 0},
		"database unreachable": {[]string{"DATABASE_URL=postgres://u:hunter2-password@" + deadAddr + "/x?sslmode=disable",
			"JWT_SECRET=0123456789abcdef0123456789abcdef", "DB_CONNECT_TIMEOUT=1s"}, "database unreachable", 0},
		// DB_CONNECT_TIMEOUT plus slack for a busy machine.
		"database silent": {[]string{"DATABASE_URL=postgres://u:hunter2-password@" + silent.Addr + "/x?sslmode=disable",
			"JWT_SECRET=0123456789abcdef0123456789abcdef", "DB_CONNECT_TIMEOUT=2s"}, "database unreachable", 2*time.Second + 5*time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Each case is a process of its own that mostly waits (on a
			// connect timeout): they wait together.
			t.Parallel()
			limit := tc.limit
			if limit == 0 {
				limit = 20 * time.Second
			}
			// Killed well after the limit, so a hang fails instead of
			// stalling the suite.
			ctx, cancel := context.WithTimeout(t.Context(), limit+30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "SQLITE_PATH=" + t.TempDir() + "/db"}, tc.env...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit = %v, want status 1", err)
			}
			if took := time.Since(start); took > limit {
				t.Errorf("took %s to give up, want at most %s", took, limit)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			var entry map[string]any
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &entry) != nil {
				t.Fatalf("stderr = %q, want one JSON line", stderr.String())
			}
			if entry["level"] != "ERROR" || !strings.Contains(entry["error"].(string), tc.want) {
				t.Errorf("stderr line = %v, want an ERROR naming %q", entry, tc.want)
			}
			if strings.Contains(stderr.String()+stdout.String(), "hunter2") {
				t.Error("the database password reached the log")
			}
		})
	}
}

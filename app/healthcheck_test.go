package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// portOf returns the port of a server URL such as http://127.0.0.1:40123.
func portOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func runHealthcheck(ctx context.Context, env map[string]string) error {
	return Run(ctx, []string{"healthcheck"}, func(k string) string { return env[k] }, io.Discard)
}

// TestHealthcheckAgainstRealServers runs the container health check against
// each service's real server: it passes, and it needs nothing but PORT,
// even where the serving configuration would be refused.
func TestHealthcheckAgainstRealServers(t *testing.T) {
	t.Parallel()
	for _, service := range []string{"auth", "task", "all"} {
		t.Run(service, func(t *testing.T) {
			env := map[string]string{
				"SERVICE":     service,
				"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db"),
			}
			if service == "task" {
				env["AUTH_SERVICE_URL"] = "http://127.0.0.1:1"
			}
			srv := startServer(t, env)
			port := portOf(t, srv.URL)

			if err := runHealthcheck(context.Background(), map[string]string{"PORT": port}); err != nil {
				t.Errorf("healthcheck with only PORT: %v", err)
			}
			// The container's whole environment: a database and no JWT
			// secret would stop `serve`, but not the health check.
			broken := map[string]string{"PORT": port, "SERVICE": "bogus", "DB_HOST": "db.invalid", "JWT_SECRET": "short"}
			if err := runHealthcheck(context.Background(), broken); err != nil {
				t.Errorf("healthcheck with an invalid serving configuration: %v", err)
			}
			if _, err := LoadConfig(func(k string) string { return broken[k] }); err == nil {
				t.Error("the broken environment should not load as a configuration")
			}
		})
	}
}

// TestHealthcheckRefusesBadPorts: PORT must be a port; the check itself
// (httpapi.CheckHealth) is tested with the server's adapter.
func TestHealthcheckRefusesBadPorts(t *testing.T) {
	for _, port := range []string{"http", "0", "65536"} {
		err := runHealthcheck(context.Background(), map[string]string{"PORT": port})
		if err == nil || !strings.Contains(err.Error(), "PORT") {
			t.Errorf("PORT=%q: err = %v, want one mentioning PORT", port, err)
		}
	}
}

// TestHealthcheckIsBounded: a server that never answers fails the check
// within the caller's deadline, and never later than healthcheckTimeout.
func TestHealthcheckIsBounded(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := runHealthcheck(ctx, map[string]string{"PORT": portOf(t, hanging.URL)})
	if err == nil {
		t.Fatal("a server that never answers passed the health check")
	}
	if took := time.Since(start); took > healthcheckTimeout {
		t.Errorf("took %v, longer than the %v bound", took, healthcheckTimeout)
	}
}

// TestHealthcheckDefaultPort checks that an unset PORT means 3000, the
// server's own default, without needing anything on that port.
func TestHealthcheckDefaultPort(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no request leaves: only the URL is checked
	err := runHealthcheck(ctx, map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:3000/health") {
		t.Errorf("err = %v, want the request to go to 127.0.0.1:3000/health", err)
	}
}

// TestHealthcheckFollowsHOST: a server bound to one address (HOST) is
// checked on that address, not on 127.0.0.1 where nothing listens.
func TestHealthcheckFollowsHOST(t *testing.T) {
	s := startServer(t, map[string]string{"HOST": "127.0.0.2", "SQLITE_PATH": filepath.Join(t.TempDir(), "db")})
	port := portOf(t, s.URL)
	if err := runHealthcheck(context.Background(), map[string]string{"HOST": "127.0.0.2", "PORT": port}); err != nil {
		t.Fatalf("healthcheck with HOST: %v", err)
	}
	if err := runHealthcheck(context.Background(), map[string]string{"PORT": port}); err == nil {
		t.Fatal("healthcheck without HOST reached a server bound to 127.0.0.2 only")
	}
}

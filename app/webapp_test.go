package app

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"taskapi/web"
)

// TestWebAppOnlyInTheAllInOneProcess: `make run` (SERVICE=all) serves the
// app at /, under the app's CSP, beside an unchanged API; the split
// services, which the ALB reaches only for /auth and /tasks, serve no page.
func TestWebAppOnlyInTheAllInOneProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := map[string]string{"SQLITE_PATH": filepath.Join(dir, "taskapi.db"), "JWT_SECRET": testSecret}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range db {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	all := startServer(t, with(map[string]string{"SERVICE": "all"}))
	auth := startServer(t, with(map[string]string{"SERVICE": "auth"}))
	task := startServer(t, with(map[string]string{"SERVICE": "task", "AUTH_SERVICE_URL": auth.URL}))

	site, err := web.Load()
	if err != nil {
		t.Fatal(err)
	}
	appJS := site.VersionedPath("assets/app.js")
	res, body := fetch(t, all.URL+"/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `<script type="module" src="`+strings.TrimPrefix(appJS, "/")+`">`) || res.Header.Get("Cache-Control") != web.CacheRevalidated {
		t.Fatalf("all: GET / = %d %s, Cache-Control %q\n%.200s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), body)
	}
	if got := res.Header.Get("Content-Security-Policy"); got != web.CSP {
		t.Fatalf("all: CSP %q", got)
	}
	// The versioned copy is kept a year; the unversioned path is revalidated.
	if res, _ := fetch(t, all.URL+appJS); res.StatusCode != 200 || res.Header.Get("Cache-Control") != web.CacheImmutable {
		t.Fatalf("all: %s %d, Cache-Control %q", appJS, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res, _ := fetch(t, all.URL+"/assets/app.js"); res.StatusCode != 200 || res.Header.Get("Cache-Control") != web.CacheRevalidated {
		t.Fatalf("all: app.js %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	// The API around it is untouched: its 401s, its 404s and its CSP.
	if res, body := fetch(t, all.URL+"/tasks"); res.StatusCode != 401 || !strings.Contains(body, "No authentication token provided") ||
		res.Header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
		t.Fatalf("all: GET /tasks = %d %s (CSP %q)", res.StatusCode, body, res.Header.Get("Content-Security-Policy"))
	}
	if res, body := fetch(t, all.URL+"/assets/missing.js"); res.StatusCode != 404 || !strings.Contains(body, `"error":"Not Found"`) {
		t.Fatalf("all: unknown asset = %d %s", res.StatusCode, body)
	}
	for name, s := range map[string]*testServer{"auth": auth, "task": task} {
		if res, body := fetch(t, s.URL+"/"); res.StatusCode != 404 || !strings.Contains(body, `"error":"Not Found"`) {
			t.Errorf("%s: GET / = %d %s, want the API's 404", name, res.StatusCode, body)
		}
	}
}

func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

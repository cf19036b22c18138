package app

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEachServiceServesItsOwnContract: the auth service, the task service
// and the all-in-one process each serve the document of their own routes,
// and the interactive reference that reads it, with every exchange
// checked against that document.
func TestEachServiceServesItsOwnContract(t *testing.T) {
	t.Parallel()
	for _, service := range []string{"auth", "task", "all"} {
		t.Run(service, func(t *testing.T) {
			env := map[string]string{"SERVICE": service, "SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db")}
			if service == "task" {
				env["AUTH_SERVICE_URL"] = "http://127.0.0.1:1"
			}
			s := startServer(t, env)
			doc := s.call(t, "GET", "/openapi.json", "", nil).expect(t, 200, "")
			paths, _ := doc.Body["paths"].(map[string]any)
			_, hasAuth := paths["/auth/login"]
			_, hasTasks := paths["/tasks"]
			if hasAuth != (service != "task") || hasTasks != (service != "auth") || paths["/health"] == nil {
				t.Errorf("the %s service documents /auth/login %v, /tasks %v, /health %v", service, hasAuth, hasTasks, paths["/health"] != nil)
			}
			if r := s.get(t, "/openapi.yaml"); !strings.HasPrefix(r, "openapi: 3.0.3\n") {
				t.Errorf("openapi.yaml starts %q", r[:min(len(r), 40)])
			}
			// Every exchange above went through the contract check.
			deadline := time.Now().Add(10 * time.Second)
			for s.contract.exchanges() < 2 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := s.contract.exchanges(); n < 2 {
				t.Errorf("the contract check saw %d exchanges, want 2", n)
			}
		})
	}
}

// TestDocsPageLoadsOnlyWhatItsPolicyAllows: /docs is an HTML page with no
// inline script, under a policy that allows scripts from its own origin
// only, and every file it references is served with its media type.
func TestDocsPageLoadsOnlyWhatItsPolicyAllows(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db")})
	resp, err := http.Get(s.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("/docs = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if m := regexp.MustCompile(`script-src[^;]*`).FindString(csp); strings.Contains(m, "unsafe") || strings.Contains(m, "http") {
		t.Errorf("scripts are allowed beyond this origin's files: %q", m)
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(string(page), -1) {
		if !strings.Contains(tag, ` src="`) {
			t.Errorf("inline script %s: the policy would block it", tag)
		}
	}
	if strings.Contains(string(page), "://") {
		t.Errorf("the page refers to another host: %s", page)
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}
	refs := regexp.MustCompile(`(?:src|href)="(docs/[^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 {
		t.Fatalf("the page loads only %d files: %s", len(refs), page)
	}
	// Each file is loaded at its version, which may be kept a year; the
	// same file without it is revalidated, a 304 when unchanged.
	for _, ref := range refs {
		file, version, _ := strings.Cut(ref[1], "?v=")
		r, err := http.Get(s.URL + "/" + ref[1])
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || n == 0 || r.Header.Get("Content-Type") != types[filepath.Ext(file)] || version == "" ||
			r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s = %d, %d bytes, %q, Cache-Control %q", ref[1], r.StatusCode, n, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
		plain, _ := rawGet(t, "GET", s.URL+"/"+file, "")
		if plain.Header.Get("Cache-Control") != "no-cache" || plain.Header.Get("ETag") == "" {
			t.Errorf("%s: Cache-Control %q, ETag %q", file, plain.Header.Get("Cache-Control"), plain.Header.Get("ETag"))
		}
		if again, body := rawGet(t, "GET", s.URL+"/"+file, "", "If-None-Match", plain.Header.Get("ETag")); again.StatusCode != 304 || len(body) != 0 {
			t.Errorf("%s revalidated: %d, %d bytes", file, again.StatusCode, len(body))
		}
	}
	// The initializer points Swagger UI at the document next to the page.
	init := s.get(t, "/docs/init.js")
	if !strings.Contains(init, `url: "openapi.json"`) {
		t.Errorf("init.js does not load openapi.json:\n%s", init)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s.get(t, "/openapi.json")), &doc); err != nil || doc["openapi"] != "3.0.3" {
		t.Errorf("openapi.json: %v", err)
	}
	s.call(t, "GET", "/docs/nope.js", "", nil).expect(t, 404, "No route for GET /docs/nope.js")
}

// get returns the body of a GET that must answer 200.
func (s *testServer) get(t *testing.T, path string) string {
	t.Helper()
	r, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, r.StatusCode, b)
	}
	return string(b)
}

package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, a *App, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	return rec
}

func mustLoad(t *testing.T) *App {
	t.Helper()
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestServesEveryFileWithItsTypeAndCSP: "/" is the page, every other file
// is at its own path with a content type a browser will run (a module
// script under nosniff must be JavaScript), and each carries the app's CSP.
func TestServesEveryFileWithItsTypeAndCSP(t *testing.T) {
	a := mustLoad(t)
	paths := a.Paths()
	if len(paths) == 0 || paths[0] != "/" {
		t.Fatalf("paths = %v, want / first", paths)
	}
	want := map[string]string{".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", "": "text/html"}
	for _, p := range paths {
		rec := get(t, a, p)
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("%s: %d, %d bytes", p, rec.Code, rec.Body.Len())
		}
		ext := path.Ext(p)
		if p == "/" {
			ext = ""
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, want[ext]) || want[ext] == "" && ext != "" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		if rec.Header().Get("Content-Security-Policy") != CSP {
			t.Errorf("%s: CSP %q", p, rec.Header().Get("Content-Security-Policy"))
		}
	}
	if rec := get(t, a, "/index.html/x"); rec.Code != 404 {
		t.Errorf("unknown path: %d", rec.Code)
	}
}

// TestRevalidatesWithETag: a reload costs a 304, not the file again.
func TestRevalidatesWithETag(t *testing.T) {
	a := mustLoad(t)
	first := get(t, a, "/assets/app.js")
	etag := first.Header().Get("ETag")
	if etag == "" || first.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, first.Header().Get("Cache-Control"))
	}
	again := get(t, a, "/assets/app.js", "If-None-Match", etag)
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Fatalf("revalidation: %d with %d bytes", again.Code, again.Body.Len())
	}
	if other := get(t, a, "/assets/app.css", "If-None-Match", etag); other.Code != 200 {
		t.Fatalf("another file's ETag matched: %d", other.Code)
	}
}

// TestGzipWhenAccepted: a browser that accepts gzip gets the smaller
// encoding, which decodes to the same bytes; one that refuses it does not.
func TestGzipWhenAccepted(t *testing.T) {
	a := mustLoad(t)
	plain := get(t, a, "/assets/app.js")
	zipped := get(t, a, "/assets/app.js", "Accept-Encoding", "br, gzip;q=0.8")
	if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Body.Len() >= plain.Body.Len() {
		t.Fatalf("gzip: encoding %q, %d bytes vs %d", zipped.Header().Get("Content-Encoding"), zipped.Body.Len(), plain.Body.Len())
	}
	if zipped.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Fatal("both encodings share one ETag")
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
		t.Fatalf("gzip body differs (%v)", err)
	}
	if refused := get(t, a, "/assets/app.js", "Accept-Encoding", "gzip;q=0"); refused.Header().Get("Content-Encoding") != "" {
		t.Fatal("gzip sent although refused")
	}
	if rec := get(t, a, "/", "Accept-Encoding", "gzip"); rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("Vary = %q", rec.Header().Get("Vary"))
	}
}

// TestHeadHasNoBody: HEAD answers the headers alone.
func TestHeadHasNoBody(t *testing.T) {
	a := mustLoad(t)
	req := httptest.NewRequest(http.MethodHead, "/", nil)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
		t.Fatalf("HEAD: %d, %d bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

var (
	inlineScript  = regexp.MustCompile(`(?is)<script\b[^>]*>\s*[^<\s]`)
	scriptTag     = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	styleElement  = regexp.MustCompile(`(?i)<style\b`)
	styleAttr     = regexp.MustCompile(`(?i)\sstyle\s*=`)
	eventAttr     = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	javascriptURL = regexp.MustCompile(`(?i)javascript:`)
	reference     = regexp.MustCompile(`(?i)\s(?:src|href)="([^"#:]+)"`)
	importFrom    = regexp.MustCompile(`(?m)^import\s[^;]*?from\s+"([^"]+)";`)
)

// TestPageNeedsNothingTheCSPForbids: no inline script, inline style,
// event-handler attribute or javascript: URL, which the CSP would block
// (a console error and a broken control in the browser).
func TestPageNeedsNothingTheCSPForbids(t *testing.T) {
	page, err := fs.ReadFile(files, "static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for name, re := range map[string]*regexp.Regexp{
		"inline script": inlineScript, "style element": styleElement, "style attribute": styleAttr,
		"event handler attribute": eventAttr, "javascript: URL": javascriptURL,
	} {
		if m := re.Find(page); m != nil {
			t.Errorf("index.html has an %s: %q", name, m)
		}
	}
	for _, tag := range scriptTag.FindAll(page, -1) {
		if !strings.Contains(string(tag), "src=") {
			t.Errorf("index.html has a script without src: %q", tag)
		}
	}
}

// TestEveryReferenceResolves: what the page links and what the modules
// import is embedded, at the path the browser will ask for.
func TestEveryReferenceResolves(t *testing.T) {
	a := mustLoad(t)
	served := map[string]bool{}
	for _, p := range a.Paths() {
		served[p] = true
	}
	check := func(from, ref string) {
		if ref == "docs" { // the API reference, served by the API itself
			return
		}
		target := path.Join(path.Dir("/"+from), ref)
		if !served[target] {
			t.Errorf("%s refers to %q (%s), which is not served", from, ref, target)
		}
	}
	page, _ := fs.ReadFile(files, "static/index.html")
	for _, m := range reference.FindAllSubmatch(page, -1) {
		check("index.html", string(m[1]))
	}
	err := fs.WalkDir(files, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || path.Ext(name) != ".js" {
			return err
		}
		src, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "static/")
		for _, m := range importFrom.FindAllSubmatch(src, -1) {
			check(rel, string(m[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConfigDefaultsToSameOrigin: the embedded app calls the server that
// served it; only a static copy elsewhere sets apiBase.
func TestConfigDefaultsToSameOrigin(t *testing.T) {
	cfg, err := fs.ReadFile(files, "static/config.js")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*apiBase:\s*"",\s*$`).Match(cfg) {
		t.Fatalf("config.js does not default apiBase to \"\":\n%s", cfg)
	}
}

// anyImport is a static import, with or without bindings.
var anyImport = regexp.MustCompile(`(?m)^import\s(?:[^;]*?\sfrom\s+)?"([^"]+)";`)

// TestVersionedCopiesAreImmutable: the page (revalidated on every use)
// loads every file from its copy under the build's version, which a
// browser keeps for a year without asking; what those copies refer to,
// the modules' relative imports included, resolves inside the same
// version, so nothing the page loads is revalidated. Each copy is the
// file's bytes; the unversioned paths stay, revalidated; a version that
// is not this build's is not served.
func TestVersionedCopiesAreImmutable(t *testing.T) {
	a := mustLoad(t)
	assets := map[string]*asset{}
	for _, p := range a.Paths() {
		assets[p] = a.assets[p]
		rec := get(t, a, p)
		want := CacheRevalidated
		if strings.HasPrefix(p, VersionPrefix) {
			want = CacheImmutable
			if plain := get(t, a, strings.TrimPrefix(p, VersionPrefix+a.version)); !bytes.Equal(plain.Body.Bytes(), rec.Body.Bytes()) {
				t.Errorf("%s differs from the file at its unversioned path", p)
			}
		}
		if got := rec.Header().Get("Cache-Control"); got != want {
			t.Errorf("%s: Cache-Control %q, want %q", p, got, want)
		}
	}

	page := get(t, a, "/").Body.Bytes()
	loaded := 0
	var follow func(from, ref string)
	follow = func(from, ref string) {
		if ref == "docs" { // the API reference, served by the API itself
			return
		}
		target := path.Join(path.Dir(from), ref)
		if !strings.HasPrefix(target, VersionPrefix+a.version+"/") || assets[target] == nil {
			t.Errorf("%s loads %q (%s): not a served copy under this build's version", from, ref, target)
			return
		}
		loaded++
		if path.Ext(target) == ".js" {
			for _, m := range anyImport.FindAllSubmatch(assets[target].body, -1) {
				follow(target, string(m[1]))
			}
		}
	}
	for _, m := range reference.FindAllSubmatch(page, -1) {
		follow("/", string(m[1]))
	}
	if loaded < 4 {
		t.Errorf("the page loads %d versioned files; want the stylesheet, the icon, app.js and its imports", loaded)
	}

	if rec := get(t, a, VersionPrefix+"0000000000000000/assets/app.js"); rec.Code != 404 {
		t.Errorf("another build's version: %d, want 404", rec.Code)
	}
	if a.VersionedPath("assets/app.js") == "/assets/app.js" || len(a.version) != 16 {
		t.Errorf("version %q", a.version)
	}
}

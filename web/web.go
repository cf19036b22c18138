// Package web is the browser app for people: plain HTML, CSS and ES
// modules in static/, embedded in the binary (no build step, no Node at
// run time) and served at / by the all-in-one server. The same files,
// copied as they are, are the static build for S3/CloudFront; config.js
// holds the one value that differs there, the API's base URL.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed static
var files embed.FS

// CSP is the app's Content-Security-Policy: scripts, styles, images and
// API calls from the page's own origin only; no inline script or style,
// no eval, no framing, no plugin, no form posted anywhere (every form is
// handled by script; without script a password must never land in a URL).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// asset is one file, ready to serve: its bytes, a gzip copy when that is
// smaller, their entity tags, and how long a browser may keep it.
type asset struct {
	name         string
	contentType  string
	body         []byte
	etag         string
	gz           []byte
	gzETag       string
	cacheControl string
}

// Cache-Control values. A file under VersionPrefix never changes at its
// URL (a new build has a new version, so new URLs): a browser keeps it a
// year without asking. Everything else, the page first, is revalidated on
// every use: the page names the version, so it must never be stale.
const (
	CacheImmutable   = "public, max-age=31536000, immutable"
	CacheRevalidated = "no-cache"
)

// VersionPrefix starts the path of every versioned copy:
// /v/<version>/assets/app.js. The version is a digest of every file but
// the page, so any change to any of them moves them all; one version for
// the whole tree keeps the modules' relative imports (./api.js,
// ../config.js) inside it.
const VersionPrefix = "/v/"

// App serves the embedded files. Build it once with New.
type App struct {
	assets  map[string]*asset // by URL path
	paths   []string
	version string
}

// Load returns the app, built on first use and shared afterwards: the
// files are fixed at compile time, so one index serves every server.
var Load = sync.OnceValues(New)

// New loads and indexes the embedded files: "/" is index.html, every other
// file is served at its path under static/.
func New() (*App, error) {
	root, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	bodies := map[string][]byte{}
	var names []string
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		bodies[name] = body
		if name != "index.html" {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, ok := bodies["index.html"]
	if !ok {
		return nil, fmt.Errorf("web: static/index.html is missing")
	}
	sort.Strings(names)
	// The version: a digest of every file's name and bytes but the page's.
	sum := sha256.New()
	for _, name := range names {
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(bodies[name]))
		sum.Write(bodies[name])
	}
	a := &App{assets: map[string]*asset{}, version: hex.EncodeToString(sum.Sum(nil)[:8])}
	// The page loads the versioned copies: each attribute naming a file
	// (src="assets/app.js", href="favicon.svg") names it under the
	// version, still relative, so the page works under any path prefix.
	for _, name := range names {
		page = bytes.ReplaceAll(page, []byte(`="`+name+`"`), []byte(`="`+strings.TrimPrefix(a.VersionedPath(name), "/")+`"`))
	}
	add := func(urlPath, name string, body []byte, cacheControl string) error {
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			return fmt.Errorf("web: no content type for %s", name)
		}
		as := &asset{name: name, contentType: ct, body: body, etag: etagOf("", body), cacheControl: cacheControl}
		if gz := gzipped(body); len(gz) < len(body) {
			as.gz, as.gzETag = gz, etagOf("gz-", body)
		}
		a.assets[urlPath] = as
		a.paths = append(a.paths, urlPath)
		return nil
	}
	if err := add("/", "index.html", page, CacheRevalidated); err != nil {
		return nil, err
	}
	for _, name := range names {
		// The unversioned path stays, revalidated: a page cached before
		// this build, or a link someone kept, still finds the file.
		if err := add("/"+name, name, bodies[name], CacheRevalidated); err != nil {
			return nil, err
		}
		if err := add(a.VersionedPath(name), name, bodies[name], CacheImmutable); err != nil {
			return nil, err
		}
	}
	sort.Strings(a.paths)
	return a, nil
}

// VersionedPath is the URL path of a file's copy under this build's
// version, e.g. VersionedPath("assets/app.js").
func (a *App) VersionedPath(name string) string {
	return VersionPrefix + a.version + "/" + name
}

// Paths are the URL paths the app answers, "/" first: each one is an
// exact route, so the app never shadows an API path or its 404.
func (a *App) Paths() []string { return append([]string(nil), a.paths...) }

// ServeHTTP answers GET and HEAD for one of Paths with the file, its
// CSP (replacing the API's deny-all one), its Cache-Control and an ETag,
// so a revalidation costs a 304 instead of the file again.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	as := a.assets[r.URL.Path]
	if as == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cache-Control", as.cacheControl)
	h.Set("Content-Type", as.contentType)
	h.Set("Vary", "Accept-Encoding")
	body, etag := as.body, as.etag
	if as.gz != nil && acceptsGzip(r) {
		body, etag = as.gz, as.gzETag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// ServeContent handles If-None-Match (304), HEAD and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func etagOf(prefix string, body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + prefix + hex.EncodeToString(sum[:12]) + `"`
}

func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(body)                                    // a bytes.Buffer never fails
	_ = zw.Close()
	return buf.Bytes()
}

// acceptsGzip reports whether the client listed gzip without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

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
// smaller, and their entity tags.
type asset struct {
	name        string
	contentType string
	body        []byte
	etag        string
	gz          []byte
	gzETag      string
}

// App serves the embedded files. Build it once with New.
type App struct {
	assets map[string]*asset // by URL path
	paths  []string
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
	a := &App{assets: map[string]*asset{}}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			return fmt.Errorf("web: no content type for %s", name)
		}
		as := &asset{name: name, contentType: ct, body: body, etag: etagOf("", body)}
		if gz := gzipped(body); len(gz) < len(body) {
			as.gz, as.gzETag = gz, etagOf("gz-", body)
		}
		urlPath := "/" + name
		if name == "index.html" {
			urlPath = "/"
		}
		a.assets[urlPath] = as
		a.paths = append(a.paths, urlPath)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if a.assets["/"] == nil {
		return nil, fmt.Errorf("web: static/index.html is missing")
	}
	sort.Strings(a.paths)
	return a, nil
}

// Paths are the URL paths the app answers, "/" first: each one is an
// exact route, so the app never shadows an API path or its 404.
func (a *App) Paths() []string { return append([]string(nil), a.paths...) }

// ServeHTTP answers GET and HEAD for one of Paths with the file, its
// CSP (replacing the API's deny-all one) and an ETag, so a reload
// revalidates with a 304 instead of downloading again.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	as := a.assets[r.URL.Path]
	if as == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	// Revalidate every time: the names carry no content hash, and a
	// conditional request costs one round trip of a few hundred bytes.
	h.Set("Cache-Control", "no-cache")
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

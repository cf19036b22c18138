package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"taskapi"
	"taskapi/adapters/httpapi/docs"
)

// openapiJSON and openapiYAML serve the contract of this process.
// The document is about 32 KiB of JSON: compressed for clients that ask.
func (s *server) openapiJSON(int) http.Handler {
	return compressed(static("application/json", s.doc.JSON))
}

func (s *server) openapiYAML(int) http.Handler {
	return compressed(static("application/yaml", s.doc.YAML))
}

// docsPage is the reference's HTML page, under a policy that lets
// Swagger UI run (the API's own policy allows nothing at all). It loads
// each file with the file's version (docs/init.js?v=<digest>), so those
// URLs can be cached for good.
func docsPage(*server, int) http.Handler {
	page := static("text/html; charset=utf-8", versionedPage())
	return compressed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docs.ContentSecurityPolicy)
		page.ServeHTTP(w, r)
	}))
}

// docsFile is one of the reference's files, ready to serve: its bytes, a
// gzip copy, their entity tags, and its version (a digest of its bytes).
type docsFile struct {
	contentType  string
	body, gz     []byte
	etag, gzETag string
	version      string
}

// docsFiles are the reference's files by name, prepared once: Swagger
// UI's script is 1.7 MB as is and under 0.5 MB gzipped at the best level,
// which is worth doing once rather than per request (every browser asks
// for gzip, and neither the ALB nor API Gateway compresses).
var docsFiles = sync.OnceValue(func() map[string]*docsFile {
	out := make(map[string]*docsFile, len(docs.Assets))
	for name, body := range docs.Assets {
		sum := sha256.Sum256(body)
		version := hex.EncodeToString(sum[:8])
		f := &docsFile{contentType: assetTypes[path.Ext(name)], body: body, etag: `"` + version + `"`, version: version}
		if gz := gzipBest(body); len(gz) < len(body) {
			f.gz, f.gzETag = gz, `"gz-`+version+`"`
		}
		out[name] = f
	}
	return out
})

// versionedPage is the reference's page with ?v=<version> on each of the
// files it loads.
func versionedPage() []byte {
	page := docs.Page
	for name, f := range docsFiles() {
		page = bytes.ReplaceAll(page, []byte(`"docs/`+name+`"`), []byte(`"docs/`+name+`?v=`+f.version+`"`))
	}
	return page
}

// docsAssets serves the files the page loads.
func docsAssets(s *server, _ int) http.Handler { return http.HandlerFunc(s.docsAsset) }

// assetTypes are the media types of the reference's files, by extension.
var assetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".png": "image/png",
}

// Cache-Control of the reference's files: a year, unasked, at the URL
// that names the file's current version (another version is another
// URL); otherwise revalidated with the ETag on every use.
const (
	docsCacheImmutable   = "public, max-age=31536000, immutable"
	docsCacheRevalidated = "no-cache"
)

func (s *server) docsAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := docsFiles()[mux.Vars(r)["asset"]]
	if !ok {
		s.writeError(w, r, taskapi.Errorf(taskapi.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path))
		return
	}
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", docsCacheRevalidated)
	if r.URL.Query().Get("v") == f.version {
		h.Set("Cache-Control", docsCacheImmutable)
	}
	body, etag := f.body, f.etag
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = f.gz, f.gzETag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match (304), HEAD and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func gzipBest(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
	_ = zw.Close()
	return buf.Bytes()
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: it
// names gzip (or *) without refusing it with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// static answers with a fixed body, under the API's no-store: the
// document and the page change with the binary, at the same URLs.
func static(contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		// HEAD gets the length GET would have, and no body.
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

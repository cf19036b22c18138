package httpapi

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"taskapi"
	"taskapi/adapters/httpapi/docs"
)

// openapiJSON and openapiYAML serve the contract of this process.
// The document is about 32 KiB of JSON: compressed for clients that ask.
func (s *server) openapiJSON(int) http.Handler {
	return compressed(static("application/json", s.doc.JSON, false))
}

func (s *server) openapiYAML(int) http.Handler {
	return compressed(static("application/yaml", s.doc.YAML, false))
}

// docsPage is the reference's HTML page, under a policy that lets
// Swagger UI run (the API's own policy allows nothing at all).
func docsPage(*server, int) http.Handler {
	page := static("text/html; charset=utf-8", docs.Page, false)
	return compressed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docs.ContentSecurityPolicy)
		page.ServeHTTP(w, r)
	}))
}

// docsAssets serves the files the page loads.
func docsAssets(s *server, _ int) http.Handler { return http.HandlerFunc(s.docsAsset) }

// assetTypes are the media types of the reference's files, by extension.
var assetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".png": "image/png",
}

func (s *server) docsAsset(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["asset"]
	body, ok := docs.Assets[name]
	if !ok {
		s.writeError(w, r, taskapi.Errorf(taskapi.ENOTFOUND, "No route for %s %s", r.Method, r.URL.Path))
		return
	}
	// Swagger UI's script is 1.7 MB as is, under 0.5 MB gzipped: every
	// browser asks for gzip, and neither the ALB nor API Gateway compresses.
	w.Header().Set("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		body = gzipped(name, body)
	}
	// The files change only with the binary: a browser may keep them for
	// an hour instead of fetching them on every visit.
	static(assetTypes[path.Ext(name)], body, true).ServeHTTP(w, r)
}

// gzippedAssets holds each asset compressed, made once, on first request.
var gzippedAssets sync.Map // name -> func() []byte

func gzipped(name string, body []byte) []byte {
	once, _ := gzippedAssets.LoadOrStore(name, sync.OnceValue(func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
		_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
		_ = zw.Close()
		return buf.Bytes()
	}))
	return once.(func() []byte)()
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

// static answers with a fixed body. Cacheable bodies replace the API's
// no-store with an hour's public caching.
func static(contentType string, body []byte, cacheable bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		if cacheable {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		// HEAD gets the length GET would have, and no body.
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

package httpapi

import (
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzhttp"
)

// compressibleTypes are the media types worth compressing: the API's
// JSON and the contract's and reference's text. Anything else (images,
// already-compressed bytes) passes through as it is.
var compressibleTypes = []string{
	"application/json",
	"application/yaml",
	"text/html",
	"text/css",
	"text/javascript",
}

// compressor is gzhttp's handler wrapper as this API uses it: gzip or
// zstd (zstd when the client rates both equally), as the client's
// Accept-Encoding allows, for bodies of at least gzhttp.DefaultMinSize
// bytes (below that a packet is a packet: nothing is gained), and
// Vary: Accept-Encoding on every answer it wraps, compressed or not.
// HEAD is never compressed (gzhttp's rule).
var compressor = sync.OnceValue(func() func(http.Handler) http.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(gzhttp.DefaultMinSize), gzhttp.ContentTypes(compressibleTypes))
	if err != nil {
		panic(err) // fixed options that gzhttp validates: a broken build, caught by every test
	}
	return wrap
})

// compressed wraps a route's handler with the compressor. Only the large
// representations go through it (a list, the contract, the reference's
// page): a single task's answer, whose ETag a client sends back in
// If-Match, stays uncompressed, so that tag stays strong and If-Match
// (which compares strongly, RFC 9110 13.1.1) keeps working with it.
func compressed(h http.Handler) http.Handler {
	wrap := compressor()(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wrap(&weakETagWriter{ResponseWriter: w}, r)
	})
}

// weakETagWriter sits between gzhttp and the connection: when a response
// goes out content-encoded, a strong ETag on it becomes weak (W/). A
// strong tag promises byte-for-byte identity (RFC 9110 8.8.1), which the
// gzip and zstd bytes do not have with the identity ones; the weak tag
// still matches the same tag in If-None-Match, whose comparison is weak.
type weakETagWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *weakETagWriter) WriteHeader(status int) {
	if !w.wrote && status >= 200 {
		w.wrote = true
		h := w.Header()
		if etag := h.Get("ETag"); h.Get("Content-Encoding") != "" && etag != "" && !strings.HasPrefix(etag, "W/") {
			h.Set("ETag", "W/"+etag)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *weakETagWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *weakETagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

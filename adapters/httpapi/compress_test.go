package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCompressedETagIsWeak: an answer that goes out compressed has its
// strong ETag marked weak (the bytes differ from the identity ones, which
// keep the strong tag); an answer sent as it is keeps its tag, and a tag
// that is weak already stays as it is.
func TestCompressedETagIsWeak(t *testing.T) {
	for _, c := range []struct {
		name, accept, etag string
		size               int
		want, coding       string
	}{
		{"compressed", "gzip", `"7"`, 4096, `W/"7"`, "gzip"},
		{"zstd", "zstd", `"7"`, 4096, `W/"7"`, "zstd"},
		{"not asked", "", `"7"`, 4096, `"7"`, ""},
		{"below the minimum size", "gzip", `"7"`, 100, `"7"`, ""},
		{"weak already", "gzip", `W/"7"`, 4096, `W/"7"`, "gzip"},
	} {
		h := compressed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("ETag", c.etag)
			_, _ = w.Write([]byte(`"` + strings.Repeat("a", c.size) + `"`))
		}))
		r := httptest.NewRequest("GET", "/x", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Encoding", c.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("ETag"); got != c.want || w.Header().Get("Content-Encoding") != c.coding {
			t.Errorf("%s: ETag %s, Content-Encoding %q; want %s, %q", c.name, got, w.Header().Get("Content-Encoding"), c.want, c.coding)
		}
	}
}

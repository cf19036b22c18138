package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"testing"

	"taskapi/adapters/httpapi/docs"
	"taskapi/adapters/httpapi/openapi"
)

// TestDocsAssetsAreGzippedForBrowsersThatAsk: a browser (which always
// accepts gzip) gets Swagger UI's 1.7 MB script compressed, to the same
// bytes; a client that does not accept gzip gets it as is.
func TestDocsAssetsAreGzippedForBrowsersThatAsk(t *testing.T) {
	s := routeTable(openapi.Services{Auth: true, Tasks: true})
	want := docs.Assets["swagger-ui-bundle.js"]
	for _, tc := range []struct {
		acceptEncoding string
		gzipped        bool
	}{
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"*", true},
		{"", false},
		{"br", false},
		{"gzip;q=0", false},
	} {
		req := httptest.NewRequest("GET", "/docs/swagger-ui-bundle.js", nil)
		if tc.acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", tc.acceptEncoding)
		}
		rec := httptest.NewRecorder()
		s.router.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if rec.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("%q: no Vary: Accept-Encoding", tc.acceptEncoding)
		}
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
			t.Errorf("Accept-Encoding %q: gzipped = %v, want %v", tc.acceptEncoding, got, tc.gzipped)
			continue
		}
		if tc.gzipped {
			if len(body) > len(want)/2 {
				t.Errorf("gzipped to %d of %d bytes", len(body), len(want))
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(body, want) {
			t.Errorf("Accept-Encoding %q: the script is not the embedded one (%d bytes)", tc.acceptEncoding, len(body))
		}
	}
}

package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
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

// TestDocsAssetsCacheByVersion: the page loads each file with its version
// (a year, immutable); the file at another or no version is revalidated,
// and each encoding's ETag brings a 304 for that encoding only. HEAD has
// the headers and no body.
func TestDocsAssetsCacheByVersion(t *testing.T) {
	s := routeTable(openapi.Services{Auth: true, Tasks: true})
	serve := func(method, target string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		s.router.ServeHTTP(rec, req)
		return rec
	}
	page := serve("GET", "/docs").Body.String()
	f := docsFiles()["swagger-ui-bundle.js"]
	versioned := "/docs/swagger-ui-bundle.js?v=" + f.version
	if !strings.Contains(page, `src="docs/swagger-ui-bundle.js?v=`+f.version+`"`) {
		t.Fatalf("the page does not load the script at its version:\n%s", page)
	}
	for target, want := range map[string]string{
		versioned:                           docsCacheImmutable,
		"/docs/swagger-ui-bundle.js":        docsCacheRevalidated,
		"/docs/swagger-ui-bundle.js?v=0123": docsCacheRevalidated,
	} {
		if got := serve("GET", target).Header().Get("Cache-Control"); got != want {
			t.Errorf("%s: Cache-Control %q, want %q", target, got, want)
		}
	}
	plain := serve("GET", versioned)
	zipped := serve("GET", versioned, "Accept-Encoding", "gzip")
	if plain.Header().Get("ETag") == "" || plain.Header().Get("ETag") == zipped.Header().Get("ETag") {
		t.Fatalf("ETags %q and %q: want one per encoding", plain.Header().Get("ETag"), zipped.Header().Get("ETag"))
	}
	if rec := serve("GET", versioned, "Accept-Encoding", "gzip", "If-None-Match", zipped.Header().Get("ETag")); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("gzip revalidation: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serve("GET", versioned, "If-None-Match", zipped.Header().Get("ETag")); rec.Code != 200 {
		t.Errorf("the gzip ETag matched the identity bytes: %d", rec.Code)
	}
	if rec := serve("HEAD", versioned); rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(len(f.body)) {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

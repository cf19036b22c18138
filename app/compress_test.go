package app

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// rawGet sends a GET or HEAD with the given headers through a client that
// does not ask for or undo compression itself, and returns the answer
// with its body as sent.
func rawGet(t *testing.T, method, url, token string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// varies reports whether the answer says it depends on Accept-Encoding.
func varies(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}

// TestCompressionOfLargeAnswers: a 100-task page and /openapi.json go out
// gzip- or zstd-compressed to a client that asks, decode to exactly the
// identity bytes, and say Vary: Accept-Encoding; a client that does not
// ask (or refuses with q=0), a page below gzhttp's minimum size and a HEAD
// get identity. A single task, however large, is never compressed, so its
// strong ETag still satisfies If-Match.
func TestCompressionOfLargeAnswers(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db")})
	token, _ := s.register(t, "zipper")
	for i := range 100 {
		s.call(t, "POST", "/tasks", token, map[string]any{"title": fmt.Sprint("task ", i), "description": "a line that repeats, as lists do"}).expect(t, 201, "")
	}

	for _, path := range []string{"/tasks?limit=100", "/openapi.json"} {
		plain, identity := rawGet(t, "GET", s.URL+path, token)
		if plain.StatusCode != 200 || plain.Header.Get("Content-Encoding") != "" || !varies(plain.Header) {
			t.Fatalf("%s without Accept-Encoding: %d, Content-Encoding %q, Vary %q", path, plain.StatusCode, plain.Header.Get("Content-Encoding"), plain.Header.Values("Vary"))
		}
		if path == "/tasks?limit=100" {
			var page struct{ Tasks []any }
			if err := json.Unmarshal(identity, &page); err != nil || len(page.Tasks) != 100 {
				t.Fatalf("the page has %d tasks (%v)", len(page.Tasks), err)
			}
		}
		for _, c := range []struct{ accept, coding string }{
			{"gzip", "gzip"},
			{"gzip, deflate, br", "gzip"},
			{"zstd", "zstd"},
			{"gzip;q=0.5, zstd;q=1", "zstd"},
			{"gzip;q=0", ""},
			{"identity", ""},
		} {
			res, body := rawGet(t, "GET", s.URL+path, token, "Accept-Encoding", c.accept)
			if got := res.Header.Get("Content-Encoding"); res.StatusCode != 200 || got != c.coding || !varies(res.Header) {
				t.Errorf("%s, Accept-Encoding %q: %d, Content-Encoding %q (want %q), Vary %q", path, c.accept, res.StatusCode, got, c.coding, res.Header.Values("Vary"))
				continue
			}
			decoded := decode(t, c.coding, body)
			if !bytes.Equal(decoded, identity) {
				t.Errorf("%s, %s: decodes to %d bytes that differ from the %d identity bytes", path, c.coding, len(decoded), len(identity))
			}
			if c.coding != "" && len(body)*2 > len(identity) {
				t.Errorf("%s, %s: %d bytes for %d: hardly compressed", path, c.coding, len(body), len(identity))
			}
		}
		head, body := rawGet(t, "HEAD", s.URL+path, token, "Accept-Encoding", "gzip")
		if head.StatusCode != 200 || len(body) != 0 || head.Header.Get("Content-Encoding") != "" || !varies(head.Header) {
			t.Errorf("HEAD %s: %d, %d bytes, Content-Encoding %q, Vary %q", path, head.StatusCode, len(body), head.Header.Get("Content-Encoding"), head.Header.Values("Vary"))
		}
	}

	// One task is a page well under the minimum size: sent as it is.
	small, body := rawGet(t, "GET", s.URL+"/tasks?limit=1", token, "Accept-Encoding", "gzip")
	if small.StatusCode != 200 || small.Header.Get("Content-Encoding") != "" || len(body) >= 1024 || !varies(small.Header) {
		t.Errorf("a one-task page: %d, %d bytes, Content-Encoding %q, Vary %q", small.StatusCode, len(body), small.Header.Get("Content-Encoding"), small.Header.Values("Vary"))
	}

	// A single task of 9,000 characters: uncompressed, its strong ETag
	// good for If-Match.
	big := s.call(t, "POST", "/tasks", token, map[string]any{"title": "long", "description": strings.Repeat("compressible ", 700)}).expect(t, 201, "")
	path := fmt.Sprint("/tasks/", big.Body["task"].(map[string]any)["id"])
	res, body := rawGet(t, "GET", s.URL+path, token, "Accept-Encoding", "gzip, zstd")
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" || len(body) < 9000 || etag != `"1"` {
		t.Fatalf("GET %s: %d, %d bytes, Content-Encoding %q, ETag %q: want identity and \"1\"", path, res.StatusCode, len(body), res.Header.Get("Content-Encoding"), etag)
	}
	s.call(t, "PUT", path, token, map[string]any{"title": "longer"}, "If-Match", etag, "Accept-Encoding", "gzip").expect(t, 200, "")
	s.call(t, "PUT", path, token, map[string]any{"title": "stale"}, "If-Match", etag, "Accept-Encoding", "gzip").expect(t, 412, "")
}

// decode undoes a content coding ("" is identity).
func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	case "zstd":
		zr, err := zstd.NewReader(rd)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		rd = zr
	}
	out, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

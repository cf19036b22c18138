package httpapi

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestCountOthers: the counter that bcrypt gives way to counts a request
// that checks no password while it is served, and never a login,
// registration, password change or account deletion.
func TestCountOthers(t *testing.T) {
	var n atomic.Int64
	var during int64
	h := CountOthers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		during = n.Load()
		if r.URL.Path == "/panic" {
			panic(http.ErrAbortHandler)
		}
	}), &n)
	for _, c := range []struct {
		method, path string
		counted      bool
	}{
		{"GET", "/tasks/1", true}, {"GET", "/health", true}, {"POST", "/auth/validate", true}, {"GET", "/auth/me", true},
		{"POST", "/auth/login", false}, {"POST", "/auth/register", false}, {"PUT", "/auth/password", false}, {"DELETE", "/auth/me", false},
	} {
		during = -1
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.path, nil))
		if want := map[bool]int64{true: 1, false: 0}[c.counted]; during != want || n.Load() != 0 {
			t.Errorf("%s %s: %d during, %d after; want %d and 0", c.method, c.path, during, n.Load(), want)
		}
	}
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic", nil))
	}()
	if n.Load() != 0 {
		t.Errorf("a request that panicked is still counted: %d", n.Load())
	}
}

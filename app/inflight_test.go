package app

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestCountInFlight: the counter that bcrypt gives way to counts a
// request while it is served, and only then.
func TestCountInFlight(t *testing.T) {
	var n atomic.Int64
	var during int64
	h := countInFlight(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		during = n.Load()
		if r.URL.Path == "/panic" {
			panic(http.ErrAbortHandler)
		}
	}), &n)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/tasks", nil))
	if during != 1 || n.Load() != 0 {
		t.Errorf("in flight: %d during the request, %d after; want 1 and 0", during, n.Load())
	}
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic", nil))
	}()
	if n.Load() != 0 {
		t.Errorf("a request that panicked is still counted: %d", n.Load())
	}
}

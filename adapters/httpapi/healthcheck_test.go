package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// hostPort returns the host:port of a server URL such as
// http://127.0.0.1:40123.
func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestCheckHealth(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	if err := CheckHealth(context.Background(), hostPort(t, healthy.URL)); err != nil {
		t.Errorf("a 200 on /health: %v", err)
	}
}

// TestCheckHealthFailures: anything but a 200 from /health itself fails.
// That ctx bounds a server that never answers is tested with the command
// (app's TestHealthcheckIsBounded).
func TestCheckHealthFailures(t *testing.T) {
	// Nothing listening: a port that was free a moment ago.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	unhealthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			t.Errorf("health check asked for %s", r.URL.Path)
		}
		http.Error(w, `{"error":"Service Unavailable"}`, http.StatusServiceUnavailable)
	}))
	defer unhealthy.Close()
	redirect := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	defer redirect.Close()
	cases := map[string]struct {
		addr string
		want string
	}{
		"nothing listening": {closed, "connection refused"},
		"503":               {hostPort(t, unhealthy.URL), "503"},
		"redirect":          {hostPort(t, redirect.URL), "302"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := CheckHealth(context.Background(), tc.addr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}

}

package httpapi

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"taskapi/adapters/httpapi/openapi"
)

// TestRouteTable: each path belongs to one service, and a route that
// checks a password has an exact path (checksPassword compares raw paths).
func TestRouteTable(t *testing.T) {
	parts := map[string]part{}
	for _, rt := range table {
		if p, ok := parts[rt.Path]; ok && p != rt.Part {
			t.Errorf("%s is in parts %d and %d", rt.Path, p, rt.Part)
		}
		parts[rt.Path] = rt.Part
		if rt.Password && strings.Contains(rt.Path, "{") {
			t.Errorf("%s %s checks a password but has a template path", rt.Method, rt.Path)
		}
		if rt.Part == partProcess && rt.Auth {
			t.Errorf("%s %s: the routes of every process are public", rt.Method, rt.Path)
		}
	}
}

// TestExactPathsAreNotTaskIDs: PUT and DELETE /tasks/health are 405s that
// list the health check's methods, not an update or deletion of a task
// called "health" (which answered 401, then 400).
func TestExactPathsAreNotTaskIDs(t *testing.T) {
	s := routeTable(openapi.Services{Auth: true, Tasks: true})
	for _, method := range []string{"PUT", "DELETE", "POST", "PATCH"} {
		rec := httptest.NewRecorder()
		s.router.ServeHTTP(rec, httptest.NewRequest(method, "/tasks/health", strings.NewReader(`{}`)))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /tasks/health = %d, Allow %q; want 405 with Allow: GET, HEAD", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
	// A real id is still a task route: without a token, 401.
	rec := httptest.NewRecorder()
	s.router.ServeHTTP(rec, httptest.NewRequest("PUT", "/tasks/7", strings.NewReader(`{}`)))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("PUT /tasks/7 without a token = %d, want 401", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.router.ServeHTTP(rec, httptest.NewRequest("PATCH", "/tasks/7", nil))
	if got := rec.Header().Get("Allow"); rec.Code != 405 || got != "GET, HEAD, PUT, DELETE" {
		t.Errorf("PATCH /tasks/7 = %d, Allow %q", rec.Code, got)
	}
}

// TestServiceLabelsComeFromTheTable: the access log and the metrics name
// each route's own service, and the process's name for shared routes.
func TestServiceLabelsComeFromTheTable(t *testing.T) {
	s := routeTable(openapi.Services{Auth: true, Tasks: true})
	s.Service = "taskapi"
	for _, c := range []struct{ method, path, route, service string }{
		{"POST", "/auth/login", "/auth/login", AuthService},
		{"DELETE", "/auth/me", "/auth/me", AuthService},
		{"GET", "/tasks/3", "/tasks/{id}", TaskService},
		{"GET", "/tasks/health", "/tasks/health", TaskService},
		{"GET", "/health", "/health", "taskapi"},
		{"GET", "/openapi.json", "/openapi.json", "taskapi"},
		{"GET", "/nope", "unmatched", "taskapi"},
	} {
		route, service := s.routeOf(httptest.NewRequest(c.method, c.path, nil))
		if route != c.route || service != c.service {
			t.Errorf("%s %s: route %q of %q, want %q of %q", c.method, c.path, route, service, c.route, c.service)
		}
	}
	var pw []string
	for k := range passwordRoutes {
		pw = append(pw, k)
	}
	slices.Sort(pw)
	if want := []string{"DELETE /auth/me", "POST /auth/login", "POST /auth/register", "PUT /auth/password"}; !slices.Equal(pw, want) {
		t.Errorf("password routes %v, want %v", pw, want)
	}
}

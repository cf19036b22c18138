package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"taskapi"
	"taskapi/handlers"
	"taskapi/web"
)

// rejectAll is a validator that would let nothing through; it must not
// even be asked for the public routes.
type rejectAll struct{}

func (rejectAll) ValidateToken(context.Context, string) (taskapi.Principal, error) {
	return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
}

// publicRoutes are the only routes that answer without a token.
var publicRoutes = map[string]bool{
	"POST /auth/register": true, "POST /auth/login": true,
	"GET /health": true, "HEAD /health": true,
	"GET /auth/health": true, "HEAD /auth/health": true,
	"GET /tasks/health": true, "HEAD /tasks/health": true,
	// The contract and the interactive reference.
	"GET /openapi.json": true, "HEAD /openapi.json": true,
	"GET /openapi.yaml": true, "HEAD /openapi.yaml": true,
	"GET /docs": true, "HEAD /docs": true,
	"GET /docs/{asset}": true, "HEAD /docs/{asset}": true,
}

// TestEveryRouteButThePublicOnesNeedsAToken walks the real route table:
// a route added later without authentication fails this test.
func TestEveryRouteButThePublicOnesNeedsAToken(t *testing.T) {
	site, err := web.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The web app's files are public pages, served for GET and HEAD only.
	pages := map[string]bool{}
	for _, p := range site.Paths() {
		pages["GET "+p], pages["HEAD "+p] = true, true
	}
	s := &server{Options: Options{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth:       &handlers.Auth{},
		Account:    &handlers.Account{},
		Tasks:      &handlers.Tasks{},
		Tokens:     rejectAll{},
		AuthHealth: handlers.NewHealth("auth-service", nil),
		TaskHealth: handlers.NewHealth("task-service", nil),
		Health:     handlers.NewHealth("taskapi", nil),
		Site:       site,
	}, router: mux.NewRouter()}
	s.routes()
	var seen int
	err = s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, _ := route.GetPathTemplate()
		methods, _ := route.GetMethods()
		for _, m := range methods {
			key := m + " " + path
			seen++
			if publicRoutes[key] || pages[key] {
				continue
			}
			req := httptest.NewRequest(m, strings.Replace(path, "{id}", "1", 1), strings.NewReader(`{}`))
			rec := httptest.NewRecorder()
			s.router.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s answered %d without a token, want 401", key, rec.Code)
			}
		}
		return nil
	})
	if err != nil || seen < 15 {
		t.Fatalf("walked %d routes (%v): the table is smaller than expected", seen, err)
	}
}

// TestPanicIs500WithSecurityHeaders: a handler that panics (here a task
// handler without a store) answers the standard 500 body, with every
// security header, and the server keeps serving.
func TestPanicIs500WithSecurityHeaders(t *testing.T) {
	ok := taskapi.Principal{UserID: 1}
	api := NewServer(Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tasks:  handlers.NewTasks(nil, time.Now),
		Tokens: validatorFunc(func(context.Context, string) (taskapi.Principal, error) { return ok, nil }),
	})
	req := httptest.NewRequest("GET", "/tasks/1", nil)
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"message":"An unexpected error occurred"`) {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body)
	}
	for _, h := range []string{"Cache-Control", "X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy", RequestIDHeader} {
		if rec.Header().Get(h) == "" {
			t.Errorf("500 lacks %s", h)
		}
	}
}

type validatorFunc func(context.Context, string) (taskapi.Principal, error)

func (f validatorFunc) ValidateToken(ctx context.Context, token string) (taskapi.Principal, error) {
	return f(ctx, token)
}

// TestClientHangUpIsNotAServerError: when the client has gone, the
// failure it leaves behind is recorded as 499, not a 5xx that would count
// against the service's error rate.
func TestClientHangUpIsNotAServerError(t *testing.T) {
	var observed []int
	rec := observerFunc(func(_, _ string, status int, _ time.Duration) { observed = append(observed, status) })
	api := NewServer(Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tasks:  handlers.NewTasks(nil, time.Now),
		Tokens: validatorFunc(func(ctx context.Context, _ string) (taskapi.Principal, error) {
			<-ctx.Done() // the client leaves while the token is checked
			return taskapi.Principal{}, taskapi.Wrap(ctx.Err(), taskapi.EUNAVAILABLE, taskapi.MsgAuthDown)
		}),
		Metrics: rec,
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/tasks", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer x")
	w := httptest.NewRecorder()
	api.ServeHTTP(w, req)
	if w.Code != StatusClientClosedRequest || len(observed) != 1 || observed[0] != StatusClientClosedRequest {
		t.Fatalf("status %d, observed %v; want 499", w.Code, observed)
	}
}

type observerFunc func(service, route string, status int, d time.Duration)

func (f observerFunc) Observe(service, route string, status int, d time.Duration) {
	f(service, route, status, d)
}

// Package httpapi is the HTTP transport of the API: one gorilla/mux route
// table that mounts the pure handlers, decodes and validates requests,
// encodes answers and maps domain errors to statuses. The ECS server serves
// it directly; the Lambda adapter mounts the same router.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"taskapi/adapters/httpapi/openapi"
	"taskapi/handlers"
)

// MaxBodyBytes caps every request body; anything longer is a 413. The
// largest valid body, a 10,000-character description of characters that a
// client escapes as surrogate pairs (12 bytes each, as Python's json.dumps
// does), is about 123 KB: it must fit, with room for pretty-printing.
const MaxBodyBytes = 256 << 10

// Options are what NewServer mounts. A nil Auth leaves the /auth routes
// out, a nil Tasks the /tasks routes: that is how one binary serves as the
// auth service, the task service, or both.
type Options struct {
	Logger *slog.Logger
	Auth   *handlers.Auth
	// Account serves /auth/logout, /auth/me (GET, DELETE) and
	// /auth/password; it is
	// mounted only together with Auth.
	Account *handlers.Account
	Tasks   *handlers.Tasks
	// Tokens authenticates the /tasks routes and the Account routes:
	// in-process validation (rejecting revoked tokens) wherever the auth
	// service runs, a call to the auth service in the task service.
	Tokens handlers.TokenValidator
	// AuthHealth and TaskHealth answer each service's health routes, and
	// Health answers /health for the whole process.
	AuthHealth *handlers.Health
	TaskHealth *handlers.Health
	Health     *handlers.Health
	// Metrics, when set, is told about every finished request.
	Metrics Observer
	// Service names this process in logs and metrics for requests that
	// belong to neither service's routes (/health, unknown paths).
	Service string
	// TrustedProxyHops is how many proxies in front of the service append
	// to X-Forwarded-For (1 behind the ALB). The client address is the
	// entry that many places from the right; entries further left are
	// whatever the client sent and are never trusted. 0 ignores the header
	// and uses the peer address.
	TrustedProxyHops int
	// CORSAllowedOrigins are the exact origins (scheme://host[:port]) whose
	// browser pages may call the API. Empty turns CORS off: no
	// Access-Control-* header is ever sent.
	CORSAllowedOrigins []string
	// Site, when set, is a set of static files (the web app) answered for
	// GET and HEAD at its exact paths; API routes and their 404s are
	// untouched. Only the all-in-one process sets it.
	Site Site

	// errorLogTimer replaces time.AfterFunc for the error log's
	// intervals, in tests.
	errorLogTimer func(time.Duration, func())
}

// Site is a handler for a fixed set of static files.
type Site interface {
	http.Handler
	// Paths are the exact URL paths it answers.
	Paths() []string
}

// Observer receives one call per finished request: the service the route
// belongs to, the route as "METHOD /template" (or "unmatched"), the status
// and the time taken.
type Observer interface {
	Observe(service, route string, status int, d time.Duration)
}

// Service names as they appear in logs and metrics.
const (
	AuthService = "auth-service"
	TaskService = "task-service"
)

// server carries the dependencies that the route table wires to paths.
type server struct {
	Options
	router *mux.Router
	errors *errorLog
	// doc is the OpenAPI document of this process's routes.
	doc openapi.Document
}

// NewServer returns the API as one http.Handler, with its middleware.
func NewServer(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &server{Options: opts, router: mux.NewRouter(), errors: newErrorLog(opts.Logger, errorLogInterval, opts.errorLogTimer)}
	s.routes()
	// Outermost first: every response, even a panic's or a preflight's,
	// gets an id, an access-log line and the security headers.
	return s.withRequestID(s.withAccessLog(s.withSecurityHeaders(s.withCORS(s.withRecovery(s.router)))))
}

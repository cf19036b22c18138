package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/gorilla/mux"
)

// RequestIDHeader carries the correlation id in both directions.
const RequestIDHeader = "X-Request-ID"

// saneRequestID is what a client-supplied id must look like to be reused:
// short and free of characters that could forge log lines or headers.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives every request an id, the client's if it is sane,
// and echoes it in the response so one request can be followed through
// both services' logs.
func (s *server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// withSecurityHeaders sets the headers every answer carries, errors
// included: API responses are never cached, sniffed or rendered.
func (s *server) withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		// HSTS only over TLS: directly, or at the ALB's HTTPS listener,
		// which says so in X-Forwarded-Proto. Over plain HTTP the header
		// would be ignored by browsers anyway, and misleading.
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// withRecovery turns a panic in a handler into a logged 500 with the
// standard body, instead of a dropped connection.
func (s *server) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logFields are filled in while a request runs and logged when it ends.
type logFields struct {
	userID int64
}

type logFieldsKey struct{}

// setLogUser records the authenticated user for the access-log line.
func setLogUser(ctx context.Context, userID int64) {
	if f, ok := ctx.Value(logFieldsKey{}).(*logFields); ok {
		f.userID = userID
	}
}

// statusRecorder remembers what a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (rec *statusRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += n
	return n, err
}

// withAccessLog writes one line per request. It logs the route template
// rather than the raw path, so ids do not explode the log's cardinality,
// and never logs headers or bodies, which carry tokens and passwords.
func (s *server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		fields := &logFields{}
		rec := &statusRecorder{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), logFieldsKey{}, fields)
		next.ServeHTTP(rec, r.WithContext(ctx))

		elapsed := time.Since(start)
		route, service := s.routeOf(r)
		attrs := []slog.Attr{
			slog.String("service", service),
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.Int("bytes", rec.bytes),
			slog.String("request_id", RequestID(r.Context())),
		}
		if fields.userID != 0 {
			attrs = append(attrs, slog.Int64("user_id", fields.userID))
		}
		if trace := r.Header.Get("X-Amzn-Trace-Id"); trace != "" && len(trace) <= 256 {
			attrs = append(attrs, slog.String("trace_id", trace))
		}
		if s.Metrics != nil {
			metricRoute := "unmatched"
			if route != "unmatched" {
				metricRoute = r.Method + " " + route
			}
			s.Metrics.Observe(service, metricRoute, rec.status, elapsed)
		}
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// routeOf returns the path template that matches r ("unmatched" if none)
// and the service that owns it. Templates, unlike raw paths, keep the
// number of distinct log and metric values small.
func (s *server) routeOf(r *http.Request) (route, service string) {
	route, service = "unmatched", s.Service
	var m mux.RouteMatch
	if s.router.Match(r, &m) && m.Route != nil {
		if t, err := m.Route.GetPathTemplate(); err == nil {
			route = t
		}
	}
	if owner := serviceOf[route]; owner != "" {
		service = owner
	}
	return route, service
}

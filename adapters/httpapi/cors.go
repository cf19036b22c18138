package httpapi

import (
	"net/http"

	"github.com/rs/cors"
)

// withCORS answers browsers' cross-origin checks for the configured
// origins only (github.com/rs/cors). An Origin not on the list gets no
// Access-Control-Allow-Origin at all, never an echo of itself. With no
// origins configured the middleware is left out.
func (s *server) withCORS(next http.Handler) http.Handler {
	if len(s.CORSAllowedOrigins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: s.CORSAllowedOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "If-Match", IdempotencyKeyHeader, RequestIDHeader},
		ExposedHeaders: []string{RequestIDHeader, "Retry-After", "ETag", ReplayedHeader},
		MaxAge:         600,
		// Tokens travel in the Authorization header, not cookies.
		AllowCredentials: false,
	}).Handler(next)
}

package httpapi

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// CountOthers keeps n equal to the number of requests being served that
// check no password. The routes that do (they wait for bcrypt themselves)
// are not counted for their whole duration, not only while they hash: a
// login between its user lookup and its hash is not "other work" that
// bcrypt should give way to.
func CountOthers(next http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checksPassword(r) {
			next.ServeHTTP(w, r)
			return
		}
		n.Add(1)
		defer n.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// WithRequestTimeout bounds the work of every request: database calls and
// the auth call inherit the deadline and fail with 503 instead of piling up.
func WithRequestTimeout(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

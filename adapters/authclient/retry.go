package authclient

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// transientError marks a failure that another attempt may not meet: the
// connection was refused or reset, the attempt timed out, or the auth
// service (or a proxy before it) answered 502, 503 or 504.
type transientError struct {
	err error
	// connect is true when no connection could be made at all, so the
	// address is worth avoiding for a while.
	connect bool
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// classifyTransport wraps err from an HTTP round trip that got no answer
// as transient: connection refused or reset, a kept-alive connection that
// the server closed, a timeout of the attempt. Validation has no side
// effects, so repeating it after a lost answer is harmless. Certificate
// errors are configuration, not luck, and the caller's own cancellation
// ends the call; neither is retried.
func classifyTransport(ctx context.Context, err error) error {
	var certErr *tls.CertificateVerificationError
	if ctx.Err() != nil || errors.As(err, &certErr) {
		return unavailable(err)
	}
	var opErr *net.OpError
	connect := errors.As(err, &opErr) && opErr.Op == "dial"
	return &transientError{err: err, connect: connect}
}

// transientStatus reports whether an HTTP status is worth retrying.
func transientStatus(status int) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff returns the wait before retry number attempt (1-based):
// exponential from base, capped at max, with full jitter so that many task
// instances retrying at once do not hit the auth service in lockstep.
func backoff(attempt int, base, max time.Duration) time.Duration {
	d := base << (attempt - 1)
	if d <= 0 || d > max {
		d = max
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

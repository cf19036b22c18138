package app

import (
	"context"
	"log/slog"
	"net"
	"time"

	"taskapi/adapters/authclient"
	"taskapi/adapters/httpapi"
)

// AuthClientConfig is how the task service calls the auth service.
type AuthClientConfig struct {
	Timeout         time.Duration
	Budget          time.Duration // one validation, retries and breaker trials included
	Retries         int
	DNSRefresh      time.Duration
	DNSServer       string // host:port of a DNS server to ask instead of the system's
	BreakerFailures int
	BreakerOpen     time.Duration
	// CacheTTL and CacheSize shape the process's validation cache
	// (handlers.ValidationCache), in front of this client or, in the
	// all-in-one process, of the local check. CacheTTL 0: no cache.
	CacheTTL  time.Duration
	CacheSize int
}

// The wait between attempts at the auth service doubles from
// authBackoffBase up to authBackoffMax (with jitter): short enough that a
// retry fits in the validation budget, long enough not to hammer a
// service that is restarting.
const (
	authBackoffBase = 50 * time.Millisecond
	authBackoffMax  = time.Second
)

// newAuthClient builds the task service's client for the auth service.
func newAuthClient(cfg Config, logger *slog.Logger) (*authclient.Client, error) {
	ac := cfg.AuthClient
	opts := authclient.Options{
		BaseURL:         cfg.AuthServiceURL,
		Timeout:         ac.Timeout,
		Budget:          ac.Budget,
		Retries:         ac.Retries,
		BackoffBase:     authBackoffBase,
		BackoffMax:      authBackoffMax,
		DNSRefresh:      ac.DNSRefresh,
		BreakerFailures: uint32(ac.BreakerFailures),
		BreakerOpen:     ac.BreakerOpen,
		RequestID:       httpapi.RequestID,
		Logger:          logger,
	}
	if ac.DNSServer != "" {
		server := ac.DNSServer
		opts.Resolver = &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, server)
			},
		}
	}
	return authclient.New(opts)
}

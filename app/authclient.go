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
	CacheTTL        time.Duration // 0: no cache
	CacheSize       int
}

// newAuthClient builds the task service's client for the auth service.
func newAuthClient(cfg Config, logger *slog.Logger) (*authclient.Client, error) {
	ac := cfg.AuthClient
	retries := ac.Retries
	if retries == 0 {
		retries = -1 // the client's zero means "default"; 0 here means none
	}
	ttl := ac.CacheTTL
	if ttl == 0 {
		ttl = -1 // the client's zero means "default"; 0 here means no cache
	}
	opts := authclient.Options{
		BaseURL:         cfg.AuthServiceURL,
		Timeout:         ac.Timeout,
		Budget:          ac.Budget,
		Retries:         retries,
		DNSRefresh:      ac.DNSRefresh,
		BreakerFailures: uint32(ac.BreakerFailures),
		BreakerOpen:     ac.BreakerOpen,
		CacheTTL:        ttl,
		CacheSize:       ac.CacheSize,
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

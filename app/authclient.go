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
	CacheTTL        time.Duration // -1: no cache
	CacheSize       int
}

func loadAuthClientConfig(e *envReader) AuthClientConfig {
	c := AuthClientConfig{
		Timeout:         e.duration("AUTH_TIMEOUT", 2*time.Second),
		Budget:          e.duration("AUTH_BUDGET", 2500*time.Millisecond),
		Retries:         e.int("AUTH_RETRIES", 2, 0, 10),
		DNSRefresh:      e.duration("AUTH_DNS_REFRESH", 10*time.Second),
		DNSServer:       e.str("AUTH_DNS_SERVER", ""),
		BreakerFailures: e.int("AUTH_BREAKER_FAILURES", 5, 1, 1000),
		BreakerOpen:     e.duration("AUTH_BREAKER_OPEN", 10*time.Second),
		CacheTTL:        e.durationOrOff("AUTH_CACHE_TTL", 30*time.Second),
		CacheSize:       e.int("AUTH_CACHE_SIZE", 10000, 1, 1000000),
	}
	if c.DNSServer != "" {
		if _, _, err := net.SplitHostPort(c.DNSServer); err != nil {
			e.fail("AUTH_DNS_SERVER=%q: want host:port, e.g. 10.0.0.2:53", c.DNSServer)
		}
	}
	return c
}

// newAuthClient builds the task service's client for the auth service.
func newAuthClient(cfg Config, logger *slog.Logger) (*authclient.Client, error) {
	ac := cfg.AuthClient
	retries := ac.Retries
	if retries == 0 {
		retries = -1 // the client's zero means "default"; 0 here means none
	}
	opts := authclient.Options{
		BaseURL:         cfg.AuthServiceURL,
		Timeout:         ac.Timeout,
		Budget:          ac.Budget,
		Retries:         retries,
		DNSRefresh:      ac.DNSRefresh,
		BreakerFailures: uint32(ac.BreakerFailures),
		BreakerOpen:     ac.BreakerOpen,
		CacheTTL:        ac.CacheTTL,
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

package app

import (
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"taskapi/password"
	"taskapi/throttle"
)

// AbuseConfig holds the limits that keep one client from hurting others.
type AbuseConfig struct {
	LoginMaxFailures   int           // per account per window
	LoginIPMaxFailures int           // per client address per window
	LoginWindow        time.Duration // over which failures are counted
	RegisterIPMax      int           // registrations per client address per window
	RegisterIPWindow   time.Duration // over which registrations are counted
	BcryptConcurrency  int           // bcrypt operations at once
	BcryptQueueTimeout time.Duration // longest wait for a bcrypt slot
	TrustedProxyHops   int           // proxies that append to X-Forwarded-For
	CORSAllowedOrigins []string
	TaskQuota          int // tasks one user may hold
}

func loadAbuseConfig(e *envReader) AbuseConfig {
	c := AbuseConfig{
		LoginMaxFailures:   e.int("LOGIN_MAX_FAILURES", 5, 1, 1000),
		LoginIPMaxFailures: e.int("LOGIN_IP_MAX_FAILURES", 20, 1, 100000),
		LoginWindow:        e.duration("LOGIN_FAILURE_WINDOW", 15*time.Minute),
		RegisterIPMax:      e.int("REGISTER_IP_MAX", 10, 1, 100000),
		RegisterIPWindow:   e.duration("REGISTER_IP_WINDOW", time.Hour),
		BcryptConcurrency:  e.int("BCRYPT_CONCURRENCY", max(2, runtime.GOMAXPROCS(0)), 1, 1024),
		BcryptQueueTimeout: e.duration("BCRYPT_QUEUE_TIMEOUT", time.Second),
		TrustedProxyHops:   e.int("TRUSTED_PROXY_HOPS", 1, 0, 10),
		TaskQuota:          e.int("TASK_QUOTA", 10000, 1, 10000000),
	}
	for _, o := range strings.Split(e.str("CORS_ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		// Exact origins only: a wildcard or a path would either echo any
		// origin or never match a browser's Origin header.
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || strings.Contains(o, "*") {
			e.fail("CORS_ALLOWED_ORIGINS: %q is not an exact origin such as https://app.example.com", o)
			continue
		}
		c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
	}
	return c
}

// passwordThrottles returns the limits on wrong passwords: per account
// (shared by login and password change, which guess the same secret) and
// per client address, each bounded to 100,000 keys in memory.
func (c AbuseConfig) passwordThrottles() (accounts, clients *throttle.Limiter) {
	return throttle.New(c.LoginMaxFailures, c.LoginWindow, 100_000),
		throttle.New(c.LoginIPMaxFailures, c.LoginWindow, 100_000)
}

// registrationThrottle returns the limit on registrations per client
// address, bounded to 100,000 addresses in memory.
func (c AbuseConfig) registrationThrottle() *throttle.Limiter {
	return throttle.New(c.RegisterIPMax, c.RegisterIPWindow, 100_000)
}

// hasher returns bcrypt at cost, bounded in concurrency: BCRYPT_CONCURRENCY
// at once while the process serves nothing else, half of that (at least
// one, each slot resting between hashes) while others, the requests in
// flight that check no password, is above zero, so that a login storm
// cannot take every core from them.
func (c AbuseConfig) hasher(cost int, others *atomic.Int64) *password.Limited {
	l := password.Limit(password.Bcrypt{Cost: cost}, c.BcryptConcurrency, c.BcryptQueueTimeout)
	return l.Share(c.BcryptConcurrency/2, func() bool { return others.Load() > 0 })
}

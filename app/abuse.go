package app

import (
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
	// IdempotencyKeysPerUser caps the Idempotency-Keys one user may have
	// remembered at once (within the 24 h window).
	IdempotencyKeysPerUser int
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

// hasher returns bcrypt at cost, bounded in concurrency: the configured
// number at once while the process serves nothing else, half of that (at least
// one, each slot resting between hashes) while others, the requests in
// flight that check no password, is above zero, so that a login storm
// cannot take every core from them.
func (c AbuseConfig) hasher(cost int, others *atomic.Int64) *password.Limited {
	l := password.Limit(password.Bcrypt{Cost: cost}, c.BcryptConcurrency, c.BcryptQueueTimeout)
	return l.Share(c.BcryptConcurrency/2, func() bool { return others.Load() > 0 })
}

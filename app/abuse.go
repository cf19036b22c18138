package app

import (
	"fmt"
	"sync/atomic"
	"time"

	"taskapi/password"
	"taskapi/throttle"
)

// AbuseConfig holds the limits that keep one client from hurting others.
type AbuseConfig struct {
	LoginMaxFailures        int           // per (account, client address) pair per window
	LoginAccountMaxFailures int           // per account from every address per window, before backoff
	LoginAccountBackoffMax  time.Duration // longest backoff between attempts on an account past that
	LoginIPMaxFailures      int           // per client address (IPv6: /64) per window
	LoginWindow             time.Duration // over which failures are counted
	RegisterIPMax           int           // registrations per client address per window
	RegisterIPWindow        time.Duration // over which registrations are counted
	BcryptConcurrency       int           // bcrypt operations at once
	BcryptQueueTimeout      time.Duration // longest wait for a bcrypt slot
	TrustedProxyHops        int           // proxies that append to X-Forwarded-For
	CORSAllowedOrigins      []string
	TaskQuota               int // tasks one user may hold
	// IdempotencyKeysPerUser caps the Idempotency-Keys one user may have
	// remembered at once (within the 24 h window).
	IdempotencyKeysPerUser int
}

// loginBackoff is the first wait between attempts on an account past its
// free failures; it doubles with each attempt up to the configured cap.
const loginBackoff = time.Second

// knownAddressFor is how long an address that logged in to an account is
// exempt from the account's backoff (not from its pair lockout).
const knownAddressFor = 30 * 24 * time.Hour

// loginPolicy is the limits on password checks (logins, and the current
// password of a password change or an account deletion, which guess the
// same secret): a lockout per (account, address) pair, a backoff per
// account across addresses, a limit per address across accounts.
func (c AbuseConfig) loginPolicy() throttle.Policy {
	return throttle.Policy{
		Scope:    "login",
		Pair:     throttle.Rule{Max: c.LoginMaxFailures, Window: c.LoginWindow},
		Account:  throttle.Rule{Max: c.LoginAccountMaxFailures, Window: c.LoginWindow, Backoff: loginBackoff, BackoffMax: max(c.LoginAccountBackoffMax, loginBackoff)},
		Client:   throttle.Rule{Max: c.LoginIPMaxFailures, Window: c.LoginWindow},
		KnownFor: knownAddressFor,
	}
}

// registrationPolicy is the limit on registrations per client address.
func (c AbuseConfig) registrationPolicy() throttle.Policy {
	return throttle.Policy{Scope: "register", Client: throttle.Rule{Max: c.RegisterIPMax, Window: c.RegisterIPWindow}}
}

// ClientAddressMode says, for the start-up log, where the client address
// that the per-address limits count comes from.
func (c AbuseConfig) ClientAddressMode() string {
	if c.TrustedProxyHops == 0 {
		return fmt.Sprintf("peer address (%s=0: X-Forwarded-For is ignored)", EnvTrustedProxyHops)
	}
	return fmt.Sprintf("X-Forwarded-For entry %d from the right (%s=%d: only behind that many proxies that append to it)", c.TrustedProxyHops, EnvTrustedProxyHops, c.TrustedProxyHops)
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

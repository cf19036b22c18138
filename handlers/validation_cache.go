package handlers

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"taskapi"
)

// ValidationCache remembers for a while that a token passed a validator,
// so that the token's next requests skip it. It is the one validation
// cache of the binary, in front of whichever check the process makes:
// RejectingRevoked in the process that serves both services, where it
// saves the revocation query every authenticated request would otherwise
// make, and the auth service's client in the split task service, where it
// saves the round trip.
//
// It is told about revocations: ForgetToken and ForgetUser drop the
// entries at once, and a validation that was already under way when they
// ran is not cached. The process's own logouts, password changes and
// deletions call them directly; on PostgreSQL every process also hears
// every other process's revocations (store.WatchRevocations), which
// calls ForgetAll whenever notifications may have been missed. What is
// left is the TTL: the bound on how long a revocation can go unnoticed
// when no notification comes (SQLite shared by several processes, or
// the notification connection down). Entries never outlive the token's
// own expiry, and keys are SHA-256 hashes of tokens, never the bearer
// credential itself.
type ValidationCache struct {
	next TokenValidator
	ttl  time.Duration
	now  Clock

	mu      sync.Mutex // orders puts against forgets
	gen     uint64     // bumped by every forget
	entries *lru.Cache[[sha256.Size]byte, cachedPrincipal]
}

type cachedPrincipal struct {
	p       taskapi.Principal
	expires time.Time
}

// CacheValidations returns a cache of up to size validations by next,
// each kept for ttl (or until its token expires, if sooner).
func CacheValidations(next TokenValidator, ttl time.Duration, size int, now Clock) *ValidationCache {
	entries, _ := lru.New[[sha256.Size]byte, cachedPrincipal](max(size, 1)) // fails only for size <= 0
	return &ValidationCache{next: next, ttl: ttl, now: now, entries: entries}
}

// ValidateToken answers from the cache, or asks next and caches a success.
// Failures are never cached: a refused token is asked about every time.
func (c *ValidationCache) ValidateToken(ctx context.Context, token string) (taskapi.Principal, error) {
	key := sha256.Sum256([]byte(token))
	if v, ok := c.entries.Get(key); ok {
		if c.now().Before(v.expires) {
			return v.p, nil
		}
		c.entries.Remove(key)
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	p, err := c.next.ValidateToken(ctx, token)
	if err != nil || p.ExpiresAt.IsZero() {
		return p, err
	}
	expires := c.now().Add(c.ttl)
	if p.ExpiresAt.Before(expires) {
		expires = p.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen { // no revocation happened while next was asked
		c.entries.Add(key, cachedPrincipal{p: p, expires: expires})
	}
	return p, nil
}

// ForgetToken drops every cached validation of the token with id jti:
// call it once the token's revocation is stored.
func (c *ValidationCache) ForgetToken(jti string) {
	c.forget(func(p taskapi.Principal) bool { return p.TokenID == jti })
}

// ForgetUser drops every cached validation of userID's tokens: call it
// once the account is deleted or its password changed.
func (c *ValidationCache) ForgetUser(userID int64) {
	c.forget(func(p taskapi.Principal) bool { return p.UserID == userID })
}

// ForgetAll drops every cached validation: call it when revocations may
// have been missed.
func (c *ValidationCache) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.Purge()
}

// forget drops the entries that match. It walks the whole cache, which is
// bounded by size and happens only on a logout or a deletion.
func (c *ValidationCache) forget(match func(taskapi.Principal) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range c.entries.Keys() {
		if v, ok := c.entries.Peek(k); ok && match(v.p) {
			c.entries.Remove(k)
		}
	}
}

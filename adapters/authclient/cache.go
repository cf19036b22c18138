package authclient

import (
	"crypto/sha256"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"taskapi"
)

// validationCache remembers recent successful validations so that a busy
// client does not cost one auth round trip per request. Keys are SHA-256
// hashes of tokens: the raw token, a bearer credential, is never kept. The
// size bound evicts the least recently used entry.
//
// The trade: a token revoked by logout is still accepted by a task that
// cached it, for at most ttl. Entries never outlive the token itself.
type validationCache struct {
	ttl     time.Duration
	now     func() time.Time
	entries *lru.Cache[[sha256.Size]byte, cachedValidation]
}

type cachedValidation struct {
	principal taskapi.Principal
	expires   time.Time
}

// newValidationCache returns a cache of up to size entries living ttl by
// the clock now, or nil (no caching) when size or ttl is zero.
func newValidationCache(size int, ttl time.Duration, now func() time.Time) *validationCache {
	if size <= 0 || ttl <= 0 {
		return nil
	}
	entries, _ := lru.New[[sha256.Size]byte, cachedValidation](size) // fails only for size <= 0
	return &validationCache{ttl: ttl, now: now, entries: entries}
}

func (c *validationCache) get(token string) (taskapi.Principal, bool) {
	if c == nil {
		return taskapi.Principal{}, false
	}
	key := sha256.Sum256([]byte(token))
	v, ok := c.entries.Get(key)
	if !ok {
		return taskapi.Principal{}, false
	}
	if !c.now().Before(v.expires) {
		c.entries.Remove(key)
		return taskapi.Principal{}, false
	}
	return v.principal, true
}

// put caches p until ttl from now or until the token expires, whichever
// is sooner. A validation that did not say when the token expires is not
// cached.
func (c *validationCache) put(token string, p taskapi.Principal) {
	if c == nil || p.ExpiresAt.IsZero() {
		return
	}
	expires := c.now().Add(c.ttl)
	if p.ExpiresAt.Before(expires) {
		expires = p.ExpiresAt
	}
	c.entries.Add(sha256.Sum256([]byte(token)), cachedValidation{principal: p, expires: expires})
}

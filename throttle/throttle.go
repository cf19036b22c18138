// Package throttle limits how often a key (an account, a client address)
// may fail: a token bucket per key (golang.org/x/time/rate), kept in a
// bounded LRU (hashicorp/golang-lru) so that a flood of distinct keys
// costs bounded memory.
//
// Limits are per process: with several ECS tasks each counts on its own,
// so the effective limit scales with the task count. A WAF rate rule in
// front of the ALB is the cross-task limit.
package throttle

import (
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limiter allows each key a burst of failures that refills evenly over a
// window: with 5 per 15 minutes, a sixth failure in a row must wait three
// minutes, and a quiet key is back to 5 after 15.
type Limiter struct {
	every time.Duration // refill: one failure allowance per interval
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets *lru.Cache[string, *rate.Limiter]
}

// New returns a limiter of failures per window for up to size keys.
func New(failures int, window time.Duration, size int) *Limiter {
	buckets, _ := lru.New[string, *rate.Limiter](max(size, 1))
	return &Limiter{every: window / time.Duration(max(failures, 1)), burst: max(failures, 1), now: time.Now, buckets: buckets}
}

// Wait returns how long the caller must wait before key may fail again;
// zero means it may try now.
func (l *Limiter) Wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(key)
	if !ok {
		return 0
	}
	tokens := b.TokensAt(l.now())
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) * float64(l.every)))
}

// Fail records one failure for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets.Add(key, b)
	}
	b.AllowN(l.now(), 1)
}

// Reset forgets key's failures, as after a successful login.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets.Remove(key)
}

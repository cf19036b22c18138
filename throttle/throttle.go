// Package throttle limits how often a key (an account, a client address)
// may try something that costs or risks much (a password check, a
// registration): a token bucket per key, kept in a bounded LRU
// (hashicorp/golang-lru) so that a flood of distinct keys costs bounded
// memory.
//
// A caller reserves an attempt before doing the costly work and gives it
// back when the attempt turns out harmless (a correct password). The
// reservation is atomic, so n concurrent attempts never get more than the
// allowance between them, however long the work takes.
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
)

// Limiter allows each key a burst of attempts that refills evenly over a
// window: with 5 per 15 minutes, a sixth attempt in a row must wait three
// minutes, and a quiet key is back to 5 after 15.
type Limiter struct {
	every time.Duration // refill: one attempt per interval
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets *lru.Cache[string, *bucket]
}

// bucket is one key's allowance: tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter of attempts per window for up to size keys.
func New(attempts int, window time.Duration, size int) *Limiter {
	buckets, _ := lru.New[string, *bucket](max(size, 1))
	return &Limiter{every: window / time.Duration(max(attempts, 1)), burst: float64(max(attempts, 1)), now: time.Now, buckets: buckets}
}

// refill brings b up to now and returns its tokens.
func (l *Limiter) refill(b *bucket, now time.Time) float64 {
	if now.After(b.at) {
		b.tokens = math.Min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
		b.at = now
	}
	return b.tokens
}

// wait is how long a bucket holding tokens must wait for a whole one.
func (l *Limiter) wait(tokens float64) time.Duration {
	return time.Duration(math.Ceil((1 - tokens) * float64(l.every)))
}

// Wait returns how long key must wait before it may try again; zero means
// it may try now. It reserves nothing.
func (l *Limiter) Wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Peek(key)
	if !ok {
		return 0
	}
	if tokens := l.refill(b, l.now()); tokens < 1 {
		return l.wait(tokens)
	}
	return 0
}

// Reserve takes one attempt from key's allowance and returns zero, or,
// when none is left, takes nothing and returns how long key must wait.
// The check and the taking are one step under the limiter's lock.
func (l *Limiter) Reserve(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets.Add(key, b)
	}
	if tokens := l.refill(b, now); tokens < 1 {
		return l.wait(tokens)
	}
	b.tokens--
	return 0
}

// Release gives back one attempt that Reserve took, as for a correct
// password. A key forgotten meanwhile (evicted, reset) is left alone.
func (l *Limiter) Release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets.Peek(key); ok {
		b.tokens = math.Min(l.burst, l.refill(b, l.now())+1)
	}
}

// Reset forgets key's attempts, as after a successful login.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets.Remove(key)
}

// Package throttle limits how often a key (an account, a client address,
// the pair of both) may try something that costs or risks much (a
// password check, a registration).
//
// The counts live in the database (Store), shared by every instance of
// the service and kept across restarts: n auth tasks behind a load
// balancer allow what one would, and no number of requests for other
// keys can push a key's count out of a table. A caller reserves an
// attempt before the costly work and settles it afterwards; the
// reservation is atomic across instances (the store holds the keys locked
// from read to write), so n concurrent attempts never get more than the
// allowance between them, however long the work takes.
//
// The rules themselves are pure functions of a counter and the time
// (Rule); Policy says which keys a kind of attempt is counted under.
package throttle

import (
	"time"

	"taskapi"
)

// Rule is one limit: at most Max attempts per Window, the window starting
// at the first attempt counted in it. Past Max an attempt is refused
// until the window ends, unless Backoff is set: then the rule slows
// attempts down instead of stopping them, the first past Max waiting
// Backoff after the one before, each later one twice as long, up to
// BackoffMax. A Rule with Max 0 is no limit.
type Rule struct {
	Max        int
	Window     time.Duration
	Backoff    time.Duration
	BackoffMax time.Duration
}

// maxDoublings bounds the shift in delay, far past any sensible cap.
const maxDoublings = 30

// take counts one attempt in c at now, or refuses it: it returns the next
// state and zero, or c unchanged and how long until an attempt would be
// counted.
func (r Rule) take(c taskapi.AttemptCounter, now time.Time) (taskapi.AttemptCounter, time.Duration) {
	if c.Attempts == 0 || !now.Before(c.WindowStart.Add(r.Window)) {
		c = taskapi.AttemptCounter{Key: c.Key, WindowStart: now}
	}
	end := c.WindowStart.Add(r.Window)
	if c.Attempts >= r.Max {
		if r.Backoff <= 0 {
			return c, end.Sub(now)
		}
		if now.Before(c.NextAt) {
			return c, c.NextAt.Sub(now)
		}
	}
	c.Attempts++
	if r.Backoff > 0 && c.Attempts >= r.Max {
		c.NextAt = now.Add(r.delay(c.Attempts - r.Max))
	}
	c.ExpiresAt = end
	if c.NextAt.After(end) {
		c.ExpiresAt = c.NextAt
	}
	return c, 0
}

// delay is the backoff after the over-th attempt past Max (0: the Max-th).
func (r Rule) delay(over int) time.Duration {
	d := r.Backoff << min(over, maxDoublings)
	if d <= 0 || (r.BackoffMax > 0 && d > r.BackoffMax) {
		return max(r.BackoffMax, r.Backoff)
	}
	return d
}

// give takes one counted attempt back out of c at now (the attempt did no
// harm); a counter whose window has ended has nothing to give back.
func (r Rule) give(c taskapi.AttemptCounter, now time.Time) taskapi.AttemptCounter {
	if c.Attempts > 0 && now.Before(c.WindowStart.Add(r.Window)) {
		c.Attempts--
	}
	return c
}

// Package fakeclock is a settable clock for tests: code under test takes a
// func() time.Time, the test passes Clock.Now and moves time with Advance
// instead of sleeping, so expiry and refresh are driven by the test, never
// by how busy the machine is.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use. Its zero value reads the zero time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads start until it is advanced.
func New(start time.Time) *Clock {
	return &Clock{t: start}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

package taskapi

import "time"

// AttemptCounter is the state of one limit on attempts at something
// costly or risky (a password check, a registration) for one key, as the
// database shares it between instances: Attempts counted since
// WindowStart, the earliest time of the next attempt when the limit slows
// attempts down rather than refusing them (NextAt), and when the state
// stops mattering (ExpiresAt), after which it counts as absent and may be
// deleted.
type AttemptCounter struct {
	Key         string
	Attempts    int
	WindowStart time.Time
	NextAt      time.Time
	ExpiresAt   time.Time
}

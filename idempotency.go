package taskapi

import "time"

// IdempotencyWindow is how long an Idempotency-Key is remembered; after
// it the key's record has expired, and is pruned.
const IdempotencyWindow = 24 * time.Hour

// IdempotencyKey is what a create sent with an Idempotency-Key header is
// remembered by: the client's key (unique per user) and a hash of the
// request, so that a replay can be told from a different request reusing
// the key. Entries created before NotBefore have expired and count as
// absent.
type IdempotencyKey struct {
	Key         string
	RequestHash string
	NotBefore   time.Time
	// PerUser, when positive, caps the keys one user may have remembered
	// at once (created at or after NotBefore), so that keyed creates
	// cannot make the server store without bound what the task quota
	// bounds (a key outlives its deleted task).
	PerUser int
}

// IdempotentResult is the remembered outcome of a create: the request's
// hash and the task as it was created (the body of the first answer).
type IdempotentResult struct {
	RequestHash string
	Task        Task
	CreatedAt   time.Time
}

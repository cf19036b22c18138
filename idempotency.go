package taskapi

import "time"

// IdempotencyKey is what a create sent with an Idempotency-Key header is
// remembered by: the client's key (unique per user) and a hash of the
// request, so that a replay can be told from a different request reusing
// the key. Entries created before NotBefore have expired and count as
// absent.
type IdempotencyKey struct {
	Key         string
	RequestHash string
	NotBefore   time.Time
}

// IdempotentResult is the remembered outcome of a create: the request's
// hash and the task as it was created (the body of the first answer).
type IdempotentResult struct {
	RequestHash string
	Task        Task
	CreatedAt   time.Time
}

package handlers

import (
	"context"
	"time"

	"taskapi"
)

// UserStore persists accounts. Implementations return a *taskapi.Error
// with code ECONFLICT when a username or email is taken (compared without
// regard to case), ENOTFOUND when no user matches, and EUNAVAILABLE when the
// database cannot be reached.
type UserStore interface {
	// CreateUser inserts u and sets its ID. CreatedAt and UpdatedAt are
	// stored as given.
	CreateUser(ctx context.Context, u *taskapi.User) error
	// UserByUsername finds a user by username, ignoring case.
	UserByUsername(ctx context.Context, username string) (*taskapi.User, error)
	// UserByID finds a user by id.
	UserByID(ctx context.Context, id int64) (*taskapi.User, error)
}

// AccountStore is a UserStore that can also change a password and delete
// an account.
type AccountStore interface {
	UserStore
	// UpdatePassword replaces user userID's password hash, sets its
	// updated_at to now and invalidates the user's tokens issued before
	// tokensValidAfter (TokenInvalidated); an unknown user is ENOTFOUND.
	UpdatePassword(ctx context.Context, userID int64, hash string, now, tokensValidAfter time.Time) error
	// DeleteUser deletes user userID with their tasks and revocations; an
	// unknown user is ENOTFOUND.
	DeleteUser(ctx context.Context, userID int64) error
}

// RevocationStore remembers revoked tokens by their id (the jti claim),
// shared by every auth instance. Errors follow UserStore's codes.
type RevocationStore interface {
	// RevokeToken records that token jti of userID is revoked until
	// expiresAt, when the token would have expired anyway. Revoking a token
	// twice is not an error. An unknown user is ENOTFOUND.
	RevokeToken(ctx context.Context, jti string, userID int64, expiresAt, now time.Time) error
	// TokenInvalidated reports whether token jti of userID, issued at
	// issuedAt, may no longer be used: it was revoked, user userID no
	// longer exists, or their password changed after issuedAt.
	TokenInvalidated(ctx context.Context, jti string, userID int64, issuedAt time.Time) (bool, error)
}

// TaskStore persists tasks. Errors follow the same codes as UserStore's;
// a missing task is ENOTFOUND with taskapi.TaskNotFound's message.
type TaskStore interface {
	// CreateTask inserts t and sets its ID. Times are stored as given. A
	// positive quota refuses the task with taskapi.TaskQuotaReached when
	// the user already holds quota tasks, exactly, however many creates
	// run at once. A t.UserID with no user (deleted) is ENOTFOUND.
	CreateTask(ctx context.Context, t *taskapi.Task, quota int) error
	// TaskByID returns a task whoever owns it; the caller checks ownership.
	TaskByID(ctx context.Context, id int64) (*taskapi.Task, error)
	// ListTasks returns one page of f.UserID's tasks, the total count, and
	// whether more tasks follow the page.
	ListTasks(ctx context.Context, f taskapi.TaskFilter) (taskapi.TaskPage, error)
	// UpdateTask applies p to task id, sets updated_at to now, increments the
	// version and returns the task as stored afterwards. With p.IfVersion
	// set it changes nothing unless the task is at that version
	// (EPRECONDITION).
	UpdateTask(ctx context.Context, id int64, p taskapi.TaskPatch, now time.Time) (*taskapi.Task, error)
	// DeleteTask removes task id; a non-zero ifVersion only at that version
	// (EPRECONDITION otherwise).
	DeleteTask(ctx context.Context, id, ifVersion int64) error
	// IdempotentTask returns what userID's key remembers, or nil when the
	// key is unknown or expired (created before key.NotBefore).
	IdempotentTask(ctx context.Context, userID int64, key taskapi.IdempotencyKey) (*taskapi.IdempotentResult, error)
	// CreateTaskOnce inserts t like CreateTask (quota included) and
	// remembers it under key, atomically. When another request remembered
	// the key first it stores nothing and returns that request's result;
	// nil means t was created.
	CreateTaskOnce(ctx context.Context, t *taskapi.Task, quota int, key taskapi.IdempotencyKey) (*taskapi.IdempotentResult, error)
}

// PasswordHasher turns passwords into slow, salted hashes and checks them.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Compare returns nil when password matches hash.
	Compare(hash, password string) error
}

// TokenIssuer signs access tokens for a user.
type TokenIssuer interface {
	// Issue returns a signed token for u, valid from now for the issuer's
	// configured lifetime, and that lifetime.
	Issue(u taskapi.User, now time.Time) (token string, lifetime time.Duration, err error)
}

// TokenValidator checks a presented token. It returns the caller on
// success and a *taskapi.Error with code EUNAUTHORIZED (message
// MsgTokenExpired or MsgInvalidToken) when the token is not acceptable, or
// EUNAVAILABLE when it cannot decide (e.g. the auth service is down).
type TokenValidator interface {
	ValidateToken(ctx context.Context, token string) (taskapi.Principal, error)
}

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// AttemptLimiter limits attempts at a password check or a registration
// per account, per client address and per pair of both, counted once for
// every instance of the service. Reserve takes one attempt before the
// costly work, under every limit or none, atomically (concurrent attempts
// never check more passwords than the allowance), or says how long the
// caller must wait; either key may be "" (not counted under the limits
// that need it). Release settles a reserved attempt: succeeded (the
// password was right) forgives the pair's earlier failures, otherwise the
// attempt is given back whole (it could not be checked). A wrong password
// is never released: it stays counted.
type AttemptLimiter interface {
	Reserve(ctx context.Context, account, client string) (time.Duration, error)
	Release(ctx context.Context, account, client string, succeeded bool)
}

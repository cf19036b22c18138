package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"taskapi"
)

// Account holds the handlers a signed-in user calls about their own
// account: logout, me, change password, delete. The transport authenticates the
// caller first (with a validator that rejects revoked tokens).
type Account struct {
	users       AccountStore
	hasher      PasswordHasher
	revocations RevocationStore
	now         Clock
	// guesses limits wrong current passwords like logins, so that a
	// stolen token cannot be used to guess the password without limit;
	// nil means no limit.
	guesses AttemptLimiter
}

// AccountOption configures optional behaviour of NewAccount.
type AccountOption func(*Account)

// WithPasswordThrottle limits wrong current passwords. Pass the login's
// limiter: both guess the same secret, so they share one allowance.
func WithPasswordThrottle(logins AttemptLimiter) AccountOption {
	return func(a *Account) { a.guesses = logins }
}

// NewAccount returns the account handlers.
func NewAccount(users AccountStore, hasher PasswordHasher, revocations RevocationStore, now Clock, opts ...AccountOption) *Account {
	a := &Account{users: users, hasher: hasher, revocations: revocations, now: now}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// Logout revokes the token the caller presented, until the time it would
// have expired. The caller's other tokens stay valid.
func (a *Account) Logout(ctx context.Context, req LogoutRequest) (MessageResponse, error) {
	p := req.Caller
	if err := requireCaller(p); err != nil {
		return MessageResponse{}, err
	}
	if p.TokenID == "" || p.ExpiresAt.IsZero() {
		return MessageResponse{}, taskapi.Wrap(errors.New("caller's token has no jti or exp"), taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	err := a.revocations.RevokeToken(ctx, p.TokenID, p.UserID, p.ExpiresAt, a.now().UTC())
	if err != nil {
		return MessageResponse{}, userGone(err)
	}
	return MessageResponse{Message: "Logged out successfully"}, nil
}

// Me returns the caller's account as the database holds it now, which may
// differ from the token's claims.
func (a *Account) Me(ctx context.Context, req MeRequest) (MeResponse, error) {
	if err := requireCaller(req.Caller); err != nil {
		return MeResponse{}, err
	}
	u, err := a.users.UserByID(ctx, req.Caller.UserID)
	if err != nil {
		return MeResponse{}, userGone(err)
	}
	return MeResponse{User: PublicUser{
		ID: u.ID, Username: u.Username, Email: u.Email,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}}, nil
}

// ChangePassword replaces the caller's password after checking the
// current one; the new one follows the registration rules.
//
// It ends every session of the account: every token issued before the
// change, the caller's included, is refused from then on (on every
// instance, as a logout is), and the answer carries no new token: the
// caller logs in again with the new password.
//
// Tokens tell their issue time in whole seconds (iat), so the cut-off
// is the change's time rounded up to the next whole second, and the
// answer waits until that second has begun (at most a second): a token
// issued before the change is refused, one from a login made after the
// answer is accepted.
func (a *Account) ChangePassword(ctx context.Context, req ChangePasswordRequest) (MessageResponse, error) {
	if err := requireCaller(req.Caller); err != nil {
		return MessageResponse{}, err
	}
	var fe fieldErrors
	if req.CurrentPassword == "" {
		fe.add("current_password", "Current password is required")
	}
	checkNewPassword(&fe, "new_password", req.NewPassword)
	if err := fe.err(); err != nil {
		return MessageResponse{}, err
	}
	u, err := a.users.UserByID(ctx, req.Caller.UserID)
	if err != nil {
		return MessageResponse{}, userGone(err)
	}
	if err := a.checkPassword(ctx, u, req.CurrentPassword, req.ClientIP); err != nil {
		return MessageResponse{}, err
	}
	hash, err := a.hasher.Hash(req.NewPassword)
	if err != nil {
		return MessageResponse{}, fmt.Errorf("hash password: %w", err)
	}
	now := a.now().UTC()
	validAfter := now.Truncate(time.Second)
	if validAfter.Before(now) {
		validAfter = validAfter.Add(time.Second)
	}
	if err := a.users.UpdatePassword(ctx, u.ID, hash, now, validAfter); err != nil {
		return MessageResponse{}, userGone(err)
	}
	// A caller that gives up during the wait has changed its password
	// all the same: the change is stored.
	waitUntil(ctx, validAfter.Sub(a.now()))
	return MessageResponse{Message: "Password updated successfully"}, nil
}

// DeleteMe deletes the caller's account, with all of its tasks, after
// checking its password (throttled like a login: a stolen token cannot
// guess it). Every token of the account is refused from then on, by the
// auth service at once: validation finds no user. The username and email
// become free to register again, as a new account with a new id.
func (a *Account) DeleteMe(ctx context.Context, req DeleteAccountRequest) (MessageResponse, error) {
	if err := requireCaller(req.Caller); err != nil {
		return MessageResponse{}, err
	}
	if req.Password == "" {
		return MessageResponse{}, taskapi.Invalid(taskapi.FieldError{Field: "password", Message: "Password is required"})
	}
	u, err := a.users.UserByID(ctx, req.Caller.UserID)
	if err != nil {
		return MessageResponse{}, userGone(err)
	}
	if err := a.checkPassword(ctx, u, req.Password, req.ClientIP); err != nil {
		return MessageResponse{}, err
	}
	if err := a.users.DeleteUser(ctx, u.ID); err != nil {
		return MessageResponse{}, userGone(err)
	}
	return MessageResponse{Message: taskapi.MsgAccountDeleted}, nil
}

// checkPassword checks u's password as the caller's proof of identity,
// from client, under the login's allowances: the attempt is reserved
// before bcrypt and given back only when the password was right or could
// not be checked. A wrong one is 401 MsgWrongPassword.
func (a *Account) checkPassword(ctx context.Context, u *taskapi.User, password, client string) error {
	key := strings.ToLower(u.Username)
	if err := reserve(ctx, a.guesses, key, client, taskapi.MsgTooManyLogins); err != nil {
		return err
	}
	if err := a.hasher.Compare(u.PasswordHash, password); err != nil {
		if taskapi.ErrorCode(err) == taskapi.EUNAVAILABLE {
			release(ctx, a.guesses, key, client, false)
			return err // busy: not a wrong password
		}
		return taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgWrongPassword)
	}
	release(ctx, a.guesses, key, client, true)
	return nil
}

// waitUntil waits d, or until ctx is done.
func waitUntil(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// userGone turns "no such user" for an authenticated caller into 401
// Invalid token: the token outlived its account. Other errors pass.
func userGone(err error) error {
	if taskapi.ErrorCode(err) == taskapi.ENOTFOUND {
		return taskapi.Wrap(err, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	return err
}

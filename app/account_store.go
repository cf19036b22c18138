package app

import (
	"context"
	"time"

	"taskapi/handlers"
	"taskapi/store"
)

// accountStore is the store as the account handlers see it, telling the
// process's validation cache (if any) about every revocation it stores,
// so that a token logged out, or of an account deleted or whose password
// changed, is refused here on the very next request (other processes
// learn it through notifications, see watchRevocations).
type accountStore struct {
	*store.DB
	cache *handlers.ValidationCache // nil: nothing to tell
}

func accountStoreFor(db *store.DB) *accountStore { return &accountStore{DB: db} }

// RevokeToken stores the revocation, then drops the token from the cache.
func (s *accountStore) RevokeToken(ctx context.Context, jti string, userID int64, expiresAt, now time.Time) error {
	if err := s.DB.RevokeToken(ctx, jti, userID, expiresAt, now); err != nil {
		return err
	}
	if s.cache != nil {
		s.cache.ForgetToken(jti)
	}
	return nil
}

// UpdatePassword stores the new password and its cut-off, then drops
// every cached validation of the user's tokens.
func (s *accountStore) UpdatePassword(ctx context.Context, userID int64, hash string, now, tokensValidAfter time.Time) error {
	if err := s.DB.UpdatePassword(ctx, userID, hash, now, tokensValidAfter); err != nil {
		return err
	}
	if s.cache != nil {
		s.cache.ForgetUser(userID)
	}
	return nil
}

// DeleteUser deletes the account, then drops every cached validation of
// its tokens, so that they are refused here on the very next request.
func (s *accountStore) DeleteUser(ctx context.Context, userID int64) error {
	if err := s.DB.DeleteUser(ctx, userID); err != nil {
		return err
	}
	if s.cache != nil {
		s.cache.ForgetUser(userID)
	}
	return nil
}

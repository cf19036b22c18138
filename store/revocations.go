package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"taskapi"
)

// RevokeToken records that the token with id jti, issued to userID, may
// no longer be used; expiresAt is when the token would have expired
// anyway, after which the row serves no purpose and Prune deletes it.
// Revoking a token twice is not an error (the first record stands). The
// same transaction tells every process watching revocations
// (WatchRevocations) to forget the token's cached validations once it
// commits. A userID with no user (deleted meanwhile) is ENOTFOUND.
func (db *DB) RevokeToken(ctx context.Context, jti string, userID int64, expiresAt, now time.Time) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(
			`INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING`),
			jti, userID, timeArg(expiresAt), timeArg(now))
		if foreignKeyViolation(err) {
			return taskapi.Wrap(err, taskapi.ENOTFOUND, taskapi.MsgUserNotFound)
		}
		if err != nil {
			return err
		}
		return db.notifyRevocation(ctx, tx, tokenRevoked(jti))
	})
}

// IsTokenRevoked reports whether the token with id jti has been revoked.
// A revoked token whose row was cleaned up has expired by then, so the
// answer false never lets a revoked token through on its own: the token's
// exp claim still has to be checked.
func (db *DB) IsTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	if err := db.x.GetContext(ctx, &n, db.rebind("SELECT COUNT(*) FROM revoked_tokens WHERE jti = ?"), jti); err != nil {
		return false, classify(err)
	}
	return n > 0, nil
}

// TokenInvalidated reports whether the token with id jti, issued to
// userID at issuedAt, may no longer be used: it was revoked, its user no
// longer exists (deleted, with every revocation of theirs), or the user
// changed their password after issuedAt (UpdatePassword's
// tokensValidAfter). One query answers all three, so checking the account
// costs validation no extra round trip. Ids are never reused (SERIAL,
// AUTOINCREMENT), so a token can never come to name a later account.
func (db *DB) TokenInvalidated(ctx context.Context, jti string, userID int64, issuedAt time.Time) (bool, error) {
	var gone bool
	err := db.x.GetContext(ctx, &gone, db.rebind(
		`SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)
			OR NOT EXISTS (SELECT 1 FROM users WHERE id = ?
				AND (tokens_valid_after IS NULL OR tokens_valid_after <= ?))`), jti, userID, timeArg(issuedAt))
	if err != nil {
		return false, classify(err)
	}
	return gone, nil
}

package handlers

import (
	"context"
	"errors"

	"taskapi"
)

// RejectingRevoked returns a TokenValidator that accepts what v accepts,
// except tokens that have been revoked (logged out), tokens whose
// account no longer exists (deleted) and tokens issued before their
// account's last password change, which are EUNAUTHORIZED with
// MsgInvalidToken, as /auth/me says for them. It asks revocations about
// every token v accepts, so a logout, a deletion or a password change takes effect at once on
// every auth instance sharing the store.
//
// It fails closed: when the store cannot answer, the token is refused
// with EUNAVAILABLE (503) rather than let through unchecked. A token
// without an id (jti) cannot be checked and is refused as invalid.
func RejectingRevoked(v TokenValidator, revocations RevocationStore) TokenValidator {
	return revocationCheck{next: v, revocations: revocations}
}

type revocationCheck struct {
	next        TokenValidator
	revocations RevocationStore
}

func (c revocationCheck) ValidateToken(ctx context.Context, token string) (taskapi.Principal, error) {
	p, err := c.next.ValidateToken(ctx, token)
	if err != nil {
		return taskapi.Principal{}, err
	}
	if p.TokenID == "" {
		return taskapi.Principal{}, taskapi.Wrap(errors.New("token has no jti; revocation cannot be checked"),
			taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	revoked, err := c.revocations.TokenInvalidated(ctx, p.TokenID, p.UserID, p.IssuedAt)
	switch {
	case err != nil && taskapi.ErrorCode(err) == taskapi.EUNAVAILABLE:
		return taskapi.Principal{}, err
	case err != nil:
		return taskapi.Principal{}, taskapi.Wrap(err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
	case revoked:
		return taskapi.Principal{}, taskapi.Wrap(errors.New("token revoked or its user deleted"), taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
	}
	return p, nil
}

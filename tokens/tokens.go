// Package tokens issues and checks the API's access tokens: JWTs signed
// with HS256 through github.com/golang-jwt/jwt/v5.
package tokens

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"taskapi"
)

// Issuer and Audience are written into every token and required on every
// token presented, so a token minted for another system with the same
// secret is refused (RFC 8725 section 3.9).
const (
	Issuer   = "taskapi-auth"
	Audience = "taskapi"
)

// MaxTokenLength bounds what is parsed at all: our tokens are a few hundred
// bytes, and refusing kilobytes of junk early keeps parsing cheap.
const MaxTokenLength = 4096

// Claims is the token payload: user_id, username, email, iat and exp (what
// the API documents a token to carry), plus jti (for revocation), iss and
// aud.
type Claims struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	jwt.RegisteredClaims
}

// HS256 signs and validates tokens with one shared secret.
type HS256 struct {
	secret   []byte
	lifetime time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// NewHS256 returns a signer whose tokens live for lifetime. now is the
// clock used to check expiry; nil means time.Now.
func NewHS256(secret []byte, lifetime time.Duration, now func() time.Time) *HS256 {
	if now == nil {
		now = time.Now
	}
	s := &HS256{secret: secret, lifetime: lifetime, now: now}
	// The accepted algorithm is fixed: a token's own "alg" header never
	// chooses how it is verified (no "none", no RS256 with our secret as a
	// public key). exp, iss and aud are required; iat may not lie in the
	// future.
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithTimeFunc(func() time.Time { return s.now() }),
		// Canonical base64 only: otherwise a signature whose unused low
		// bits differ would also verify, one token with several spellings.
		jwt.WithStrictDecoding(),
	)
	return s
}

// Issue returns a signed token for u, issued at now.
func (s *HS256) Issue(u taskapi.User, now time.Time) (string, time.Duration, error) {
	jti, err := newTokenID()
	if err != nil {
		return "", 0, err
	}
	// JWT times are whole seconds; truncating first keeps exp-iat exactly
	// equal to the lifetime.
	iat := now.UTC().Truncate(time.Second)
	claims := Claims{
		UserID:   u.ID,
		Username: u.Username,
		Email:    u.Email,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        jti,
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(iat.Add(s.lifetime)),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	if err != nil {
		return "", 0, fmt.Errorf("sign token: %w", err)
	}
	return signed, s.lifetime, nil
}

// ValidateToken checks the signature, algorithm and claims of token and
// returns its subject. Failures are EUNAUTHORIZED with the API's
// documented messages: MsgTokenExpired for an expired but otherwise genuine token,
// MsgInvalidToken for anything else.
func (s *HS256) ValidateToken(_ context.Context, token string) (taskapi.Principal, error) {
	if token == "" {
		return taskapi.Principal{}, taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	}
	if len(token) > MaxTokenLength {
		return taskapi.Principal{}, invalid(errors.New("token too long"))
	}
	var c Claims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.secret, nil })
	// golang-jwt fills the claims before it reports a failure, so nothing
	// read from c may be trusted unless err is nil.
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		// jwt/v5 checks the signature before the claims, so an expiry error
		// is only reported for a token we really issued.
		return taskapi.Principal{}, taskapi.Wrap(err, taskapi.EUNAUTHORIZED, taskapi.MsgTokenExpired)
	case err != nil:
		return taskapi.Principal{}, invalid(err)
	case c.UserID <= 0 || c.ID == "":
		return taskapi.Principal{}, invalid(errors.New("token lacks user_id or jti"))
	}
	return taskapi.Principal{
		UserID:    c.UserID,
		Username:  c.Username,
		Email:     c.Email,
		TokenID:   c.ID,
		IssuedAt:  issuedAt(c),
		ExpiresAt: c.ExpiresAt.Time.UTC(),
	}, nil
}

// issuedAt is the token's iat, or the zero time for a token without one
// (none of ours; a password change refuses such a token once it happens).
func issuedAt(c Claims) time.Time {
	if c.IssuedAt == nil {
		return time.Time{}
	}
	return c.IssuedAt.Time.UTC()
}

func invalid(cause error) error {
	return taskapi.Wrap(cause, taskapi.EUNAUTHORIZED, taskapi.MsgInvalidToken)
}

// newTokenID returns 128 random bits, hex encoded: unique enough that
// revoking one token never revokes another.
func newTokenID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

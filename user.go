package taskapi

import "time"

// User is a registered account. PasswordHash is a bcrypt hash and never
// leaves the process: response types copy the public fields instead.
type User struct {
	ID           int64
	Username     string
	Email        string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Principal is the authenticated caller of a request, as proven by a token.
type Principal struct {
	UserID   int64
	Username string
	Email    string
	// TokenID is the token's unique id (the jti claim), used for revocation.
	TokenID string
	// IssuedAt is when the token was issued (its iat claim, whole
	// seconds): a password change refuses the tokens issued before it.
	// Zero when the validation did not say (the auth service's answer
	// leaves it out).
	IssuedAt time.Time
	// ExpiresAt is when the presented token stops being valid.
	ExpiresAt time.Time
}

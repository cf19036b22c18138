package handlers

import (
	"time"

	"taskapi"
)

// RegisterRequest is the body of POST /auth/register. ClientIP is set by
// the transport, like LoginRequest's.
type RegisterRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	ClientIP string `json:"-"`
}

// RegisterResponse answers a successful registration.
type RegisterResponse struct {
	Message string     `json:"message"`
	User    PublicUser `json:"user"`
}

// LoginRequest is the body of POST /auth/login. ClientIP is set by the
// transport (the address the load balancer saw), never read from a body.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	ClientIP string `json:"-"`
}

// LoginResponse carries the access token of a successful login.
type LoginResponse struct {
	Message   string     `json:"message"`
	Token     string     `json:"token"`
	TokenType string     `json:"token_type"`
	ExpiresIn int64      `json:"expires_in"` // seconds
	User      PublicUser `json:"user"`
}

// ValidateRequest carries the bearer token of POST /auth/validate. The
// token comes from the Authorization header, never from a body.
type ValidateRequest struct {
	Token string `json:"-"`
}

// ValidateResponse is the answer of POST /auth/validate, written by the
// auth service and read by the task service's client (authclient): whose
// token it is, its id (jti), by which a revocation notification names it
// to the caller's cache, and until when it is valid (its exp claim, RFC
// 3339 in UTC), so that a caller caching the answer never keeps it past
// the token's life.
type ValidateResponse struct {
	Valid     bool          `json:"valid"`
	User      ValidatedUser `json:"user"`
	TokenID   string        `json:"token_id,omitempty"`
	ExpiresAt time.Time     `json:"expires_at"`
}

// NewValidateResponse is the answer for a valid token of p.
func NewValidateResponse(p taskapi.Principal) ValidateResponse {
	return ValidateResponse{
		Valid:     true,
		User:      ValidatedUser{UserID: p.UserID, Username: p.Username, Email: p.Email},
		TokenID:   p.TokenID,
		ExpiresAt: p.ExpiresAt.UTC(),
	}
}

// Principal is the caller the answer describes.
func (r ValidateResponse) Principal() taskapi.Principal {
	return taskapi.Principal{
		UserID:    r.User.UserID,
		Username:  r.User.Username,
		Email:     r.User.Email,
		TokenID:   r.TokenID,
		ExpiresAt: r.ExpiresAt.UTC(),
	}
}

// ValidatedUser is the subject of a valid token.
type ValidatedUser struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

package handlers

import (
	"time"

	"taskapi"
)

// LogoutRequest is POST /auth/logout: the caller's own token is revoked.
type LogoutRequest struct {
	Caller taskapi.Principal `json:"-"`
}

// MeRequest is GET /auth/me.
type MeRequest struct {
	Caller taskapi.Principal `json:"-"`
}

// MeResponse answers GET /auth/me with the caller's account as stored.
type MeResponse struct {
	User PublicUser `json:"user"`
}

// PublicUser is the public view of an account (never its password hash),
// in every answer about one: registration fills in CreatedAt, /auth/me
// both times, login neither. A zero time is left out of the JSON, so each
// answer keeps its own documented shape with one type.
type PublicUser struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// ChangePasswordRequest is the body of PUT /auth/password. Caller is set
// by the transport from the validated token, never from the body.
type ChangePasswordRequest struct {
	Caller          taskapi.Principal `json:"-"`
	CurrentPassword string            `json:"current_password"`
	NewPassword     string            `json:"new_password"`
	// ClientIP is set by the transport: wrong current passwords count
	// like failed logins from that address.
	ClientIP string `json:"-"`
}

// DeleteAccountRequest is the body of DELETE /auth/me: the caller's
// password, proof that the token's holder is the account's owner.
type DeleteAccountRequest struct {
	Caller   taskapi.Principal `json:"-"`
	Password string            `json:"password"`
	// ClientIP is set by the transport, as for ChangePasswordRequest.
	ClientIP string `json:"-"`
}

package app

import (
	"testing"
	"time"

	"taskapi"
	"taskapi/tokens"
)

// expiredToken signs, with secret, a token that expired a minute ago.
func expiredToken(t *testing.T, secret []byte) string {
	t.Helper()
	issuedAt := time.Now().Add(-2 * time.Minute)
	token, _, err := tokens.NewHS256(secret, time.Minute, nil).Issue(taskapi.User{ID: 1, Username: "x", Email: "x@example.com"}, issuedAt)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

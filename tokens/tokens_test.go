package tokens_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"taskapi"
	"taskapi/tokens"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	alice  = taskapi.User{ID: 7, Username: "alice", Email: "alice@example.com"}
)

func signer() *tokens.HS256 {
	return tokens.NewHS256(secret, time.Hour, func() time.Time { return now })
}

// sign builds an HS256 token with arbitrary claims and the given key.
func sign(t *testing.T, claims jwt.MapClaims, key []byte) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"user_id": 7, "username": "alice", "email": "alice@example.com", "jti": "abc",
		"iss": tokens.Issuer, "aud": tokens.Audience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func TestIssueCarriesDesignClaims(t *testing.T) {
	token, lifetime, err := signer().Issue(alice, now)
	if err != nil || lifetime != time.Hour {
		t.Fatalf("Issue = %v, %v", lifetime, err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c["user_id"] != 7.0 || c["username"] != "alice" || c["email"] != "alice@example.com" || c["jti"] == "" {
		t.Errorf("claims = %v", c)
	}
	if c["exp"].(float64)-c["iat"].(float64) != 3600 {
		t.Errorf("exp - iat = %v, want 3600", c["exp"].(float64)-c["iat"].(float64))
	}
	p, err := signer().ValidateToken(context.Background(), token)
	if err != nil || p.UserID != 7 || p.Username != "alice" || p.TokenID == "" {
		t.Fatalf("ValidateToken = %+v, %v", p, err)
	}
}

func TestTokensAreUnique(t *testing.T) {
	a, _, _ := signer().Issue(alice, now)
	b, _, _ := signer().Issue(alice, now)
	if a == b {
		t.Fatal("two logins in the same second got the same token (jti must differ)")
	}
}

func TestValidateRefuses(t *testing.T) {
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := goodClaims()
		change(c)
		return c
	}
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	good := sign(t, goodClaims(), secret)
	cases := map[string]struct {
		token, message string
	}{
		"alg none":          {unsigned, taskapi.MsgInvalidToken},
		"wrong secret":      {sign(t, goodClaims(), []byte("another-secret-another-secret-32")), taskapi.MsgInvalidToken},
		"empty signature":   {good[:strings.LastIndex(good, ".")+1], taskapi.MsgInvalidToken},
		"expired":           {sign(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() }), secret), taskapi.MsgTokenExpired},
		"missing exp":       {sign(t, with(func(c jwt.MapClaims) { delete(c, "exp") }), secret), taskapi.MsgInvalidToken},
		"iat in the future": {sign(t, with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() }), secret), taskapi.MsgInvalidToken},
		"wrong issuer":      {sign(t, with(func(c jwt.MapClaims) { c["iss"] = "someone-else" }), secret), taskapi.MsgInvalidToken},
		"wrong audience":    {sign(t, with(func(c jwt.MapClaims) { c["aud"] = "other" }), secret), taskapi.MsgInvalidToken},
		"user_id missing":   {sign(t, with(func(c jwt.MapClaims) { delete(c, "user_id") }), secret), taskapi.MsgInvalidToken},
		"user_id zero":      {sign(t, with(func(c jwt.MapClaims) { c["user_id"] = 0 }), secret), taskapi.MsgInvalidToken},
		"user_id string":    {sign(t, with(func(c jwt.MapClaims) { c["user_id"] = "7" }), secret), taskapi.MsgInvalidToken},
		"user_id fraction":  {sign(t, with(func(c jwt.MapClaims) { c["user_id"] = 7.5 }), secret), taskapi.MsgInvalidToken},
		"not a jwt":         {"hello", taskapi.MsgInvalidToken},
		"huge":              {strings.Repeat(".", 100000), taskapi.MsgInvalidToken},
		"empty":             {"", taskapi.MsgNoToken},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := signer().ValidateToken(context.Background(), tc.token)
			if taskapi.ErrorCode(err) != taskapi.EUNAUTHORIZED || err.(*taskapi.Error).Message != tc.message {
				t.Fatalf("err = %v, want 401 %q", err, tc.message)
			}
		})
	}
}

func TestExpiredTamperedTokenIsInvalidNotExpired(t *testing.T) {
	// An expiry message would confirm to an attacker that a forged token's
	// claims were read; a bad signature must win.
	c := goodClaims()
	c["exp"] = now.Add(-time.Hour).Unix()
	_, err := signer().ValidateToken(context.Background(), sign(t, c, []byte("attacker-key-attacker-key-attack")))
	if err == nil || err.(*taskapi.Error).Message != taskapi.MsgInvalidToken {
		t.Fatalf("err = %v, want Invalid token", err)
	}
}

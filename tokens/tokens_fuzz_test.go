package tokens_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"taskapi"
	"taskapi/tokens"
)

// The seeds of these targets run in every `go test`; `make fuzz` explores
// from them.

var (
	fuzzSecret = []byte("fuzz-secret-0123456789abcdef-0123456789")
	fuzzNow    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func fuzzSigner() *tokens.HS256 {
	return tokens.NewHS256(fuzzSecret, time.Hour, func() time.Time { return fuzzNow })
}

// fuzzToken is a genuine token, the same in every process of a fuzzing
// run (Issue would pick a random jti in each).
func fuzzToken(f *testing.F) string {
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"user_id": 7, "username": "alice", "email": "alice@example.com", "jti": "0123456789abcdef0123456789abcdef",
		"iss": tokens.Issuer, "aud": []string{tokens.Audience},
		"iat": fuzzNow.Unix(), "exp": fuzzNow.Add(time.Hour).Unix(),
	}).SignedString(fuzzSecret)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := fuzzSigner().ValidateToken(context.Background(), token); err != nil {
		f.Fatalf("the seed token is not valid: %v", err)
	}
	return token
}

// validateOrRefuse validates token and fails t if that panics or fails
// with anything but a 401.
func validateOrRefuse(t *testing.T, v *tokens.HS256, token string) (taskapi.Principal, bool) {
	t.Helper()
	p, err := v.ValidateToken(context.Background(), token)
	if err == nil {
		return p, true
	}
	var e *taskapi.Error
	if !errors.As(err, &e) || e.Code != taskapi.EUNAUTHORIZED {
		t.Fatalf("ValidateToken(%q) = %v, want a 401 *taskapi.Error", token, err)
	}
	return taskapi.Principal{}, false
}

// signedWithSecret is an oracle independent of the JWT library: the third
// segment is the HMAC-SHA256 of the first two under fuzzSecret.
func signedWithSecret(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, fuzzSecret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	return hmac.Equal(sig, mac.Sum(nil))
}

// FuzzValidateToken: arbitrary strings never panic the validator, are
// refused with 401, and whatever is accepted really is signed with the
// secret and names a user.
func FuzzValidateToken(f *testing.F) {
	valid := fuzzToken(f)
	header, payload, sig := splitToken(valid)
	for _, s := range []string{
		valid, "", ".", "..", "...", "a.b.c", valid + ".", "." + valid, valid + "x",
		header + "." + payload + ".", header + "." + payload,
		b64(`{"alg":"none","typ":"JWT"}`) + "." + payload + ".",
		b64(`{"alg":"HS384","typ":"JWT"}`) + "." + payload + "." + sig,
		b64(`{"alg":"HS256","kid":"../../etc/passwd","jku":"http://127.0.0.1:1/"}`) + "." + payload + "." + sig,
		header + "." + b64(`{"user_id":"7","exp":9999999999,"iss":"taskapi-auth","aud":"taskapi","jti":"x"}`) + "." + sig,
		header + "." + b64(`{"user_id":7.5}`) + "." + sig,
		header + "." + b64(`null`) + "." + sig,
		header + "." + b64(`[]`) + "." + sig,
		header + ".!!!." + sig,
		strings.Repeat(".", 100000),
		strings.Repeat("A", tokens.MaxTokenLength+1),
		"Bearer " + valid,
	} {
		f.Add(s)
	}
	v := fuzzSigner()
	f.Fuzz(func(t *testing.T, token string) {
		p, ok := validateOrRefuse(t, v, token)
		if !ok {
			return
		}
		if !signedWithSecret(token) {
			t.Fatalf("accepted a token not signed with the secret: %q", token)
		}
		if p.UserID <= 0 || p.TokenID == "" {
			t.Fatalf("accepted a token without user or id: %+v", p)
		}
	})
}

// FuzzTamperedToken starts from a genuine token and lets the fuzzer change
// its bytes: anything accepted must be exactly the token it started from.
// That includes the signature's spelling: its last base64 character has 2
// unused bits, and a lenient decoder would accept four spellings of one
// signature (tokens.NewHS256 decodes strictly).
func FuzzTamperedToken(f *testing.F) {
	valid := fuzzToken(f)
	header, payload, sig := splitToken(valid)
	f.Add([]byte(valid))
	f.Add([]byte(header + "." + payload + "." + sig[:len(sig)-1]))
	f.Add([]byte(header + "." + payload + "." + sig + "="))
	f.Add([]byte(header + "." + payload + "." + flipLast(sig)))
	f.Add([]byte(header + "." + payload + "=." + sig))
	f.Add([]byte(strings.ToUpper(valid)))
	f.Add([]byte(header + "." + payload[:len(payload)-2] + "." + sig))
	v := fuzzSigner()
	f.Fuzz(func(t *testing.T, mutated []byte) {
		token := string(mutated)
		if _, ok := validateOrRefuse(t, v, token); !ok || token == valid {
			return
		}
		t.Fatalf("accepted a tampered token:\n got  %q\n from %q", token, valid)
	})
}

// splitToken returns a token's three segments ("" for missing ones).
func splitToken(token string) (header, payload, sig string) {
	parts := append(strings.SplitN(token, ".", 3), "", "", "")
	return parts[0], parts[1], parts[2]
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// flipLast changes the signature's last character in its unused low bits
// only: a different string for the same MAC.
func flipLast(sig string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, sig[len(sig)-1])
	return sig[:len(sig)-1] + string(alphabet[i^1])
}

// Package password hashes and checks passwords with bcrypt
// (golang.org/x/crypto/bcrypt).
package password

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// MaxBytes is bcrypt's input limit. Longer passwords are refused rather
// than silently truncated, so a 72-byte prefix plus anything can never
// stand in for the real password.
const MaxBytes = 72

// ErrTooLong is returned for a password over MaxBytes.
var ErrTooLong = errors.New("password longer than 72 bytes")

// ErrNUL is returned for a password holding U+0000. bcrypt ends its key
// with a NUL byte, so a 71-byte password and the same plus a NUL would
// share a hash: such passwords are refused, never compared.
var ErrNUL = errors.New("password holds a NUL byte")

// Bcrypt is a handlers.PasswordHasher with a fixed cost.
type Bcrypt struct {
	// Cost is bcrypt's work factor (bcrypt.MinCost to bcrypt.MaxCost).
	Cost int
}

// Hash returns the bcrypt hash of password.
func (b Bcrypt) Hash(password string) (string, error) {
	if len(password) > MaxBytes {
		return "", ErrTooLong
	}
	if strings.ContainsRune(password, 0) {
		return "", ErrNUL
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), b.Cost)
	return string(h), err
}

// Compare returns nil when password matches hash.
func (b Bcrypt) Compare(hash, password string) error {
	if len(password) > MaxBytes {
		// Still spend the time of a comparison, so that the answer's timing
		// does not tell a long password apart from a wrong one.
		_ = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password[:MaxBytes]))
		return ErrTooLong
	}
	if strings.ContainsRune(password, 0) {
		_ = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		return ErrNUL
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
}

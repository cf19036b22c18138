package tokens_test

import (
	"context"
	"testing"
	"time"

	"taskapi"
	"taskapi/tokens"
)

// BenchmarkValidateToken verifies a genuine token: the signature and
// claims check that every authenticated request pays before any cache or
// revocation lookup (run with `make bench-micro`).
func BenchmarkValidateToken(b *testing.B) {
	s := tokens.NewHS256([]byte("0123456789abcdef0123456789abcdef"), time.Hour, nil)
	token, _, err := s.Issue(taskapi.User{ID: 42, Username: "alice", Email: "alice@example.com"}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if p, err := s.ValidateToken(ctx, token); err != nil || p.UserID != 42 {
			b.Fatalf("validate: %v", err)
		}
	}
}

package authclient_test

import (
	"testing"

	"taskapi/internal/testdns"
)

// BenchmarkValidateToken is one validation by a call to the auth service
// over loopback HTTP: what the process's validation cache
// (handlers.ValidationCache) saves a busy client per request.
func BenchmarkValidateToken(b *testing.B) {
	f := newFakeAuth(b, "127.0.0.2")
	client := newClient(b, f, testdns.New(b, serviceName, "127.0.0.2"), nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := client.ValidateToken(ctx, "token"); err != nil {
			b.Fatal(err)
		}
	}
}

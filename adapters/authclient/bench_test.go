package authclient_test

import (
	"testing"
	"time"

	"taskapi/adapters/authclient"
	"taskapi/internal/testdns"
)

// BenchmarkValidateToken compares a validation answered from the cache
// with one that calls the auth service over loopback HTTP: the ratio is
// what AUTH_CACHE_TTL saves a busy client per request.
func BenchmarkValidateToken(b *testing.B) {
	f := newFakeAuth(b, "127.0.0.2")
	d := testdns.New(b, serviceName, "127.0.0.2")
	for _, c := range []struct {
		name string
		ttl  int // seconds; -1 disables the cache
	}{{"remote", -1}, {"cached", 30}} {
		b.Run(c.name, func(b *testing.B) {
			client := newClient(b, f, d, func(o *authclient.Options) {
				if c.ttl > 0 {
					o.CacheTTL = time.Duration(c.ttl) * time.Second
				}
			})
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := client.ValidateToken(ctx, "token"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

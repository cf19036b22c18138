package authclient_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"taskapi/adapters/authclient"
	"taskapi/internal/testdns"
)

// Feature: ecs-task-management-api, Property 4: Service Discovery Resolution
//
// For any set of auth tasks that DNS (Cloud Map) lists, and any change of
// that set, every validation call resolves the service name, reaches only
// a task that is listed now, and the calls spread over all listed tasks.
func TestProperty4ServiceDiscoveryResolution(t *testing.T) {
	t.Log("Feature: ecs-task-management-api, Property 4: Service Discovery Resolution")
	pool := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"}
	f := newFakeAuth(t, pool...)
	d := testdns.New(t, serviceName, pool[0])
	// A refresh shorter than the test's steps: every change is seen by the
	// next call, as it is after Cloud Map's TTL in production.
	c := newClient(t, f, d, func(o *authclient.Options) { o.DNSRefresh = time.Nanosecond })

	rapid.Check(t, func(rt *rapid.T) {
		steps := rapid.IntRange(1, 3).Draw(rt, "steps")
		for step := 0; step < steps; step++ {
			listed := rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 1, len(pool), rapid.ID[string]).Draw(rt, fmt.Sprintf("records%d", step))
			d.Set(listed...)
			calls := len(listed) * rapid.IntRange(1, 3).Draw(rt, fmt.Sprintf("rounds%d", step))
			before := f.calls()
			for i := 0; i < calls; i++ {
				if _, err := c.ValidateToken(ctx, "t"); err != nil {
					rt.Fatalf("call %d with records %v: %v", i, listed, err)
				}
			}
			after := f.calls()
			for _, ip := range pool {
				got := after[ip] - before[ip]
				switch {
				case !slices.Contains(listed, ip) && got > 0:
					rt.Fatalf("%s is not listed (records %v) but got %d calls", ip, listed, got)
				case slices.Contains(listed, ip) && got == 0:
					rt.Fatalf("%s is listed (records %v) but got none of %d calls", ip, listed, calls)
				}
			}
		}
	})
}

package authclient

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Resolver looks up the addresses of a host name. *net.Resolver is one.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// discovery turns the auth service's DNS name into the list of its tasks'
// addresses. On ECS the name is a Cloud Map private DNS record whose A
// records are the healthy auth tasks; they change as tasks come and go.
//
// Lookups are cached for refresh (kept under Cloud Map's 60 s TTL), calls
// are spread round-robin over the addresses, and an address that refused
// a connection goes to the back of the line until the next lookup.
type discovery struct {
	host     string
	port     string
	resolver Resolver
	refresh  time.Duration
	now      func() time.Time

	mu       sync.Mutex
	addrs    []string
	resolved time.Time
	failed   map[string]time.Time // address -> when it last failed to connect
	rr       atomic.Uint64
}

func newDiscovery(host, port string, resolver Resolver, refresh time.Duration) *discovery {
	d := &discovery{host: host, port: port, resolver: resolver, refresh: refresh, now: time.Now, failed: map[string]time.Time{}}
	if ip := net.ParseIP(host); ip != nil {
		// A literal address needs no lookup and never changes.
		d.addrs, d.refresh = []string{host}, 0
	}
	return d
}

// rotation returns every known address as host:port, starting at the
// next one in round-robin order, with recently failed addresses last: a
// caller tries them in order, so a retry moves on to another task.
func (d *discovery) rotation(ctx context.Context) ([]string, error) {
	addrs, err := d.lookup(ctx)
	if err != nil {
		return nil, err
	}
	start := int(d.rr.Add(1)-1) % len(addrs)
	healthy := make([]string, 0, len(addrs))
	var failed []string
	d.mu.Lock()
	for i := range addrs {
		a := addrs[(start+i)%len(addrs)]
		if t, bad := d.failed[a]; bad && d.now().Sub(t) < d.refresh {
			failed = append(failed, net.JoinHostPort(a, d.port))
		} else {
			healthy = append(healthy, net.JoinHostPort(a, d.port))
		}
	}
	d.mu.Unlock()
	return append(healthy, failed...), nil
}

// markFailed records that addr (host:port) refused or dropped a
// connection.
func (d *discovery) markFailed(addr string) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return
	}
	d.mu.Lock()
	d.failed[host] = d.now()
	d.mu.Unlock()
}

// lookup returns the cached addresses, resolving again once they are
// older than refresh. If a lookup fails while addresses from an earlier
// one are known, those are used: a DNS hiccup must not take the task
// service down with it.
func (d *discovery) lookup(ctx context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.addrs) > 0 && (d.refresh == 0 || d.now().Sub(d.resolved) < d.refresh) {
		return d.addrs, nil
	}
	addrs, err := d.resolver.LookupHost(ctx, d.host)
	switch {
	case err == nil && len(addrs) > 0:
		d.addrs, d.resolved = addrs, d.now()
		// Forget failures of addresses that left the record set.
		for a := range d.failed {
			if !contains(addrs, a) {
				delete(d.failed, a)
			}
		}
		return addrs, nil
	case len(d.addrs) > 0:
		return d.addrs, nil
	case err == nil:
		err = fmt.Errorf("no addresses")
	}
	return nil, fmt.Errorf("resolve %s: %w", d.host, err)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

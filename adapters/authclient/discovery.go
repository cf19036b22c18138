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

// maxLookupTimeout bounds one DNS lookup. The VPC resolver that serves
// Cloud Map answers in milliseconds; a query unanswered after a second is
// lost, and waiting longer (Go's resolver would wait 5 s per try, two
// tries, up to the request's whole deadline) only holds the call that
// looks up. The client lowers it to its attempt timeout when that is
// shorter, so no lookup outlasts an attempt.
const maxLookupTimeout = time.Second

// maxLookupBackoff caps the wait before a failed lookup is tried again, so
// that DNS coming back is noticed within about a second.
const maxLookupBackoff = time.Second

// discovery turns the auth service's DNS name into the list of its tasks'
// addresses. On ECS the name is a Cloud Map private DNS record whose A
// records are the healthy auth tasks; they change as tasks come and go.
//
// Lookups are cached for refresh (kept under Cloud Map's 60 s TTL), calls
// are spread round-robin over the addresses, and an address that refused
// a connection goes to the back of the line until the next lookup.
//
// DNS failing must not take the task service down while the auth tasks
// are up: each lookup is bounded by timeout, at most one runs at a time
// and never under mu, callers that know addresses do not wait for another
// caller's lookup, and a failed lookup keeps the known addresses and is
// tried again only after a back-off.
type discovery struct {
	host     string
	port     string
	resolver Resolver
	refresh  time.Duration
	timeout  time.Duration // bound on one lookup
	now      func() time.Time

	mu       sync.Mutex
	addrs    []string
	next     time.Time            // no lookup before this: addrs are fresh, or a lookup failed recently
	inflight *lookupCall          // the running lookup, if any
	failing  bool                 // the last lookup failed, addrs are from an earlier one
	failed   map[string]time.Time // address -> when it last failed to connect
	rr       atomic.Uint64
}

// lookupCall is one lookup that several callers may wait for.
type lookupCall struct {
	done    chan struct{} // closed when addrs and err are set
	addrs   []string
	err     error
	waiters int // callers that waited for it (under discovery.mu), for the tests
}

func newDiscovery(host, port string, resolver Resolver, refresh time.Duration) *discovery {
	d := &discovery{host: host, port: port, resolver: resolver, refresh: refresh, timeout: maxLookupTimeout,
		now: time.Now, failed: map[string]time.Time{}}
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

// lookup returns the known addresses, looking them up again once they
// are older than refresh.
//
// At most one lookup runs at a time, outside mu, bounded by d.timeout:
//
//   - The caller that finds the addresses due starts a lookup and waits
//     for it, so that a changed record set is used at once.
//   - Callers that arrive while it runs use the known addresses at once;
//     only callers with no address at all wait for it (or for their own
//     context), and share its answer.
//   - If a lookup fails while addresses from an earlier one are known,
//     those are kept and the next lookup waits a back-off. Until a lookup
//     succeeds again, lookups run in the background: while DNS is down no
//     call waits for it at all.
//   - A first lookup that fails fails the call: with no address there is
//     nobody to ask, and the caller answers 503.
func (d *discovery) lookup(ctx context.Context) ([]string, error) {
	d.mu.Lock()
	known := d.addrs
	if len(known) > 0 && (d.refresh == 0 || d.now().Before(d.next)) {
		d.mu.Unlock()
		return known, nil
	}
	call := d.inflight
	if call != nil && len(known) > 0 {
		d.mu.Unlock()
		return known, nil // another caller is looking; do not queue behind it
	}
	if call == nil {
		call = &lookupCall{done: make(chan struct{})}
		d.inflight = call
		// The lookup outlives a caller that gives up, so that the others
		// waiting for it still get its answer; its own timeout bounds it.
		go d.resolve(context.WithoutCancel(ctx), call)
	}
	failing := d.failing
	if failing && len(known) > 0 {
		d.mu.Unlock()
		return known, nil // DNS is in trouble: retry in the background only
	}
	call.waiters++
	d.mu.Unlock()
	select {
	case <-call.done:
		return call.addrs, call.err
	case <-ctx.Done():
		if len(known) > 0 {
			// The caller's attempt will see its context ended; the known
			// addresses are still the right answer to give it.
			return known, nil
		}
		return nil, fmt.Errorf("resolve %s: %w", d.host, ctx.Err())
	}
}

// resolve runs one lookup for call and records its outcome.
func (d *discovery) resolve(ctx context.Context, call *lookupCall) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	addrs, err := d.resolver.LookupHost(ctx, d.host)
	cancel()

	d.mu.Lock()
	defer d.mu.Unlock()
	defer close(call.done)
	d.inflight = nil
	now := d.now()
	switch {
	case err == nil && len(addrs) > 0:
		d.addrs, d.next, d.failing = addrs, now.Add(d.refresh), false
		// Forget failures of addresses that left the record set.
		for a := range d.failed {
			if !contains(addrs, a) {
				delete(d.failed, a)
			}
		}
		call.addrs = addrs
		return
	case err == nil:
		err = fmt.Errorf("no addresses")
	}
	if len(d.addrs) > 0 {
		// Keep what is known, and try again after a back-off rather than
		// on every call.
		d.next, d.failing = now.Add(min(d.refresh/4, maxLookupBackoff)), true
		call.addrs = d.addrs
		return
	}
	call.err = fmt.Errorf("resolve %s: %w", d.host, err)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

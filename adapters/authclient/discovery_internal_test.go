package authclient

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"taskapi/internal/fakeclock"
)

// scriptedResolver answers lookups as the test says: with addrs, with an
// error at once, or (hang) not before the lookup's context ends (at most
// 3 s). It
// records how many lookups ran, how many at once at most, and how much
// time each lookup's context allowed.
type scriptedResolver struct {
	mu         sync.Mutex
	addrs      []string
	fail, hang bool
	release    chan struct{} // when set, an answer waits for it to close
	calls      int
	running    int
	maxRunning int
	allowed    []time.Duration // time to each lookup's deadline; -1 for none
}

func (r *scriptedResolver) LookupHost(ctx context.Context, _ string) ([]string, error) {
	r.mu.Lock()
	r.calls++
	r.running++
	r.maxRunning = max(r.maxRunning, r.running)
	allowed := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		allowed = time.Until(dl)
	}
	r.allowed = append(r.allowed, allowed)
	addrs, fail, hang, release := slices.Clone(r.addrs), r.fail, r.hang, r.release
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running--
		r.mu.Unlock()
	}()
	// Every wait is bounded, so that a discovery that gives a lookup no
	// deadline fails the test instead of hanging it.
	if hang {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(3 * time.Second):
			return nil, errors.New("lookup without a deadline")
		}
	}
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(3 * time.Second):
		}
	}
	if fail {
		return nil, errors.New("server misbehaving")
	}
	return addrs, nil
}

func (r *scriptedResolver) set(f func(r *scriptedResolver)) {
	r.mu.Lock()
	f(r)
	r.mu.Unlock()
}

func (r *scriptedResolver) stats() (calls, maxRunning int, allowed []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, r.maxRunning, slices.Clone(r.allowed)
}

func newTestDiscovery(r Resolver, refresh time.Duration) (*discovery, *fakeclock.Clock) {
	clock := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	d := newDiscovery("auth.local", "3000", r, refresh)
	d.now = clock.Now
	return d, clock
}

func mustLookup(t *testing.T, d *discovery, want ...string) {
	t.Helper()
	got, err := d.lookup(context.Background())
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("lookup = %v, %v; want %v", got, err, want)
	}
}

// A failed lookup keeps the known addresses and is not repeated on every
// call: the next one waits a back-off (a quarter of the refresh period,
// at most a second) and runs in the background, so no caller waits for a
// DNS server in trouble; once DNS works again its answer is followed.
func TestDiscoveryFailedLookupBacksOff(t *testing.T) {
	r := &scriptedResolver{addrs: []string{"10.0.0.1"}}
	d, clock := newTestDiscovery(r, 8*time.Second)
	// Long enough that a caller held by the held-back lookup below would
	// take seconds, however slow the machine makes the others.
	d.timeout = 5 * time.Second
	mustLookup(t, d, "10.0.0.1")

	r.set(func(r *scriptedResolver) { r.fail = true })
	clock.Advance(8 * time.Second) // due for a lookup
	mustLookup(t, d, "10.0.0.1")
	if calls, _, _ := r.stats(); calls != 2 {
		t.Fatalf("%d lookups, want 2", calls)
	}
	for range 10 {
		clock.Advance(50 * time.Millisecond)
		mustLookup(t, d, "10.0.0.1")
	}
	if calls, _, _ := r.stats(); calls != 2 {
		t.Fatalf("%d lookups within 500ms of a failure, want none after it (back-off)", calls-2)
	}

	// Past the back-off, min(8s/4, 1s): one more lookup, which holds
	// nobody even though it does not answer (until released, and then it
	// fails).
	release := make(chan struct{})
	r.set(func(r *scriptedResolver) { r.release = release })
	clock.Advance(time.Second)
	for range 5 {
		start := time.Now()
		mustLookup(t, d, "10.0.0.1")
		if took := time.Since(start); took > time.Second {
			t.Fatalf("a caller waited %s for a retried lookup", took)
		}
	}
	close(release)
	settle(t, d)
	if calls, maxRunning, _ := r.stats(); calls != 3 || maxRunning != 1 {
		t.Fatalf("%d lookups (%d at once), want one more once the back-off ran out", calls, maxRunning)
	}

	// DNS answers again: the next lookup brings its answer in.
	r.set(func(r *scriptedResolver) { r.fail, r.release, r.addrs = false, nil, []string{"10.0.0.2"} })
	clock.Advance(time.Second)
	mustLookup(t, d, "10.0.0.1") // starts the lookup in the background
	settle(t, d)
	mustLookup(t, d, "10.0.0.2")
	// And with DNS healthy, the caller that finds the addresses due waits
	// for the lookup again, so that a change is used at once.
	r.set(func(r *scriptedResolver) { r.addrs = []string{"10.0.0.3"} })
	clock.Advance(8 * time.Second)
	mustLookup(t, d, "10.0.0.3")
}

// settle waits until no lookup runs.
func settle(t *testing.T, d *discovery) {
	t.Helper()
	waitFor(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.inflight == nil
	})
}

// Every lookup has its own deadline, far shorter than a request's, even
// when the caller's context has none.
func TestDiscoveryLookupHasItsOwnTimeout(t *testing.T) {
	r := &scriptedResolver{hang: true}
	d, _ := newTestDiscovery(r, 8*time.Second)
	start := time.Now()
	if _, err := d.lookup(context.Background()); err == nil {
		t.Fatal("a lookup that never got an answer succeeded")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a hanging lookup took %s", took)
	}
	_, _, allowed := r.stats()
	if len(allowed) != 1 || allowed[0] < 0 || allowed[0] > maxLookupTimeout {
		t.Errorf("lookup deadlines %v, want one of at most %s", allowed, maxLookupTimeout)
	}
}

// While a lookup runs, callers that know addresses use them at once, and
// callers that know none wait for that lookup rather than start another.
func TestDiscoveryOneLookupAtATime(t *testing.T) {
	r := &scriptedResolver{addrs: []string{"10.0.0.1"}}
	d, clock := newTestDiscovery(r, 8*time.Second)
	// A caller held by another's lookup would wait for the release (or
	// the resolver's 3s), not a moment: far past the 1s allowed below.
	d.timeout = 5 * time.Second

	// No address known: every caller shares the one lookup.
	release := make(chan struct{})
	r.set(func(r *scriptedResolver) { r.release = release })
	var wg sync.WaitGroup
	results := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			addrs, err := d.lookup(context.Background())
			if err != nil || len(addrs) != 1 {
				results <- "error"
				return
			}
			results <- addrs[0]
		})
	}
	waitFor(t, func() bool { calls, _, _ := r.stats(); return calls == 1 })
	// Every caller waits behind the one lookup before it is released.
	waitFor(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.inflight != nil && d.inflight.waiters == 8
	})
	close(release)
	wg.Wait()
	close(results)
	for got := range results {
		if got != "10.0.0.1" {
			t.Errorf("a caller got %q", got)
		}
	}
	if calls, maxRunning, _ := r.stats(); calls != 1 || maxRunning != 1 {
		t.Errorf("%d lookups (%d at once) for 8 callers, want 1", calls, maxRunning)
	}

	// Addresses known but due: one caller looks up, the others go on.
	release = make(chan struct{})
	r.set(func(r *scriptedResolver) { r.release, r.addrs = release, []string{"10.0.0.2"} })
	clock.Advance(8 * time.Second)
	looked := make(chan []string, 1)
	go func() {
		addrs, _ := d.lookup(context.Background())
		looked <- addrs
	}()
	waitFor(t, func() bool { calls, _, _ := r.stats(); return calls == 2 })
	for range 8 {
		start := time.Now()
		mustLookup(t, d, "10.0.0.1")
		if took := time.Since(start); took > time.Second {
			t.Fatalf("a caller with known addresses waited %s for another's lookup", took)
		}
	}
	close(release)
	if got := <-looked; !slices.Equal(got, []string{"10.0.0.2"}) {
		t.Errorf("the looking caller got %v", got)
	}
	mustLookup(t, d, "10.0.0.2")
	if calls, maxRunning, _ := r.stats(); calls != 2 || maxRunning != 1 {
		t.Errorf("%d lookups, %d at once; want 2, 1", calls, maxRunning)
	}
}

// A caller that gives up while waiting for a lookup returns at once; the
// lookup goes on for the others.
func TestDiscoveryCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	r := &scriptedResolver{addrs: []string{"10.0.0.1"}, release: release}
	d, _ := newTestDiscovery(r, 8*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.lookup(ctx)
		done <- err
	}()
	waitFor(t, func() bool { calls, _, _ := r.stats(); return calls == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("a cancelled caller still waited for the lookup")
	}
	close(release)
	settle(t, d)
	mustLookup(t, d, "10.0.0.1")
}

// waitFor polls cond for up to 10 seconds (a bound for a busy machine).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

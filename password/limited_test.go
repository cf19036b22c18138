package password_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi"
	"taskapi/password"
)

// gatedHasher holds every call until the gate opens, and records the
// calls running now and the most seen at once.
type gatedHasher struct {
	gate         chan struct{}
	now, maxSeen atomic.Int64
}

func (g *gatedHasher) run() {
	n := g.now.Add(1)
	for {
		m := g.maxSeen.Load()
		if n <= m || g.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	<-g.gate
	g.now.Add(-1)
}

func (g *gatedHasher) Hash(string) (string, error)  { g.run(); return "h", nil }
func (g *gatedHasher) Compare(string, string) error { g.run(); return nil }

// TestLimitBoundsConcurrencyAndRefusesWhenFull holds both slots (driven by
// counts, not by how long a hash takes): every caller meanwhile waits its
// 20ms and is turned away with 503 and Retry-After, never a third at once;
// once the slots are free a call goes through.
func TestLimitBoundsConcurrencyAndRefusesWhenFull(t *testing.T) {
	inner := &gatedHasher{gate: make(chan struct{})}
	l := password.Limit(inner, 2, 20*time.Millisecond)
	var holders sync.WaitGroup
	for range 2 {
		holders.Go(func() {
			if err := l.Compare("h", "p"); err != nil {
				t.Errorf("a caller with a free slot: %v", err)
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); inner.now.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the two slots were not taken within 10s")
		}
	}
	var wg sync.WaitGroup
	var busy atomic.Int64
	for range 6 {
		wg.Go(func() {
			err := l.Compare("h", "p")
			if taskapi.ErrorCode(err) != taskapi.EUNAVAILABLE || err.(*taskapi.Error).RetryAfter == 0 {
				t.Errorf("err = %v, want 503 with Retry-After", err)
				return
			}
			busy.Add(1)
		})
	}
	wg.Wait()
	close(inner.gate)
	holders.Wait()
	if m := inner.maxSeen.Load(); m > 2 {
		t.Errorf("%d bcrypt operations ran at once, want at most 2", m)
	}
	if busy.Load() != 6 {
		t.Errorf("%d of 6 callers against 2 held slots were turned away, want all", busy.Load())
	}
	// Slots are released: a later call goes through.
	if _, err := l.Hash("p"); err != nil {
		t.Fatalf("after the storm: %v", err)
	}
}

func TestLongPasswordsNeverMatch(t *testing.T) {
	b := password.Bcrypt{Cost: 4}
	prefix := strings.Repeat("p", 72)
	h, err := b.Hash(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Compare(h, prefix+"anything"); err == nil {
		t.Fatal("a 72-byte prefix plus more matched the prefix's hash")
	}
	if _, err := b.Hash(prefix + "x"); err == nil {
		t.Fatal("a 73-byte password was hashed (bcrypt would truncate it)")
	}
}

// bcrypt ends its key with a NUL byte, so without a check a 71-byte
// password and the same plus a NUL would share one hash.
func TestNULPasswordsAreRefused(t *testing.T) {
	b := password.Bcrypt{Cost: 4}
	short := strings.Repeat("p", 71)
	h, err := b.Hash(short)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Compare(h, short+"\x00"); err == nil {
		t.Fatal("the 71-byte password plus a NUL matched the 71-byte password's hash")
	}
	if _, err := b.Hash("pass\x00word"); err == nil {
		t.Fatal("a password holding a NUL was hashed")
	}
}

package password_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi"
	"taskapi/password"
)

// slowHasher takes d per call and records the most calls seen at once.
type slowHasher struct {
	d            time.Duration
	now, maxSeen atomic.Int64
}

func (s *slowHasher) run() {
	n := s.now.Add(1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(s.d)
	s.now.Add(-1)
}

func (s *slowHasher) Hash(string) (string, error)  { s.run(); return "h", nil }
func (s *slowHasher) Compare(string, string) error { s.run(); return nil }

func TestLimitBoundsConcurrencyAndRefusesWhenFull(t *testing.T) {
	inner := &slowHasher{d: 50 * time.Millisecond}
	l := password.Limit(inner, 2, 20*time.Millisecond)
	var wg sync.WaitGroup
	var busy atomic.Int64
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Compare("h", "p"); err != nil {
				if taskapi.ErrorCode(err) != taskapi.EUNAVAILABLE || err.(*taskapi.Error).RetryAfter == 0 {
					t.Errorf("err = %v, want 503 with Retry-After", err)
				}
				busy.Add(1)
			}
		}()
	}
	wg.Wait()
	if m := inner.maxSeen.Load(); m > 2 {
		t.Errorf("%d bcrypt operations ran at once, want at most 2", m)
	}
	if busy.Load() == 0 {
		t.Error("8 callers against 2 slots and a 20ms wait: some must be turned away")
	}
	// Slots are released: a later call goes through.
	if _, err := l.Hash("p"); err != nil {
		t.Fatalf("after the storm: %v", err)
	}
}

func TestLongPasswordsNeverMatch(t *testing.T) {
	b := password.Bcrypt{Cost: 4}
	prefix := string(make([]byte, 72))
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

package throttle

import (
	"sync"
	"testing"
	"time"
)

func TestBurstThenWaitThenRefill(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(5, 15*time.Minute, 100)
	l.now = func() time.Time { return now }
	for i := 0; i < 5; i++ {
		if w := l.Reserve("alice"); w != 0 {
			t.Fatalf("attempt %d: wait %s, want none within the burst", i+1, w)
		}
	}
	if w := l.Reserve("alice"); w != 3*time.Minute {
		t.Fatalf("after 5 attempts wait = %s, want 3m (15m / 5)", w)
	}
	if w := l.Wait("alice"); w != 3*time.Minute {
		t.Fatalf("Wait = %s after a refused Reserve, want 3m: a refusal takes nothing", w)
	}
	if w := l.Wait("bob"); w != 0 {
		t.Fatalf("another key is throttled too: %s", w)
	}
	now = now.Add(3 * time.Minute)
	if w := l.Reserve("alice"); w != 0 {
		t.Fatalf("after the refill wait = %s", w)
	}
	if w := l.Wait("alice"); w != 3*time.Minute {
		t.Fatalf("the refilled attempt was not taken: wait %s", w)
	}
	l.Reset("alice")
	if w := l.Wait("alice"); w != 0 {
		t.Fatalf("after Reset wait = %s", w)
	}
}

func TestReleaseGivesBackOneAttemptUpToTheBurst(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(2, time.Hour, 100)
	l.now = func() time.Time { return now }
	l.Reserve("alice")
	l.Reserve("alice")
	l.Release("alice")
	if w := l.Reserve("alice"); w != 0 {
		t.Fatalf("a released attempt cannot be taken again: wait %s", w)
	}
	if w := l.Reserve("alice"); w == 0 {
		t.Fatal("Release gave back more than one attempt")
	}
	for i := 0; i < 5; i++ {
		l.Release("carol") // never reserved: nothing to give back
		l.Release("alice")
	}
	for i := 0; i < 2; i++ {
		if w := l.Reserve("alice"); w != 0 {
			t.Fatalf("attempt %d after releases: wait %s", i+1, w)
		}
	}
	if w := l.Reserve("alice"); w == 0 {
		t.Fatal("releases raised the allowance above the burst")
	}
}

func TestConcurrentReservesNeverExceedTheBurst(t *testing.T) {
	l := New(5, time.Hour, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Reserve("alice") == 0 {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != 5 {
		t.Fatalf("%d of 50 concurrent reserves granted, want 5", granted)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	l := New(1, time.Hour, 10)
	for i := 0; i < 1000; i++ {
		l.Reserve(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if n := l.buckets.Len(); n != 10 {
		t.Fatalf("%d buckets kept, want the bound of 10", n)
	}
}

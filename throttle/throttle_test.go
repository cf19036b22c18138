package throttle

import (
	"testing"
	"time"
)

func TestBurstThenWaitThenRefill(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(5, 15*time.Minute, 100)
	l.now = func() time.Time { return now }
	for i := 0; i < 5; i++ {
		if w := l.Wait("alice"); w != 0 {
			t.Fatalf("failure %d: wait %s, want none within the burst", i+1, w)
		}
		l.Fail("alice")
	}
	if w := l.Wait("alice"); w != 3*time.Minute {
		t.Fatalf("after 5 failures wait = %s, want 3m (15m / 5)", w)
	}
	if w := l.Wait("bob"); w != 0 {
		t.Fatalf("another key is throttled too: %s", w)
	}
	now = now.Add(3 * time.Minute)
	if w := l.Wait("alice"); w != 0 {
		t.Fatalf("after the refill wait = %s", w)
	}
	l.Fail("alice")
	l.Reset("alice")
	if w := l.Wait("alice"); w != 0 {
		t.Fatalf("after Reset wait = %s", w)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	l := New(1, time.Hour, 10)
	for i := 0; i < 1000; i++ {
		l.Fail(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if n := l.buckets.Len(); n != 10 {
		t.Fatalf("%d buckets kept, want the bound of 10", n)
	}
}

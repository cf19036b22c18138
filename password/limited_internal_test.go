package password

import (
	"sync"
	"testing"
	"time"

	"taskapi"
)

type instant struct{}

func (instant) Hash(string) (string, error)  { return "h", nil }
func (instant) Compare(string, string) error { return nil }

// TestSlotRestsWhileOtherWorkRuns: with other work in flight, a slot is
// handed on only after resting as long as its operation took, so the next
// login waits (here: past its 1 ms queue limit, a 503) while the caller
// that finished is not held up; with no other work, no rest.
func TestSlotRestsWhileOtherWorkRuns(t *testing.T) {
	var mu sync.Mutex
	var rests []time.Duration
	var wake []func()
	l := Limit(instant{}, 1, time.Millisecond).Share(1, func() bool { return true })
	l.after = func(d time.Duration, f func()) {
		mu.Lock()
		defer mu.Unlock()
		rests, wake = append(rests, d), append(wake, f)
	}
	if err := l.Compare("h", "p"); err != nil {
		t.Fatal(err)
	}
	if len(rests) != 1 || rests[0] <= 0 {
		t.Fatalf("rests = %v, want one positive rest", rests)
	}
	if err := l.Compare("h", "p"); taskapi.ErrorCode(err) != taskapi.EUNAVAILABLE {
		t.Fatalf("during the rest: %v, want 503 busy", err)
	}
	wake[0]()
	if err := l.Compare("h", "p"); err != nil {
		t.Fatalf("after the rest: %v", err)
	}
	if l.Callers() != 0 {
		t.Errorf("Callers = %d with nobody inside", l.Callers())
	}

	alone := Limit(instant{}, 1, time.Millisecond).Share(1, func() bool { return false })
	alone.after = func(time.Duration, func()) { t.Error("a slot rested with no other work in flight") }
	for i := 0; i < 3; i++ {
		if err := alone.Compare("h", "p"); err != nil {
			t.Fatalf("login %d alone: %v", i, err)
		}
	}
}

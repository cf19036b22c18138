package password

import (
	"container/list"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"taskapi"
)

// Hasher is what Limited bounds: a handlers.PasswordHasher.
type Hasher interface {
	Hash(password string) (string, error)
	Compare(hash, password string) error
}

// Limited lets at most n bcrypt operations run at once. bcrypt is
// deliberately slow (tens of milliseconds of CPU each); without a bound a
// login storm would queue every CPU behind it and starve every other
// request, /health included. A caller that cannot start within wait gets
// 503 with Retry-After instead of waiting in an ever longer line. Callers
// are served first come, first served.
//
// With Share, bcrypt gives way while other work is in flight: the bound
// drops, and a slot whose operation ends while other work runs rests as
// long as that operation took before it is handed on, so bcrypt uses at
// most half of the shared slots' cores. A login storm then leaves the
// process's other requests most of the CPU even when bcrypt alone could
// use all of it; logins alone still get every slot, back to back.
type Limited struct {
	next Hasher
	wait time.Duration

	mu      sync.Mutex
	max     int          // the bound when nothing else runs
	shared  int          // the bound while busy() reports other work
	busy    func() bool  // nil: always max
	running int          // operations holding a slot
	waiters list.List    // of chan struct{}, first come first served
	callers atomic.Int64 // in Hash or Compare, waiting or running
	// after runs f after d: time.AfterFunc, replaced in tests.
	after func(d time.Duration, f func())
}

// Limit returns h bounded to n concurrent operations, each waiting at most
// wait for its turn.
func Limit(h Hasher, n int, wait time.Duration) *Limited {
	n = max(n, 1)
	return &Limited{next: h, wait: wait, max: n, shared: n,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// Share lowers the bound to n (at least 1) whenever busy reports other
// work in flight, and returns l. busy is asked each time a slot could be
// given out or is given back. A waiter held back by the lower bound is
// let in at the next release, so it waits at most one operation longer.
func (l *Limited) Share(n int, busy func() bool) *Limited {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shared, l.busy = min(max(n, 1), l.max), busy
	return l
}

// Callers reports how many calls are inside Hash or Compare now, waiting
// for a slot or running: the part of a process's requests in flight that
// is this limiter's own work, not other work.
// It takes no lock, so busy may call it.
func (l *Limited) Callers() int64 {
	return l.callers.Load()
}

// ErrBusy is the cause of the 503 a caller gets when no slot freed in time.
var ErrBusy = errors.New("too many password operations at once")

// bound is the number of operations that may run now; l.mu is held.
func (l *Limited) bound() int {
	if l.busy != nil && l.busy() {
		return l.shared
	}
	return l.max
}

func (l *Limited) acquire() error {
	l.callers.Add(1)
	l.mu.Lock()
	if l.waiters.Len() == 0 && l.running < l.bound() {
		l.running++
		l.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	place := l.waiters.PushBack(turn)
	l.mu.Unlock()

	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case <-turn:
		return nil // the releaser counted us in
	case <-t.C:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-turn:
		return nil // handed a slot while the timer fired
	default:
	}
	l.waiters.Remove(place)
	l.callers.Add(-1)
	return &taskapi.Error{Code: taskapi.EUNAVAILABLE, Message: taskapi.MsgBusy, Err: ErrBusy, RetryAfter: time.Second}
}

// release ends an operation that took took. While other work is in
// flight the slot rests for as long before it is handed on; the caller
// does not wait for that.
func (l *Limited) release(took time.Duration) {
	l.mu.Lock()
	rest := l.busy != nil && l.busy() // before the caller stops counting as ours
	l.mu.Unlock()
	l.callers.Add(-1)
	if rest && took > 0 {
		l.after(took, l.free)
		return
	}
	l.free()
}

// free gives a slot back and hands it to the first waiters that may run.
func (l *Limited) free() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running--
	for l.waiters.Len() > 0 && l.running < l.bound() {
		first := l.waiters.Front()
		l.waiters.Remove(first)
		l.running++
		close(first.Value.(chan struct{}))
	}
}

// Hash hashes password once a slot is free.
func (l *Limited) Hash(password string) (string, error) {
	if err := l.acquire(); err != nil {
		return "", err
	}
	start := time.Now()
	defer func() { l.release(time.Since(start)) }()
	return l.next.Hash(password)
}

// Compare compares once a slot is free.
func (l *Limited) Compare(hash, password string) error {
	if err := l.acquire(); err != nil {
		return err
	}
	start := time.Now()
	defer func() { l.release(time.Since(start)) }()
	return l.next.Compare(hash, password)
}

package password

import (
	"errors"
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
// 503 with Retry-After instead of waiting in an ever longer line.
type Limited struct {
	next  Hasher
	slots chan struct{}
	wait  time.Duration
}

// Limit returns h bounded to n concurrent operations, each waiting at most
// wait for its turn.
func Limit(h Hasher, n int, wait time.Duration) *Limited {
	return &Limited{next: h, slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// ErrBusy is the cause of the 503 a caller gets when no slot freed in time.
var ErrBusy = errors.New("too many password operations at once")

func (l *Limited) acquire() error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-t.C:
		return &taskapi.Error{Code: taskapi.EUNAVAILABLE, Message: taskapi.MsgBusy, Err: ErrBusy, RetryAfter: time.Second}
	}
}

func (l *Limited) release() { <-l.slots }

// Hash hashes password once a slot is free.
func (l *Limited) Hash(password string) (string, error) {
	if err := l.acquire(); err != nil {
		return "", err
	}
	defer l.release()
	return l.next.Hash(password)
}

// Compare compares once a slot is free.
func (l *Limited) Compare(hash, password string) error {
	if err := l.acquire(); err != nil {
		return err
	}
	defer l.release()
	return l.next.Compare(hash, password)
}

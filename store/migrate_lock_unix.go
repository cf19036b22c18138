//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// maxMigrationLockWait bounds the wait for another process's migration
// when ctx has no earlier deadline. A SQLite migration takes milliseconds;
// a lock held for a minute belongs to a process that is stuck.
const maxMigrationLockWait = time.Minute

// lockSQLiteFile takes an exclusive flock(2) on path (created if missing),
// waiting while another process (or another handle in this one: flock
// locks belong to the open file) holds it, until ctx ends or
// maxMigrationLockWait passes. The kernel drops the lock when its holder
// exits, so a crashed migrator never blocks the next start. The file is
// left in place: removing it would let a late opener lock an unlinked file
// while a newcomer locks a new one.
func lockSQLiteFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	fd := int(f.Fd())
	deadline := time.Now().Add(maxMigrationLockWait)
	for delay := 2 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(fd, syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("migration lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			return nil, fmt.Errorf("migration lock %s: still held by another process after %s", path, maxMigrationLockWait)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("migration lock %s: %w", path, ctx.Err())
		case <-time.After(delay):
		}
	}
}

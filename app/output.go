package app

import (
	"io"
	"sync"
)

// lockedWriter serialises writes to one stream. Log lines and EMF metric
// records share stdout; each is written in one call, and the lock keeps
// two of them from interleaving into one broken line.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Package testnet holds network checks that tests of several packages share.
package testnet

import (
	"net"
	"testing"
	"time"
)

// AwaitRefused dials addr until a connection is refused, which shows the
// listener is closed, for at most 10s: polled, because on a busy machine
// the shutdown may take a while to get there. A connection accepted
// before that is closed at once.
func AwaitRefused(t testing.TB, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted 10s into the shutdown")
		}
	}
}

// Package testnet holds network checks that tests of several packages share.
package testnet

import (
	"fmt"
	"net"
	"os"
	"strings"
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

// AwaitRead waits until the other end of conn, a TCP connection between
// two IPv4 loopback addresses, has read everything conn has sent: its
// socket is established and has nothing left to read. That shows the
// server accepted the connection and took in the bytes, not only that the
// kernel queued them. It reads Linux's /proc/net/tcp, polled for at most
// 10s, since nothing else tells another process's reads.
func AwaitRead(t testing.TB, conn net.Conn) {
	t.Helper()
	local, _ := conn.LocalAddr().(*net.TCPAddr)
	remote, _ := conn.RemoteAddr().(*net.TCPAddr)
	if local == nil || remote == nil || local.IP.To4() == nil || remote.IP.To4() == nil {
		t.Fatalf("AwaitRead: %v to %v is not TCP over IPv4", conn.LocalAddr(), conn.RemoteAddr())
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		read, err := peerHasRead(local, remote)
		if err != nil {
			t.Fatalf("AwaitRead needs Linux's /proc/net/tcp: %v", err)
		}
		if read {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v has not read what %v sent within 10s", remote, local)
		}
	}
}

// peerHasRead reports whether the socket at remote connected to local is
// established with nothing left to read.
func peerHasRead(local, remote *net.TCPAddr) (bool, error) {
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false, err
	}
	// The peer's socket: its local address is conn's remote one.
	want := procAddr(remote) + " " + procAddr(local)
	for _, line := range strings.Split(string(table), "\n") {
		// sl local_address rem_address st tx_queue:rx_queue ...
		f := strings.Fields(line)
		if len(f) < 5 || f[1]+" "+f[2] != want {
			continue
		}
		_, rx, _ := strings.Cut(f[4], ":")
		return f[3] == "01" && strings.Trim(rx, "0") == "", nil // ESTABLISHED, nothing unread
	}
	return false, nil
}

// procAddr is a in /proc/net/tcp's notation: the IPv4 address as a
// little-endian hex word, then the port in hex.
func procAddr(a *net.TCPAddr) string {
	ip := a.IP.To4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], a.Port)
}

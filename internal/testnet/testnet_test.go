package testnet

import (
	"io"
	"net"
	"testing"
)

// A connection the server has not accepted holds what was sent in the
// kernel: not read. Once the server accepts and reads it, AwaitRead returns.
func TestAwaitReadSeesTheServerRead(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "half a request"); err != nil {
		t.Fatal(err)
	}
	// On loopback the bytes are in the peer's queue once Write returns.
	read, err := peerHasRead(conn.LocalAddr().(*net.TCPAddr), conn.RemoteAddr().(*net.TCPAddr))
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	if read {
		t.Fatal("bytes nobody accepted count as read")
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	buf := make([]byte, len("half a request"))
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatal(err)
	}
	AwaitRead(t, conn)
}

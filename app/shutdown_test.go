package app

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"taskapi/internal/testnet"
)

// TestShutdownDrainsInFlightRequests stops the server while a request is
// still arriving: that request completes, new connections are refused, and
// Serve returns nil (exit code 0).
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	s := startServer(t, map[string]string{"SQLITE_PATH": t.TempDir() + "/db"})
	token, _ := s.register(t, "alice")

	addr := strings.TrimPrefix(s.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"title":"in flight"}`
	fmt.Fprintf(conn, "POST /tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		token, len(body), body[:5])
	time.Sleep(100 * time.Millisecond) // the server is now reading the body

	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	// New connections are refused while the request is still in flight.
	testnet.AwaitRefused(t, addr)
	fmt.Fprint(conn, body[5:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request lost: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request = %d, want 201", resp.StatusCode)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

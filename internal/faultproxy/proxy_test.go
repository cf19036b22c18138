package faultproxy_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"taskapi/internal/faultproxy"
)

// echoServer answers every line with the same line until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{c, bufio.NewReader(c)}
}

// roundTrip sends a line and returns the answer, or an error if none comes
// within wait.
func (c *client) roundTrip(line string, wait time.Duration) (string, error) {
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	got, err := c.r.ReadString('\n')
	return got, err
}

func TestStallHoldsBytesUntilResume(t *testing.T) {
	p := faultproxy.New(t, echoServer(t))
	old := dial(t, p.Addr)
	if got, err := old.roundTrip("hello", time.Second); err != nil || got != "hello\n" {
		t.Fatalf("before the stall: %q, %v", got, err)
	}
	p.Stall()
	if _, err := old.roundTrip("held", 100*time.Millisecond); !isTimeout(err) {
		t.Fatalf("an open connection got an answer during the stall: %v", err)
	}
	fresh := dial(t, p.Addr) // accepted, but just as silent
	if _, err := fresh.roundTrip("new", 100*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a new connection got an answer during the stall: %v", err)
	}
	if n := p.Conns(); n != 2 {
		t.Errorf("%d connections open during the stall, want both kept", n)
	}
	for deadline := time.Now().Add(10 * time.Second); p.Held() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages held during the stall, want the 2 sent", p.Held())
		}
	}
	p.Resume()
	for _, c := range []struct {
		c    *client
		want string
	}{{old, "held\n"}, {fresh, "new\n"}} {
		_ = c.c.SetReadDeadline(time.Now().Add(time.Second))
		if got, err := c.c.r.ReadString('\n'); err != nil || got != c.want {
			t.Errorf("after Resume: %q, %v; want the held-back %q", got, err, c.want)
		}
	}
}

func TestCutClosesConnectionsButAcceptsNewOnes(t *testing.T) {
	p := faultproxy.New(t, echoServer(t))
	old := dial(t, p.Addr)
	if _, err := old.roundTrip("hello", time.Second); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if _, err := old.roundTrip("after cut", time.Second); err == nil || isTimeout(err) {
		t.Errorf("a cut connection still works or hangs: %v", err)
	}
	if got, err := dial(t, p.Addr).roundTrip("again", time.Second); err != nil || got != "again\n" {
		t.Errorf("a new connection after Cut: %q, %v", got, err)
	}
}

func TestDownRefusesUntilUp(t *testing.T) {
	p := faultproxy.New(t, echoServer(t))
	p.Stall() // Down lifts a stall, so Up brings back a working server
	p.Down()
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a connection was accepted while down")
	}
	p.Up(t)
	if got, err := dial(t, p.Addr).roundTrip("back", time.Second); err != nil || got != "back\n" {
		t.Errorf("after Up: %q, %v", got, err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestNewOnListensWhereTold(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0") // a free port on another loopback address
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := faultproxy.NewOn(t, addr, echoServer(t))
	if p.Addr != addr {
		t.Fatalf("Addr = %s, want %s", p.Addr, addr)
	}
	c := dial(t, addr)
	if got, err := c.roundTrip("hello", time.Second); err != nil || got != "hello\n" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	p.Down()
	if _, err := c.roundTrip("after down", time.Second); err == nil || isTimeout(err) {
		t.Errorf("a connection survived Down or hangs: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a connection was accepted while down")
	}
}

func TestBlackHoleSwallowsForGoodUntilHeal(t *testing.T) {
	p := faultproxy.New(t, echoServer(t))
	old := dial(t, p.Addr)
	if _, err := old.roundTrip("hello", time.Second); err != nil {
		t.Fatal(err)
	}
	p.BlackHole()
	if _, err := old.roundTrip("lost", 100*time.Millisecond); !isTimeout(err) {
		t.Fatalf("an open connection got an answer in the black hole: %v", err)
	}
	swallowed := dial(t, p.Addr) // accepted, never answered
	if _, err := swallowed.roundTrip("lost too", 100*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a new connection got an answer in the black hole: %v", err)
	}
	if n := p.Conns(); n != 2 {
		t.Errorf("%d connections open in the black hole, want both kept", n)
	}
	p.Heal()
	if got, err := dial(t, p.Addr).roundTrip("healed", time.Second); err != nil || got != "healed\n" {
		t.Errorf("a new connection after Heal: %q, %v", got, err)
	}
	for _, c := range []*client{old, swallowed} {
		if got, err := c.roundTrip("still there?", 200*time.Millisecond); !isTimeout(err) {
			t.Errorf("a connection from the black hole answered after Heal: %q, %v", got, err)
		}
	}
}

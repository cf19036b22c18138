// Package faultproxy is a TCP proxy for tests that need a dependency to
// fail on cue. It forwards loopback connections to a target and can
//
//   - go Down (cut every open connection and refuse new ones: the server
//     crashed) and come back Up;
//   - Cut every open connection while still accepting new ones (the network
//     dropped them, or the server closed them, but it is still there);
//   - Stall (keep every connection open, accept new ones, but forward no
//     byte in either direction: a hung server or a black-holed network) and
//     Resume, which delivers what was held back.
//   - BlackHole (like Stall, but what is sent is lost for good: the
//     connections open then or accepted meanwhile never answer, even after
//     Heal, as those to a failed-over database host or over a dead route
//     do) and Heal, after which new connections reach the target again.
package faultproxy

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards connections from Addr to a target address.
type Proxy struct {
	// Addr is the proxy's loopback address, stable across Down and Up.
	Addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	links map[*link]struct{}
	// flowing is closed while bytes are forwarded, and open while the
	// proxy is stalled: every pipe waits on it before it writes.
	flowing chan struct{}
	// blackHole is set between BlackHole and Heal: connections accepted
	// then are swallowed, not forwarded.
	blackHole bool
	// held counts the pipes holding bytes back during a stall.
	held atomic.Int64
	wg   sync.WaitGroup
}

// link is one client connection and the proxy's connection to the target
// (nil for a connection swallowed by a black hole).
type link struct {
	client, server net.Conn
	once           sync.Once
	closed         chan struct{}
	// silent is set (under Proxy.mu) once the link fell into a black hole:
	// from then on every byte read from either side is dropped.
	silent bool
}

func (l *link) close() {
	l.once.Do(func() {
		close(l.closed)
		l.client.Close()
		if l.server != nil {
			l.server.Close()
		}
	})
}

// New starts a proxy to target on a free loopback port; it runs until the
// test ends.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	return NewOn(t, "127.0.0.1:0", target)
}

// NewOn starts a proxy to target listening on addr, a loopback host:port,
// until the test ends: for a proxy that must stand at a given address,
// such as one of several service instances that share a port on
// different loopback addresses.
func NewOn(t testing.TB, addr, target string) *Proxy {
	t.Helper()
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Fatalf("faultproxy: %q is not a loopback host:port", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &Proxy{Addr: ln.Addr().String(), target: target, links: map[*link]struct{}{}, flowing: flowing}
	p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

// Down cuts every open connection and stops accepting new ones: to a
// client it looks like the server crashed. A stall is lifted, so that Up
// brings back a working server.
func (p *Proxy) Down() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.cutLocked()
	p.resumeLocked()
	p.mu.Unlock()
	p.wg.Wait()
}

// Up starts accepting connections again on the same address.
func (p *Proxy) Up(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		t.Fatalf("faultproxy: listen again on %s: %v", p.Addr, err)
	}
	p.serve(ln)
}

// Cut closes every open connection, in the middle of whatever it carries,
// but keeps accepting new ones: the server is still there for a client
// that reconnects.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
}

func (p *Proxy) cutLocked() {
	for l := range p.links {
		l.close()
		delete(p.links, l)
	}
}

// Stall stops forwarding bytes in both directions, on open connections and
// on the ones accepted meanwhile, which stay open: to a client the server
// takes every message and never answers.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
		p.flowing = make(chan struct{})
	default: // already stalled
	}
}

// Resume forwards bytes again, first those held back during the stall.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resumeLocked()
}

func (p *Proxy) resumeLocked() {
	select {
	case <-p.flowing:
	default:
		close(p.flowing)
	}
}

// BlackHole silences every open connection and every one accepted until
// Heal, for good: whatever a client sends is read and dropped, nothing is
// ever answered, and the connection stays open until the client gives up.
// To a client the server accepts TCP and never speaks, as a database does
// behind a black-holed route or during a failover. A stall is lifted, so
// that Heal brings back a working server for new connections.
func (p *Proxy) BlackHole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackHole = true
	for l := range p.links {
		l.silent = true
	}
	p.resumeLocked()
}

// Heal ends a black hole: new connections reach the target again. Those
// that fell into the black hole stay silent.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackHole = false
}

// Held returns how many messages the stall holds back now, one per
// connection and direction: how many requests (or answers) are certainly
// in flight, reached the proxy and not forwarded.
func (p *Proxy) Held() int {
	return int(p.held.Load())
}

// Conns returns how many client connections are open.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			swallow := p.blackHole
			p.mu.Unlock()
			if swallow {
				l := &link{client: client, closed: make(chan struct{}), silent: true}
				if !p.track(l) {
					return
				}
				p.wg.Add(1)
				go p.pipe(l, nil, client)
				continue
			}
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				continue
			}
			l := &link{client: client, server: server, closed: make(chan struct{})}
			if !p.track(l) {
				return
			}
			p.wg.Add(2)
			go p.pipe(l, client, server)
			go p.pipe(l, server, client)
		}
	}()
}

// track registers a link, or closes it if the proxy went down meanwhile.
func (p *Proxy) track(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		l.close()
		return false
	}
	p.links[l] = struct{}{}
	return true
}

// pipe copies src to dst, waiting out stalls and dropping what a silent
// link carries, until either side closes or the link is cut; then it
// closes both sides.
func (p *Proxy) pipe(l *link, dst, src net.Conn) {
	defer p.wg.Done()
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			flowing := p.flowing
			p.mu.Unlock()
			select {
			case <-flowing:
			default: // stalled: hold the bytes until Resume
				p.held.Add(1)
				select {
				case <-flowing:
				case <-l.closed:
					p.held.Add(-1)
					return
				}
				p.held.Add(-1)
			}
			p.mu.Lock()
			silent := l.silent
			p.mu.Unlock()
			if silent {
				continue
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

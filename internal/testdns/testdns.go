// Package testdns is a real DNS server for tests, on loopback, that
// answers A queries for one name with a record set the test can change,
// the way Cloud Map changes a service's records as tasks come and go. It
// can also go silent (drop every query unanswered, so lookups time out),
// the way a DNS server that stopped answering looks to a client.
package testdns

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server answers A queries for one name over UDP on loopback.
type Server struct {
	// Addr is the server's UDP address, host:port.
	Addr string
	name string

	mu      sync.Mutex
	records []string
	silent  bool
}

// New starts a server for name, answering with records, until the test
// ends.
func New(t testing.TB, name string, records ...string) *Server {
	t.Helper()
	d := &Server{name: dns.Fqdn(name), records: records}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.Addr = pc.LocalAddr().String()
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(d.serve)}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return d
}

func (d *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	d.mu.Lock()
	silent := d.silent
	records := append([]string(nil), d.records...)
	d.mu.Unlock()
	if silent {
		return // no answer at all: the client waits until its timeout
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	for _, q := range req.Question {
		if q.Name != d.name {
			m.Rcode = dns.RcodeNameError
			continue
		}
		if q.Qtype != dns.TypeA {
			continue // no AAAA: an empty, successful answer
		}
		for _, ip := range records {
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A:   net.ParseIP(ip),
			})
		}
	}
	_ = w.WriteMsg(m)
}

// Set replaces the record set.
func (d *Server) Set(records ...string) {
	d.mu.Lock()
	d.records = records
	d.mu.Unlock()
}

// Silence makes the server drop every query without an answer until
// Answer is called: lookups then time out, as when the DNS server is down
// or unreachable over UDP.
func (d *Server) Silence() {
	d.mu.Lock()
	d.silent = true
	d.mu.Unlock()
}

// Answer ends a Silence: queries are answered again.
func (d *Server) Answer() {
	d.mu.Lock()
	d.silent = false
	d.mu.Unlock()
}

// Resolver returns a resolver that asks only this server.
func (d *Server) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", d.Addr)
	}}
}

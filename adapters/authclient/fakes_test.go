package authclient_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// fakeAuth is an auth service stand-in listening on several loopback
// addresses with one port, as Cloud Map tasks share a port on different
// IPs. It counts the validate calls each address receives and answers
// what respond says.
type fakeAuth struct {
	Port string

	mu      sync.Mutex
	hits    map[string]int // ip -> calls
	respond func(ip string, calls int) (status int, body string)
	// stall holds every answer until its caller has given up (at most
	// 10s): an auth service that answers too late.
	stall   bool
	servers map[string]*http.Server
}

// validBody is a successful validate answer for user 7.
func validBody(expires time.Time) string {
	return fmt.Sprintf(`{"valid":true,"user":{"user_id":7,"username":"alice","email":"a@example.com"},"expires_at":%q}`, expires.UTC().Format(time.RFC3339))
}

func newFakeAuth(t testing.TB, ips ...string) *fakeAuth {
	t.Helper()
	f := &fakeAuth{hits: map[string]int{}, servers: map[string]*http.Server{}}
	f.respond = func(string, int) (int, string) { return 200, validBody(time.Now().Add(time.Hour)) }
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			t.Fatal("could not find one free port on every address")
		}
		lns, err := listenAll(ips)
		if err != nil {
			continue
		}
		for i, ln := range lns {
			ip := ips[i]
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.mu.Lock()
				f.hits[ip]++
				status, body := f.respond(ip, f.hits[ip])
				stall := f.stall
				f.mu.Unlock()
				if stall {
					// Read to the end, so that the server notices the
					// caller hanging up (its context ends then).
					_, _ = io.Copy(io.Discard, r.Body)
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(body))
			})}
			f.servers[ip] = srv
			go func() { _ = srv.Serve(ln) }()
		}
		_, f.Port, _ = net.SplitHostPort(lns[0].Addr().String())
		break
	}
	t.Cleanup(func() {
		for _, srv := range f.servers {
			srv.Close()
		}
	})
	return f
}

// listenAll listens on the same free port on every ip.
func listenAll(ips []string) ([]net.Listener, error) {
	first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
	if err != nil {
		return nil, err
	}
	lns := []net.Listener{first}
	_, port, _ := net.SplitHostPort(first.Addr().String())
	for _, ip := range ips[1:] {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, port))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// kill stops the server on ip: its connections are cut and new ones refused.
func (f *fakeAuth) kill(ip string) {
	f.mu.Lock()
	srv := f.servers[ip]
	f.mu.Unlock()
	srv.Close()
}

func (f *fakeAuth) calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.hits {
		out[k] = v
	}
	return out
}

func (f *fakeAuth) total() int {
	n := 0
	for _, v := range f.calls() {
		n += v
	}
	return n
}

// stallAnswers makes every answer from now on come too late: after its
// caller has given up.
func (f *fakeAuth) stallAnswers() {
	f.mu.Lock()
	f.stall = true
	f.mu.Unlock()
}

func (f *fakeAuth) setResponder(r func(ip string, calls int) (int, string)) {
	f.mu.Lock()
	f.respond = r
	f.mu.Unlock()
}

// Package apitest is the tests' client for the API: JSON calls to a
// running server (one started in-process by app's tests, or a process of
// the binary from internal/deploytest), the documented error shape checked
// in one place, and the registration and login most scenarios begin with.
//
// It imports no package of the server, so that every test package can
// use it, app's in-package tests among them (which could not import a
// package that imports app): Start runs a server the caller hands it (one
// service or both, as the caller's configuration says), and deploytest
// hands out one client per process of the binary (Process.API).
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Password is the password Register gives every account.
const Password = "correct horse battery"

// Server is a running API at URL.
type Server struct {
	// URL is the scheme, host and port, without a trailing slash.
	URL string
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
}

// New returns a client for the API at url.
func New(url string) *Server { return &Server{URL: url} }

// WithClient returns a copy of s that sends its requests through c.
func (s *Server) WithClient(c *http.Client) *Server {
	return &Server{URL: s.URL, Client: c}
}

// startLimit bounds how long Start waits for a server to be ready:
// generous, since the machine may be busy; a start takes well under a
// second.
const startLimit = 60 * time.Second

// Start runs serve in a goroutine until the test ends and returns a
// client for it. serve is a server's run function (app.Serve with a
// configuration, for one): it listens, sends its host:port on ready once
// it accepts connections, and returns when ctx is cancelled. Start fails
// t if serve returns first or is not ready within a minute; at the end of
// the test it cancels ctx, waits for serve to return, and fails t if serve
// returned an error. An unspecified host in the address (a server on
// every interface) is reached on 127.0.0.1.
func Start(t testing.TB, serve func(ctx context.Context, ready chan<- string) error) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ready) }()
	timer := time.NewTimer(startLimit)
	defer timer.Stop()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server returned before it was ready: %v", err)
	case <-timer.C:
		cancel()
		t.Fatalf("server not ready within %s", startLimit)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	return New("http://" + addr)
}

// Response is what a call returned, with its JSON body decoded.
type Response struct {
	Status int
	Header http.Header
	// Body is the decoded JSON object (nil for an empty body).
	Body map[string]any
	// Raw is the body as it came.
	Raw string
}

// Send makes a request and returns the answer, or an error for a
// transport failure or a body that is not a JSON object, without failing
// any test: for goroutines other than the test's. body is sent as is when
// it is a string and as JSON otherwise (nil: no body; Content-Type is
// application/json whenever there is one); token, when set, goes in the
// Authorization header; headers are name, value pairs, set last.
func (s *Server) Send(method, path, token string, body any, headers ...string) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			return r, fmt.Errorf("%s %s: body is not a JSON object: %q", method, path, raw)
		}
	}
	return r, nil
}

// Call is Send from the test's goroutine: any error fails t at once.
func (s *Server) Call(t testing.TB, method, path, token string, body any, headers ...string) Response {
	t.Helper()
	r, err := s.Send(method, path, token, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Expect fails t unless r has the status and, when message is set, the
// documented error shape: {"error": the status's text, "message": message}.
func (r Response) Expect(t testing.TB, status int, message string) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Raw)
	}
	if message != "" {
		if r.Body["error"] != http.StatusText(status) || r.Body["message"] != message {
			t.Fatalf("body = %s, want error %q message %q", r.Raw, http.StatusText(status), message)
		}
	}
	return r
}

// Fields returns the "field" of each entry of an error's details.
func (r Response) Fields() []string {
	var out []string
	details, _ := r.Body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok {
			f, _ := m["field"].(string)
			out = append(out, f)
		}
	}
	return out
}

// SignUp registers username (email username@example.com) with password
// and fails t unless the answer is 201.
func (s *Server) SignUp(t testing.TB, username, password string) {
	t.Helper()
	s.Call(t, "POST", "/auth/register", "", map[string]string{
		"username": username, "email": username + "@example.com", "password": password,
	}).Expect(t, http.StatusCreated, "")
}

// Login logs username in and returns the token, failing t unless the
// answer is 200 with one.
func (s *Server) Login(t testing.TB, username, password string) string {
	t.Helper()
	r := s.Call(t, "POST", "/auth/login", "", map[string]string{"username": username, "password": password}).
		Expect(t, http.StatusOK, "")
	token, _ := r.Body["token"].(string)
	if token == "" {
		t.Fatalf("login %s: no token in %s", username, r.Raw)
	}
	return token
}

// Register creates an account with Password and logs it in, returning
// the token and the account's id.
func (s *Server) Register(t testing.TB, username string) (token string, id float64) {
	t.Helper()
	s.SignUp(t, username, Password)
	r := s.Call(t, "POST", "/auth/login", "", map[string]string{"username": username, "password": Password}).
		Expect(t, http.StatusOK, "")
	token, _ = r.Body["token"].(string)
	user, _ := r.Body["user"].(map[string]any)
	id, _ = user["id"].(float64)
	if token == "" || id == 0 {
		t.Fatalf("login %s: no token or user id in %s", username, r.Raw)
	}
	return token, id
}

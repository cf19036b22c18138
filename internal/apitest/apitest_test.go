package apitest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"taskapi/internal/apitest"
)

// api answers as the server does: register, login, and a validation error
// in the documented shape; /text answers a body that is not JSON.
func api(t *testing.T) *apitest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/register", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"message":"User registered successfully"}`)
	})
	mux.HandleFunc("POST /auth/login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"token":"tok","user":{"id":7}}`)
	})
	mux.HandleFunc("GET /tasks", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Request-ID") != "rid" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"Unauthorized","message":"Invalid token"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"Bad Request","message":"Validation failed","details":[{"field":"limit"},{"field":"sort"}]}`)
	})
	mux.HandleFunc("GET /text", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "plain") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return apitest.New(srv.URL)
}

func TestRegisterCallAndExpect(t *testing.T) {
	s := api(t)
	token, id := s.Register(t, "alice")
	if token != "tok" || id != 7 {
		t.Fatalf("Register = %q, %v; want tok, 7", token, id)
	}
	r := s.Call(t, "GET", "/tasks", token, nil, "X-Request-ID", "rid").Expect(t, 400, "Validation failed")
	if got := r.Fields(); !slices.Equal(got, []string{"limit", "sort"}) {
		t.Errorf("Fields = %v", got)
	}
	s.Call(t, "GET", "/tasks", "other", nil).Expect(t, 401, "Invalid token")
	if _, err := s.Send("GET", "/text", "", nil); err == nil {
		t.Error("Send of a body that is not JSON: no error")
	}
}

// fatal records the first Fatalf and ends the goroutine, as testing does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper() {}
func (f *fatal) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// expectFails runs check with a recording TB and returns what it failed
// with ("" if it did not).
func expectFails(check func(t testing.TB)) string {
	f := &fatal{}
	done := make(chan struct{})
	go func() { defer close(done); check(f) }()
	<-done
	return f.msg
}

func TestExpectRefusesAnotherStatusOrShape(t *testing.T) {
	s := api(t)
	r := s.Call(t, "GET", "/tasks", "", nil)
	for name, check := range map[string]func(testing.TB){
		"status":  func(tb testing.TB) { r.Expect(tb, 403, "") },
		"message": func(tb testing.TB) { r.Expect(tb, 401, "Token expired") },
		"error": func(tb testing.TB) {
			apitest.Response{Status: 401, Body: map[string]any{"error": "Forbidden", "message": "Invalid token"}}.Expect(tb, 401, "Invalid token")
		},
	} {
		if msg := expectFails(check); msg == "" {
			t.Errorf("%s: Expect passed", name)
		}
	}
	if msg := expectFails(func(tb testing.TB) { r.Expect(tb, 401, "Invalid token") }); msg != "" {
		t.Errorf("Expect failed on the documented shape: %s", msg)
	}
}

// serveMux is a run function as Start wants one: it listens on host,
// serves api's answers until ctx ends, and records that it returned.
func serveMux(host string, returned *bool) func(context.Context, chan<- string) error {
	return func(ctx context.Context, ready chan<- string) error {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			fmt.Fprint(w, `{"error":"I'm a teapot","message":"short and stout"}`)
		})}
		go func() { <-ctx.Done(); srv.Close() }()
		ready <- ln.Addr().String()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		*returned = true
		return nil
	}
}

func TestStartServesUntilTheTestEnds(t *testing.T) {
	var returned bool
	t.Run("serve", func(t *testing.T) {
		// Every interface ("[::]:port"): reached on 127.0.0.1.
		s := apitest.Start(t, serveMux("", &returned))
		if _, port, _ := net.SplitHostPort(s.URL[len("http://"):]); s.URL != "http://127.0.0.1:"+port {
			t.Errorf("URL = %s, want http://127.0.0.1:<port>", s.URL)
		}
		s.Call(t, "GET", "/", "", nil).Expect(t, http.StatusTeapot, "short and stout")
		if returned {
			t.Fatal("the server returned while the test ran")
		}
	})
	if !returned {
		t.Error("the server was still running after its test ended")
	}
}

func TestStartFailsWhenTheServerDoesNotStart(t *testing.T) {
	msg := expectFails(func(tb testing.TB) {
		apitest.Start(tb, func(context.Context, chan<- string) error { return errors.New("no database") })
	})
	if msg == "" || !strings.Contains(msg, "no database") {
		t.Errorf("Start of a server that returned at once: failed with %q, want its error", msg)
	}
}

package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"taskapi/internal/apitest"
	"taskapi/internal/faultproxy"
	"taskapi/internal/syncbuf"
	"taskapi/internal/testdb"
	"taskapi/store"
)

// testSecret is long enough for the production rule (32 bytes or more).
const testSecret = "integration-test-secret-0123456789"

// engine names a database and how to point a server at a fresh one.
type engine struct {
	name string
	env  func(t *testing.T) map[string]string
}

var engines = []engine{
	{"sqlite", func(t *testing.T) map[string]string {
		return map[string]string{"SQLITE_PATH": migratedSQLite(t)}
	}},
	{"postgres", func(t *testing.T) map[string]string {
		return map[string]string{"DATABASE_URL": testdb.Postgres(t), "JWT_SECRET": testSecret}
	}},
}

// migratedSQLite returns the path of a new SQLite database in t's
// temporary directory, already migrated: a copy of one database this test
// binary migrated once. Migrating took about 80 ms of CPU a server under
// -race (the SQLite engine is race-instrumented), and the server's own
// migration then finds nothing to do. Tests of what a server does with an
// empty file (startup_test.go, backup_test.go...) give it one of their own.
func migratedSQLite(t testing.TB) string {
	t.Helper()
	sqliteTemplate.once.Do(func() { sqliteTemplate.data, sqliteTemplate.err = buildSQLiteTemplate() })
	if sqliteTemplate.err != nil {
		t.Fatalf("migrated SQLite template: %v", sqliteTemplate.err)
	}
	path := filepath.Join(t.TempDir(), "taskapi.db")
	if err := os.WriteFile(path, sqliteTemplate.data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var sqliteTemplate struct {
	once sync.Once
	data []byte
	err  error
}

// buildSQLiteTemplate migrates a database configured as a server's and
// returns its file, closed (which checkpoints the WAL into it).
func buildSQLiteTemplate() ([]byte, error) {
	dir, err := os.MkdirTemp("", "app-sqlite-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "taskapi.db")
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"SQLITE_PATH": path}[k] })
	if err != nil {
		return nil, err
	}
	db, err := store.Open(context.Background(), cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// forEachEngine runs test once per database engine.
func forEachEngine(t *testing.T, test func(t *testing.T, dbEnv map[string]string)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, e.env(t)) })
	}
}

// Tests that start servers of their own, each on its own database and a
// free port, call t.Parallel (the properties too: proptest.Check sets
// rapid's flag once): most of their time is waiting on the network and
// the database. The ones that measure time, cut connections or change the
// process's environment run alone.

// testServer is a real server on a loopback port.
type testServer struct {
	URL  string
	Logs *syncbuf.Buffer
	stop func() error
	// contract checks every exchange against the OpenAPI document.
	contract *contract
}

// startServer runs Serve with env (plus test defaults) until the test ends.
func startServer(t testing.TB, env map[string]string) *testServer {
	t.Helper()
	return startServerWith(t, env, nil)
}

// startServerWith is startServer with a last say over the configuration,
// for settings no environment variable reaches.
func startServerWith(t testing.TB, env map[string]string, mutate func(*Config)) *testServer {
	t.Helper()
	// Tests register many users from one loopback address: the
	// registration limit is tested on its own (TestRegistrationThrottleOverHTTP).
	full := map[string]string{"PORT": "0", "BCRYPT_COST": "4", "LOG_LEVEL": "debug", "REGISTER_IP_MAX": "100000"}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return full[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	contract := withContract(t, &cfg)
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, logs, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30s")
	}
	var once sync.Once
	var stopErr error
	s := &testServer{URL: "http://" + strings.Replace(addr, "[::]", "127.0.0.1", 1), Logs: logs, contract: contract}
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	return s
}

// startServerBehindProxy runs a server like startServer, but reachable
// only through a faultproxy listening on addr (a loopback host:port): the
// server itself listens on a free port of 127.0.0.1, and s.URL is the
// proxy's. The proxy's Down cuts every connection at once, requests in
// the middle of an answer among them, and refuses new ones: to a client,
// the server was killed.
func startServerBehindProxy(t testing.TB, env map[string]string, addr string) (*testServer, *faultproxy.Proxy) {
	t.Helper()
	direct := map[string]string{}
	for k, v := range env {
		direct[k] = v
	}
	direct["HOST"], direct["PORT"] = "127.0.0.1", "0"
	s := startServer(t, direct)
	proxy := faultproxy.NewOn(t, addr, strings.TrimPrefix(s.URL, "http://"))
	s.URL = "http://" + proxy.Addr
	return s, proxy
}

// api is the server's client in the shared test kit; built on each use,
// since a proxy in front may replace s.URL after the start.
func (s *testServer) api() *apitest.Server { return apitest.New(s.URL) }

// response is what a call returned, with its JSON body decoded (the
// kit's, with the lower-case methods this package's tests use).
type response apitest.Response

// call sends a request. body is sent as is when it is a string, and as
// JSON otherwise; token, when set, goes in the Authorization header.
func (s *testServer) call(t testing.TB, method, path, token string, body any, headers ...string) response {
	t.Helper()
	return response(s.api().Call(t, method, path, token, body, headers...))
}

// expect fails the test unless r has the status and, for an error, the
// design's error shape with the given message.
func (r response) expect(t testing.TB, status int, message string) response {
	t.Helper()
	return response(apitest.Response(r).Expect(t, status, message))
}

// fields returns the "field" of each entry of an error's details.
func (r response) fields() []string { return apitest.Response(r).Fields() }

// register creates an account (password apitest.Password) and logs it
// in, returning the token and id.
func (s *testServer) register(t testing.TB, username string) (token string, id float64) {
	t.Helper()
	return s.api().Register(t, username)
}

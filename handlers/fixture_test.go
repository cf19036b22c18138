package handlers_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
	"taskapi/internal/fakeclock"
	"taskapi/internal/proptest"
	"taskapi/internal/testdb"
	"taskapi/password"
	"taskapi/store"
	"taskapi/tokens"
)

// fixture is a set of handlers over one store and a settable clock, wired
// as the auth service wires them: tokens are checked against the store's
// revocations.
//
// A test that owns its fixtures (and so shares nothing but read-only
// values) calls t.Parallel: the package's time is CPU, bcrypt and the
// race-instrumented SQLite engine, and serial tests left the second core
// idle. The throttling and hasher tests (abuse_test.go,
// dummy_hash_test.go) still run alone: they gate and count concurrent
// callers.
//
// The store is the real one, on SQLite in a temporary directory: the
// contract suite (store/contract_test.go) holds it to the same behaviour
// as PostgreSQL, so what these tests see is what production sees, with no
// fake of its own to keep in step. newPostgresFixture is the same on
// PostgreSQL, for the tests that run on both engines. handlers' non-test
// code still never imports store (purity_test.go).
type fixture struct {
	path      string // the SQLite file, for snapshot ("" on PostgreSQL)
	store     *store.DB
	raw       *sql.DB // the same file, for rows no store method reads or writes
	clock     *fakeclock.Clock
	signer    *tokens.HS256
	validator handlers.TokenValidator
	auth      *handlers.Auth
	account   *handlers.Account
	tasks     *handlers.Tasks
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// TestMain raises rapid's iteration count for the properties (see
// proptest.RaiseChecks), runs the tests, and removes the migrated template
// newFixture copies.
func TestMain(m *testing.M) {
	flag.Parse() // for testing.Short and the -rapid.checks given
	// Here rather than in the first proptest.Check: this package's
	// TestPropertyPasswordChangeStoresOnlyBcrypt calls rapid.Check itself,
	// in parallel, and would read the flag while it is written.
	if err := proptest.RaiseChecks(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	if template.dir != "" {
		_ = os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// template is one migrated, closed SQLite database per test binary:
// migrating took most of a fixture's time (about 90 ms under -race), and
// a copy of the file is the same empty, migrated database.
var template struct {
	once sync.Once
	dir  string
	data []byte
	err  error
}

func migratedTemplate() ([]byte, error) {
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "handlers-fixture-")
		if template.err != nil {
			return
		}
		path := filepath.Join(template.dir, "tasks.db")
		db, err := store.Open(context.Background(), store.Config{Driver: store.DriverSQLite, DSN: path})
		if err != nil {
			template.err = err
			return
		}
		if err := db.Migrate(context.Background()); err != nil {
			_ = db.Close()
			template.err = err
			return
		}
		// Closing the last connection checkpoints the WAL into the file.
		if err := db.Close(); err != nil {
			template.err = err
			return
		}
		template.data, template.err = os.ReadFile(path)
	})
	return template.data, template.err
}

// newFixture opens a fresh, migrated database in t's temporary directory
// (a copy of the template); it is closed when t ends.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	data, err := migratedTemplate()
	if err != nil {
		t.Fatalf("migrated template: %v", err)
	}
	return newFixtureFrom(t, data)
}

// newFixtureFrom is newFixture on a copy of data, a database file a
// snapshot returned: for tests whose every input needs the same users
// and tasks in a fresh store, which then cost one copy of the file
// instead of their bcrypt hashes and inserts each time.
func newFixtureFrom(t testing.TB, data []byte) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tasks.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db := openMigrated(t, store.Config{Driver: store.DriverSQLite, DSN: path})
	// A second connection, opened only when a test uses it. foreign_keys
	// is per connection: deleting a user must cascade as it does through
	// the store.
	raw, err := sql.Open(store.DriverSQLite, "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatalf("open raw connection: %v", err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return wire(t, path, db, raw)
}

// newPostgresFixture is newFixture on PostgreSQL: a fresh schema of the
// server TEST_DATABASE_URL names (internal/testdb, which skips the test
// without one, or fails it under REQUIRE_POSTGRES=1). For the tests that
// must see both engines, the handler-level properties among them: the
// contract suite holds the store to one behaviour, but a property that
// ran on PostgreSQL over HTTP keeps doing so here. It has no file, so
// snapshot cannot be used on it, and raw speaks PostgreSQL's dialect.
func newPostgresFixture(t testing.TB) *fixture {
	t.Helper()
	dsn := testdb.Postgres(t)
	db := openMigrated(t, store.Config{Driver: store.DriverPostgres, DSN: dsn})
	raw, err := sql.Open(store.DriverPostgres, dsn)
	if err != nil {
		t.Fatalf("open raw connection: %v", err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return wire(t, "", db, raw)
}

// openMigrated opens the store cfg names and migrates it (a no-op on a
// copy of the template); it is closed when t ends.
func openMigrated(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// wire builds the handlers over db, as the services wire them, with a
// settable clock.
func wire(t testing.TB, path string, db *store.DB, raw *sql.DB) *fixture {
	t.Helper()
	f := &fixture{path: path, store: db, raw: raw, clock: fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	f.signer = tokens.NewHS256(testSecret, time.Hour, f.clock.Now)
	f.validator = handlers.RejectingRevoked(f.signer, f.store)
	// bcrypt.MinCost keeps the tests fast; the cost is configuration.
	hasher := password.Bcrypt{Cost: 4}
	auth, err := handlers.NewAuth(f.store, hasher, f.signer, f.validator, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	f.account = handlers.NewAccount(f.store, hasher, f.store, f.clock.Now)
	f.tasks = handlers.NewTasks(f.store, f.clock.Now)
	return f
}

// snapshot closes f's store, checkpointing its WAL into the file, and
// returns the file's bytes for newFixtureFrom. f is unusable afterwards.
func (f *fixture) snapshot(t testing.TB) []byte {
	t.Helper()
	if err := f.raw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// user registers an account and returns it as a task-handler caller.
func (f *fixture) user(name string) taskapi.Principal {
	resp, err := f.auth.Register(context.Background(), handlers.RegisterRequest{Username: name, Email: name + "@example.com", Password: "correct horse"})
	if err != nil {
		panic(err)
	}
	return taskapi.Principal{UserID: resp.User.ID, Username: name}
}

// login logs an existing account in and returns its token and the caller
// the transport would derive from it (with the token's id and expiry).
func (f *fixture) login(name, pass string) (string, taskapi.Principal) {
	resp, err := f.auth.Login(context.Background(), handlers.LoginRequest{Username: name, Password: pass})
	if err != nil {
		panic(err)
	}
	p, err := f.validator.ValidateToken(context.Background(), resp.Token)
	if err != nil {
		panic(err)
	}
	return resp.Token, p
}

// loseDatabase closes the store: from then on every call fails as it does
// when the database cannot be reached (EUNAVAILABLE, MsgDatabaseDown; the
// contract suite's ClosedDB case).
func (f *fixture) loseDatabase(t *testing.T) {
	t.Helper()
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
}

// deleteUser removes an account, as an operator might, leaving its
// tokens signed and unexpired.
func (f *fixture) deleteUser(t *testing.T, id int64) {
	t.Helper()
	if _, err := f.raw.Exec("DELETE FROM users WHERE id = ?", id); err != nil {
		t.Fatalf("delete user %d: %v", id, err)
	}
}

// revocation is one revoked token as the store keeps it.
type revocation struct {
	userID    int64
	expiresAt time.Time
}

// revocations returns every revoked token the store holds, by token id.
func (f *fixture) revocations(t *testing.T) map[string]revocation {
	t.Helper()
	rows, err := f.raw.Query("SELECT jti, user_id, expires_at FROM revoked_tokens")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]revocation{}
	for rows.Next() {
		var jti string
		var r revocation
		if err := rows.Scan(&jti, &r.userID, &r.expiresAt); err != nil {
			t.Fatal(err)
		}
		out[jti] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

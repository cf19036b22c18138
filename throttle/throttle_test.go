package throttle_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"taskapi/internal/fakeclock"
	"taskapi/internal/testdb"
	"taskapi/store"
	"taskapi/throttle"
)

var ctx = context.Background()

// engine opens a migrated store of one kind, and a plain connection to
// count its rows.
type engine struct {
	name string
	open func(t *testing.T) (*store.DB, *sql.DB)
}

var engines = []engine{
	{"sqlite", func(t *testing.T) (*store.DB, *sql.DB) {
		path := filepath.Join(t.TempDir(), "db")
		db := migrated(t, store.Config{Driver: store.DriverSQLite, DSN: path})
		raw, err := sql.Open(store.DriverSQLite, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = raw.Close() })
		return db, raw
	}},
	{"postgres", func(t *testing.T) (*store.DB, *sql.DB) {
		dsn := testdb.Postgres(t)
		db := migrated(t, store.Config{Driver: store.DriverPostgres, DSN: dsn, MaxOpenConns: 20})
		raw, err := sql.Open("postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = raw.Close() })
		return db, raw
	}},
}

func migrated(t *testing.T, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func forEachEngine(t *testing.T, test func(t *testing.T, db *store.DB, raw *sql.DB)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db, raw := e.open(t)
			test(t, db, raw)
		})
	}
}

var policy = throttle.Policy{
	Scope:    "login",
	Pair:     throttle.Rule{Max: 5, Window: 15 * time.Minute},
	Account:  throttle.Rule{Max: 20, Window: 15 * time.Minute, Backoff: time.Second, BackoffMax: time.Minute},
	Client:   throttle.Rule{Max: 20, Window: 15 * time.Minute},
	KnownFor: 24 * time.Hour,
}

func rows(t *testing.T, raw *sql.DB) int {
	t.Helper()
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM attempt_counters").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two throttles on one database are two instances of the service: a
// burst of concurrent attempts at one pair, split between them, is allowed
// the pair's limit once, not once per instance.
func TestConcurrentAttemptsOnTwoInstancesShareOneLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		clock := fakeclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		instances := []*throttle.Throttle{throttle.New(db, policy, clock.Now, nil), throttle.New(db, policy, clock.Now, nil)}
		var allowed, refused atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wait, err := instances[i%2].Reserve(ctx, "alice", "198.51.100.7")
				switch {
				case err != nil:
					t.Error(err)
				case wait == 0:
					allowed.Add(1)
				default:
					refused.Add(1)
				}
			}()
		}
		wg.Wait()
		if allowed.Load() != 5 || refused.Load() != 35 {
			t.Fatalf("40 concurrent attempts on two instances: %d allowed, %d refused; want 5 and 35", allowed.Load(), refused.Load())
		}
		// A new instance (a restart) sees the same count.
		if wait, err := throttle.New(db, policy, clock.Now, nil).Reserve(ctx, "alice", "198.51.100.7"); err != nil || wait != 15*time.Minute {
			t.Fatalf("after a restart: wait %s, %v; want the rest of the window (15m)", wait, err)
		}
	})
}

// Expired counters are deleted by the periodic prune, so the table holds
// about one window's worth of rows however many keys ever tried; refused
// attempts write nothing.
func TestExpiredCountersArePruned(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		clock := fakeclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		th := throttle.New(db, throttle.Policy{Scope: "register", Client: throttle.Rule{Max: 1, Window: time.Minute}}, clock.Now, nil)
		for i := 0; i < 150; i++ {
			if wait, err := th.Reserve(ctx, "", fmt.Sprintf("10.0.%d.%d", i/250, i%250)); err != nil || wait != 0 {
				t.Fatalf("attempt %d: %s %v", i, wait, err)
			}
		}
		if wait, _ := th.Reserve(ctx, "", "10.0.0.0"); wait == 0 {
			t.Fatal("the second attempt of an address within the window was allowed")
		}
		if n := rows(t, raw); n != 150 {
			t.Fatalf("%d rows after 150 counted and one refused attempt, want 150", n)
		}
		clock.Advance(time.Minute)
		for i := 0; i < 2; i++ {
			if _, err := th.Reserve(ctx, "", "192.0.2."+fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		deleted, err := db.Prune(ctx, clock.Now().Add(time.Microsecond), store.PruneLimits{Batch: 100, Batches: 10})
		if err != nil {
			t.Fatal(err)
		}
		if n := rows(t, raw); n != 2 || deleted["attempt_counters"] != 150 {
			t.Fatalf("prune after the window deleted %d counters and left %d, want 150 deleted and the 2 live ones", deleted["attempt_counters"], n)
		}
	})
}

// A lockout stays however many other names and addresses try meanwhile:
// nothing is evicted.
func TestLockoutIsUnaffectedByOtherKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		clock := fakeclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		th := throttle.New(db, policy, clock.Now, nil)
		for i := 0; i < 5; i++ {
			if _, err := th.Reserve(ctx, "victim", "203.0.113.5"); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 2000; i++ {
			if _, err := th.Reserve(ctx, fmt.Sprint("ghost", i), "203.0.113.5"); err != nil {
				t.Fatal(err)
			}
		}
		// Every one of those past the address's 15 left was refused, and a
		// refusal writes nothing: the table holds the 15 (a pair, an
		// account and an expired known-address row each, until the prune)
		// and the victim's.
		if n := rows(t, raw); n > 3*15+4 {
			t.Fatalf("%d rows after 2000 refused attempts, want at most %d", n, 3*15+4)
		}
		clock.Advance(2 * time.Second) // past what an instance remembers of a refusal
		fresh := throttle.New(db, policy, clock.Now, nil)
		if wait, err := fresh.Reserve(ctx, "victim", "203.0.113.5"); err != nil || wait == 0 {
			t.Fatalf("the victim's pair was unlocked: wait %s, %v", wait, err)
		}
		if wait, err := fresh.Reserve(ctx, "victim", "192.0.2.1"); err != nil || wait != 0 {
			t.Fatalf("the victim from another address: wait %s, %v", wait, err)
		}
	})
}

func TestAddressKeyCountsIPv6Per64(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.5":              "203.0.113.5",
		"::ffff:203.0.113.5":       "203.0.113.5",
		"2001:db8:1:2:3:4:5:6":     "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":     "2001:db8:1:2::/64",
		"2001:db8:1:3::1":          "2001:db8:1:3::/64",
		"not an address, a socket": "not an address, a socket",
	} {
		if got := throttle.AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/internal/faultproxy"
	"taskapi/internal/testdb"
	"taskapi/store"
)

// TestCancelledQueryNeverBreaksTheNext: a request whose deadline ends just
// as its query finishes must not leave a cut socket in the pool for the
// next, unrelated request (which would get a 503 it did nothing to earn).
func TestCancelledQueryNeverBreaksTheNext(t *testing.T) {
	db, err := store.Open(t.Context(), store.Config{Driver: store.DriverPostgres, DSN: testdb.Postgres(t), MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(2 * time.Second)
	for i := 0; i < 20000 && time.Now().Before(stop); i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(400))*time.Microsecond)
		_, _ = db.ListTasks(ctx, taskapi.TaskFilter{UserID: 1, Limit: 1})
		cancel()
		if _, err := db.ListTasks(context.Background(), taskapi.TaskFilter{UserID: 1, Limit: 1}); err != nil {
			t.Fatalf("after %d cancelled queries, a query with a live context failed: %v", i+1, err)
		}
	}
}

// silentDatabase is a PostgreSQL address that accepts TCP connections and
// never answers on them: a database host behind a black-holed route, or
// one that failed over.
func silentDatabase(t *testing.T) string {
	p := faultproxy.New(t, "127.0.0.1:1") // never dialed: the hole swallows all
	p.BlackHole()
	return p.Addr
}

// errHangs is pingWithin's error for a Ping that does not return.
var errHangs = errors.New("ping still hangs")

// pingWithin runs db.Ping(ctx) and returns how long it took and its
// error, or errHangs if Ping has not returned after limit.
func pingWithin(ctx context.Context, db *store.DB, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- db.Ping(ctx) }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(limit):
		return limit, fmt.Errorf("%w after %s", errHangs, limit)
	}
}

// TestConnectToSilentDatabaseIsBounded: opening a connection to a server
// that accepts TCP and never speaks (lib/pq waits for the start-up reply,
// or for the TLS answer, without any deadline) ends with the caller's
// deadline, or with the connect timeout when the caller has none, as an
// EUNAVAILABLE error.
//
// The four cases wait side by side, as many at once as -parallel allows
// (each has its own black hole and its own pool); the test stays serial
// with respect to the other tests, whose CPU use could stretch the times
// it bounds.
func TestConnectToSilentDatabaseIsBounded(t *testing.T) {
	for _, sslmode := range []string{"disable", "require"} {
		t.Run(sslmode, func(t *testing.T) {
			t.Parallel()
			dsn := "postgres://app@" + silentDatabase(t) + "/app?sslmode=" + sslmode
			t.Run("request deadline", func(t *testing.T) {
				t.Parallel()
				db, err := store.Open(t.Context(), store.Config{Driver: store.DriverPostgres, DSN: dsn})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
				defer cancel()
				took, err := pingWithin(ctx, db, 20*time.Second)
				if taskapi.ErrorCode(err) != taskapi.EUNAVAILABLE {
					t.Errorf("Ping: %v, want EUNAVAILABLE", err)
				}
				if took > 5*time.Second {
					t.Errorf("Ping took %s with a 300ms deadline", took)
				}
			})
			t.Run("connect timeout", func(t *testing.T) {
				t.Parallel()
				db, err := store.Open(t.Context(), store.Config{Driver: store.DriverPostgres, DSN: dsn, ConnectTimeout: 300 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				took, err := pingWithin(context.Background(), db, 20*time.Second)
				if taskapi.ErrorCode(err) != taskapi.EUNAVAILABLE {
					t.Errorf("Ping: %v, want EUNAVAILABLE", err)
				}
				if took > 5*time.Second {
					t.Errorf("Ping took %s with a 300ms connect timeout", took)
				}
			})
		})
	}
}

// TestStuckConnectsFreeTheirSlots: while the database is a black hole,
// requests queue for a small pool and database/sql opens connections for
// them in the background, with no deadline of their own. Once the
// database answers again (new connections reach it; those that fell into
// the hole never hear back, as after a failover), the pool must work again
// within seconds, not keep its slots in connects that never end.
func TestStuckConnectsFreeTheirSlots(t *testing.T) {
	direct, err := url.Parse(testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, direct.Host)
	viaProxy := *direct
	viaProxy.Host = proxy.Addr
	const connectTimeout = 500 * time.Millisecond
	db, err := store.Open(t.Context(), store.Config{
		Driver: store.DriverPostgres, DSN: viaProxy.String(), MaxOpenConns: 2, ConnectTimeout: connectTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}

	proxy.BlackHole()
	// Two pings with a short deadline take both slots; six with a longer
	// one queue behind them. When the first two give up, database/sql
	// opens connections for the queued ones in the background, again each
	// time those give up after connectTimeout, while the six wait. The six
	// give up half-way through the second such round, so that the database
	// heals with two connects still in the hole, connectTimeout/2 from
	// their end (a longer wait only adds rounds).
	const shortDeadline = 300 * time.Millisecond
	const queuedDeadline = shortDeadline + connectTimeout + connectTimeout/2
	var wg sync.WaitGroup
	ping := func(deadline time.Duration) {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			switch _, err := pingWithin(ctx, db, 20*time.Second); {
			case err == nil:
				t.Error("a Ping succeeded inside the black hole")
			case errors.Is(err, errHangs):
				t.Error(err)
			}
		})
	}
	ping(shortDeadline)
	ping(shortDeadline)
	waitFor(t, "both slots taken", func() bool { return db.Stats().OpenConnections == 2 })
	for range 6 {
		ping(queuedDeadline)
	}
	waitFor(t, "six pings queued", func() bool { return db.Stats().WaitCount >= 6 })
	wg.Wait()
	proxy.Heal()

	// Polled, each try with its own short deadline, for at most 20s; with
	// connects bounded the pool answers within about connectTimeout.
	start := time.Now()
	for tries := 1; ; tries++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := pingWithin(ctx, db, 20*time.Second)
		cancel()
		if err == nil {
			t.Logf("the pool answered %s after the database did (%d tries)", time.Since(start).Round(time.Millisecond), tries)
			return
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the pool still fails 20s after the database answers again: %v (stats %+v)", err, db.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls cond until it holds, for at most 20s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not after 20s: %s", what)
		}
	}
}

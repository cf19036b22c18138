package store_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

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
		_, _ = db.CountTasks(ctx, 1)
		cancel()
		if _, err := db.CountTasks(context.Background(), 1); err != nil {
			t.Fatalf("after %d cancelled queries, a query with a live context failed: %v", i+1, err)
		}
	}
}

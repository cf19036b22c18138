package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"taskapi/store"
)

// TestSQLiteConcurrentOpenOfANewFile: two services starting together on a
// file that does not exist yet (docs/architecture.md's two-process recipe) both
// open it; the one that loses the race for WAL mode waits, never fails.
// It times nothing, and its files are its own, so it runs in parallel
// with the other such tests: its losers wait in sleeps (SQLite's busy
// handler, the migration lock's poll) that others' work can fill.
func TestSQLiteConcurrentOpenOfANewFile(t *testing.T) {
	t.Parallel()
	for round := 0; round < 40; round++ {
		path := filepath.Join(t.TempDir(), fmt.Sprint("round", round, ".db"))
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(context.Background(), store.Config{Driver: store.DriverSQLite, DSN: path})
				if err == nil {
					err = db.Migrate(context.Background())
					db.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

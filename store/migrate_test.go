package store_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/store"
)

// TestSQLiteConcurrentMigrate starts two instances on one fresh SQLite
// file at the same moment, as SERVICE=auth and SERVICE=task do when
// started together: both migrations succeed, every version is applied
// once. Repeated on fresh files, because the race it guards against is
// lost only some of the time. In parallel with other tests, as
// TestSQLiteConcurrentOpenOfANewFile is: the second migrator's stagger
// and the loser's wait are sleeps, which CPU contention only makes vary
// more.
func TestSQLiteConcurrentMigrate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	for round := range 20 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("race%d.db", round))
		var dbs [2]*store.DB
		for i := range dbs {
			db, err := store.Open(t.Context(), store.Config{Driver: store.DriverSQLite, DSN: path})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = db.Close() })
			dbs[i] = db
		}
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Go(func() {
				<-start
				if i == 1 {
					time.Sleep(stagger(round))
				}
				errs[i] = db.Migrate(t.Context())
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Migrate %d: %v", round, i, err)
			}
		}
		var versions int
		if err := store.QueryRaw(t.Context(), dbs[0], "SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if versions != len(files) {
			t.Fatalf("round %d: %d versions recorded, want %d (each applied once)", round, versions, len(files))
		}
		newTask(t, dbs[1], newUser(t, dbs[0], "mig").ID, nil)
	}
}

// stagger is how long the second migrator starts after the first.
func stagger(round int) time.Duration { return time.Duration(round) * 500 * time.Microsecond }

// TestMigrateErrorIsForOperators: a failed migration's error says what
// went wrong, not the client message meant for HTTP answers, and keeps the
// code that tells an outage from a bug.
func TestMigrateErrorIsForOperators(t *testing.T) {
	db, err := store.Open(t.Context(), store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "broken.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// A table in the way of the first migration.
	if err := store.ExecRaw(t.Context(), db, "CREATE TABLE users (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	err = db.Migrate(t.Context())
	if err == nil {
		t.Fatal("Migrate over a table in its way succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, taskapi.MsgInternal) || strings.Contains(msg, taskapi.EINTERNAL+":") {
		t.Errorf("migration error %q carries the client message", msg)
	}
	if !strings.HasPrefix(msg, "store: migrate: ") || !strings.Contains(msg, "users already exists") {
		t.Errorf("migration error %q does not say what failed", msg)
	}
	if code := taskapi.ErrorCode(err); code != taskapi.EINTERNAL {
		t.Errorf("code %q, want %q", code, taskapi.EINTERNAL)
	}
}

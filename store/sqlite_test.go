package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/store"
)

// openSQLiteAt opens (and migrates) the SQLite database at path.
func openSQLiteAt(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), store.Config{Driver: store.DriverSQLite, DSN: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// openSQLite gives each test its own file, a copy of a database that
// Migrate made from nothing once for the whole package (migrating a new
// file costs some 150ms of CPU under -race, and some 40 tests want one);
// Migrate then finds nothing to do. Opening a new file, the directories
// Open creates and migrating from nothing are tested on their own
// (TestSQLiteCreatesDirectoryAndUsesWAL, TestSQLiteFilesAreTheOwnersAlone,
// TestSQLiteConcurrentOpenOfANewFile, TestSQLiteConcurrentMigrate).
func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	template := sqliteTemplate(t)
	path := filepath.Join(t.TempDir(), "nested", "dir", "tasks.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, template, 0o600); err != nil {
		t.Fatal(err)
	}
	return openSQLiteAt(t, path)
}

var (
	templateOnce  sync.Once
	templateBytes []byte
	templateErr   error
)

// sqliteTemplate returns the bytes of a freshly migrated SQLite database,
// made on the first call. Closing it checkpoints its WAL into the file,
// so the file alone is the whole database.
func sqliteTemplate(t *testing.T) []byte {
	t.Helper()
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "store-template-")
		if err != nil {
			templateErr = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "template.db")
		db, err := store.Open(context.Background(), store.Config{Driver: store.DriverSQLite, DSN: path})
		if err != nil {
			templateErr = err
			return
		}
		if err := db.Migrate(context.Background()); err != nil {
			_ = db.Close()
			templateErr = err
			return
		}
		if err := db.Close(); err != nil {
			templateErr = err
			return
		}
		if _, err := os.Stat(path + "-wal"); err == nil {
			templateErr = fmt.Errorf("%s-wal outlived Close: the file alone is not the database", path)
			return
		}
		templateBytes, templateErr = os.ReadFile(path)
	})
	if templateErr != nil {
		t.Fatalf("migrated SQLite template: %v", templateErr)
	}
	return templateBytes
}

// The contract suites, the counter properties, the plan tests and every
// other test that has a database of its own and times nothing run in
// parallel with each other (t.Parallel): PostgreSQL's round trips and the
// waits of the open and migrate races overlap SQLite's work. The tests
// that time something stay serial, before them.
func TestContractSQLite(t *testing.T) {
	t.Parallel()
	runContract(t, openSQLite)
}

func TestSQLiteInMemory(t *testing.T) {
	t.Parallel()
	// One connection means :memory: is one database, not one per connection.
	db := openSQLiteAt(t, ":memory:")
	newTask(t, db, newUser(t, db, "mem").ID, nil)
}

func TestSQLiteCreatesDirectoryAndUsesWAL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	db := openSQLiteAt(t, "file:"+filepath.Join(dir, "x.db"))
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000"} {
		var got string
		if err := store.QueryRaw(t.Context(), db, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

// TestSQLiteFilesAreTheOwnersAlone: a new database file, its WAL and the
// folders made for it are not readable by the group or others (the file
// holds every password hash), whatever the umask; nor is a backup of it.
func TestSQLiteFilesAreTheOwnersAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "tasks.db")
	db := openSQLiteAt(t, path)
	newTask(t, db, newUser(t, db, "private").ID, nil)
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(t.Context(), backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	for _, p := range []string{dir, path, path + "-wal", backup} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v; want no access for the group or others", p, perm)
		}
	}
}

// TestSQLiteTimestampColumns checks what the driver itself does with the
// stored text: the store reads through its own scanner, but a TIMESTAMP
// column read with the plain driver must also give back the exact time.
func TestSQLiteTimestampColumns(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	u := newUser(t, db, "tess")
	due := time.Date(2031, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -8*3600))
	task := newTask(t, db, u.ID, func(task *taskapi.Task) { task.DueDate = &due })

	var raw any
	var text string
	if err := store.QueryRaw(t.Context(), db,
		"SELECT due_date, CAST(due_date AS TEXT) FROM tasks WHERE id = ?", task.ID).Scan(&raw, &text); err != nil {
		t.Fatal(err)
	}
	got, ok := raw.(time.Time)
	if !ok {
		t.Fatalf("driver returned %T for a TIMESTAMP column, want time.Time", raw)
	}
	want := norm(due)
	if got != want || got.Location() != time.UTC {
		t.Errorf("driver time = %v, want %v", got, want)
	}
	// One spelling per instant (UTC, six digits), so text order is time order.
	if text != "2032-01-01 07:59:59.999999" {
		t.Errorf("stored text = %q", text)
	}
	if stored := getTask(t, db, task.ID); *stored.DueDate != want {
		t.Errorf("TaskByID due date = %v, want %v", *stored.DueDate, want)
	}
}

// TestSQLiteTwoHandles writes through two pools on one file at once, as
// two processes would: busy_timeout makes the second writer wait.
func TestSQLiteTwoHandles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openSQLiteAt(t, path)
	b := openSQLiteAt(t, path)
	u := newUser(t, a, "uma")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Go(func() {
			task := &taskapi.Task{UserID: u.ID, Title: fmt.Sprint(i), Status: taskapi.StatusPending,
				Priority: taskapi.PriorityLow, CreatedAt: base, UpdatedAt: base}
			if err := db.CreateTask(t.Context(), task, 0); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("CreateTask: %v", err)
	}
	if page := list(t, b, taskapi.TaskFilter{UserID: u.ID}); page.Total != 40 {
		t.Errorf("total = %d, want 40", page.Total)
	}
}

func TestSQLiteEmptyDSN(t *testing.T) {
	if _, err := store.Open(t.Context(), store.Config{Driver: store.DriverSQLite}); err == nil {
		t.Fatal("Open with an empty DSN succeeded")
	}
}

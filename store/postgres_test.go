package store_test

import (
	"path/filepath"
	"sync"
	"testing"

	"taskapi"
	"taskapi/internal/testdb"
	"taskapi/store"
)

func openPostgresDSN(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), store.Config{Driver: store.DriverPostgres, DSN: dsn, MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// openPostgres gives each test its own schema (see testdb.Postgres).
func openPostgres(t *testing.T) *store.DB {
	db := openPostgresDSN(t, testdb.Postgres(t))
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestContractPostgres(t *testing.T) {
	t.Parallel()
	// Skip (or fail, under REQUIRE_POSTGRES=1) once here, not in every case.
	testdb.Postgres(t)
	runContract(t, openPostgres)
}

// TestPostgresConcurrentMigrate starts two service instances on a fresh
// schema at once: the advisory lock lets one migrate while the other waits
// and then finds nothing to do. It times nothing and its schema is its
// own, so it runs beside the other parallel tests.
func TestPostgresConcurrentMigrate(t *testing.T) {
	t.Parallel()
	dsn := testdb.Postgres(t)
	dbs := []*store.DB{openPostgresDSN(t, dsn), openPostgresDSN(t, dsn)}
	start := make(chan struct{})
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	files, err := filepath.Glob("migrations/postgres/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	var versions int
	if err := store.QueryRaw(t.Context(), dbs[0], "SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != len(files) {
		t.Errorf("%d versions recorded, want %d (one per migration, applied once)", versions, len(files))
	}
	newTask(t, dbs[1], newUser(t, dbs[0], "vic").ID, nil)
}

// TestPostgresUnreachable needs no server: Open must succeed while the
// database is down, and every call must then say the database is down.
func TestPostgresUnreachable(t *testing.T) {
	dsn := store.PostgresParams{Host: "127.0.0.1", Port: "1", Name: "none", User: "nobody", SSLMode: "disable"}.DSN()
	db := openPostgresDSN(t, dsn)
	wantErr(t, db.Ping(t.Context()), taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
	_, err := db.UserByUsername(t.Context(), "x")
	wantErr(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
	err = db.Migrate(t.Context())
	if code := taskapi.ErrorCode(err); code != taskapi.EUNAVAILABLE {
		t.Errorf("Migrate error %v has code %q, want %q", err, code, taskapi.EUNAVAILABLE)
	}
}

func TestPostgresInvalidDSN(t *testing.T) {
	if _, err := store.Open(t.Context(), store.Config{Driver: store.DriverPostgres, DSN: "host='unterminated"}); err == nil {
		t.Fatal("Open with a malformed DSN succeeded")
	}
}

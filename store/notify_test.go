package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"taskapi/internal/testdb"
	"taskapi/store"
)

// sinkLog records what a watcher was told, one line per call.
type sinkLog struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func newSinkLog() *sinkLog { return &sinkLog{added: make(chan struct{}, 100)} }

func (s *sinkLog) add(line string) {
	s.mu.Lock()
	s.lines = append(s.lines, line)
	s.mu.Unlock()
	select {
	case s.added <- struct{}{}:
	default:
	}
}
func (s *sinkLog) ForgetToken(jti string)  { s.add("token " + jti) }
func (s *sinkLog) ForgetUser(userID int64) { s.add(fmt.Sprint("user ", userID)) }
func (s *sinkLog) ForgetAll()              { s.add("all") }

// await waits (at most 10 s) until line was recorded, and returns what
// was recorded up to it, consumed.
func (s *sinkLog) await(t *testing.T, line string) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for i, l := range s.lines {
			if l == line {
				seen := s.lines[:i+1]
				s.lines = append([]string(nil), s.lines[i+1:]...)
				s.mu.Unlock()
				return seen
			}
		}
		got := append([]string(nil), s.lines...)
		s.mu.Unlock()
		select {
		case <-s.added:
		case <-deadline:
			t.Fatalf("watcher not told %q within 10s; told %q", line, got)
		}
	}
}

// watch runs WatchRevocations on a pool of its own for dsn until the test
// ends, and waits until it listens.
func watch(t *testing.T, dsn string) (*sinkLog, chan struct{}) {
	t.Helper()
	db := openPostgresDSN(t, dsn)
	sink := newSinkLog()
	connected := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- db.WatchRevocations(ctx, dsn, sink, store.WatchOptions{
			MinReconnect: 10 * time.Millisecond, MaxReconnect: 100 * time.Millisecond,
			OnConnected: func() { connected <- struct{}{} },
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchRevocations: %v", err)
		}
	})
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not listen within 10s")
	}
	sink.await(t, "all") // the flush on connecting
	return sink, connected
}

// Another process's logout, password change and account deletion reach
// the watcher once committed; a lost connection flushes the sink and is
// re-established; another schema on the same server is not heard.
func TestWatchRevocationsPostgres(t *testing.T) {
	dsn := testdb.Postgres(t)
	db := openPostgresDSN(t, dsn)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	sink, connected := watch(t, dsn)
	u, other := newUser(t, db, "nora"), newUser(t, db, "olaf")

	if err := db.RevokeToken(t.Context(), "jti-1", u.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	sink.await(t, "token jti-1")
	if err := db.UpdatePassword(t.Context(), u.ID, "h2", base, base); err != nil {
		t.Fatal(err)
	}
	sink.await(t, fmt.Sprint("user ", u.ID))
	if err := db.DeleteUser(t.Context(), other.ID); err != nil {
		t.Fatal(err)
	}
	sink.await(t, fmt.Sprint("user ", other.ID))

	// Cut the listening connection, as a failover or a network fault
	// would: the sink is flushed, and the watcher listens again.
	var raw *sql.DB
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var cut int
	if err := raw.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN %' AND query LIKE '%' || current_schema() || '%'`).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", cut, err)
	}
	sink.await(t, "all")
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not listen again within 10s")
	}
	if err := db.RevokeToken(t.Context(), "jti-2", u.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	sink.await(t, "token jti-2")

	// A revocation in another schema is another deployment's.
	elsewhere := openPostgres(t)
	w := newUser(t, elsewhere, "wendy")
	if err := elsewhere.RevokeToken(t.Context(), "jti-elsewhere", w.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(t.Context(), "jti-3", u.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	// Delivered in commit order: jti-elsewhere, if heard, would come first.
	for _, l := range sink.await(t, "token jti-3") {
		if l == "token jti-elsewhere" {
			t.Fatal("heard another schema's revocation")
		}
	}
}

// SQLite has no notifications: WatchRevocations refuses at once.
func TestWatchRevocationsSQLiteRefuses(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	if db.Notifies() {
		t.Fatal("SQLite claims notifications")
	}
	if err := db.WatchRevocations(t.Context(), "", newSinkLog(), store.WatchOptions{}, slog.Default()); err == nil {
		t.Fatal("WatchRevocations on SQLite returned nil")
	}
}

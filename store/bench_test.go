package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"taskapi"
	"taskapi/internal/testdb"
	"taskapi/store"
)

// benchStores opens each engine, migrated, for a benchmark.
func benchStores(b *testing.B, run func(b *testing.B, db *store.DB)) {
	for _, e := range []struct {
		name string
		cfg  func() store.Config
	}{
		{"sqlite", func() store.Config {
			return store.Config{Driver: store.DriverSQLite, DSN: filepath.Join(b.TempDir(), "bench.db")}
		}},
		{"postgres", func() store.Config {
			return store.Config{Driver: store.DriverPostgres, DSN: testdb.Postgres(b), MaxOpenConns: 4}
		}},
	} {
		b.Run(e.name, func(b *testing.B) {
			db, err := store.Open(context.Background(), e.cfg())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			if err := db.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			run(b, db)
		})
	}
}

// seed gives each of users users n tasks, with mixed statuses and dates.
func seed(b *testing.B, db *store.DB, users, n int) []int64 {
	ctx := context.Background()
	var ids []int64
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses := []taskapi.Status{taskapi.StatusPending, taskapi.StatusInProgress, taskapi.StatusCompleted}
	for u := 0; u < users; u++ {
		user := taskapi.User{Username: fmt.Sprint("user", u), Email: fmt.Sprintf("u%d@example.com", u), PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		if err := db.CreateUser(ctx, &user); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, user.ID)
		for i := 0; i < n; i++ {
			at := now.Add(time.Duration(i) * time.Minute)
			due := at.Add(48 * time.Hour)
			t := taskapi.Task{UserID: user.ID, Title: "task", Status: statuses[i%3], Priority: taskapi.PriorityMedium, DueDate: &due, CreatedAt: at, UpdatedAt: at}
			if err := db.CreateTask(ctx, &t, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	return ids
}

// BenchmarkListTasks pages through one user's 5,000 tasks (half the
// per-user quota) in a table that holds another user's 5,000 too.
func BenchmarkListTasks(b *testing.B) {
	benchStores(b, func(b *testing.B, db *store.DB) {
		users := seed(b, db, 2, 5000)
		ctx := context.Background()
		for _, f := range []struct {
			name   string
			filter taskapi.TaskFilter
		}{
			{"newest-first", taskapi.TaskFilter{Sort: taskapi.SortCreatedAt, Limit: 20}},
			{"deep-page", taskapi.TaskFilter{Sort: taskapi.SortCreatedAt, Limit: 20, Offset: 4000}},
			{"by-due-date", taskapi.TaskFilter{Sort: taskapi.SortDueDate, Ascending: true, Limit: 20}},
			{"status-filter", taskapi.TaskFilter{Sort: taskapi.SortCreatedAt, Status: taskapi.StatusInProgress, Limit: 20}},
		} {
			b.Run(f.name, func(b *testing.B) {
				filter := f.filter
				filter.UserID = users[0]
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					page, err := db.ListTasks(ctx, filter)
					if err != nil || len(page.Tasks) != 20 || page.Total < 1000 {
						b.Fatalf("page of %d, total %d: %v", len(page.Tasks), page.Total, err)
					}
				}
			})
		}
	})
}

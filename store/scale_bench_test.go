package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"taskapi"
	"taskapi/store"
)

// bulkTasks inserts n tasks for a new user in one statement, fast enough
// for 100,000: statuses and priorities cycle, every fifth task has no due
// date, and created_at and due_date grow a minute per task.
func bulkTasks(b testing.TB, db *store.DB, name string, n int) int64 {
	b.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := taskapi.User{Username: name, Email: name + "@example.com", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	// The two dialects differ only in how they add minutes to a time.
	// SQLite compares times as text, so they must be in the store's one
	// spelling (timeLayout) for keyset positions to compare right.
	at := "strftime('%Y-%m-%d %H:%M:%S.000000', '2026-01-01', '+' || i || ' minutes')"
	if store.Driver(db) == store.DriverPostgres {
		at = "TIMESTAMP '2026-01-01' + i * INTERVAL '1 minute'"
	}
	query := `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		INSERT INTO tasks (user_id, title, status, priority, due_date, created_at, updated_at)
		SELECT ?, 'task ' || i,
			CASE i % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'in_progress' ELSE 'completed' END,
			CASE (i / 3) % 3 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' ELSE 'high' END,
			CASE WHEN i % 5 = 0 THEN NULL ELSE ` + at + ` END,
			` + at + `, ` + at + `
		FROM s`
	if err := store.ExecRaw(ctx, db, query, n, u.ID); err != nil {
		b.Fatal(err)
	}
	if store.Driver(db) == store.DriverPostgres {
		if err := store.ExecRaw(ctx, db, "ANALYZE tasks"); err != nil {
			b.Fatal(err)
		}
	}
	return u.ID
}

// listShapes are the list requests the scale benchmark times: every sort
// both ways, and the filters combined with sorts.
var listShapes = []struct {
	name string
	f    taskapi.TaskFilter
}{
	{"created_at-desc", taskapi.TaskFilter{Sort: taskapi.SortCreatedAt}},
	{"created_at-asc", taskapi.TaskFilter{Sort: taskapi.SortCreatedAt, Ascending: true}},
	{"due_date-desc", taskapi.TaskFilter{Sort: taskapi.SortDueDate}},
	{"due_date-asc", taskapi.TaskFilter{Sort: taskapi.SortDueDate, Ascending: true}},
	{"priority-desc", taskapi.TaskFilter{Sort: taskapi.SortPriority}},
	{"priority-asc", taskapi.TaskFilter{Sort: taskapi.SortPriority, Ascending: true}},
	{"status+created_at", taskapi.TaskFilter{Status: taskapi.StatusCompleted, Sort: taskapi.SortCreatedAt}},
	{"status+priority", taskapi.TaskFilter{Status: taskapi.StatusCompleted, Sort: taskapi.SortPriority}},
	{"priority+due_date", taskapi.TaskFilter{Priority: taskapi.PriorityHigh, Sort: taskapi.SortDueDate}},
	{"status+priority+due_date", taskapi.TaskFilter{Status: taskapi.StatusPending, Priority: taskapi.PriorityLow, Sort: taskapi.SortDueDate, Ascending: true}},
}

// BenchmarkListScale times a first page of 20 for a user holding 100 tasks
// and for one holding 100,000, in every list shape: the two should cost
// the same.
func BenchmarkListScale(b *testing.B) {
	benchStores(b, func(b *testing.B, db *store.DB) {
		users := []struct {
			name string
			id   int64
			n    int
		}{
			{"tasks=100", bulkTasks(b, db, "small", 100), 100},
			{"tasks=100000", bulkTasks(b, db, "large", 100000), 100000},
		}
		ctx := context.Background()
		for _, s := range listShapes {
			for _, u := range users {
				b.Run(s.name+"/"+u.name, func(b *testing.B) {
					f := s.f
					f.UserID, f.Limit = u.id, 20
					for i := 0; i < b.N; i++ {
						page, err := db.ListTasks(ctx, f)
						if err != nil || len(page.Tasks) == 0 {
							b.Fatalf("page of %d: %v", len(page.Tasks), err)
						}
					}
				})
			}
		}
		for _, u := range users {
			// The page at 90 % of the list, reached by keyset: the position
			// is the last task of the page before it.
			at := 90*u.n/100 - 1
			before, err := db.ListTasks(ctx, taskapi.TaskFilter{UserID: u.id, Sort: taskapi.SortCreatedAt, Limit: 1, Offset: at})
			if err != nil || len(before.Tasks) != 1 {
				b.Fatalf("task %d: %v", at, err)
			}
			b.Run(fmt.Sprintf("cursor-90%%/%s", u.name), func(b *testing.B) {
				f := taskapi.TaskFilter{UserID: u.id, Sort: taskapi.SortCreatedAt, Limit: 20, After: ptr(before.Tasks[0].Key())}
				want := min(20, u.n-at-1) // the 100-task user has 10 left
				for i := 0; i < b.N; i++ {
					if page, err := db.ListTasks(ctx, f); err != nil || len(page.Tasks) != want {
						b.Fatalf("page of %d: %v", len(page.Tasks), err)
					}
				}
			})
			b.Run(fmt.Sprintf("offset-90%%/%s", u.name), func(b *testing.B) {
				f := taskapi.TaskFilter{UserID: u.id, Sort: taskapi.SortCreatedAt, Limit: 20}
				if u.name == "tasks=100" {
					f.Offset = 80
				} else {
					f.Offset = 90000
				}
				for i := 0; i < b.N; i++ {
					if page, err := db.ListTasks(ctx, f); err != nil || len(page.Tasks) != 20 {
						b.Fatalf("page of %d: %v", len(page.Tasks), err)
					}
				}
			})
		}
	})
}

// BenchmarkCreateTask times creates under a quota (the check and the
// insert), one at a time and from four goroutines, for a user who already
// holds 1,000 tasks.
func BenchmarkCreateTask(b *testing.B) {
	benchStores(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		user := bulkTasks(b, db, "creator", 1000)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		create := func(b *testing.B) {
			t := taskapi.Task{UserID: user, Title: "new", Priority: taskapi.PriorityHigh, CreatedAt: now, UpdatedAt: now}
			if err := db.CreateTask(ctx, &t, 10000000); err != nil {
				b.Error(err)
			}
		}
		b.Run("serial", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				create(b)
			}
		})
		b.Run("parallel-4", func(b *testing.B) {
			b.SetParallelism(2) // GOMAXPROCS 2 on the CI machine: 4 goroutines
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					create(b)
				}
			})
		})
	})
}

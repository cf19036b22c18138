package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"taskapi"
	"taskapi/internal/testdb"
	"taskapi/store"
)

// testQuotaUnderConcurrency sends 200 creates at once against a quota:
// exactly the quota are stored, every other one is refused with the quota
// error, and a delete makes room for exactly one more. A quota of 5 is
// near the limit from the first create (PostgreSQL counts exactly from
// the start); one of 300 starts far from it, where creates do not wait
// for each other, and crosses over to the exact count under load.
func testQuotaUnderConcurrency(t *testing.T, db *store.DB) {
	for _, quota := range []int{5, 300} {
		t.Run(fmt.Sprint("quota=", quota), func(t *testing.T) { testQuota(t, db, quota) })
	}
}

func testQuota(t *testing.T, db *store.DB, quota int) {
	creates := 2*quota + 190
	u := newUser(t, db, fmt.Sprint("quinn", quota))
	var stored atomic.Int32
	errs := make(chan error, creates)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < creates; i++ {
		wg.Go(func() {
			<-start
			task := &taskapi.Task{UserID: u.ID, Title: fmt.Sprint("t", i), CreatedAt: base, UpdatedAt: base}
			if err := db.CreateTask(t.Context(), task, quota); err != nil {
				errs <- err
				return
			}
			stored.Add(1)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		wantErr(t, err, taskapi.EFORBIDDEN, taskapi.TaskQuotaReached(quota).Message)
	}
	if n := stored.Load(); int(n) != quota {
		t.Errorf("%d creates succeeded, want %d", n, quota)
	}
	page := list(t, db, taskapi.TaskFilter{UserID: u.ID})
	checkCounters(t, db, u.ID)
	if len(page.Tasks) != quota || page.Total != quota {
		t.Fatalf("%d tasks stored (total %d), want %d", len(page.Tasks), page.Total, quota)
	}
	if err := db.DeleteTask(t.Context(), page.Tasks[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	newTaskQuota := func() error {
		return db.CreateTask(t.Context(), &taskapi.Task{UserID: u.ID, Title: "again", CreatedAt: base, UpdatedAt: base}, quota)
	}
	if err := newTaskQuota(); err != nil {
		t.Fatalf("create after a delete: %v", err)
	}
	wantErr(t, newTaskQuota(), taskapi.EFORBIDDEN, taskapi.TaskQuotaReached(quota).Message)
	// Without a quota (0) the same user may add more.
	newTask(t, db, u.ID, nil)
}

// cell is one (slot, status, priority) count of one user.
type cell struct {
	Slot     int    `db:"slot"`
	Status   string `db:"status"`
	Priority string `db:"priority"`
	N        int    `db:"n"`
}

// checkCounters fails t unless userID's counters equal its tasks as
// counted from the tasks table, and every filter's list total agrees.
func checkCounters(t interface {
	Helper()
	Fatalf(string, ...any)
}, db *store.DB, userID int64) {
	t.Helper()
	ctx := context.Background()
	// Every task counts in slot id % 16 of its cell, so each slot's row
	// equals a count of the tasks table, not only their sum.
	var real, kept []cell
	if err := store.SelectRaw(ctx, db, &real, "SELECT id % 16 AS slot, status, priority, COUNT(*) AS n FROM tasks WHERE user_id = ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", userID); err != nil {
		t.Fatalf("count tasks: %v", err)
	}
	if err := store.SelectRaw(ctx, db, &kept, "SELECT slot, status, priority, n FROM task_counts WHERE user_id = ? AND n <> 0 ORDER BY 1, 2, 3", userID); err != nil {
		t.Fatalf("read task_counts: %v", err)
	}
	if !slices.Equal(real, kept) {
		t.Fatalf("user %d: task_counts %v, want %v", userID, kept, real)
	}
	for _, f := range []taskapi.TaskFilter{{}, {Status: taskapi.StatusCompleted}, {Priority: taskapi.PriorityHigh}, {Status: taskapi.StatusPending, Priority: taskapi.PriorityLow}} {
		want := 0
		for _, c := range real {
			if (f.Status == "" || c.Status == string(f.Status)) && (f.Priority == "" || c.Priority == string(f.Priority)) {
				want += c.N
			}
		}
		f.UserID, f.Limit = userID, 1
		page, err := db.ListTasks(ctx, f)
		if err != nil || page.Total != want {
			t.Fatalf("user %d %+v: total %d (%v), want %d", userID, f, page.Total, err, want)
		}
	}
}

// The kinds of op, with account deletions rarer than the rest.
var kinds = []int{0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3}

// op is one step of a randomized workload.
type op struct {
	kind     int // 0 create, 1 update, 2 delete, 3 delete the account
	user     int // which of the iteration's users
	pick     int // which of that user's tasks, modulo how many are known
	status   taskapi.Status
	priority taskapi.Priority
}

var (
	statuses   = []taskapi.Status{taskapi.StatusPending, taskapi.StatusInProgress, taskapi.StatusCompleted}
	priorities = []taskapi.Priority{taskapi.PriorityLow, taskapi.PriorityMedium, taskapi.PriorityHigh}
)

// testCountersProperty runs randomized workloads of creates, moves between
// statuses and priorities, deletes and account deletions from four
// goroutines at once, and then compares every counter with a real count.
func testCountersProperty(t *testing.T, db *store.DB) {
	var iteration atomic.Int64
	genOp := rapid.Custom(func(rt *rapid.T) op {
		return op{
			kind:     kinds[rapid.IntRange(0, len(kinds)-1).Draw(rt, "kind")],
			user:     rapid.IntRange(0, 2).Draw(rt, "user"),
			pick:     rapid.IntRange(0, 50).Draw(rt, "pick"),
			status:   rapid.SampledFrom(statuses).Draw(rt, "status"),
			priority: rapid.SampledFrom(priorities).Draw(rt, "priority"),
		}
	})
	rapid.Check(t, func(rt *rapid.T) {
		n := iteration.Add(1)
		users := make([]int64, 3)
		for i := range users {
			users[i] = newUser(t, db, fmt.Sprintf("p%d-%d", n, i)).ID
		}
		workers := rapid.SliceOfN(rapid.SliceOfN(genOp, 1, 12), 4, 4).Draw(rt, "workers")
		var mu sync.Mutex
		known := map[int][]int64{} // task ids created per user index
		var wg sync.WaitGroup
		failed := make(chan error, 100)
		for _, ops := range workers {
			wg.Go(func() {
				for _, o := range ops {
					if err := apply(db, o, users, &mu, known); err != nil {
						failed <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(failed)
		for err := range failed {
			rt.Fatalf("workload: %v", err)
		}
		for _, id := range users {
			checkCounters(rt, db, id)
		}
	})
}

// apply runs one op. A task or account that a concurrent op removed
// first is not an error: that race is the point of the workload.
func apply(db *store.DB, o op, users []int64, mu *sync.Mutex, known map[int][]int64) error {
	ctx := context.Background()
	mu.Lock()
	ids := known[o.user]
	var id int64
	if len(ids) > 0 {
		id = ids[o.pick%len(ids)]
	}
	mu.Unlock()
	var err error
	create := o.kind == 0 || id == 0 && o.kind != 3 // nothing to update or delete yet
	switch {
	case create:
		task := &taskapi.Task{UserID: users[o.user], Title: "p", Status: o.status, Priority: o.priority, CreatedAt: base, UpdatedAt: base}
		if err = db.CreateTask(ctx, task, 0); err == nil {
			mu.Lock()
			known[o.user] = append(known[o.user], task.ID)
			mu.Unlock()
		}
	case o.kind == 1:
		p := taskapi.TaskPatch{Status: &o.status}
		if o.pick%2 == 0 {
			p.Priority = &o.priority
		}
		_, err = db.UpdateTask(ctx, id, p, base)
	case o.kind == 2:
		err = db.DeleteTask(ctx, id, 0)
	default:
		err = store.ExecRaw(ctx, db, "DELETE FROM users WHERE id = ?", users[o.user])
	}
	if taskapi.ErrorCode(err) == taskapi.ENOTFOUND {
		return nil // gone already
	}
	if err != nil && create {
		// A create for an account deleted meanwhile fails on the foreign key.
		if _, uerr := db.UserByID(ctx, users[o.user]); taskapi.ErrorCode(uerr) == taskapi.ENOTFOUND {
			return nil
		}
	}
	return err
}

func TestCountersPropertySQLite(t *testing.T) {
	t.Parallel()
	testCountersProperty(t, openSQLite(t))
}

func TestCountersPropertyPostgres(t *testing.T) {
	t.Parallel()
	testdb.Postgres(t)
	testCountersProperty(t, openPostgres(t))
}

// TestQuotaCrossedDuringCreatePostgres makes one create start far from
// the quota and find itself near it after its insert: its counter row is
// locked by a transaction that then stores most of the quota and commits.
// The create must still succeed, through the exact count, and the totals
// stay exact.
func TestQuotaCrossedDuringCreatePostgres(t *testing.T) {
	t.Parallel()
	dsn := testdb.Postgres(t)
	db := openPostgresDSN(t, dsn)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	const quota, bulk = 1000, 900
	u := newUser(t, db, "crossing")
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	holder, err := raw.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	var holderPID int
	if err := holder.QueryRow("SELECT pg_backend_pid()").Scan(&holderPID); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec("SELECT 1 FROM task_counts WHERE user_id = $1 FOR NO KEY UPDATE", u.ID); err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	go func() {
		created <- db.CreateTask(context.Background(), &taskapi.Task{UserID: u.ID, Title: "late", CreatedAt: base, UpdatedAt: base}, quota)
	}()
	// Wait (by count, bounded) until the create queues behind the holder.
	for i := 0; ; i++ {
		var waiting int
		if err := raw.QueryRow("SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", holderPID).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if i == 500 {
			t.Fatal("the create never waited for the locked counter rows")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := holder.Exec(`INSERT INTO tasks (user_id, title, created_at, updated_at)
		SELECT $1, 'bulk ' || i, now(), now() FROM generate_series(1, $2::integer) AS i`, u.ID, bulk); err != nil {
		t.Fatal(err)
	}
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-created; err != nil {
		t.Fatalf("create near the quota: %v", err)
	}
	checkCounters(t, db, u.ID)
	if page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Limit: 1}); page.Total != bulk+1 {
		t.Fatalf("total %d, want %d", page.Total, bulk+1)
	}
}

// testKeysPerUserUnderConcurrency sends 60 keyed creates of one user at
// once against a limit of 5 live keys: exactly 5 are stored, every other
// one is refused with ETOOMANY.
func testKeysPerUserUnderConcurrency(t *testing.T, db *store.DB) {
	const limit, creates = 5, 60
	u := newUser(t, db, "keyrush")
	var stored atomic.Int32
	errs := make(chan error, creates)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range creates {
		wg.Go(func() {
			<-start
			key := fmt.Sprint("rush", i)
			_, err := db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: u.ID, Title: key, CreatedAt: base, UpdatedAt: base}, 0,
				taskapi.IdempotencyKey{Key: key, RequestHash: "h", NotBefore: base.Add(-taskapi.IdempotencyWindow), PerUser: limit})
			if err != nil {
				errs <- err
				return
			}
			stored.Add(1)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		wantErr(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyKeys)
	}
	if n := stored.Load(); n != limit {
		t.Errorf("%d keyed creates succeeded, want %d", n, limit)
	}
	checkCounters(t, db, u.ID)
}

// TestDeleteCountsOncePostgres deletes one task through DeleteTask (the
// task_delete function, which counts itself and tells the counting
// trigger to stand aside) and, in the same transaction, another with a
// plain DELETE: the trigger must count that one, so the setting that
// turned it off lasts no longer than task_delete's own DELETE.
func TestDeleteCountsOncePostgres(t *testing.T) {
	t.Parallel()
	testdb.Postgres(t)
	db := openPostgres(t)
	u := newUser(t, db, "dora")
	a, b, c := newTask(t, db, u.ID, nil), newTask(t, db, u.ID, nil), newTask(t, db, u.ID, nil)
	if err := db.DeleteTask(t.Context(), a.ID, 0); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, u.ID)
	if err := store.ExecRaw(t.Context(), db, fmt.Sprintf(
		"BEGIN; SELECT task_delete(%d, 0); DELETE FROM tasks WHERE id = %d; COMMIT", b.ID, c.ID)); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, u.ID)
	if page := list(t, db, taskapi.TaskFilter{UserID: u.ID}); page.Total != 0 {
		t.Errorf("total %d after deleting every task, want 0", page.Total)
	}
}

// TestCreateCountsOncePostgres creates tasks through CreateTask (the
// task_create function, which counts its task itself and tells the
// counting trigger to stand aside), on the fast path and on the exact
// one, and then runs plain INSERTs after a task_create in the same
// transaction, after a task_create that failed inside a savepoint, and a
// task_create that is rolled back: the trigger must count each plain
// INSERT, so the setting that turned it off lasts no longer than
// task_create's own INSERT, and a rollback undoes the count.
func TestCreateCountsOncePostgres(t *testing.T) {
	t.Parallel()
	testdb.Postgres(t)
	db := openPostgres(t)
	u := newUser(t, db, "cora")
	newTask(t, db, u.ID, nil) // far from any quota: the fast path
	checkCounters(t, db, u.ID)
	// A quota of 3 is near from the start: the exact path.
	near := &taskapi.Task{UserID: u.ID, Title: "near", Status: taskapi.StatusCompleted, Priority: taskapi.PriorityHigh, CreatedAt: base, UpdatedAt: base}
	if err := db.CreateTask(t.Context(), near, 3); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, db, u.ID)
	create := fmt.Sprintf("task_create(%d, 'raw', NULL, 'in_progress', 'low', NULL, now()::timestamp, now()::timestamp, 1000, false)", u.ID)
	insert := fmt.Sprintf("INSERT INTO tasks (user_id, title, status, priority) VALUES (%d, 'plain', 'in_progress', 'low')", u.ID)
	for _, script := range []string{
		"BEGIN; SELECT " + create + "; " + insert + "; COMMIT",
		// A CHECK violation inside task_create's INSERT, caught by a
		// savepoint (the DO block's EXCEPTION clause).
		"DO $$ BEGIN BEGIN PERFORM " + strings.Replace(create, "'in_progress'", "'bogus'", 1) +
			"; EXCEPTION WHEN check_violation THEN NULL; END; " + insert + "; END $$",
		"BEGIN; SELECT " + create + "; ROLLBACK",
	} {
		if err := store.ExecRaw(t.Context(), db, script); err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		checkCounters(t, db, u.ID)
	}
	if page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Status: taskapi.StatusInProgress}); page.Total != 3 {
		t.Errorf("in_progress total %d, want 3 (one task_create, two plain inserts)", page.Total)
	}
	if page := list(t, db, taskapi.TaskFilter{UserID: u.ID}); page.Total != 5 {
		t.Errorf("total %d, want 5", page.Total)
	}
}

package store_test

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"taskapi"
	"taskapi/store"
)

// opener returns a freshly migrated, empty database of which t is the only
// user; it closes the database when t ends.
type opener func(t *testing.T) *store.DB

// runContract runs the behaviour every engine must share. Each case gets
// its own database, so the cases run in parallel.
func runContract(t *testing.T, open opener) {
	cases := []struct {
		name string
		run  func(t *testing.T, db *store.DB)
	}{
		{"CreateAndFindUser", testCreateAndFindUser},
		{"DuplicateUser", testDuplicateUser},
		{"UserNotFound", testUserNotFound},
		{"UpdatePassword", testUpdatePassword},
		{"RevokeToken", testRevokeToken},
		{"RevokePrunesExpired", testRevokePrunesExpired},
		{"PruneBounded", testPruneBounded},
		{"PruneFailure", testPruneFailure},
		{"PruneAttemptCounters", testPruneAttemptCounters},
		{"IdempotencyKeysPerUser", testIdempotencyKeysPerUser},
		{"RevokeForMissingUser", testRevokeForMissingUser},
		{"TaskRoundTrip", testTaskRoundTrip},
		{"CheckConstraints", testCheckConstraints},
		{"ListFilters", testListFilters},
		{"ListSortOrders", testListSortOrders},
		{"ListPaging", testListPaging},
		{"ListWalk", testListWalk},
		{"QuotaUnderConcurrency", testQuotaUnderConcurrency},
		{"KeysPerUserUnderConcurrency", testKeysPerUserUnderConcurrency},
		{"ListOtherUsers", testListOtherUsers},
		{"Search", testSearch},
		{"SearchProperty", testSearchProperty},
		{"UpdateFields", testUpdateFields},
		{"UpdateEmptyPatch", testUpdateEmptyPatch},
		{"UpdatedAtNeverGoesBack", testUpdatedAtNeverGoesBack},
		{"ConcurrentFieldUpdates", testConcurrentFieldUpdates},
		{"MissingTask", testMissingTask},
		{"DeleteTask", testDeleteTask},
		{"Versions", testVersions},
		{"CascadeDelete", testCascadeDelete},
		{"CascadeDeleteRevocations", testCascadeDeleteRevocations},
		{"TaskForMissingUser", testTaskForMissingUser},
		{"TokenInvalidated", testTokenInvalidated},
		{"DeleteUser", testDeleteUser},
		{"IdempotentCreate", testIdempotentCreate},
		{"IdempotentCreateConcurrent", testIdempotentCreateConcurrent},
		{"IdempotencyKeysExpire", testIdempotencyKeysExpire},
		{"ConcurrentWrites", testConcurrentWrites},
		{"MigrateTwice", testMigrateTwice},
		{"ClosedDB", testClosedDB},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open(t))
		})
	}
}

// base is an arbitrary instant with nanoseconds and a zone other than UTC,
// so the tests see the store normalise both.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("IST", 5*3600+1800))

// norm is what the store keeps of a time.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

func newUser(t *testing.T, db *store.DB, name string) *taskapi.User {
	t.Helper()
	u := &taskapi.User{
		Username:     name,
		Email:        name + "@example.com",
		PasswordHash: "$2a$10$hash-of-" + name,
		CreatedAt:    base,
		UpdatedAt:    base.Add(time.Second),
	}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// newTask creates a task for userID, adjusted by edit, and returns it as
// the store reports it.
func newTask(t *testing.T, db *store.DB, userID int64, edit func(*taskapi.Task)) *taskapi.Task {
	t.Helper()
	task := &taskapi.Task{
		UserID:    userID,
		Title:     "task",
		Status:    taskapi.StatusPending,
		Priority:  taskapi.PriorityMedium,
		CreatedAt: base,
		UpdatedAt: base,
	}
	if edit != nil {
		edit(task)
	}
	if err := db.CreateTask(t.Context(), task, 0); err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	return task
}

func getTask(t *testing.T, db *store.DB, id int64) *taskapi.Task {
	t.Helper()
	got, err := db.TaskByID(t.Context(), id)
	if err != nil {
		t.Fatalf("TaskByID(%d): %v", id, err)
	}
	return got
}

func list(t *testing.T, db *store.DB, f taskapi.TaskFilter) taskapi.TaskPage {
	t.Helper()
	page, err := db.ListTasks(t.Context(), f)
	if err != nil {
		t.Fatalf("ListTasks(%+v): %v", f, err)
	}
	if page.Tasks == nil {
		t.Fatalf("ListTasks(%+v) returned a nil slice", f)
	}
	return page
}

func ids(tasks []taskapi.Task) []int64 {
	out := make([]int64, len(tasks))
	for i, task := range tasks {
		out[i] = task.ID
	}
	return out
}

func testCreateAndFindUser(t *testing.T, db *store.DB) {
	u := newUser(t, db, "Alice")
	if u.ID == 0 {
		t.Fatal("CreateUser left ID zero")
	}
	want := taskapi.User{
		ID: u.ID, Username: "Alice", Email: "Alice@example.com", PasswordHash: "$2a$10$hash-of-Alice",
		CreatedAt: norm(base), UpdatedAt: norm(base.Add(time.Second)),
	}
	if *u != want {
		t.Errorf("after CreateUser u = %+v, want %+v", *u, want)
	}
	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := db.UserByUsername(t.Context(), name)
		if err != nil {
			t.Fatalf("UserByUsername(%q): %v", name, err)
		}
		if *got != want {
			t.Errorf("UserByUsername(%q) = %+v, want %+v", name, *got, want)
		}
	}
	got, err := db.UserByID(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	if *got != want {
		t.Errorf("UserByID = %+v, want %+v", *got, want)
	}
	if other := newUser(t, db, "bob"); other.ID == u.ID {
		t.Errorf("second user got the same id %d", u.ID)
	}
}

func testDuplicateUser(t *testing.T, db *store.DB) {
	newUser(t, db, "carol")
	for _, c := range []struct{ username, email string }{
		{"carol", "other@example.com"},
		{"CaRoL", "other@example.com"},
		{"other", "carol@example.com"},
		{"other", "CAROL@EXAMPLE.COM"},
	} {
		u := &taskapi.User{Username: c.username, Email: c.email, PasswordHash: "h", CreatedAt: base, UpdatedAt: base}
		err := db.CreateUser(t.Context(), u)
		e := wantErr(t, err, taskapi.ECONFLICT, taskapi.MsgConflict)
		if e.Err == nil {
			t.Errorf("%+v: conflict error does not wrap its cause", c)
		}
	}
	// The failed attempts left nothing behind.
	if _, err := db.UserByUsername(t.Context(), "other"); err == nil {
		t.Error("a rejected user was stored")
	}
}

func testUserNotFound(t *testing.T, db *store.DB) {
	_, err := db.UserByUsername(t.Context(), "nobody")
	wantErr(t, err, taskapi.ENOTFOUND, "User not found")
	_, err = db.UserByID(t.Context(), 424242)
	wantErr(t, err, taskapi.ENOTFOUND, "User not found")
}

func testUpdatePassword(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "uma"), newUser(t, db, "otto")
	now := base.Add(time.Hour + 999)
	if err := db.UpdatePassword(t.Context(), u.ID, "$2a$10$new-hash", now, now.Add(time.Second)); err != nil {
		t.Fatalf("UpdatePassword: %v", err)
	}
	want := *u
	want.PasswordHash, want.UpdatedAt = "$2a$10$new-hash", norm(now)
	if got, err := db.UserByID(t.Context(), u.ID); err != nil || *got != want {
		t.Errorf("after UpdatePassword UserByID = %+v, %v; want %+v", got, err, want)
	}
	if got, err := db.UserByID(t.Context(), other.ID); err != nil || *got != *other {
		t.Errorf("another user changed: %+v, %v; want %+v", got, err, *other)
	}
	wantErr(t, db.UpdatePassword(t.Context(), 424242, "h", now, now), taskapi.ENOTFOUND, "User not found")
}

// isRevoked asks the store about jti and fails t on an error.
func isRevoked(t *testing.T, db *store.DB, jti string) bool {
	t.Helper()
	revoked, err := db.IsTokenRevoked(t.Context(), jti)
	if err != nil {
		t.Fatalf("IsTokenRevoked(%q): %v", jti, err)
	}
	return revoked
}

// revocations counts the rows of revoked_tokens.
func revocations(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := store.QueryRaw(t.Context(), db, "SELECT COUNT(*) FROM revoked_tokens").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testRevokeToken(t *testing.T, db *store.DB) {
	u := newUser(t, db, "vera")
	jti := "0123456789abcdef0123456789abcdef"
	if isRevoked(t, db, jti) {
		t.Fatal("a token is revoked before any logout")
	}
	expires := base.Add(time.Hour)
	for i := range 3 { // idempotent
		if err := db.RevokeToken(t.Context(), jti, u.ID, expires, base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("RevokeToken #%d: %v", i+1, err)
		}
	}
	if !isRevoked(t, db, jti) {
		t.Error("the revoked token is not reported revoked")
	}
	if isRevoked(t, db, "fedcba9876543210fedcba9876543210") || isRevoked(t, db, "") {
		t.Error("another token is reported revoked")
	}
	if n := revocations(t, db); n != 1 {
		t.Errorf("%d rows after revoking one token three times, want 1", n)
	}
	// The first revocation stands.
	var revokedAt store.ScanTime
	if err := store.QueryRaw(t.Context(), db, "SELECT revoked_at FROM revoked_tokens WHERE jti = ?", jti).Scan(&revokedAt); err != nil {
		t.Fatal(err)
	}
	if !revokedAt.Time.Equal(norm(base)) {
		t.Errorf("revoked_at = %v, want the first call's %v", revokedAt.Time, norm(base))
	}
}

func testRevokePrunesExpired(t *testing.T, db *store.DB) {
	u := newUser(t, db, "walt")
	now := base.Add(10 * time.Hour)
	for _, r := range []struct {
		jti     string
		expires time.Time
	}{
		{"expired-long-ago", now.Add(-2 * time.Hour)},
		{"expired-just-now", now.Add(-time.Microsecond)},
		{"expires-exactly-now", now},
		{"still-live", now.Add(time.Minute)},
	} {
		if err := db.RevokeToken(t.Context(), r.jti, u.ID, r.expires, base); err != nil {
			t.Fatalf("RevokeToken(%s): %v", r.jti, err)
		}
	}
	// Revoking prunes nothing: the periodic Prune does.
	if err := db.RevokeToken(t.Context(), "revoked-now", u.ID, now.Add(time.Hour), now); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if n := revocations(t, db); n != 5 {
		t.Fatalf("%d rows before pruning, want 5", n)
	}
	deleted, err := db.Prune(t.Context(), now, store.PruneLimits{Batch: 10, Batches: 10})
	if err != nil || deleted["revoked_tokens"] != 2 {
		t.Fatalf("Prune = %v, %v; want 2 revocations deleted", deleted, err)
	}
	for jti, want := range map[string]bool{
		"expired-long-ago": false, "expired-just-now": false,
		"expires-exactly-now": true, "still-live": true, "revoked-now": true,
	} {
		if got := isRevoked(t, db, jti); got != want {
			t.Errorf("after pruning, %s revoked = %v, want %v", jti, got, want)
		}
	}
}

// testPruneBounded: one Prune deletes at most Batch × Batches rows of a
// table, the oldest first, and the next ones carry on until only live
// rows are left; concurrent Prunes (several instances) neither fail nor
// wait for each other, and together delete every expired row once.
func testPruneBounded(t *testing.T, db *store.DB) {
	u := newUser(t, db, "pruny")
	now := base.Add(48 * time.Hour)
	for i := range 25 {
		// Expired 25 h ago down to 1 h ago, oldest first.
		if err := db.RevokeToken(t.Context(), fmt.Sprint("old-", i), u.ID, now.Add(-time.Duration(25-i)*time.Hour), base); err != nil {
			t.Fatal(err)
		}
		at := now.Add(-taskapi.IdempotencyWindow - time.Duration(25-i)*time.Minute)
		if _, err := db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: u.ID, Title: "t", CreatedAt: at, UpdatedAt: at}, 0,
			taskapi.IdempotencyKey{Key: fmt.Sprint("old-", i), RequestHash: "h", NotBefore: at.Add(-taskapi.IdempotencyWindow)}); err != nil {
			t.Fatal(err)
		}
	}
	live := now.Add(-time.Minute)
	if _, err := db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: u.ID, Title: "t", CreatedAt: live, UpdatedAt: live}, 0,
		taskapi.IdempotencyKey{Key: "live", RequestHash: "h", NotBefore: live.Add(-taskapi.IdempotencyWindow)}); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(t.Context(), "live", u.ID, now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}

	limits := store.PruneLimits{Batch: 4, Batches: 2}
	deleted, err := db.Prune(t.Context(), now, limits)
	if err != nil || deleted["revoked_tokens"] != 8 || deleted["idempotency_keys"] != 8 {
		t.Fatalf("first Prune = %v, %v; want 8 rows of each table (2 batches of 4)", deleted, err)
	}
	if isRevoked(t, db, "old-7") || !isRevoked(t, db, "old-8") {
		t.Error("the first Prune did not delete the oldest 8 revocations")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := map[string]int64{}
	for range 4 {
		wg.Go(func() {
			for {
				d, err := db.Prune(t.Context(), now, limits)
				if err != nil {
					t.Errorf("concurrent Prune: %v", err)
					return
				}
				mu.Lock()
				total["revoked_tokens"] += d["revoked_tokens"]
				total["idempotency_keys"] += d["idempotency_keys"]
				mu.Unlock()
				if d["revoked_tokens"] == 0 && d["idempotency_keys"] == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if total["revoked_tokens"] != 17 || total["idempotency_keys"] != 17 {
		t.Errorf("the concurrent Prunes deleted %v, want the 17 expired rows left of each table", total)
	}
	if n := revocations(t, db); n != 1 || !isRevoked(t, db, "live") {
		t.Errorf("%d revocations left, want the live one", n)
	}
	if n := countRows(t, db, "idempotency_keys"); n != 1 {
		t.Errorf("%d keys left, want the live one", n)
	}
}

func testRevokeForMissingUser(t *testing.T, db *store.DB) {
	err := db.RevokeToken(t.Context(), "orphan", 424242, base.Add(time.Hour), base)
	if e := wantErr(t, err, taskapi.ENOTFOUND, "User not found"); e.Err == nil {
		t.Error("the error does not wrap its cause")
	}
	if isRevoked(t, db, "orphan") {
		t.Error("a revocation for no user was stored")
	}
}

func testCascadeDeleteRevocations(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "xena"), newUser(t, db, "yuri")
	for _, r := range []struct {
		jti    string
		userID int64
	}{{"gone", u.ID}, {"kept", other.ID}} {
		if err := db.RevokeToken(t.Context(), r.jti, r.userID, base.Add(time.Hour), base); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecRaw(t.Context(), db, "DELETE FROM users WHERE id = ?", u.ID); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	if isRevoked(t, db, "gone") || !isRevoked(t, db, "kept") {
		t.Error("deleting a user did not remove exactly its revocations")
	}
}

func testTaskRoundTrip(t *testing.T, db *store.DB) {
	u := newUser(t, db, "dave")
	due := base.Add(72 * time.Hour)
	full := newTask(t, db, u.ID, func(task *taskapi.Task) {
		task.Title = "Write the report"
		task.Description = ptr("Quarterly numbers, ünïcode, 'quotes' and \"double\"")
		task.Status = taskapi.StatusInProgress
		task.Priority = taskapi.PriorityHigh
		task.DueDate = &due
		task.UpdatedAt = base.Add(time.Minute)
	})
	want := taskapi.Task{
		ID: full.ID, UserID: u.ID, Title: "Write the report",
		Description: ptr("Quarterly numbers, ünïcode, 'quotes' and \"double\""),
		Status:      taskapi.StatusInProgress, Priority: taskapi.PriorityHigh,
		DueDate: ptr(norm(due)), CreatedAt: norm(base), UpdatedAt: norm(base.Add(time.Minute)),
		Version: 1,
	}
	if !reflect.DeepEqual(*full, want) {
		t.Errorf("after CreateTask task = %+v, want %+v", *full, want)
	}
	if got := getTask(t, db, full.ID); !reflect.DeepEqual(*got, want) {
		t.Errorf("TaskByID = %+v, want %+v", *got, want)
	}
	if got := getTask(t, db, full.ID); got.CreatedAt.Location() != time.UTC || got.DueDate.Location() != time.UTC {
		t.Errorf("times are not in UTC: %v, %v", got.CreatedAt.Location(), got.DueDate.Location())
	}

	bare := newTask(t, db, u.ID, func(task *taskapi.Task) {
		task.Status, task.Priority = "", "" // the schema's defaults apply
	})
	wantBare := taskapi.Task{
		ID: bare.ID, UserID: u.ID, Title: "task",
		Status: taskapi.StatusPending, Priority: taskapi.PriorityMedium,
		CreatedAt: norm(base), UpdatedAt: norm(base), Version: 1,
	}
	if got := getTask(t, db, bare.ID); !reflect.DeepEqual(*got, wantBare) {
		t.Errorf("TaskByID = %+v, want %+v", *got, wantBare)
	}
	if bare.ID == full.ID {
		t.Error("two tasks share an id")
	}
}

func testCheckConstraints(t *testing.T, db *store.DB) {
	u := newUser(t, db, "erin")
	err := store.ExecRaw(t.Context(), db,
		`INSERT INTO tasks (user_id, title, status, priority, created_at, updated_at)
		VALUES (?, 'raw', 'bogus', 'low', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`, u.ID)
	e := wantErr(t, err, taskapi.EINVALID, "Validation failed")
	if len(e.Details) != 1 || e.Details[0].Field != "status" {
		t.Errorf("details = %+v, want one for status", e.Details)
	}

	task := &taskapi.Task{UserID: u.ID, Title: "t", Status: taskapi.StatusPending, Priority: "urgent", CreatedAt: base, UpdatedAt: base}
	e = wantErr(t, db.CreateTask(t.Context(), task, 0), taskapi.EINVALID, "Validation failed")
	if len(e.Details) != 1 || e.Details[0].Field != "priority" {
		t.Errorf("details = %+v, want one for priority", e.Details)
	}

	ok := newTask(t, db, u.ID, nil)
	_, err = db.UpdateTask(t.Context(), ok.ID, taskapi.TaskPatch{Status: ptr(taskapi.Status("done"))}, base)
	wantErr(t, err, taskapi.EINVALID, "Validation failed")
	if got := getTask(t, db, ok.ID); got.Status != taskapi.StatusPending {
		t.Errorf("status after rejected update = %q", got.Status)
	}
}

func testListFilters(t *testing.T, db *store.DB) {
	u := newUser(t, db, "frank")
	var want = map[string][]int64{}
	for _, s := range []taskapi.Status{taskapi.StatusPending, taskapi.StatusInProgress, taskapi.StatusCompleted} {
		for _, p := range []taskapi.Priority{taskapi.PriorityLow, taskapi.PriorityHigh} {
			task := newTask(t, db, u.ID, func(task *taskapi.Task) { task.Status, task.Priority = s, p })
			want[string(s)] = append(want[string(s)], task.ID)
			want[string(p)] = append(want[string(p)], task.ID)
			want[string(s)+"/"+string(p)] = append(want[string(s)+"/"+string(p)], task.ID)
		}
	}
	check := func(key string, f taskapi.TaskFilter) {
		t.Helper()
		f.UserID, f.Ascending = u.ID, true
		page := list(t, db, f)
		if got := ids(page.Tasks); !slices.Equal(got, want[key]) || page.Total != len(want[key]) {
			t.Errorf("%s: ids %v total %d, want %v total %d", key, got, page.Total, want[key], len(want[key]))
		}
	}
	check("in_progress", taskapi.TaskFilter{Status: taskapi.StatusInProgress})
	check("high", taskapi.TaskFilter{Priority: taskapi.PriorityHigh})
	check("completed/low", taskapi.TaskFilter{Status: taskapi.StatusCompleted, Priority: taskapi.PriorityLow})
	check("medium", taskapi.TaskFilter{Priority: taskapi.PriorityMedium}) // none
}

// sortFixture creates tasks with ties in every sort key, missing due
// dates, and due dates that differ only in fractions of a second.
func sortFixture(t *testing.T, db *store.DB, userID int64) []taskapi.Task {
	due := time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC)
	specs := []struct {
		created  time.Duration
		due      *time.Time
		priority taskapi.Priority
	}{
		{0, ptr(due.Add(48 * time.Hour)), taskapi.PriorityLow},
		{time.Minute, nil, taskapi.PriorityHigh},
		{time.Minute, ptr(due.Add(500 * time.Millisecond)), taskapi.PriorityMedium},
		{2 * time.Minute, ptr(due), taskapi.PriorityHigh},
		{3 * time.Minute, nil, taskapi.PriorityMedium},
		{4 * time.Minute, ptr(due.Add(250 * time.Millisecond)), taskapi.PriorityLow},
		{5 * time.Minute, ptr(due.Add(48 * time.Hour)), taskapi.PriorityHigh},
		{90 * time.Second, ptr(due.Add(-time.Hour).Add(time.Microsecond)), taskapi.PriorityLow},
	}
	var tasks []taskapi.Task
	for _, s := range specs {
		task := newTask(t, db, userID, func(task *taskapi.Task) {
			task.CreatedAt, task.DueDate, task.Priority = base.Add(s.created), s.due, s.priority
		})
		tasks = append(tasks, *task)
	}
	return tasks
}

// expectedOrder sorts tasks the way the API promises, independently of
// the store's SQL.
func expectedOrder(tasks []taskapi.Task, sort taskapi.TaskSort, asc bool) []int64 {
	rank := map[taskapi.Priority]int{taskapi.PriorityLow: 1, taskapi.PriorityMedium: 2, taskapi.PriorityHigh: 3}
	sorted := slices.Clone(tasks)
	slices.SortFunc(sorted, func(a, b taskapi.Task) int {
		var c int
		switch sort {
		case taskapi.SortDueDate:
			switch {
			case a.DueDate == nil && b.DueDate == nil:
			case a.DueDate == nil:
				return 1 // last whatever the direction
			case b.DueDate == nil:
				return -1
			default:
				c = a.DueDate.Compare(*b.DueDate)
			}
		case taskapi.SortPriority: // then by creation, like the default sort
			c = cmp.Or(cmp.Compare(rank[a.Priority], rank[b.Priority]), a.CreatedAt.Compare(b.CreatedAt))
		default:
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if !asc {
			c = -c
		}
		return c
	})
	return ids(sorted)
}

func testListSortOrders(t *testing.T, db *store.DB) {
	u := newUser(t, db, "gina")
	tasks := sortFixture(t, db, u.ID)
	for _, sort := range []taskapi.TaskSort{"", taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority} {
		for _, asc := range []bool{false, true} {
			page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Sort: sort, Ascending: asc, Limit: 100})
			want := expectedOrder(tasks, cmp.Or(sort, taskapi.SortCreatedAt), asc)
			if got := ids(page.Tasks); !slices.Equal(got, want) {
				t.Errorf("sort %q ascending=%v: ids %v, want %v", sort, asc, got, want)
			}
			if page.Total != len(tasks) {
				t.Errorf("sort %q: total %d, want %d", sort, page.Total, len(tasks))
			}
		}
	}
}

func testListPaging(t *testing.T, db *store.DB) {
	u := newUser(t, db, "hank")
	tasks := sortFixture(t, db, u.ID)
	for _, sort := range []taskapi.TaskSort{taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority} {
		want := expectedOrder(tasks, sort, false)
		var got []int64
		for offset := 0; offset < len(tasks); offset += 3 {
			page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Sort: sort, Limit: 3, Offset: offset})
			if page.Total != len(tasks) {
				t.Errorf("sort %s offset %d: total %d, want %d", sort, offset, page.Total, len(tasks))
			}
			if n := min(3, len(tasks)-offset); len(page.Tasks) != n {
				t.Errorf("sort %s offset %d: %d tasks, want %d", sort, offset, len(page.Tasks), n)
			}
			got = append(got, ids(page.Tasks)...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("sort %s: pages give %v, want %v", sort, got, want)
		}
	}
	for _, offset := range []int{len(tasks), len(tasks) + 1, 1000} {
		page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Limit: 3, Offset: offset})
		if len(page.Tasks) != 0 || page.Total != len(tasks) {
			t.Errorf("offset %d: %d tasks total %d, want 0 tasks total %d", offset, len(page.Tasks), page.Total, len(tasks))
		}
	}
	page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Status: taskapi.StatusCompleted, Limit: 3, Offset: 3})
	if len(page.Tasks) != 0 || page.Total != 0 {
		t.Errorf("no match past the end: %d tasks total %d", len(page.Tasks), page.Total)
	}
}

// testListWalk reads every list shape of the sort fixture page by page,
// both by keyset position and by offset, with several page sizes: each
// walk must give exactly the promised order, and More must say whether a
// page is the last.
func testListWalk(t *testing.T, db *store.DB) {
	u := newUser(t, db, "walt")
	tasks := sortFixture(t, db, u.ID)
	for _, filter := range []taskapi.TaskFilter{{}, {Priority: taskapi.PriorityHigh}, {Status: taskapi.StatusPending, Priority: taskapi.PriorityLow}} {
		var matching []taskapi.Task
		for _, task := range tasks {
			if filter.Priority == "" || task.Priority == filter.Priority {
				matching = append(matching, task)
			}
		}
		for _, sort := range []taskapi.TaskSort{taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority} {
			for _, asc := range []bool{false, true} {
				want := expectedOrder(matching, sort, asc)
				for limit := 1; limit <= 4; limit++ {
					name := fmt.Sprintf("priority %q sort %s asc %v limit %d", filter.Priority, sort, asc, limit)
					f := filter
					f.UserID, f.Sort, f.Ascending, f.Limit = u.ID, sort, asc, limit
					var walked []int64
					for pages := 0; ; pages++ {
						page := list(t, db, f)
						walked = append(walked, ids(page.Tasks)...)
						if page.Total != len(want) {
							t.Errorf("%s: total %d, want %d", name, page.Total, len(want))
						}
						if wantMore := len(walked) < len(want); page.More != wantMore || pages > len(want) {
							t.Fatalf("%s: after %v More is %v, want %v", name, walked, page.More, wantMore)
						}
						if !page.More {
							break
						}
						f.After = ptr(page.Tasks[len(page.Tasks)-1].Key())
					}
					if !slices.Equal(walked, want) {
						t.Errorf("%s: cursor pages give %v, want %v", name, walked, want)
					}
					f.After = nil
					for offset := 0; offset <= len(want); offset++ {
						f.Offset = offset
						page := list(t, db, f)
						end := min(offset+limit, len(want))
						if got := ids(page.Tasks); !slices.Equal(got, want[offset:end]) || page.More != (end < len(want)) {
							t.Errorf("%s offset %d: %v more %v, want %v more %v", name, offset, got, page.More, want[offset:end], end < len(want))
						}
					}
				}
			}
		}
	}
}

func testListOtherUsers(t *testing.T, db *store.DB) {
	mine, theirs := newUser(t, db, "ivan"), newUser(t, db, "judy")
	for range 3 {
		newTask(t, db, theirs.ID, nil)
	}
	if page := list(t, db, taskapi.TaskFilter{UserID: mine.ID, Limit: 10}); len(page.Tasks) != 0 || page.Total != 0 {
		t.Fatalf("user without tasks sees %v, total %d", ids(page.Tasks), page.Total)
	}
	own := newTask(t, db, mine.ID, nil)
	for _, f := range []taskapi.TaskFilter{
		{UserID: mine.ID, Limit: 10},
		{UserID: mine.ID, Limit: 10, Status: taskapi.StatusPending},
		{UserID: mine.ID, Limit: 10, Sort: taskapi.SortPriority, Ascending: true},
	} {
		page := list(t, db, f)
		if got := ids(page.Tasks); !slices.Equal(got, []int64{own.ID}) || page.Total != 1 {
			t.Errorf("%+v: ids %v total %d, want [%d] total 1", f, got, page.Total, own.ID)
		}
	}
}

func testUpdateFields(t *testing.T, db *store.DB) {
	u := newUser(t, db, "kate")
	due := base.Add(24 * time.Hour)
	task := newTask(t, db, u.ID, func(task *taskapi.Task) {
		task.Description, task.DueDate = ptr("first"), &due
	})
	want := *task
	newDue := base.Add(96*time.Hour + 123456789)
	steps := []struct {
		name  string
		patch taskapi.TaskPatch
		apply func(*taskapi.Task)
	}{
		{"title", taskapi.TaskPatch{Title: ptr("renamed")}, func(w *taskapi.Task) { w.Title = "renamed" }},
		{"description", taskapi.TaskPatch{Description: taskapi.Optional[string]{Set: true, Value: ptr("second")}},
			func(w *taskapi.Task) { w.Description = ptr("second") }},
		{"clear description", taskapi.TaskPatch{Description: taskapi.Optional[string]{Set: true}},
			func(w *taskapi.Task) { w.Description = nil }},
		{"status", taskapi.TaskPatch{Status: ptr(taskapi.StatusCompleted)}, func(w *taskapi.Task) { w.Status = taskapi.StatusCompleted }},
		{"priority", taskapi.TaskPatch{Priority: ptr(taskapi.PriorityLow)}, func(w *taskapi.Task) { w.Priority = taskapi.PriorityLow }},
		{"due date", taskapi.TaskPatch{DueDate: taskapi.Optional[time.Time]{Set: true, Value: &newDue}},
			func(w *taskapi.Task) { w.DueDate = ptr(norm(newDue)) }},
		{"clear due date", taskapi.TaskPatch{DueDate: taskapi.Optional[time.Time]{Set: true}},
			func(w *taskapi.Task) { w.DueDate = nil }},
		{"everything", taskapi.TaskPatch{
			Title:       ptr("all"),
			Description: taskapi.Optional[string]{Set: true, Value: ptr("third")},
			Status:      ptr(taskapi.StatusInProgress),
			Priority:    ptr(taskapi.PriorityHigh),
			DueDate:     taskapi.Optional[time.Time]{Set: true, Value: &due},
		}, func(w *taskapi.Task) {
			w.Title, w.Description, w.Status, w.Priority, w.DueDate = "all", ptr("third"), taskapi.StatusInProgress, taskapi.PriorityHigh, ptr(norm(due))
		}},
	}
	for i, s := range steps {
		now := base.Add(time.Duration(i+1)*time.Hour + 999)
		got, err := db.UpdateTask(t.Context(), task.ID, s.patch, now)
		if err != nil {
			t.Fatalf("%s: UpdateTask: %v", s.name, err)
		}
		s.apply(&want)
		want.UpdatedAt = norm(now)
		want.Version++
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: UpdateTask returned %+v, want %+v", s.name, *got, want)
		}
		if stored := getTask(t, db, task.ID); !reflect.DeepEqual(*stored, want) {
			t.Errorf("%s: stored %+v, want %+v", s.name, *stored, want)
		}
	}
}

func testUpdateEmptyPatch(t *testing.T, db *store.DB) {
	u := newUser(t, db, "liam")
	task := newTask(t, db, u.ID, func(task *taskapi.Task) { task.Description = ptr("keep") })
	now := base.Add(time.Hour)
	got, err := db.UpdateTask(t.Context(), task.ID, taskapi.TaskPatch{}, now)
	if err != nil {
		t.Fatalf("UpdateTask: %v", err)
	}
	want := *task
	want.UpdatedAt = norm(now)
	want.Version++ // an empty patch is still an update
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("UpdateTask = %+v, want %+v", *got, want)
	}
}

func testMissingTask(t *testing.T, db *store.DB) {
	const id = 987654
	msg := fmt.Sprintf("Task with id %d not found", id)
	_, err := db.TaskByID(t.Context(), id)
	wantErr(t, err, taskapi.ENOTFOUND, msg)
	_, err = db.UpdateTask(t.Context(), id, taskapi.TaskPatch{Title: ptr("x")}, base)
	wantErr(t, err, taskapi.ENOTFOUND, msg)
	_, err = db.UpdateTask(t.Context(), id, taskapi.TaskPatch{}, base)
	wantErr(t, err, taskapi.ENOTFOUND, msg)
	wantErr(t, db.DeleteTask(t.Context(), id, 0), taskapi.ENOTFOUND, msg)
}

func testDeleteTask(t *testing.T, db *store.DB) {
	u := newUser(t, db, "mona")
	gone, kept := newTask(t, db, u.ID, nil), newTask(t, db, u.ID, nil)
	if err := db.DeleteTask(t.Context(), gone.ID, 0); err != nil {
		t.Fatalf("DeleteTask: %v", err)
	}
	_, err := db.TaskByID(t.Context(), gone.ID)
	wantErr(t, err, taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", gone.ID))
	wantErr(t, db.DeleteTask(t.Context(), gone.ID, 0), taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", gone.ID))
	getTask(t, db, kept.ID)
}

func testCascadeDelete(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "ned"), newUser(t, db, "olga")
	task := newTask(t, db, u.ID, nil)
	survivor := newTask(t, db, other.ID, nil)
	if err := store.ExecRaw(t.Context(), db, "DELETE FROM users WHERE id = ?", u.ID); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	_, err := db.TaskByID(t.Context(), task.ID)
	wantErr(t, err, taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", task.ID))
	getTask(t, db, survivor.ID)
}

func testConcurrentWrites(t *testing.T, db *store.DB) {
	u := newUser(t, db, "pete")
	const n = 50
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			task := &taskapi.Task{
				UserID: u.ID, Title: fmt.Sprintf("task %d", i),
				Status: taskapi.StatusPending, Priority: taskapi.PriorityLow,
				CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base,
			}
			if err := db.CreateTask(t.Context(), task, 0); err != nil {
				errs <- err
				return
			}
			// A read after the write, so readers and writers interleave.
			if _, err := db.TaskByID(t.Context(), task.ID); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	page := list(t, db, taskapi.TaskFilter{UserID: u.ID, Limit: 100})
	if page.Total != n || len(page.Tasks) != n {
		t.Fatalf("after %d concurrent creates: total %d, %d listed", n, page.Total, len(page.Tasks))
	}
	if got := ids(page.Tasks); len(slices.Compact(slices.Sorted(slices.Values(got)))) != n {
		t.Errorf("ids are not unique: %v", got)
	}
}

func testMigrateTwice(t *testing.T, db *store.DB) {
	u := newUser(t, db, "quinn")
	var before, after int
	if err := store.QueryRaw(t.Context(), db, "SELECT COUNT(*) FROM goose_db_version").Scan(&before); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	if err := store.QueryRaw(t.Context(), db, "SELECT COUNT(*) FROM goose_db_version").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("goose_db_version rows: %d before, %d after", before, after)
	}
	if _, err := db.UserByID(t.Context(), u.ID); err != nil {
		t.Errorf("user lost after migrating again: %v", err)
	}
}

func testClosedDB(t *testing.T, db *store.DB) {
	u := newUser(t, db, "rita")
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on an open database: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	calls := map[string]error{
		"Ping":           db.Ping(ctx),
		"CreateUser":     db.CreateUser(ctx, &taskapi.User{Username: "x", Email: "x", PasswordHash: "x"}),
		"CreateTask":     db.CreateTask(ctx, &taskapi.Task{UserID: u.ID, Title: "x"}, 0),
		"DeleteTask":     db.DeleteTask(ctx, 1, 0),
		"UpdatePassword": db.UpdatePassword(ctx, u.ID, "h", base, base),
		"RevokeToken":    db.RevokeToken(ctx, "jti", u.ID, base.Add(time.Hour), base),
	}
	_, calls["UserByUsername"] = db.UserByUsername(ctx, "rita")
	_, calls["UserByID"] = db.UserByID(ctx, u.ID)
	_, calls["TaskByID"] = db.TaskByID(ctx, 1)
	_, calls["ListTasks"] = db.ListTasks(ctx, taskapi.TaskFilter{UserID: u.ID})
	_, calls["UpdateTask"] = db.UpdateTask(ctx, 1, taskapi.TaskPatch{}, base)
	_, calls["IsTokenRevoked"] = db.IsTokenRevoked(ctx, "jti")
	_, calls["TokenInvalidated"] = db.TokenInvalidated(ctx, "jti", u.ID, base)
	calls["DeleteUser"] = db.DeleteUser(ctx, u.ID)
	_, calls["IdempotentTask"] = db.IdempotentTask(ctx, u.ID, taskapi.IdempotencyKey{Key: "k"})
	_, calls["CreateTaskOnce"] = db.CreateTaskOnce(ctx, &taskapi.Task{UserID: u.ID, Title: "x"}, 0, taskapi.IdempotencyKey{Key: "k"})
	for name, err := range calls {
		t.Run(name, func(t *testing.T) {
			wantErr(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
		})
	}
}

// testUpdatedAtNeverGoesBack applies an update whose clock reads earlier
// than the stored updated_at, as a slower of two concurrent requests does:
// the fields change, updated_at stays.
func testUpdatedAtNeverGoesBack(t *testing.T, db *store.DB) {
	u := newUser(t, db, "nora")
	later := base.Add(2 * time.Hour)
	task := newTask(t, db, u.ID, func(task *taskapi.Task) { task.UpdatedAt = later })

	got, err := db.UpdateTask(t.Context(), task.ID, taskapi.TaskPatch{Title: ptr("late writer")}, base.Add(time.Hour))
	if err != nil {
		t.Fatalf("UpdateTask: %v", err)
	}
	if got.Title != "late writer" || !got.UpdatedAt.Equal(norm(later)) {
		t.Errorf("UpdateTask with an older clock = %q, updated_at %v; want the new title and updated_at %v", got.Title, got.UpdatedAt, norm(later))
	}
	if stored := getTask(t, db, task.ID); !stored.UpdatedAt.Equal(norm(later)) {
		t.Errorf("stored updated_at = %v, want %v (it went back)", stored.UpdatedAt, norm(later))
	}
	// A later clock still moves it, to the microsecond.
	newer := later.Add(time.Minute + 1500)
	got, err = db.UpdateTask(t.Context(), task.ID, taskapi.TaskPatch{}, newer)
	if err != nil {
		t.Fatalf("UpdateTask: %v", err)
	}
	if !got.UpdatedAt.Equal(norm(newer)) {
		t.Errorf("updated_at = %v, want %v", got.UpdatedAt, norm(newer))
	}
}

// testConcurrentFieldUpdates updates different fields of one task from
// many goroutines at once, with clocks in shuffled order: every field ends
// with a value written to it, and updated_at with the latest clock reading
// whichever update committed last.
func testConcurrentFieldUpdates(t *testing.T, db *store.DB) {
	u := newUser(t, db, "olaf")
	task := newTask(t, db, u.ID, nil)
	const perField = 6
	type write struct {
		field string
		patch taskapi.TaskPatch
		now   time.Time
	}
	var writes []write
	for i := range perField {
		due := base.Add(time.Duration(i+1) * 24 * time.Hour)
		writes = append(writes,
			write{"title", taskapi.TaskPatch{Title: ptr(fmt.Sprintf("title %d", i))}, time.Time{}},
			write{"description", taskapi.TaskPatch{Description: taskapi.Optional[string]{Set: true, Value: ptr(fmt.Sprintf("description %d", i))}}, time.Time{}},
			write{"status", taskapi.TaskPatch{Status: ptr([]taskapi.Status{taskapi.StatusInProgress, taskapi.StatusCompleted}[i%2])}, time.Time{}},
			write{"priority", taskapi.TaskPatch{Priority: ptr([]taskapi.Priority{taskapi.PriorityLow, taskapi.PriorityHigh}[i%2])}, time.Time{}},
			write{"due_date", taskapi.TaskPatch{DueDate: taskapi.Optional[time.Time]{Set: true, Value: &due}}, time.Time{}},
		)
	}
	// Clocks from base+1s to base+Ns, handed out in a scrambled order, so
	// the latest reading is unlikely to commit last.
	var latest time.Time
	for i := range writes {
		writes[i].now = base.Add(time.Duration((i*7)%len(writes)+1) * time.Second)
		if writes[i].now.After(latest) {
			latest = writes[i].now
		}
	}
	start := make(chan struct{})
	errs := make(chan error, len(writes))
	var wg sync.WaitGroup
	for _, w := range writes {
		wg.Go(func() {
			<-start
			if _, err := db.UpdateTask(t.Context(), task.ID, w.patch, w.now); err != nil {
				errs <- fmt.Errorf("%s: %w", w.field, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent UpdateTask: %v", err)
	}

	got := getTask(t, db, task.ID)
	written := map[string][]string{}
	for _, w := range writes {
		p := w.patch
		switch w.field {
		case "title":
			written["title"] = append(written["title"], *p.Title)
		case "description":
			written["description"] = append(written["description"], *p.Description.Value)
		case "status":
			written["status"] = append(written["status"], string(*p.Status))
		case "priority":
			written["priority"] = append(written["priority"], string(*p.Priority))
		case "due_date":
			written["due_date"] = append(written["due_date"], norm(*p.DueDate.Value).String())
		}
	}
	final := map[string]string{"title": got.Title, "status": string(got.Status), "priority": string(got.Priority)}
	if got.Description != nil {
		final["description"] = *got.Description
	}
	if got.DueDate != nil {
		final["due_date"] = got.DueDate.String()
	}
	for field, values := range written {
		if !slices.Contains(values, final[field]) {
			t.Errorf("%s = %q after the updates, want one of the values written to it %q (an update was lost)", field, final[field], values)
		}
	}
	if !got.UpdatedAt.Equal(norm(latest)) {
		t.Errorf("updated_at = %v, want the latest clock reading %v", got.UpdatedAt, norm(latest))
	}
}

// testPruneAttemptCounters: expired login and registration counters are
// pruned with the other side tables; live ones stay.
func testPruneAttemptCounters(t *testing.T, db *store.DB) {
	now := base.Add(time.Hour)
	for key, expires := range map[string]time.Time{"login/account:gone": now.Add(-time.Second), "login/account:live": now.Add(time.Minute)} {
		if err := store.ExecRaw(t.Context(), db,
			"INSERT INTO attempt_counters (key, attempts, window_start, next_at, expires_at) VALUES (?, 1, ?, ?, ?)",
			key, base.Format("2006-01-02 15:04:05"), base.Format("2006-01-02 15:04:05"), expires.UTC().Format("2006-01-02 15:04:05")); err != nil {
			t.Fatal(err)
		}
	}
	deleted, err := db.Prune(t.Context(), now, store.PruneLimits{Batch: 10, Batches: 1})
	if err != nil || deleted["attempt_counters"] != 1 {
		t.Fatalf("Prune = %v, %v; want 1 attempt counter deleted", deleted, err)
	}
	if n := countRows(t, db, "attempt_counters"); n != 1 {
		t.Errorf("%d attempt counters left, want the live one", n)
	}
}

// testPruneFailure makes Prune's DELETE fail (a trigger refuses it): Prune
// reports the error, and the expired rows are still there for the next
// round.
func testPruneFailure(t *testing.T, db *store.DB) {
	u := newUser(t, db, "pia")
	if err := db.RevokeToken(t.Context(), "old", u.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	refuseDeletes(t, db, "revoked_tokens")
	later := base.Add(2 * time.Hour) // "old" has expired
	if _, err := db.Prune(t.Context(), later, store.PruneLimits{Batch: 10, Batches: 1}); err == nil {
		t.Fatal("Prune succeeded although its DELETE was refused")
	}
	if !isRevoked(t, db, "old") {
		t.Error("the refused prune deleted a row")
	}
}

// refuseDeletes installs a trigger that makes every DELETE on table fail,
// in the dialect of whichever engine db is.
func refuseDeletes(t *testing.T, db *store.DB, table string) {
	t.Helper()
	sqlite := "CREATE TRIGGER refuse_delete BEFORE DELETE ON " + table + " BEGIN SELECT RAISE(ABORT, 'delete refused'); END"
	if store.ExecRaw(t.Context(), db, sqlite) == nil {
		return
	}
	for _, stmt := range []string{
		`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'delete refused'; END $$`,
		"CREATE TRIGGER refuse_delete BEFORE DELETE ON " + table + " FOR EACH ROW EXECUTE FUNCTION refuse_delete()",
	} {
		if err := store.ExecRaw(t.Context(), db, stmt); err != nil {
			t.Fatalf("install trigger: %v", err)
		}
	}
}

// testVersions: every update increments the version; a write held to a
// version the task has left is EPRECONDITION and changes nothing; a
// missing task stays ENOTFOUND whatever the version.
func testVersions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	u := newUser(t, db, "vera")
	task := newTask(t, db, u.ID, nil)
	if task.Version != 1 || getTask(t, db, task.ID).Version != 1 {
		t.Fatalf("a new task is at version %d, want 1", task.Version)
	}
	title := "second"
	updated, err := db.UpdateTask(ctx, task.ID, taskapi.TaskPatch{Title: &title, IfVersion: 1}, time.Now())
	if err != nil || updated.Version != 2 {
		t.Fatalf("update at the current version: %+v, %v", updated, err)
	}
	stale := "stale"
	_, err = db.UpdateTask(ctx, task.ID, taskapi.TaskPatch{Title: &stale, IfVersion: 1}, time.Now())
	wantErr(t, err, taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	if got := getTask(t, db, task.ID); got.Title != "second" || got.Version != 2 {
		t.Fatalf("a refused update changed the task: %+v", got)
	}
	wantErr(t, db.DeleteTask(ctx, task.ID, 1), taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	if err := db.DeleteTask(ctx, task.ID, 2); err != nil {
		t.Fatalf("delete at the current version: %v", err)
	}
	_, err = db.UpdateTask(ctx, task.ID, taskapi.TaskPatch{Title: &stale, IfVersion: 2}, time.Now())
	wantErr(t, err, taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", task.ID))
}

// testTaskForMissingUser: a task for a user who is gone (deleted while a
// validation cache still accepted their token) is refused by the foreign
// key, and the store says which row is missing instead of an internal
// error (500).
func testTaskForMissingUser(t *testing.T, db *store.DB) {
	u := newUser(t, db, "gwen")
	if err := store.ExecRaw(t.Context(), db, "DELETE FROM users WHERE id = ?", u.ID); err != nil {
		t.Fatal(err)
	}
	err := db.CreateTask(t.Context(), &taskapi.Task{UserID: u.ID, Title: "orphan", CreatedAt: base, UpdatedAt: base}, 0)
	wantErr(t, err, taskapi.ENOTFOUND, "User not found")
	page := list(t, db, taskapi.TaskFilter{UserID: u.ID})
	if page.Total != 0 {
		t.Errorf("%d tasks stored for a missing user", page.Total)
	}
}

// testTokenInvalidated: a token is invalidated by its revocation, by its
// user's deletion or by a password change after it was issued, and by
// nothing else.
func testTokenInvalidated(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "hugo"), newUser(t, db, "iris")
	issued := base
	invalidated := func(jti string, userID int64) bool {
		t.Helper()
		gone, err := db.TokenInvalidated(t.Context(), jti, userID, issued)
		if err != nil {
			t.Fatalf("TokenInvalidated(%q, %d): %v", jti, userID, err)
		}
		return gone
	}
	if invalidated("live", u.ID) || invalidated("live2", other.ID) {
		t.Fatal("a live token of an existing user is invalidated")
	}
	if err := db.RevokeToken(t.Context(), "out", u.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	if !invalidated("out", u.ID) || invalidated("live", u.ID) {
		t.Error("want exactly the revoked token invalidated")
	}
	if !invalidated("live", 987654) {
		t.Error("the token of a user that never existed is not invalidated")
	}
	// other changes their password: tokens issued before the cut-off go,
	// the ones issued at it or later stay.
	cutoff := base.Add(10 * time.Second)
	if err := db.UpdatePassword(t.Context(), other.ID, "h2", cutoff.Add(-300*time.Millisecond), cutoff); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		gone bool
	}{{base, true}, {cutoff.Add(-time.Second), true}, {cutoff, false}, {cutoff.Add(time.Second), false}} {
		issued = c.at
		if got := invalidated("live2", other.ID); got != c.gone {
			t.Errorf("token issued %s after base, password changed with cut-off at +10s: invalidated %v, want %v",
				c.at.Sub(base), got, c.gone)
		}
	}
	if invalidated("live", u.ID) {
		t.Error("another user's password change invalidated a token")
	}
	if err := store.ExecRaw(t.Context(), db, "DELETE FROM users WHERE id = ?", u.ID); err != nil {
		t.Fatal(err)
	}
	if !invalidated("live", u.ID) || !invalidated("out", u.ID) {
		t.Error("a deleted user's tokens are not invalidated")
	}
	if invalidated("live2", other.ID) {
		t.Error("another user's token was invalidated")
	}
}

// testDeleteUser: deleting a user takes their tasks and revocations with
// them and nobody else's; the name is free again, under a new id.
func testDeleteUser(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "jane"), newUser(t, db, "karl")
	gone, kept := newTask(t, db, u.ID, nil), newTask(t, db, other.ID, nil)
	if err := db.RevokeToken(t.Context(), "jane-out", u.ID, base.Add(time.Hour), base); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUser(t.Context(), u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := db.UserByID(t.Context(), u.ID)
	wantErr(t, err, taskapi.ENOTFOUND, "User not found")
	_, err = db.TaskByID(t.Context(), gone.ID)
	wantErr(t, err, taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", gone.ID))
	getTask(t, db, kept.ID)
	if isRevoked(t, db, "jane-out") {
		t.Error("the deleted user's revocation is still stored")
	}
	wantErr(t, db.DeleteUser(t.Context(), u.ID), taskapi.ENOTFOUND, "User not found")
	again := newUser(t, db, "jane")
	if again.ID == u.ID {
		t.Errorf("the new account reused the deleted id %d", u.ID)
	}
}

// countRows counts the rows of table (a literal from the test).
func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := store.QueryRaw(t.Context(), db, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testIdempotentCreate(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "lena"), newUser(t, db, "milo")
	key := taskapi.IdempotencyKey{Key: "k-1", RequestHash: "hash-1", NotBefore: base.Add(-24 * time.Hour)}
	if r, err := db.IdempotentTask(t.Context(), u.ID, key); err != nil || r != nil {
		t.Fatalf("IdempotentTask before any create = %+v, %v; want nil", r, err)
	}
	task := &taskapi.Task{UserID: u.ID, Title: "once", Description: ptr("d"), CreatedAt: base, UpdatedAt: base}
	if r, err := db.CreateTaskOnce(t.Context(), task, 0, key); err != nil || r != nil {
		t.Fatalf("CreateTaskOnce = %+v, %v; want it created", r, err)
	}
	if task.ID == 0 || task.Version != 1 || task.Status != taskapi.StatusPending {
		t.Fatalf("created task = %+v", task)
	}
	got, err := db.IdempotentTask(t.Context(), u.ID, key)
	if err != nil || got == nil {
		t.Fatalf("IdempotentTask = %+v, %v", got, err)
	}
	if got.RequestHash != "hash-1" || !reflect.DeepEqual(got.Task, *task) {
		t.Errorf("remembered %+v, want hash-1 and %+v", got, *task)
	}
	// Changing the task does not change what the key remembers.
	if _, err := db.UpdateTask(t.Context(), task.ID, taskapi.TaskPatch{Title: ptr("changed")}, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.IdempotentTask(t.Context(), u.ID, key); again == nil || again.Task.Title != "once" {
		t.Errorf("after an update the key remembers %+v, want the task as created", again)
	}
	// A second create with the key stores nothing and returns the first.
	dup := &taskapi.Task{UserID: u.ID, Title: "twice", CreatedAt: base, UpdatedAt: base}
	first, err := db.CreateTaskOnce(t.Context(), dup, 0, taskapi.IdempotencyKey{Key: "k-1", RequestHash: "hash-2", NotBefore: key.NotBefore})
	if err != nil || first == nil || first.Task.ID != task.ID || first.RequestHash != "hash-1" {
		t.Fatalf("second CreateTaskOnce = %+v, %v; want the first result", first, err)
	}
	if n := list(t, db, taskapi.TaskFilter{UserID: u.ID}).Total; n != 1 {
		t.Errorf("%d tasks after two creates with one key, want 1", n)
	}
	// Keys are per user.
	if r, err := db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: other.ID, Title: "his", CreatedAt: base, UpdatedAt: base}, 0, key); err != nil || r != nil {
		t.Fatalf("another user's create with the same key = %+v, %v", r, err)
	}
	// A user who is gone: the foreign key, as for CreateTask.
	if err := store.ExecRaw(t.Context(), db, "DELETE FROM users WHERE id = ?", other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: other.ID, Title: "x", CreatedAt: base, UpdatedAt: base}, 0, taskapi.IdempotencyKey{Key: "k-9", NotBefore: key.NotBefore})
	wantErr(t, err, taskapi.ENOTFOUND, "User not found")
	if n := countRows(t, db, "idempotency_keys"); n != 1 {
		t.Errorf("%d keys stored, want lena's only (milo's went with him)", n)
	}
}

// testIdempotentCreateConcurrent: many creates with one key at once store
// exactly one task, and every one of them learns that task.
func testIdempotentCreateConcurrent(t *testing.T, db *store.DB) {
	u := newUser(t, db, "nina")
	key := taskapi.IdempotencyKey{Key: "burst", RequestHash: "h", NotBefore: base.Add(-24 * time.Hour)}
	const n = 12
	ids := make(chan int64, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := &taskapi.Task{UserID: u.ID, Title: "burst", CreatedAt: base, UpdatedAt: base}
			first, err := db.CreateTaskOnce(t.Context(), task, 0, key)
			switch {
			case taskapi.ErrorCode(err) == taskapi.EUNAVAILABLE:
				errs <- nil // SQLite busy beyond its timeout: nothing stored, the client retries
			case err != nil:
				errs <- err
			case first != nil:
				ids <- first.Task.ID
			default:
				ids <- task.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("CreateTaskOnce: %v", err)
		}
	}
	seen := map[int64]int{}
	for id := range ids {
		seen[id]++
	}
	if len(seen) != 1 {
		t.Errorf("answers named tasks %v, want one task for all", seen)
	}
	if total := list(t, db, taskapi.TaskFilter{UserID: u.ID}).Total; total != 1 {
		t.Errorf("%d tasks stored by %d concurrent creates with one key, want 1", total, n)
	}
}

// testIdempotencyKeysExpire: an expired key is absent and may be used
// again; creates delete expired keys, a bounded number at a time.
func testIdempotencyKeysExpire(t *testing.T, db *store.DB) {
	u := newUser(t, db, "otto")
	day := 24 * time.Hour
	create := func(key string, at time.Time) *taskapi.IdempotentResult {
		t.Helper()
		r, err := db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: u.ID, Title: key, CreatedAt: at, UpdatedAt: at}, 0,
			taskapi.IdempotencyKey{Key: key, RequestHash: "h", NotBefore: at.Add(-day)})
		if err != nil {
			t.Fatalf("CreateTaskOnce(%s): %v", key, err)
		}
		return r
	}
	for i := range 150 {
		create(fmt.Sprint("old-", i), base)
	}
	later := base.Add(day + time.Second)
	if r, _ := db.IdempotentTask(t.Context(), u.ID, taskapi.IdempotencyKey{Key: "old-0", NotBefore: later.Add(-day)}); r != nil {
		t.Error("an expired key is still remembered")
	}
	if r := create("old-0", later); r != nil {
		t.Error("an expired key was replayed instead of creating anew")
	}
	// That create replaced old-0; the other expired keys are Prune's.
	if n := countRows(t, db, "idempotency_keys"); n != 150 {
		t.Errorf("%d keys after the create, want 150 (old-0 replaced)", n)
	}
	create("new-1", later)
	if _, err := db.Prune(t.Context(), later, store.PruneLimits{Batch: 100, Batches: 10}); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, "idempotency_keys"); n != 2 {
		t.Errorf("%d keys left after pruning, want the two live ones", n)
	}
}

// testIdempotencyKeysPerUser: with PerUser set, a user with that many live
// keys is refused another (ETOOMANY, Retry-After when the oldest expires)
// and nothing is stored, deleting tasks does not give keys back, other
// users and expired keys do not count, and a create without a key is
// not affected.
func testIdempotencyKeysPerUser(t *testing.T, db *store.DB) {
	u, other := newUser(t, db, "keyful"), newUser(t, db, "keyless")
	const limit = 5
	create := func(userID int64, key string, at time.Time) error {
		t.Helper()
		_, err := db.CreateTaskOnce(t.Context(), &taskapi.Task{UserID: userID, Title: key, CreatedAt: at, UpdatedAt: at}, 0,
			taskapi.IdempotencyKey{Key: key, RequestHash: "h", NotBefore: at.Add(-taskapi.IdempotencyWindow), PerUser: limit})
		return err
	}
	// One expired key, then limit live ones an hour apart.
	if err := create(u.ID, "expired", base.Add(-taskapi.IdempotencyWindow)); err != nil {
		t.Fatal(err)
	}
	for i := range limit {
		if err := create(u.ID, fmt.Sprint("k", i), base.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatalf("key %d of %d: %v", i+1, limit, err)
		}
	}
	now := base.Add(10 * time.Hour)
	page, err := db.ListTasks(t.Context(), taskapi.TaskFilter{UserID: u.ID, Sort: taskapi.SortCreatedAt, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range page.Tasks {
		if err := db.DeleteTask(t.Context(), task.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	err = create(u.ID, "one-too-many", now)
	e := wantErr(t, err, taskapi.ETOOMANY, taskapi.MsgTooManyKeys)
	// The oldest live key, k0, was made at base and expires a window later.
	if want := base.Add(taskapi.IdempotencyWindow).Sub(now); e.RetryAfter != want {
		t.Errorf("RetryAfter = %s, want %s (until the oldest key expires)", e.RetryAfter, want)
	}
	if r, _ := db.IdempotentTask(t.Context(), u.ID, taskapi.IdempotencyKey{Key: "one-too-many", NotBefore: now.Add(-taskapi.IdempotencyWindow)}); r != nil {
		t.Error("the refused create remembered its key")
	}
	if page, _ := db.ListTasks(t.Context(), taskapi.TaskFilter{UserID: u.ID, Sort: taskapi.SortCreatedAt, Limit: 100}); page.Total != 0 {
		t.Errorf("the refused create stored a task: total %d", page.Total)
	}
	if err := db.CreateTask(t.Context(), &taskapi.Task{UserID: u.ID, Title: "no key", CreatedAt: now, UpdatedAt: now}, 0); err != nil {
		t.Errorf("a create without a key: %v", err)
	}
	if err := create(other.ID, "k0", now); err != nil {
		t.Errorf("another user's first key: %v", err)
	}
	// Once k0 has expired, there is room for one more.
	if err := create(u.ID, "one-more", base.Add(taskapi.IdempotencyWindow+time.Second)); err != nil {
		t.Errorf("after the oldest key expired: %v", err)
	}
}

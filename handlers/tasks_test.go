package handlers_test

import (
	"strings"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
)

func ptr[T any](v T) *T { return &v }

func TestCreateTaskDefaultsAndOwner(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	resp, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "  Write report  "})
	if err != nil {
		t.Fatal(err)
	}
	task := resp.Task
	if resp.Message != "Task created successfully" || task.ID == 0 || task.UserID != alice.UserID {
		t.Fatalf("response = %+v", resp)
	}
	if task.Title != "Write report" || task.Status != taskapi.StatusPending || task.Priority != taskapi.PriorityMedium {
		t.Errorf("task = %+v, want trimmed title, pending, medium", task)
	}
	if task.Description != nil || task.DueDate != nil {
		t.Errorf("absent optionals must stay nil: %+v", task)
	}
	if !task.CreatedAt.Equal(f.clock.Now()) || !task.UpdatedAt.Equal(task.CreatedAt) {
		t.Errorf("times = %v / %v", task.CreatedAt, task.UpdatedAt)
	}
}

func TestCreateTaskValidation(t *testing.T) {
	t.Parallel() // see fixture
	cases := []struct {
		name   string
		req    handlers.CreateTaskRequest
		fields []string
	}{
		{"missing title", handlers.CreateTaskRequest{}, []string{"title"}},
		{"blank title", handlers.CreateTaskRequest{Title: " \t "}, []string{"title"}},
		{"title over 200", handlers.CreateTaskRequest{Title: strings.Repeat("é", 201)}, []string{"title"}},
		{"bad status", handlers.CreateTaskRequest{Title: "x", Status: ptr(taskapi.Status("done"))}, []string{"status"}},
		{"bad priority", handlers.CreateTaskRequest{Title: "x", Priority: ptr(taskapi.Priority("urgent"))}, []string{"priority"}},
		{"bad due date", handlers.CreateTaskRequest{Title: "x", DueDate: ptr("tomorrow")}, []string{"due_date"}},
		{"long description", handlers.CreateTaskRequest{Title: "x", Description: ptr(strings.Repeat("d", 10001))}, []string{"description"}},
		{"NUL in title", handlers.CreateTaskRequest{Title: "a\x00b"}, []string{"title"}},
		{"NUL in description", handlers.CreateTaskRequest{Title: "x", Description: ptr("a\x00")}, []string{"description"}},
		{"due date past 9999 in UTC", handlers.CreateTaskRequest{Title: "x", DueDate: ptr("9999-12-31T23:59:59-01:00")}, []string{"due_date"}},
		{"due date before year 1 in UTC", handlers.CreateTaskRequest{Title: "x", DueDate: ptr("0000-01-01T00:00:00+01:00")}, []string{"due_date"}},
		{"due date in year 0", handlers.CreateTaskRequest{Title: "x", DueDate: ptr("0000-01-01")}, []string{"due_date"}},
		{"everything wrong", handlers.CreateTaskRequest{Status: ptr(taskapi.Status("")), DueDate: ptr("")}, []string{"title", "status", "due_date"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.req.Caller = f.user("alice")
			_, err := f.tasks.Create(ctx, tc.req)
			wantError(t, err, taskapi.EINVALID, "Validation failed", tc.fields...)
		})
	}
}

func TestTitleOfExactly200CharactersIsAccepted(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	_, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: f.user("alice"), Title: strings.Repeat("é", 200)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDueDateLayouts(t *testing.T) {
	t.Parallel() // see fixture
	cases := map[string]time.Time{
		"2026-03-04T05:06:07Z":        time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		"2026-03-04T05:06:07+02:00":   time.Date(2026, 3, 4, 3, 6, 7, 0, time.UTC),
		"2026-03-04T05:06:07.123456Z": time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC),
		"2026-03-04T05:06:07":         time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		"2026-03-04T05:06":            time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC),
		"2026-03-04":                  time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC),
	}
	for in, want := range cases {
		got, ok := handlers.ParseDueDate(in)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseDueDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2026-13-01", "04/03/2026", "2026-03-04 05:06", "2026-02-30",
		"2026-03-04T05:06:07+24:00", "2026-03-04T05:06:07-24:00", "2026-03-04T05:06:07+12:60"} {
		if _, ok := handlers.ParseDueDate(bad); ok {
			t.Errorf("ParseDueDate(%q) accepted", bad)
		}
	}
}

func TestGetTask(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice, bob := f.user("alice"), f.user("bob")
	created, _ := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "mine"})
	id := itoa(created.Task.ID)

	got, err := f.tasks.Get(ctx, handlers.TaskRequest{Caller: alice, ID: id})
	if err != nil || got.Task != created.Task {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	_, err = f.tasks.Get(ctx, handlers.TaskRequest{Caller: bob, ID: id})
	wantError(t, err, taskapi.EFORBIDDEN, taskapi.MsgForbidden)
	_, err = f.tasks.Get(ctx, handlers.TaskRequest{Caller: alice, ID: "999"})
	wantError(t, err, taskapi.ENOTFOUND, "Task with id 999 not found")
	for _, bad := range []string{"abc", "0", "-1", "+1", "1.5", "99999999999999999999", ""} {
		_, err = f.tasks.Get(ctx, handlers.TaskRequest{Caller: alice, ID: bad})
		wantError(t, err, taskapi.EINVALID, "Validation failed", "id")
	}
}

func TestTaskHandlersRefuseAnonymousCaller(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	_, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Title: "x"})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	_, err = f.tasks.List(ctx, handlers.ListTasksRequest{})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	_, err = f.tasks.Delete(ctx, handlers.TaskRequest{ID: "1"})
	wantError(t, err, taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
}

func TestUpdateTaskPartial(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	created, _ := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "t", Description: ptr("d"), DueDate: ptr("2026-05-01")})
	f.clock.Advance(time.Minute)

	resp, err := f.tasks.Update(ctx, handlers.UpdateTaskRequest{
		Caller: alice, ID: itoa(created.Task.ID),
		Status:      taskapi.Some(taskapi.StatusCompleted),
		Description: taskapi.Null[string](),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Task
	if resp.Message != "Task updated successfully" || got.Status != taskapi.StatusCompleted || got.Description != nil {
		t.Fatalf("updated = %+v", resp)
	}
	if got.Title != "t" || got.DueDate == nil || got.Priority != taskapi.PriorityMedium {
		t.Errorf("fields not named in the update changed: %+v", got)
	}
	if !got.UpdatedAt.Equal(created.Task.UpdatedAt.Add(time.Minute)) || !got.CreatedAt.Equal(created.Task.CreatedAt) {
		t.Errorf("updated_at = %v, created_at = %v", got.UpdatedAt, got.CreatedAt)
	}
}

func TestUpdateTaskErrors(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice, bob := f.user("alice"), f.user("bob")
	created, _ := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "t"})
	id := itoa(created.Task.ID)

	_, err := f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: bob, ID: id, Title: taskapi.Some("stolen")})
	wantError(t, err, taskapi.EFORBIDDEN, taskapi.MsgForbidden)
	_, err = f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: "12345", Title: taskapi.Some("x")})
	wantError(t, err, taskapi.ENOTFOUND, "Task with id 12345 not found")
	_, err = f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: id})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "body")
	_, err = f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: id,
		Title: taskapi.Null[string](), Status: taskapi.Null[taskapi.Status](), Priority: taskapi.Some(taskapi.Priority("x"))})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "title", "status", "priority")

	after, _ := f.tasks.Get(ctx, handlers.TaskRequest{Caller: alice, ID: id})
	if after.Task != created.Task {
		t.Errorf("a refused update changed the task: %+v", after.Task)
	}
}

func TestDeleteTask(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice, bob := f.user("alice"), f.user("bob")
	created, _ := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "t"})
	id := itoa(created.Task.ID)

	_, err := f.tasks.Delete(ctx, handlers.TaskRequest{Caller: bob, ID: id})
	wantError(t, err, taskapi.EFORBIDDEN, taskapi.MsgForbidden)
	resp, err := f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id})
	if err != nil || resp.Message != "Task deleted successfully" {
		t.Fatalf("Delete = %+v, %v", resp, err)
	}
	_, err = f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id})
	wantError(t, err, taskapi.ENOTFOUND, "Task with id "+id+" not found")
}

func TestListTasksQueryValidation(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	_, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Status: "done", Priority: "p", Sort: "title", Order: "up", Limit: "101", Offset: "-1"})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "status", "priority", "sort", "order", "limit", "offset")
	_, err = f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Limit: "0"})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "limit")
	_, err = f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Limit: "+5", Offset: "-0"})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "limit", "offset")
}

func TestListTasksPageAndDefaults(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice, bob := f.user("alice"), f.user("bob")
	for i := 0; i < 3; i++ {
		f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "a"})
	}
	f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: bob, Title: "b"})

	resp, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Limit: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 2 || resp.Total != 3 || resp.Limit != 2 || resp.Offset != 0 {
		t.Errorf("page = count %d total %d limit %d offset %d", resp.Count, resp.Total, resp.Limit, resp.Offset)
	}
	empty, _ := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Offset: "10"})
	if empty.Tasks == nil || empty.Count != 0 || empty.Total != 3 || empty.Limit != handlers.DefaultPageSize {
		t.Errorf("past the end = %+v", empty)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	h := handlers.NewHealth("task-service", f.store)
	if resp, err := h.Check(ctx, handlers.HealthRequest{}); err != nil || resp.Status != "ok" {
		t.Fatalf("shallow = %+v, %v", resp, err)
	}
	f.loseDatabase(t)
	if _, err := h.Check(ctx, handlers.HealthRequest{}); err != nil {
		t.Errorf("shallow health must not depend on the database: %v", err)
	}
	_, err := h.Check(ctx, handlers.HealthRequest{Deep: true})
	wantError(t, err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
}

func TestIfMatchGuardsUpdatesAndDeletes(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	created, _ := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "v1"})
	id, etag1 := itoa(created.Task.ID), created.ETag()
	if etag1 != `"1"` {
		t.Fatalf("a new task's ETag = %s", etag1)
	}
	upd, err := f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: id, IfMatch: etag1, Title: taskapi.Some("v2")})
	if err != nil || upd.ETag() != `"2"` {
		t.Fatalf("update at the current ETag: %+v, %v", upd, err)
	}
	// A client still holding version 1 would overwrite version 2: refused.
	_, err = f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: id, IfMatch: etag1, Title: taskapi.Some("lost update")})
	wantError(t, err, taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	// A weak tag never matches (strong comparison, RFC 9110); when it
	// names the current version the 412 says so instead of "changed".
	_, err = f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id, IfMatch: `W/"2"`})
	wantError(t, err, taskapi.EPRECONDITION, handlers.MsgWeakIfMatch)
	_, err = f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id, IfMatch: `W/"1"`})
	wantError(t, err, taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	// A malformed header is the client's spelling, not a stale copy: 400.
	for _, bad := range []string{`"2`, "2", `2, "2"`, `"2" 3`, `W/2`, `,`, `"2"x`, `"x y"`} {
		_, err = f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id, IfMatch: bad})
		wantError(t, err, taskapi.EINVALID, handlers.MsgMalformedIfMatch)
		_, err = f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: id, IfMatch: bad, Title: taskapi.Some("x")})
		wantError(t, err, taskapi.EINVALID, handlers.MsgMalformedIfMatch)
	}
	// Well-formed lists, with RFC 9110's optional whitespace and empty
	// elements, and tags that are not this server's: 412.
	for _, stale := range []string{`"1"`, ` "1" , "9" `, `"1",,"a,b"`} {
		_, err = f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id, IfMatch: stale})
		wantError(t, err, taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
	}
	// A list matches if any tag is current; "*" matches any version.
	if _, err := f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: id, IfMatch: `"7", "2"`, Status: taskapi.Some(taskapi.StatusCompleted)}); err != nil {
		t.Fatalf("list with the current tag: %v", err)
	}
	if _, err := f.tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: id, IfMatch: "*"}); err != nil {
		t.Fatalf("If-Match: *: %v", err)
	}
}

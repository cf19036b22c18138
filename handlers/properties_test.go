package handlers_test

// Property-based tests, with pgregory.net/rapid, of the design's
// correctness properties 5, 6 and 7 at the level where their behaviour
// lives: the task handlers, typed request in and typed answer or
// *taskapi.Error out, over the real store on both engines
// (forEachFixture). They were HTTP tests in app (properties_test.go),
// where a request's JSON, gzip, middleware and OpenAPI check, under -race,
// cost far more than the behaviour under test; app keeps, as a few
// deterministic requests per engine, what only HTTP shows (status codes,
// the error body's shape, JSON of awkward text, unknown fields refused).
//
// Each property is one top-level test whose iterations share one fixture
// per engine (a migration and the users' bcrypt hashes are paid once).
// The fixture's clock moves forward by a drawn step before each call that
// writes, so every stored time is the one the handler was given, to the
// microsecond, and later writes never get earlier times.

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"taskapi"
	"taskapi/handlers"
	"taskapi/internal/proptest"
)

// forEachFixture runs test on a fresh fixture of each engine, SQLite and
// PostgreSQL (skipped without TEST_DATABASE_URL, as testdb says), in
// parallel: each owns its database.
func forEachFixture(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, e := range []struct {
		name string
		open func(testing.TB) *fixture
	}{{"sqlite", newFixture}, {"postgres", newPostgresFixture}} {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel() // see fixture
			test(t, e.open(t))
		})
	}
}

// ---------------------------------------------------------------------
// Generators (the title generator, shared with app's HTTP properties,
// is proptest.Title)

// genDescriptionText draws a description kept exactly as sent: up to 300
// characters, or one time in ten up to the limit of 10,000.
func genDescriptionText(t *rapid.T, label string) string {
	max := 300
	if rapid.IntRange(0, 9).Draw(t, label+" long") == 0 {
		max = handlers.DescriptionMaxLen
	}
	n := rapid.IntRange(0, max).Draw(t, label+" length")
	return rapid.StringOfN(proptest.TextRune, n, n, -1).Draw(t, label)
}

var (
	propStatuses   = []taskapi.Status{taskapi.StatusPending, taskapi.StatusInProgress, taskapi.StatusCompleted}
	propPriorities = []taskapi.Priority{taskapi.PriorityLow, taskapi.PriorityMedium, taskapi.PriorityHigh}
)

// The instants a due date may denote: the handlers refuse any before year
// 1 or after year 9999 in UTC (TestCreateTaskValidation); the properties
// keep to the range they accept, often near today.
var (
	minDue = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxDue = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	nearLo = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	nearHi = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// genDueDate draws a due date in one of the layouts the handlers accept
// and returns the text sent and the instant it must be stored as: UTC,
// truncated to microseconds.
func genDueDate(t *rapid.T, label string) (sent string, want time.Time) {
	lo, hi := minDue, maxDue
	if rapid.Bool().Draw(t, label+" near") {
		lo, hi = nearLo, nearHi
	}
	sec := rapid.Int64Range(lo, hi).Draw(t, label+" unix")
	utc := time.Unix(sec, 0).UTC()
	switch rapid.IntRange(0, 3).Draw(t, label+" layout") {
	case 0: // RFC 3339 with an optional fraction and any offset
		digits := rapid.IntRange(0, 9).Draw(t, label+" digits")
		scale := int64(math.Pow10(9 - digits))
		frac := rapid.Int64Range(0, int64(math.Pow10(digits))-1).Draw(t, label+" fraction")
		utc = utc.Add(time.Duration(frac * scale))
		offset := rapid.IntRange(-(23*60+59), 23*60+59).Draw(t, label+" offset minutes")
		local := utc.In(time.FixedZone("", offset*60))
		if local.Year() < 1 || local.Year() > 9999 {
			// The text cannot show the year; send it in UTC.
			local, offset = utc, 0
		}
		zone := "Z"
		if offset != 0 || rapid.Bool().Draw(t, label+" +00:00") {
			sign, m := '+', offset
			if m < 0 {
				sign, m = '-', -m
			}
			zone = fmt.Sprintf("%c%02d:%02d", sign, m/60, m%60)
		}
		fraction := ""
		if digits > 0 {
			fraction = fmt.Sprintf(".%0*d", digits, frac)
		}
		sent = fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%s%s", local.Year(), local.Month(), local.Day(),
			local.Hour(), local.Minute(), local.Second(), fraction, zone)
		return sent, utc.Truncate(time.Microsecond)
	case 1: // zone-less date and time, taken as UTC
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", utc.Year(), utc.Month(), utc.Day(), utc.Hour(), utc.Minute(), utc.Second()), utc
	case 2: // zone-less, to the minute
		utc = utc.Truncate(time.Minute)
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d", utc.Year(), utc.Month(), utc.Day(), utc.Hour(), utc.Minute()), utc
	default: // a date alone: midnight UTC
		utc = time.Date(utc.Year(), utc.Month(), utc.Day(), 0, 0, 0, 0, time.UTC)
		return fmt.Sprintf("%04d-%02d-%02d", utc.Year(), utc.Month(), utc.Day()), utc
	}
}

// genCreate draws a valid create request for caller and the task it must
// yield (ID and the times are not predicted here). Omitted status and
// priority must default to pending and medium. A description or due date
// that is nil stands for an absent field and a JSON null alike: the typed
// request cannot tell them apart (app's TestTaskCreationOverHTTP sends
// both over HTTP).
func genCreate(t *rapid.T, caller taskapi.Principal, label string) (handlers.CreateTaskRequest, taskapi.Task) {
	req := handlers.CreateTaskRequest{Caller: caller}
	want := taskapi.Task{Status: taskapi.StatusPending, Priority: taskapi.PriorityMedium}
	req.Title, want.Title = proptest.Title(t, label+" title")
	if rapid.IntRange(0, 3).Draw(t, label+" description kind") >= 2 { // as often nil as the HTTP property's absent or null
		d := genDescriptionText(t, label+" description")
		req.Description, want.Description = &d, &d
	}
	if rapid.Bool().Draw(t, label+" has status") {
		s := rapid.SampledFrom(propStatuses).Draw(t, label+" status")
		req.Status, want.Status = &s, s
	}
	if rapid.Bool().Draw(t, label+" has priority") {
		p := rapid.SampledFrom(propPriorities).Draw(t, label+" priority")
		req.Priority, want.Priority = &p, p
	}
	if rapid.IntRange(0, 2).Draw(t, label+" due kind") == 2 { // as often nil as absent or null
		sent, d := genDueDate(t, label+" due")
		req.DueDate, want.DueDate = &sent, &d
	}
	return req, want
}

// genPatch draws a valid, non-empty update of task id for caller and
// applies it to want: each field absent, set, or (description and due
// date) cleared with null.
func genPatch(t *rapid.T, caller taskapi.Principal, id int64, want *taskapi.Task) handlers.UpdateTaskRequest {
	req := handlers.UpdateTaskRequest{Caller: caller, ID: strconv.FormatInt(id, 10)}
	for set := false; !set; {
		if rapid.Bool().Draw(t, "patch title") {
			sent, stored := proptest.Title(t, "new title")
			req.Title, want.Title, set = taskapi.Some(sent), stored, true
		}
		if rapid.Bool().Draw(t, "patch description") {
			if rapid.Bool().Draw(t, "clear description") {
				req.Description, want.Description = taskapi.Null[string](), nil
			} else {
				d := genDescriptionText(t, "new description")
				req.Description, want.Description = taskapi.Some(d), &d
			}
			set = true
		}
		if rapid.Bool().Draw(t, "patch status") {
			s := rapid.SampledFrom(propStatuses).Draw(t, "new status")
			req.Status, want.Status, set = taskapi.Some(s), s, true
		}
		if rapid.Bool().Draw(t, "patch priority") {
			p := rapid.SampledFrom(propPriorities).Draw(t, "new priority")
			req.Priority, want.Priority, set = taskapi.Some(p), p, true
		}
		if rapid.Bool().Draw(t, "patch due date") {
			if rapid.Bool().Draw(t, "clear due date") {
				req.DueDate, want.DueDate = taskapi.Null[string](), nil
			} else {
				sent, d := genDueDate(t, "new due date")
				req.DueDate, want.DueDate = taskapi.Some(sent), &d
			}
			set = true
		}
	}
	return req
}

// genPageSize draws a page size for listing n tasks: any from 1 to 100,
// but never so small that it takes more than 4 pages, to bound the time.
func genPageSize(t *rapid.T, n int) int {
	return max(rapid.IntRange(1, handlers.MaxPageSize).Draw(t, "page size"), (n+3)/4)
}

// tick moves f's clock forward by a drawn step, nothing to an hour, to
// the nanosecond: the handlers must store it truncated to microseconds,
// and equal times (a step of nothing) must do too. It returns the time a
// write must now store.
func tick(t *rapid.T, f *fixture) time.Time {
	f.clock.Advance(time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "clock step")))
	return f.clock.Now().UTC().Truncate(time.Microsecond)
}

// ---------------------------------------------------------------------
// Oracles

// propWantError fails t unless err is a *taskapi.Error with the code and
// message: what the transport turns into the status and the body's
// message (app's HTTP tests check that mapping for each code used here).
func propWantError(t *rapid.T, what string, err error, code, message string) {
	var e *taskapi.Error
	if !errors.As(err, &e) || e.Code != code || e.Message != message {
		t.Fatalf("%s: error = %v, want %s %q", what, err, code, message)
	}
}

// propInUTC fails t unless every time of task is in UTC: the JSON then
// spells them with Z, as the design says.
func propInUTC(t *rapid.T, what string, task taskapi.Task) {
	times := []time.Time{task.CreatedAt, task.UpdatedAt}
	if task.DueDate != nil {
		times = append(times, *task.DueDate)
	}
	for _, tm := range times {
		if tm.Location() != time.UTC {
			t.Fatalf("%s: time %v is not in UTC: %+v", what, tm, task)
		}
	}
}

// propGet fetches task id as caller and fails t unless it succeeds with
// the times in UTC.
func propGet(t *rapid.T, f *fixture, caller taskapi.Principal, id int64) taskapi.Task {
	resp, err := f.tasks.Get(ctx, handlers.TaskRequest{Caller: caller, ID: strconv.FormatInt(id, 10)})
	if err != nil {
		t.Fatalf("Get task %d as user %d: %v", id, caller.UserID, err)
	}
	propInUTC(t, "fetched task", resp.Task)
	return resp.Task
}

// propListAll pages through caller's tasks with the given page size,
// checking every page's count, limit, offset and total, and returns the
// tasks.
func propListAll(t *rapid.T, f *fixture, caller taskapi.Principal, limit int) []taskapi.Task {
	var all []taskapi.Task
	total := -1
	for offset := 0; ; offset += limit {
		page, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: caller, Limit: strconv.Itoa(limit), Offset: strconv.Itoa(offset)})
		if err != nil {
			t.Fatalf("List %d+%d as user %d: %v", offset, limit, caller.UserID, err)
		}
		if page.Tasks == nil {
			t.Fatalf("page %d+%d: tasks is nil, want a list ([] in JSON, never null)", offset, limit)
		}
		if total >= 0 && page.Total != total {
			t.Fatalf("total went from %d to %d between pages", total, page.Total)
		}
		total = page.Total
		if page.Count != len(page.Tasks) || page.Limit != limit || page.Offset != offset {
			t.Fatalf("page %d+%d = count %d of %d tasks, limit %d, offset %d", offset, limit, page.Count, len(page.Tasks), page.Limit, page.Offset)
		}
		if want := min(limit, max(total-offset, 0)); len(page.Tasks) != want {
			t.Fatalf("page at offset %d of %d has %d tasks, want %d", offset, total, len(page.Tasks), want)
		}
		for _, task := range page.Tasks {
			propInUTC(t, "listed task", task)
		}
		all = append(all, page.Tasks...)
		if offset+limit >= total {
			break
		}
	}
	if len(all) != total {
		t.Fatalf("paging gave %d tasks, total says %d", len(all), total)
	}
	return all
}

// ---------------------------------------------------------------------
// Properties

// Feature: ecs-task-management-api, Property 5: Task Creation Persistence
func TestProperty5TaskCreationPersistence(t *testing.T) {
	t.Parallel() // see fixture
	t.Log("Feature: ecs-task-management-api, Property 5: Task Creation Persistence")
	forEachFixture(t, func(t *testing.T, f *fixture) {
		// A few users serve every iteration, each with the tasks created
		// for them so far, as Create answered.
		type user struct {
			caller taskapi.Principal
			tasks  []taskapi.Task
		}
		users := make([]*user, 4)
		for i := range users {
			users[i] = &user{caller: f.user(fmt.Sprintf("creator%d", i))}
		}

		proptest.Check(t, func(t *rapid.T) {
			u := users[rapid.IntRange(0, len(users)-1).Draw(t, "user")]
			for range rapid.IntRange(1, 3).Draw(t, "tasks") {
				req, want := genCreate(t, u.caller, "task")
				now := tick(t, f)
				resp, err := f.tasks.Create(ctx, req)
				if err != nil {
					t.Fatalf("Create(%+v): %v", req, err)
				}
				if resp.Message != "Task created successfully" || resp.Replayed {
					t.Fatalf("create = %+v, want message %q, not replayed", resp, "Task created successfully")
				}
				got := resp.Task
				propInUTC(t, "created task", got)
				proptest.SameTask(t, "created task", got, want, false)
				if got.ID <= 0 || got.UserID != u.caller.UserID {
					t.Fatalf("created task id %d user_id %d, want a new id and user %d", got.ID, got.UserID, u.caller.UserID)
				}
				if !got.CreatedAt.Equal(got.UpdatedAt) || !got.CreatedAt.Equal(now) {
					t.Fatalf("created_at %v updated_at %v, want both the clock's %v", got.CreatedAt, got.UpdatedAt, now)
				}
				// What the store kept, read back.
				proptest.SameTask(t, "fetched task", propGet(t, f, u.caller, got.ID), got, true)
				u.tasks = append(u.tasks, got)
			}
			// The list holds every task created for the user, this
			// iteration's and all earlier ones, unchanged.
			listed := propListAll(t, f, u.caller, genPageSize(t, len(u.tasks)))
			if len(listed) != len(u.tasks) {
				t.Fatalf("List gives %d tasks, %d were created", len(listed), len(u.tasks))
			}
			for _, c := range u.tasks {
				i := slices.IndexFunc(listed, func(l taskapi.Task) bool { return l.ID == c.ID })
				if i < 0 {
					t.Fatalf("task %d is missing from the list", c.ID)
				}
				proptest.SameTask(t, "listed task", listed[i], c, true)
			}
		})
	})
}

// Feature: ecs-task-management-api, Property 6: User Task Isolation
func TestProperty6UserTaskIsolation(t *testing.T) {
	t.Parallel() // see fixture
	t.Log("Feature: ecs-task-management-api, Property 6: User Task Isolation")
	forEachFixture(t, func(t *testing.T, f *fixture) {
		// The users, and the ids of every task created for each across
		// all iterations; each iteration adds tasks for a random few.
		type user struct {
			caller taskapi.Principal
			tasks  []int64
		}
		users := make([]*user, 6)
		for i := range users {
			users[i] = &user{caller: f.user(fmt.Sprintf("isolated%d", i))}
		}

		proptest.Check(t, func(t *rapid.T) {
			active := rapid.SliceOfNDistinct(rapid.IntRange(0, len(users)-1), 1, 4, rapid.ID[int]).Draw(t, "active users")
			// Tasks are created interleaved between the active users.
			owners := rapid.SliceOfN(rapid.SampledFrom(active), 0, 6).Draw(t, "owner of each task")
			for n, o := range owners {
				u := users[o]
				resp, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: u.caller, Title: fmt.Sprintf("task %d for user %d", n, u.caller.UserID)})
				if err != nil {
					t.Fatalf("Create for user %d: %v", u.caller.UserID, err)
				}
				if resp.Task.UserID != u.caller.UserID {
					t.Fatalf("task created by user %d belongs to %d", u.caller.UserID, resp.Task.UserID)
				}
				u.tasks = append(u.tasks, resp.Task.ID)
			}
			for _, i := range active {
				u := users[i]
				var got []int64
				for _, task := range propListAll(t, f, u.caller, genPageSize(t, len(u.tasks))) {
					if task.UserID != u.caller.UserID {
						t.Fatalf("user %d's list holds task %d of user %d", u.caller.UserID, task.ID, task.UserID)
					}
					got = append(got, task.ID)
				}
				want := slices.Clone(u.tasks)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("user %d lists tasks %v, created %v", u.caller.UserID, got, want)
				}
			}
			// Past the end: no tasks, the same total.
			u := users[rapid.SampledFrom(active).Draw(t, "user paging past the end")]
			offset := len(u.tasks) + rapid.IntRange(0, 5).Draw(t, "past the end")
			page, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: u.caller, Offset: strconv.Itoa(offset)})
			if err != nil {
				t.Fatalf("List at offset %d: %v", offset, err)
			}
			if page.Tasks == nil || len(page.Tasks) != 0 || page.Count != 0 || page.Total != len(u.tasks) || page.NextCursor != nil {
				t.Fatalf("page past the end = %+v, want no tasks ([]), no next cursor and total %d", page, len(u.tasks))
			}
		})
	})
}

// Feature: ecs-task-management-api, Property 7: Owner-Only Modifications
func TestProperty7OwnerOnlyModifications(t *testing.T) {
	t.Parallel() // see fixture
	t.Log("Feature: ecs-task-management-api, Property 7: Owner-Only Modifications")
	forEachFixture(t, func(t *testing.T, f *fixture) {
		users := []taskapi.Principal{f.user("user0"), f.user("user1"), f.user("user2")}
		byID := func(id int64) taskapi.Principal {
			return users[slices.IndexFunc(users, func(u taskapi.Principal) bool { return u.UserID == id })]
		}

		proptest.Check(t, func(t *rapid.T) {
			// The model: every task of this iteration as it must be now.
			var model []taskapi.Task
			deleted := map[int64]bool{}
			for _, o := range rapid.SliceOfN(rapid.IntRange(0, len(users)-1), 1, 3).Draw(t, "task owners") {
				req, _ := genCreate(t, users[o], "task")
				tick(t, f)
				resp, err := f.tasks.Create(ctx, req)
				if err != nil {
					t.Fatalf("Create(%+v): %v", req, err)
				}
				model = append(model, resp.Task)
			}
			// current checks, as the owner sees it, that task i is as
			// the model says.
			current := func(i int) {
				task := model[i]
				owner := byID(task.UserID)
				if deleted[task.ID] {
					_, err := f.tasks.Get(ctx, handlers.TaskRequest{Caller: owner, ID: strconv.FormatInt(task.ID, 10)})
					propWantError(t, "Get of a deleted task", err, taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", task.ID))
					return
				}
				proptest.SameTask(t, fmt.Sprintf("task %d", task.ID), propGet(t, f, owner, task.ID), task, true)
			}

			for range rapid.IntRange(1, 6).Draw(t, "steps") {
				i := rapid.IntRange(0, len(model)-1).Draw(t, "task")
				task := model[i]
				actor := users[rapid.IntRange(0, len(users)-1).Draw(t, "actor")]
				isOwner := actor.UserID == task.UserID
				id := strconv.FormatInt(task.ID, 10)
				op := rapid.SampledFrom([]string{"PUT", "PUT", "DELETE", "GET"}).Draw(t, "op")
				var err error
				var got taskapi.Task
				next := task
				switch op {
				case "PUT":
					req := genPatch(t, actor, task.ID, &next)
					next.UpdatedAt = tick(t, f)
					var resp handlers.TaskMessageResponse
					resp, err = f.tasks.Update(ctx, req)
					if err == nil && resp.Message != "Task updated successfully" {
						t.Fatalf("update = %+v, want message %q", resp, "Task updated successfully")
					}
					got = resp.Task
				case "DELETE":
					var resp handlers.MessageResponse
					resp, err = f.tasks.Delete(ctx, handlers.TaskRequest{Caller: actor, ID: id})
					if err == nil && resp.Message != "Task deleted successfully" {
						t.Fatalf("delete = %+v, want message %q", resp, "Task deleted successfully")
					}
				default:
					var resp handlers.GetTaskResponse
					resp, err = f.tasks.Get(ctx, handlers.TaskRequest{Caller: actor, ID: id})
					got = resp.Task
				}
				what := fmt.Sprintf("%s of task %d (user %d's) by user %d", op, task.ID, task.UserID, actor.UserID)
				switch {
				case deleted[task.ID]:
					propWantError(t, what, err, taskapi.ENOTFOUND, fmt.Sprintf("Task with id %d not found", task.ID))
				case !isOwner:
					propWantError(t, what, err, taskapi.EFORBIDDEN, taskapi.MsgForbidden)
				case err != nil:
					t.Fatalf("%s: %v", what, err)
				case op == "GET":
					propInUTC(t, what, got)
					proptest.SameTask(t, what, got, task, true)
				case op == "DELETE":
					deleted[task.ID] = true
				default: // the owner's PUT
					propInUTC(t, what, got)
					proptest.SameTask(t, what, got, next, false)
					if got.ID != task.ID || got.UserID != task.UserID || !got.CreatedAt.Equal(task.CreatedAt) || got.UpdatedAt.Before(task.UpdatedAt) {
						t.Fatalf("%s moved id/user_id/created_at or turned updated_at back: %+v, was %+v", what, got, task)
					}
					if !got.UpdatedAt.Equal(next.UpdatedAt) {
						t.Fatalf("%s: updated_at = %v, want the clock's %v", what, got.UpdatedAt, next.UpdatedAt)
					}
					model[i] = got
				}
				if deleted[task.ID] || !isOwner {
					current(i) // the refusal changed nothing
				}
			}
			for i := range model { // and every success stuck
				current(i)
			}
		})
	})
}

package handlers_test

import (
	"errors"
	"slices"
	"testing"

	"taskapi"
	"taskapi/handlers"
)

// TestListTasksCursorWalk pages through a list by next_cursor: every task
// once, in order, and a null next_cursor on the last page only.
func TestListTasksCursorWalk(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	var want []int64
	for i := 0; i < 7; i++ {
		resp, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "a"})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]int64{resp.Task.ID}, want...) // newest first
	}
	var got []int64
	req := handlers.ListTasksRequest{Caller: alice, Limit: "3"}
	for pages := 1; ; pages++ {
		resp, err := f.tasks.List(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range resp.Tasks {
			got = append(got, task.ID)
		}
		if resp.Total != 7 || resp.Offset != 0 {
			t.Errorf("page %d: total %d offset %d", pages, resp.Total, resp.Offset)
		}
		if resp.NextCursor == nil {
			if pages != 3 || resp.NextPage() != "" {
				t.Errorf("the list ended after %d pages, want 3", pages)
			}
			break
		}
		if pages >= 3 || resp.NextPage() != *resp.NextCursor {
			t.Fatalf("page %d of 3 has a next cursor %q", pages, *resp.NextCursor)
		}
		req.Cursor = *resp.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("walked %v, want %v", got, want)
	}
}

func TestListTasksCursorErrors(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	for i := 0; i < 3; i++ {
		f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "a"})
	}
	first, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Limit: "1", Status: "pending"})
	if err != nil || first.NextCursor == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	cursor := *first.NextCursor
	_, err = f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Cursor: "x" + cursor})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "cursor")
	for _, other := range []handlers.ListTasksRequest{
		{Cursor: cursor},                                        // no status filter
		{Cursor: cursor, Status: "completed"},                   // another status
		{Cursor: cursor, Status: "pending", Sort: "priority"},   // another sort
		{Cursor: cursor, Status: "pending", Order: "asc"},       // another order
		{Cursor: cursor, Status: "pending", Priority: "medium"}, // another filter
	} {
		other.Caller = alice
		_, err = f.tasks.List(ctx, other)
		wantError(t, err, taskapi.EINVALID, "Validation failed", "cursor")
		if e := new(taskapi.Error); !errors.As(err, &e) || e.Details[0].Message != handlers.MsgCursorOtherList {
			t.Errorf("%+v: %v", other, err)
		}
	}
	_, err = f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Status: "pending", Cursor: cursor, Offset: "1"})
	wantError(t, err, taskapi.EINVALID, "Validation failed", "offset")
	// The same list with another page size continues fine.
	if resp, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Status: "pending", Cursor: cursor, Limit: "5", Offset: "0"}); err != nil || resp.Count != 2 || resp.NextCursor != nil {
		t.Errorf("continuing with limit 5: %+v %v", resp, err)
	}
}

package handlers_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"taskapi"
	"taskapi/handlers"
)

func TestListTasksSearchValidation(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	for q, want := range map[string]string{
		"   ":                     handlers.MsgSearchBlank,
		"\t\n":                    handlers.MsgSearchBlank,
		"!!! --- ???":             handlers.MsgSearchNoWord,
		"🥛":                       handlers.MsgSearchNoWord,
		"milk\xff":                handlers.MsgSearchUTF8,
		strings.Repeat("é", 101):  handlers.MsgSearchTooLong,
		strings.Repeat("ab ", 34): handlers.MsgSearchTooLong,
	} {
		_, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Q: q})
		wantError(t, err, taskapi.EINVALID, "Validation failed", "q")
		if e := new(taskapi.Error); !errors.As(err, &e) || e.Details[0].Message != want {
			t.Errorf("q=%q: %v, want %q", q, err, want)
		}
	}
	if _, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Q: strings.Repeat("é", 100)}); err != nil {
		t.Errorf("a search of 100 characters: %v", err)
	}
}

// TestListTasksSearchCursor: a search's cursor continues the same search
// (its words, whatever their case or punctuation) and no other list.
func TestListTasksSearchCursor(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	for _, title := range []string{"milk", "Milk, eggs", "bread", "oat milk", "eggs"} {
		if _, err := f.tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Q: "milk", Limit: "2"})
	if err != nil || first.Total != 3 || first.Count != 2 || first.NextCursor == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	next, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Q: " MILK! ", Limit: "2", Cursor: *first.NextCursor})
	if err != nil || next.Count != 1 || next.NextCursor != nil || next.Tasks[0].Title != "milk" {
		t.Fatalf("second page: %+v %v", next, err)
	}
	var titles []string
	for _, task := range append(first.Tasks, next.Tasks...) {
		titles = append(titles, task.Title)
	}
	if want := []string{"oat milk", "Milk, eggs", "milk"}; !slices.Equal(titles, want) {
		t.Errorf("search walk: %q, want %q", titles, want)
	}
	plain, err := f.tasks.List(ctx, handlers.ListTasksRequest{Caller: alice, Limit: "1"})
	if err != nil || plain.NextCursor == nil {
		t.Fatal(plain, err)
	}
	for _, other := range []handlers.ListTasksRequest{
		{Cursor: *first.NextCursor},                // the search dropped
		{Cursor: *first.NextCursor, Q: "eggs"},     // another search
		{Cursor: *first.NextCursor, Q: "milk egg"}, // another word added
		{Cursor: *plain.NextCursor, Q: "milk"},     // a plain list's cursor
	} {
		other.Caller = alice
		_, err := f.tasks.List(ctx, other)
		wantError(t, err, taskapi.EINVALID, "Validation failed", "cursor")
		if e := new(taskapi.Error); !errors.As(err, &e) || e.Details[0].Message != handlers.MsgCursorOtherList {
			t.Errorf("%+v: %v", other, err)
		}
	}
}

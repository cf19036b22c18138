package handlers_test

import (
	"strings"
	"testing"
	"time"

	"taskapi"
	"taskapi/handlers"
)

func keyed(caller taskapi.Principal, title, key, hash string) handlers.CreateTaskRequest {
	return handlers.CreateTaskRequest{Caller: caller, Title: title, IdempotencyKey: &key, RequestHash: hash}
}

func TestIdempotentCreateReplaysTheFirstAnswer(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice, bob := f.user("alice"), f.user("bob")
	first, err := f.tasks.Create(ctx, keyed(alice, "Buy milk", "key-1", "h1"))
	if err != nil || first.Replayed {
		t.Fatalf("first create = %+v, %v", first, err)
	}
	f.clock.Advance(23 * time.Hour)
	// The task changes meanwhile: the replay is still the first answer.
	if _, err := f.tasks.Update(ctx, handlers.UpdateTaskRequest{Caller: alice, ID: itoa(first.Task.ID), Title: taskapi.Some("Buy oat milk")}); err != nil {
		t.Fatal(err)
	}
	again, err := f.tasks.Create(ctx, keyed(alice, "Buy milk", "key-1", "h1"))
	if err != nil || !again.Replayed || again.Task != first.Task || again.Message != first.Message {
		t.Fatalf("repeat = %+v, %v; want the first answer %+v, marked replayed", again, err, first)
	}
	if n := f.count(t, "tasks"); n != 1 {
		t.Fatalf("%d tasks stored, want 1", n)
	}
	// The key is per user: bob's key-1 is his own.
	if r, err := f.tasks.Create(ctx, keyed(bob, "Buy milk", "key-1", "h1")); err != nil || r.Replayed {
		t.Fatalf("bob's create = %+v, %v", r, err)
	}
	// A different request with the key is refused, and stores nothing.
	_, err = f.tasks.Create(ctx, keyed(alice, "Buy bread", "key-1", "h2"))
	wantError(t, err, taskapi.EUNPROCESSABLE, taskapi.MsgKeyReused)
	// After 24 hours the key is forgotten: the same request creates again.
	f.clock.Advance(time.Hour + time.Second)
	later, err := f.tasks.Create(ctx, keyed(alice, "Buy milk", "key-1", "h1"))
	if err != nil || later.Replayed || later.Task.ID == first.Task.ID {
		t.Fatalf("create after expiry = %+v, %v; want a new task", later, err)
	}
	if n := f.count(t, "tasks"); n != 3 {
		t.Fatalf("%d tasks stored, want 3", n)
	}
}

func TestIdempotencyKeyRules(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	for _, key := range []string{"", strings.Repeat("k", 256), "has space", "tab\there", "é-accent", "nul\x00"} {
		_, err := f.tasks.Create(ctx, keyed(alice, "t", key, "h"))
		wantError(t, err, taskapi.EINVALID, "Validation failed", "Idempotency-Key")
	}
	for _, key := range []string{"k", strings.Repeat("k", 255), "3f2b9c1e-6a1d-4c0e-9f1a-2b7d8e4c5a60", "A~!#$%&'*+-.^_`|:/=?@[]{}"} {
		if _, err := f.tasks.Create(ctx, keyed(alice, "t", key, "h")); err != nil {
			t.Errorf("key %q refused: %v", key, err)
		}
	}
	// An invalid body with a key is a 400 as without one, and remembers nothing.
	_, err := f.tasks.Create(ctx, keyed(alice, " ", "fresh", "h"))
	wantError(t, err, taskapi.EINVALID, "Validation failed", "title")
	if r, err := f.tasks.Create(ctx, keyed(alice, "now valid", "fresh", "h2")); err != nil || r.Replayed {
		t.Fatalf("the key of a refused create was remembered: %+v, %v", r, err)
	}
}

func TestIdempotentReplayIgnoresTheQuota(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	tasks := handlers.NewTasks(f.store, f.clock.Now, handlers.WithQuota(1))
	first, err := tasks.Create(ctx, keyed(alice, "the one", "k", "h"))
	if err != nil {
		t.Fatal(err)
	}
	// At the quota now, a retry of the create that filled it is still its answer.
	again, err := tasks.Create(ctx, keyed(alice, "the one", "k", "h"))
	if err != nil || !again.Replayed || again.Task.ID != first.Task.ID {
		t.Fatalf("retry at the quota = %+v, %v", again, err)
	}
	_, err = tasks.Create(ctx, keyed(alice, "another", "k2", "h"))
	wantError(t, err, taskapi.EFORBIDDEN, "Task limit of 1 reached; delete tasks to add more")
}

func TestIdempotentCreateFailuresAreNotRemembered(t *testing.T) {
	t.Parallel() // see fixture
	f := newFixture(t)
	alice := f.user("alice")
	tasks := handlers.NewTasks(f.store, f.clock.Now, handlers.WithQuota(1))
	full, err := tasks.Create(ctx, handlers.CreateTaskRequest{Caller: alice, Title: "fills the quota"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tasks.Create(ctx, keyed(alice, "t", "k", "h"))
	wantError(t, err, taskapi.EFORBIDDEN, "Task limit of 1 reached; delete tasks to add more")
	if _, err := tasks.Delete(ctx, handlers.TaskRequest{Caller: alice, ID: itoa(full.Task.ID)}); err != nil {
		t.Fatal(err)
	}
	if r, err := tasks.Create(ctx, keyed(alice, "t", "k", "h")); err != nil || r.Replayed {
		t.Fatalf("retry after a refusal = %+v, %v; want a fresh create", r, err)
	}
}

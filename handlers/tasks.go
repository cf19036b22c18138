package handlers

import (
	"context"
	"strings"
	"time"

	"taskapi"
)

// Tasks holds the task service's handlers. Every method acts for the
// request's Caller and only on the Caller's own tasks.
type Tasks struct {
	store TaskStore
	now   Clock
	quota int // tasks one user may hold; 0 means no limit
	keys  int // Idempotency-Keys one user may have remembered; 0 means no limit
}

// TasksOption configures optional behaviour of NewTasks.
type TasksOption func(*Tasks)

// WithQuota caps how many tasks one user may hold, so that one account
// cannot fill the shared database. The store checks it in the statement
// that inserts, so concurrent creates never overshoot.
func WithQuota(n int) TasksOption {
	return func(t *Tasks) { t.quota = n }
}

// WithIdempotencyKeyLimit caps how many Idempotency-Keys one user may
// have remembered within taskapi.IdempotencyWindow: past it a keyed create is 429
// with Retry-After (when the oldest key expires); creates without a key
// are not affected.
func WithIdempotencyKeyLimit(n int) TasksOption {
	return func(t *Tasks) { t.keys = n }
}

// NewTasks returns the task handlers.
func NewTasks(store TaskStore, now Clock, opts ...TasksOption) *Tasks {
	t := &Tasks{store: store, now: now}
	for _, opt := range opts {
		opt(t)
	}
	return t
}

// timestamp is the current time as the database stores it.
func (h *Tasks) timestamp() time.Time {
	return h.now().UTC().Truncate(time.Microsecond)
}

// Create adds a task for the caller. Status defaults to pending and
// priority to medium.
//
// With an Idempotency-Key, a create is done at most once per key and user
// within taskapi.IdempotencyWindow: a repeat of the request gets the first answer
// again (Replayed), even if the task has changed or gone since; the key
// with a different request is 422. Only a create that succeeded is
// remembered, so a request refused for any reason may be retried with
// the same key.
func (h *Tasks) Create(ctx context.Context, req CreateTaskRequest) (TaskMessageResponse, error) {
	if err := requireCaller(req.Caller); err != nil {
		return TaskMessageResponse{}, err
	}
	now := h.timestamp()
	t := taskapi.Task{
		UserID:    req.Caller.UserID,
		Title:     strings.TrimSpace(req.Title),
		Status:    taskapi.StatusPending,
		Priority:  taskapi.PriorityMedium,
		CreatedAt: now,
		UpdatedAt: now,
	}
	var fe fieldErrors
	checkTitle(&fe, t.Title)
	if req.Description != nil {
		checkDescription(&fe, *req.Description)
		t.Description = req.Description
	}
	if req.Status != nil {
		checkStatus(&fe, *req.Status)
		t.Status = *req.Status
	}
	if req.Priority != nil {
		checkPriority(&fe, *req.Priority)
		t.Priority = *req.Priority
	}
	if req.DueDate != nil {
		t.DueDate = checkDueDate(&fe, *req.DueDate)
	}
	var key *taskapi.IdempotencyKey
	if req.IdempotencyKey != nil {
		checkIdempotencyKey(&fe, *req.IdempotencyKey)
		key = &taskapi.IdempotencyKey{Key: *req.IdempotencyKey, RequestHash: req.RequestHash,
			NotBefore: now.Add(-taskapi.IdempotencyWindow), PerUser: h.keys}
	}
	if err := fe.err(); err != nil {
		return TaskMessageResponse{}, err
	}
	if key == nil {
		if err := h.store.CreateTask(ctx, &t, h.quota); err != nil {
			// ENOTFOUND: the caller's account was deleted while their token
			// was still accepted (a validation cache): the token outlived it.
			return TaskMessageResponse{}, userGone(err)
		}
		return TaskMessageResponse{Message: msgTaskCreated, Task: t}, nil
	}
	// A repeat is answered before the quota: it creates nothing.
	first, err := h.store.IdempotentTask(ctx, t.UserID, *key)
	if err != nil {
		return TaskMessageResponse{}, err
	}
	if first == nil {
		if first, err = h.store.CreateTaskOnce(ctx, &t, h.quota, *key); err != nil {
			return TaskMessageResponse{}, userGone(err)
		}
	}
	if first != nil { // remembered, or a concurrent request with the key won
		return replay(first, *key)
	}
	return TaskMessageResponse{Message: msgTaskCreated, Task: t}, nil
}

// msgTaskCreated confirms a create, first time or replayed.
const msgTaskCreated = "Task created successfully"

// replay answers a repeated create with the first one's answer, or 422
// when the key came with a different request.
func replay(first *taskapi.IdempotentResult, key taskapi.IdempotencyKey) (TaskMessageResponse, error) {
	if first.RequestHash != key.RequestHash {
		return TaskMessageResponse{}, taskapi.Errorf(taskapi.EUNPROCESSABLE, taskapi.MsgKeyReused)
	}
	return TaskMessageResponse{Message: msgTaskCreated, Task: first.Task, Replayed: true}, nil
}

// List returns one page of the caller's tasks, filtered and sorted.
func (h *Tasks) List(ctx context.Context, req ListTasksRequest) (ListTasksResponse, error) {
	if err := requireCaller(req.Caller); err != nil {
		return ListTasksResponse{}, err
	}
	f := taskapi.TaskFilter{
		UserID:   req.Caller.UserID,
		Status:   taskapi.Status(req.Status),
		Priority: taskapi.Priority(req.Priority),
		Sort:     taskapi.SortCreatedAt,
	}
	var fe fieldErrors
	if f.Status != "" {
		checkStatus(&fe, f.Status)
	}
	if f.Priority != "" {
		checkPriority(&fe, f.Priority)
	}
	if req.Sort != "" {
		f.Sort = taskapi.TaskSort(req.Sort)
		if !f.Sort.Valid() {
			fe.add("sort", "Sort must be one of created_at, due_date, priority")
		}
	}
	switch req.Order {
	case "", "desc":
	case "asc":
		f.Ascending = true
	default:
		fe.add("order", "Order must be asc or desc")
	}
	f.Words = parseSearch(&fe, req.Q)
	f.Limit = parseInt(&fe, "limit", req.Limit, DefaultPageSize, 1, MaxPageSize)
	f.Offset = parseInt(&fe, "offset", req.Offset, 0, 0, maxOffset)
	if req.Cursor != "" {
		// Only once the list itself is valid can a cursor be matched to it.
		c, ok := parseCursor(req.Cursor)
		switch {
		case !ok:
			fe.add("cursor", MsgBadCursor)
		case len(fe) == 0 && !c.belongsTo(f):
			fe.add("cursor", MsgCursorOtherList)
		default:
			f.After = &c.after
		}
		if f.Offset != 0 {
			fe.add("offset", "Give offset or cursor, not both")
		}
	}
	if err := fe.err(); err != nil {
		return ListTasksResponse{}, err
	}
	page, err := h.store.ListTasks(ctx, f)
	if err != nil {
		return ListTasksResponse{}, err
	}
	if page.Tasks == nil {
		page.Tasks = []taskapi.Task{} // an empty list is [], never null
	}
	resp := ListTasksResponse{Tasks: page.Tasks, Count: len(page.Tasks), Total: page.Total, Limit: f.Limit, Offset: f.Offset}
	if page.More && len(page.Tasks) > 0 {
		next := cursorFor(f, page.Tasks[len(page.Tasks)-1])
		resp.NextCursor = &next
	}
	return resp, nil
}

// The answers to a cursor that cannot continue the list asked for.
const (
	MsgBadCursor       = "Cursor is not valid; pass next_cursor exactly as a list returned it"
	MsgCursorOtherList = "Cursor belongs to a list with another sort, order, filter or search; keep them as they were"
)

// Get returns one of the caller's tasks.
func (h *Tasks) Get(ctx context.Context, req TaskRequest) (GetTaskResponse, error) {
	t, err := h.ownedByRawID(ctx, req.Caller, req.ID)
	if err != nil {
		return GetTaskResponse{}, err
	}
	return GetTaskResponse{Task: *t}, nil
}

// Update changes the fields present in the request and moves updated_at.
func (h *Tasks) Update(ctx context.Context, req UpdateTaskRequest) (TaskMessageResponse, error) {
	if err := requireCaller(req.Caller); err != nil {
		return TaskMessageResponse{}, err
	}
	var fe fieldErrors
	id := parseID(&fe, req.ID)
	patch := buildPatch(&fe, req)
	if err := fe.err(); err != nil {
		return TaskMessageResponse{}, err
	}
	cond, err := parseIfMatch(req.IfMatch)
	if err != nil {
		return TaskMessageResponse{}, err
	}
	current, err := h.owned(ctx, req.Caller, id)
	if err != nil {
		return TaskMessageResponse{}, err
	}
	// With If-Match the store applies the update only at the version just
	// checked, so a change between this read and the write is a 412, not
	// a lost update.
	if patch.IfVersion, err = cond.check(current); err != nil {
		return TaskMessageResponse{}, err
	}
	// Ownership never changes, so checking it before the update leaves no
	// gap another user could use; a concurrent delete surfaces as 404.
	t, err := h.store.UpdateTask(ctx, id, patch, h.timestamp())
	if err != nil {
		return TaskMessageResponse{}, err
	}
	return TaskMessageResponse{Message: "Task updated successfully", Task: *t}, nil
}

// buildPatch validates the fields present in req and turns them into a
// patch; it adds to fe whatever is wrong.
func buildPatch(fe *fieldErrors, req UpdateTaskRequest) taskapi.TaskPatch {
	var p taskapi.TaskPatch
	if req.Title.Set {
		if req.Title.Value == nil {
			fe.add("title", "Title cannot be null")
		} else {
			title := strings.TrimSpace(*req.Title.Value)
			checkTitle(fe, title)
			p.Title = &title
		}
	}
	if req.Description.Set {
		if req.Description.Value != nil {
			checkDescription(fe, *req.Description.Value)
		}
		p.Description = req.Description
	}
	if req.Status.Set {
		if req.Status.Value == nil {
			fe.add("status", "Status cannot be null")
		} else {
			checkStatus(fe, *req.Status.Value)
			p.Status = req.Status.Value
		}
	}
	if req.Priority.Set {
		if req.Priority.Value == nil {
			fe.add("priority", "Priority cannot be null")
		} else {
			checkPriority(fe, *req.Priority.Value)
			p.Priority = req.Priority.Value
		}
	}
	if req.DueDate.Set {
		p.DueDate.Set = true
		if req.DueDate.Value != nil {
			p.DueDate.Value = checkDueDate(fe, *req.DueDate.Value)
		}
	}
	if p.Empty() && len(*fe) == 0 {
		fe.add("body", "Give at least one of title, description, status, priority, due_date")
	}
	return p
}

// Delete removes one of the caller's tasks.
func (h *Tasks) Delete(ctx context.Context, req TaskRequest) (MessageResponse, error) {
	cond, err := parseIfMatch(req.IfMatch)
	if err != nil {
		return MessageResponse{}, err
	}
	t, err := h.ownedByRawID(ctx, req.Caller, req.ID)
	if err != nil {
		return MessageResponse{}, err
	}
	version, err := cond.check(t)
	if err != nil {
		return MessageResponse{}, err
	}
	if err := h.store.DeleteTask(ctx, t.ID, version); err != nil {
		return MessageResponse{}, err
	}
	return MessageResponse{Message: "Task deleted successfully"}, nil
}

// ownedByRawID is owned for an id as the path gave it: 400 for a bad one.
func (h *Tasks) ownedByRawID(ctx context.Context, caller taskapi.Principal, rawID string) (*taskapi.Task, error) {
	if err := requireCaller(caller); err != nil {
		return nil, err
	}
	var fe fieldErrors
	id := parseID(&fe, rawID)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return h.owned(ctx, caller, id)
}

// owned loads task id and checks that caller owns it: 404 for a missing
// task, 403 for someone else's.
func (h *Tasks) owned(ctx context.Context, caller taskapi.Principal, id int64) (*taskapi.Task, error) {
	t, err := h.store.TaskByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.UserID != caller.UserID {
		return nil, taskapi.Errorf(taskapi.EFORBIDDEN, taskapi.MsgForbidden)
	}
	return t, nil
}

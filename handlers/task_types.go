package handlers

import "taskapi"

// CreateTaskRequest is the body of POST /tasks. Caller is set by the
// transport from the validated token; it is never read from the body.
// IdempotencyKey is the Idempotency-Key header (nil when absent) and
// RequestHash a hash of the request that the transport computes, equal
// for equal requests.
type CreateTaskRequest struct {
	Caller         taskapi.Principal `json:"-"`
	IdempotencyKey *string           `json:"-"`
	RequestHash    string            `json:"-"`

	Title       string            `json:"title"`
	Description *string           `json:"description"`
	Status      *taskapi.Status   `json:"status"`
	Priority    *taskapi.Priority `json:"priority"`
	DueDate     *string           `json:"due_date"`
}

// TaskMessageResponse answers a create or an update. Replayed marks the
// answer to a create as the remembered answer to an earlier request with
// the same Idempotency-Key.
type TaskMessageResponse struct {
	Message  string       `json:"message"`
	Task     taskapi.Task `json:"task"`
	Replayed bool         `json:"-"`
}

// IdempotentReplay reports whether the answer repeats an earlier one.
func (r TaskMessageResponse) IdempotentReplay() bool { return r.Replayed }

// ETag is the task's entity tag, for the ETag header.
func (r TaskMessageResponse) ETag() string { return TaskETag(r.Task) }

// ListTasksRequest holds the query of GET /tasks as the client sent it;
// the handler parses and validates it.
type ListTasksRequest struct {
	Caller   taskapi.Principal
	Status   string
	Priority string
	Sort     string // created_at (default), due_date or priority
	Order    string // desc (default) or asc
	Limit    string
	Offset   string
	Cursor   string // next_cursor of the previous page, to continue the list
	Q        string // a text search: words the title or description holds
}

// ListTasksResponse is one page of the caller's tasks. Count is the number
// on this page, Total the number that matched across all pages.
// NextCursor continues the list after this page; it is null on the last.
type ListTasksResponse struct {
	Tasks      []taskapi.Task `json:"tasks"`
	Count      int            `json:"count"`
	Total      int            `json:"total"`
	Limit      int            `json:"limit"`
	Offset     int            `json:"offset"`
	NextCursor *string        `json:"next_cursor"`
}

// NextPage is the cursor of the page that follows, or "" on the last
// page, for transports that link to it (the HTTP Link header).
func (r ListTasksResponse) NextPage() string {
	if r.NextCursor == nil {
		return ""
	}
	return *r.NextCursor
}

// TaskRequest names one task: GET and DELETE /tasks/{id}. IfMatch is the
// If-Match header as sent (DELETE only): empty for unconditional.
type TaskRequest struct {
	Caller  taskapi.Principal
	ID      string
	IfMatch string
}

// GetTaskResponse answers GET /tasks/{id}.
type GetTaskResponse struct {
	Task taskapi.Task `json:"task"`
}

// ETag is the task's entity tag, for the ETag header.
func (r GetTaskResponse) ETag() string { return TaskETag(r.Task) }

// UpdateTaskRequest is the body of PUT /tasks/{id}: only the fields present
// are changed, and an explicit null clears description or due_date. There
// is deliberately no id, user_id or created_at field to bind.
type UpdateTaskRequest struct {
	Caller      taskapi.Principal                  `json:"-"`
	ID          string                             `json:"-"`
	IfMatch     string                             `json:"-"` // the If-Match header as sent
	Title       taskapi.Optional[string]           `json:"title"`
	Description taskapi.Optional[string]           `json:"description"`
	Status      taskapi.Optional[taskapi.Status]   `json:"status"`
	Priority    taskapi.Optional[taskapi.Priority] `json:"priority"`
	DueDate     taskapi.Optional[string]           `json:"due_date"`
}

// MessageResponse is a bare confirmation, as for a delete.
type MessageResponse struct {
	Message string `json:"message"`
}

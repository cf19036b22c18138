package taskapi

import "time"

// Status is where a task stands in its life.
type Status string

// The statuses a task may have; the database enforces the same set.
const (
	StatusPending    Status = "pending"
	StatusInProgress Status = "in_progress"
	StatusCompleted  Status = "completed"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusInProgress, StatusCompleted:
		return true
	}
	return false
}

// Priority says how urgent a task is.
type Priority string

// The priorities a task may have; the database enforces the same set.
const (
	PriorityLow    Priority = "low"
	PriorityMedium Priority = "medium"
	PriorityHigh   Priority = "high"
)

// Valid reports whether p is one of the known priorities.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityMedium, PriorityHigh:
		return true
	}
	return false
}

// Task is one item of a user's to-do list. Optional values are nil when
// absent (JSON null). All times are in UTC (RFC 3339 in JSON).
type Task struct {
	ID          int64      `json:"id"`
	UserID      int64      `json:"user_id"`
	Title       string     `json:"title"`
	Description *string    `json:"description"`
	Status      Status     `json:"status"`
	Priority    Priority   `json:"priority"`
	DueDate     *time.Time `json:"due_date"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// Version counts the task's updates (1 when created). It travels as
	// the ETag header, not in the body.
	Version int64 `json:"-"`
}

// TaskSort names the column a task list is ordered by.
type TaskSort string

// The orderings a task list supports.
const (
	SortCreatedAt TaskSort = "created_at"
	SortDueDate   TaskSort = "due_date"
	SortPriority  TaskSort = "priority"
)

// Valid reports whether s is a supported ordering.
func (s TaskSort) Valid() bool {
	switch s {
	case SortCreatedAt, SortDueDate, SortPriority:
		return true
	}
	return false
}

// TaskFilter selects one page of one user's tasks.
type TaskFilter struct {
	UserID int64
	// Status and Priority restrict the list when non-empty.
	Status   Status
	Priority Priority
	Sort     TaskSort
	// Words, when not empty, keeps only the tasks whose title or
	// description holds every one of them as a whole word, ignoring case
	// (see SearchWords).
	Words []string
	// Ascending reverses the default descending order (newest, latest due
	// date, highest priority first). Tasks without a due date always come
	// last when sorting by due date.
	Ascending bool
	Limit     int
	// After, when set, starts the page just after that position of the
	// same list (keyset pagination): the cost does not grow with how far
	// into the list the page is, and tasks inserted or deleted meanwhile
	// never make another task appear twice or go missing. Offset is then
	// ignored.
	After  *TaskKey
	Offset int
}

// TaskKey is a task's position in a sorted list: the values the sorts
// order by, and the id that breaks ties. Every sort orders by its key,
// then id, in the same direction: created_at; due_date, with the tasks
// without one after all the others in both directions; priority rank
// (high, medium, low), then created_at.
type TaskKey struct {
	ID        int64
	CreatedAt time.Time
	DueDate   *time.Time
	Priority  Priority
}

// Key returns t's position in a sorted list.
func (t Task) Key() TaskKey {
	return TaskKey{ID: t.ID, CreatedAt: t.CreatedAt, DueDate: t.DueDate, Priority: t.Priority}
}

// Rank orders priorities by urgency: high 3, medium 2, low 1, anything
// else 0. The database's priority_rank column computes the same.
func (p Priority) Rank() int {
	switch p {
	case PriorityHigh:
		return 3
	case PriorityMedium:
		return 2
	case PriorityLow:
		return 1
	}
	return 0
}

// TaskPage is one page of a task list and the number of tasks that matched
// the filter in total, across all pages. More says that tasks follow the
// page's last one.
type TaskPage struct {
	Tasks []Task
	Total int
	More  bool
}

// TaskPatch is a partial update of a task: nil fields are left alone.
// A non-zero IfVersion applies it only if the task is still at that
// version (EPRECONDITION otherwise).
type TaskPatch struct {
	IfVersion   int64
	Title       *string
	Description Optional[string]
	Status      *Status
	Priority    *Priority
	DueDate     Optional[time.Time]
}

// Empty reports whether the patch changes nothing.
func (p TaskPatch) Empty() bool { // IfVersion is a condition, not a change
	return p.Title == nil && !p.Description.Set && p.Status == nil &&
		p.Priority == nil && !p.DueDate.Set
}

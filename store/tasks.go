package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"taskapi"
)

// taskColumns is the select list taskRow scans.
const taskColumns = "id, user_id, title, description, status, priority, due_date, created_at, updated_at, version"

// taskRow is a tasks row as scanned; times go through dbTime.
type taskRow struct {
	ID          int64          `db:"id"`
	UserID      int64          `db:"user_id"`
	Title       string         `db:"title"`
	Description sql.NullString `db:"description"`
	Status      string         `db:"status"`
	Priority    string         `db:"priority"`
	DueDate     dbTime         `db:"due_date"`
	CreatedAt   dbTime         `db:"created_at"`
	UpdatedAt   dbTime         `db:"updated_at"`
	Version     int64          `db:"version"`
}

func (r taskRow) task() taskapi.Task {
	t := taskapi.Task{
		ID:        r.ID,
		UserID:    r.UserID,
		Title:     r.Title,
		Status:    taskapi.Status(r.Status),
		Priority:  taskapi.Priority(r.Priority),
		DueDate:   r.DueDate.ptr(),
		CreatedAt: r.CreatedAt.Time,
		UpdatedAt: r.UpdatedAt.Time,
		Version:   r.Version,
	}
	if r.Description.Valid {
		d := r.Description.String
		t.Description = &d
	}
	return t
}

// CreateTask inserts t and sets its ID. The times are stored as given, and
// t's are replaced by the stored values (UTC, whole microseconds). An empty
// status or priority takes the schema's default, pending or medium; any
// other unknown value is EINVALID. A t.UserID with no user (deleted) is
// ENOTFOUND.
//
// A positive quota refuses the task with taskapi.TaskQuotaReached when
// the user already holds quota tasks, exactly under any concurrency (see
// insertTask). With BEGIN and COMMIT that is three round trips: the
// transaction stays, so that a create whose connection is cut is never
// committed behind the client's back (see inTx).
func (db *DB) CreateTask(ctx context.Context, t *taskapi.Task, quota int) error {
	stored := newTaskRow(t)
	err := db.retryNearQuota(func(exact bool) error {
		return db.inTx(ctx, func(tx *sqlx.Tx) error {
			return db.insertTask(ctx, tx, &stored, quota, exact)
		})
	})
	if err != nil {
		return classify(err)
	}
	*t = stored
	return nil
}

// newTaskRow is t as CreateTask stores it: defaults filled in, times
// normalised.
func newTaskRow(t *taskapi.Task) taskapi.Task {
	stored := *t
	if stored.Status == "" {
		stored.Status = taskapi.StatusPending
	}
	if stored.Priority == "" {
		stored.Priority = taskapi.PriorityMedium
	}
	stored.CreatedAt, stored.UpdatedAt = normTime(t.CreatedAt), normTime(t.UpdatedAt)
	if t.DueDate != nil {
		d := normTime(*t.DueDate)
		stored.DueDate = &d
	}
	return stored
}

// nearQuotaCode is the SQLSTATE task_create raises when a create far from
// the quota finds after its insert that it was near it after all (see
// migrations/postgres/00008): the transaction is aborted and repeats with
// the exact check.
const nearQuotaCode = "TQ001"

// retryNearQuota runs create (a whole transaction) on the fast path and,
// when that ends near the quota, once more with the exact check, which
// never ends so.
func (db *DB) retryNearQuota(create func(exact bool) error) error {
	err := create(false)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == nearQuotaCode {
		err = create(true)
	}
	return err
}

// insertTask inserts t in tx, unless its user holds quota tasks already
// (a positive quota), and sets its ID and version. exact takes the
// PostgreSQL function's exact path from the start (retryNearQuota).
//
// On PostgreSQL, task_create (migration 00008) does it in one call: its
// quota check locks one of the user's counter rows far from the limit and
// all of them near it, so concurrent creates of one user do not queue
// behind one row, and it adds the task to its counter row itself
// (migration 00012) instead of through the insert-counting trigger.
// SQLite's writers are serialised anyway: its statement counts and
// inserts.
func (db *DB) insertTask(ctx context.Context, tx *sqlx.Tx, t *taskapi.Task, quota int, exact bool) error {
	limit := math.MaxInt32 // task_counts sums fit an INTEGER
	if quota > 0 {
		limit = min(quota, limit)
	}
	args := []any{t.UserID, t.Title, t.Description, t.Status, t.Priority,
		nullTimeArg(t.DueDate), timeArg(t.CreatedAt), timeArg(t.UpdatedAt)}
	query := createTaskSQLite
	if db.driver == DriverPostgres {
		query, args = createTaskPostgres, append(args, limit, exact)
	} else {
		args = append(args, t.UserID, limit)
	}
	var id sql.NullInt64
	err := tx.QueryRowxContext(ctx, db.rebind(query), args...).Scan(&id)
	if notFound(err) || err == nil && !id.Valid {
		return taskapi.TaskQuotaReached(quota)
	}
	t.ID = id.Int64
	t.Version = 1 // the column's default
	return err
}

// createTaskPostgres calls task_create; the casts pick its signature.
const createTaskPostgres = `SELECT task_create(?::integer, ?::varchar, ?::text, ?::varchar, ?::varchar,
	?::timestamp, ?::timestamp, ?::timestamp, ?::integer, ?::boolean)`

// createTaskSQLite inserts a task unless its user holds the quota
// already; BEGIN IMMEDIATE and the single connection make the count exact.
const createTaskSQLite = `INSERT INTO tasks (user_id, title, description, status, priority, due_date, created_at, updated_at)
	SELECT ?, ?, ?, ?, ?, ?, ?, ?
	WHERE (SELECT COALESCE(SUM(n), 0) FROM task_counts WHERE user_id = ?) < ?
	RETURNING id`

// TaskByID returns task id whoever owns it.
func (db *DB) TaskByID(ctx context.Context, id int64) (*taskapi.Task, error) {
	var r taskRow
	err := db.x.GetContext(ctx, &r, db.rebind("SELECT "+taskColumns+" FROM tasks WHERE id = ?"), id)
	if err != nil {
		if notFound(err) {
			return nil, taskapi.TaskNotFound(id)
		}
		return nil, classify(err)
	}
	t := r.task()
	return &t, nil
}

// UpdateTask applies p to task id, moves updated_at to now and increments
// the version, in one statement (one round trip, see oneStatement), and
// returns the task as stored. An empty
// patch only moves updated_at. With p.IfVersion set, a task at another
// version is left alone and the answer is EPRECONDITION.
//
// updated_at never goes back: of two concurrent updates, the one that read
// the clock first may commit last, so the column keeps the later of its
// value and now. Each update changes only the columns in its patch, so
// concurrent updates of different fields all survive.
func (db *DB) UpdateTask(ctx context.Context, id int64, p taskapi.TaskPatch, now time.Time) (*taskapi.Task, error) {
	// The column names are literals here; only values are parameters.
	var set []string
	var args []any
	if p.Title != nil {
		set = append(set, "title = ?")
		args = append(args, *p.Title)
	}
	if p.Description.Set {
		set = append(set, "description = ?")
		args = append(args, p.Description.Value) // a nil *string is NULL
	}
	if p.Status != nil {
		set = append(set, "status = ?")
		args = append(args, *p.Status)
	}
	if p.Priority != nil {
		set = append(set, "priority = ?")
		args = append(args, *p.Priority)
	}
	if p.DueDate.Set {
		set = append(set, "due_date = ?")
		args = append(args, nullTimeArg(p.DueDate.Value))
	}
	// Both engines compare the stored TIMESTAMP with the argument as times
	// (SQLite as text, which timeLayout makes the same order).
	set = append(set, "updated_at = CASE WHEN updated_at > ? THEN updated_at ELSE ? END", "version = version + 1")
	args = append(args, timeArg(now), timeArg(now), id)
	where := "id = ?"
	if p.IfVersion != 0 {
		where += " AND version = ?"
		args = append(args, p.IfVersion)
	}

	var r taskRow
	query := "UPDATE tasks SET " + strings.Join(set, ", ") + " WHERE " + where + " RETURNING " + taskColumns
	err := db.oneStatement(ctx, func(c *sqlx.Conn) (bool, error) {
		err := c.GetContext(ctx, &r, db.rebind(query), args...)
		if notFound(err) {
			return true, db.missingOrChanged(ctx, c, id, p.IfVersion)
		}
		return false, err
	})
	if err != nil {
		return nil, err
	}
	t := r.task()
	return &t, nil
}

// missingOrChanged explains why a conditional write touched no row: the
// task is gone (404), or it is at another version than the caller's (412).
func (db *DB) missingOrChanged(ctx context.Context, q sqlx.QueryerContext, id, ifVersion int64) error {
	if ifVersion != 0 {
		var exists int
		err := sqlx.GetContext(ctx, q, &exists, db.rebind("SELECT 1 FROM tasks WHERE id = ?"), id)
		if err == nil {
			return taskapi.Errorf(taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
		} else if !notFound(err) {
			return err
		}
	}
	return taskapi.TaskNotFound(id)
}

// DeleteTask removes task id in one statement (one round trip, see
// oneStatement); its absence is ENOTFOUND. A non-zero ifVersion deletes
// it only at that version (EPRECONDITION otherwise).
//
// On PostgreSQL, task_delete (migration 00011) deletes and takes the task
// from its counter row in one call, which costs less than the counting
// trigger that every other delete runs.
func (db *DB) DeleteTask(ctx context.Context, id, ifVersion int64) error {
	return db.oneStatement(ctx, func(c *sqlx.Conn) (bool, error) {
		deleted, err := db.deleteTask(ctx, c, id, ifVersion)
		if err != nil {
			return false, err
		}
		if !deleted {
			return true, db.missingOrChanged(ctx, c, id, ifVersion)
		}
		return false, nil
	})
}

// deleteTask runs DeleteTask's statement on c and reports whether it
// deleted the task.
func (db *DB) deleteTask(ctx context.Context, c *sqlx.Conn, id, ifVersion int64) (bool, error) {
	if db.driver == DriverPostgres {
		var deleted bool
		err := c.QueryRowxContext(ctx, "SELECT task_delete($1::integer, $2::integer)", id, ifVersion).Scan(&deleted)
		return deleted, err
	}
	query, args := "DELETE FROM tasks WHERE id = ?", []any{id}
	if ifVersion != 0 {
		query, args = query+" AND version = ?", append(args, ifVersion)
	}
	res, err := c.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

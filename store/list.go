package store

import (
	"context"
	"math"
	"strings"

	"taskapi"
)

// sortColumns is what each sort orders by, most significant first; id
// follows in the same direction so that every task has one place. Only
// these literals ever reach ORDER BY: nothing from the request is spliced
// into SQL. Each list shape has an index that holds its rows in this order
// after the user and the filters (migrations 00004), so a page reads only
// its own rows, and a keyset position is a range condition on that index.
var sortColumns = map[taskapi.TaskSort][]string{
	taskapi.SortCreatedAt: {"created_at"},
	taskapi.SortDueDate:   {"due_date"},
	taskapi.SortPriority:  {"priority_rank", "created_at"},
}

// listRow is a page row with the list's total beside it.
type listRow struct {
	taskRow
	Total int `db:"total"`
}

// segment is a run of a list that one index range scan reads in order.
// A due-date list has two, the tasks with a due date and then those
// without: each is a plain range of the (..., due_date, id) index in both
// directions on both engines, whereas "NULLs last" in a descending list
// is not the index order of either engine.
type segment struct {
	cond  string   // restricts the list to the segment; empty for all
	keys  []string // the keyset: the sort columns, then id
	order []string // ORDER BY, each in the list's direction
}

// ListTasks returns one page of f.UserID's tasks, optionally filtered by
// status and priority, how many tasks match in all, and whether more
// follow. The sort defaults to created_at, descending unless f.Ascending.
// A Limit of zero or less means no limit; f.After continues after a
// position (see taskapi.TaskFilter); otherwise a negative Offset counts as
// zero.
//
// The cost of a page does not depend on how many tasks the user holds:
// the page is one index range scan that stops after Limit+1 rows, and the
// total is a sum of at most 144 task_counts rows (16 slots of nine
// cells, migration 00008), computed in the same
// statement (one snapshot, one round trip). Only Offset costs in
// proportion to its value: the rows it skips are read. A search (f.Words)
// reads the user's matching tasks from a text index and counts them
// instead (see searchCond).
func (db *DB) ListTasks(ctx context.Context, f taskapi.TaskFilter) (taskapi.TaskPage, error) {
	p := db.planList(f)
	q, segments, after, skip, limit := p.query, p.segments, p.after, p.skip, p.limit

	var rows []listRow
	total := -1
	for i, seg := range segments {
		if i > 0 {
			after = nil // a later segment is read from its start
		}
		need := limit + 1 - int64(len(rows)) // one more than the page says whether more follow
		got, err := q.read(ctx, seg, after, need, skip, total < 0)
		if err != nil {
			return taskapi.TaskPage{}, err
		}
		if len(got) > 0 {
			if total < 0 {
				total = got[0].Total
			}
			rows = append(rows, got...)
		}
		if int64(len(rows)) > limit || i == len(segments)-1 {
			break
		}
		// The next segment starts where this one ended: whatever of the
		// offset this one did not use up is skipped there.
		if skip > 0 && len(got) == 0 {
			n, err := q.size(ctx, seg)
			if err != nil {
				return taskapi.TaskPage{}, err
			}
			skip -= min(n, skip)
		} else {
			skip = 0
		}
	}
	if total < 0 { // no row came back to carry it
		if err := db.x.GetContext(ctx, &total, db.rebind(q.count), q.countArgs...); err != nil {
			return taskapi.TaskPage{}, classify(err)
		}
	}
	page := taskapi.TaskPage{Total: total, More: int64(len(rows)) > limit}
	if page.More {
		rows = rows[:limit]
	}
	page.Tasks = make([]taskapi.Task, 0, len(rows))
	for _, r := range rows {
		page.Tasks = append(page.Tasks, r.task())
	}
	return page, nil
}

// listPlan is how ListTasks reads one page: the query fragments, the
// segments in order, the keyset position in the first one (nil: from its
// start), the offset and the page size.
type listPlan struct {
	query    listQuery
	segments []segment
	after    []any
	skip     int64
	limit    int64
}

func (db *DB) planList(f taskapi.TaskFilter) listPlan {
	q := listQuery{db: db, cmp: "<", dir: "DESC"}
	q.filter, q.args = "user_id = ?", []any{f.UserID}
	q.count, q.countArgs = "SELECT COALESCE(SUM(n), 0) FROM task_counts WHERE user_id = ?", []any{f.UserID}
	if f.Status != "" {
		q.filter, q.args = q.filter+" AND status = ?", append(q.args, f.Status)
		q.count, q.countArgs = q.count+" AND status = ?", append(q.countArgs, f.Status)
	}
	if f.Priority != "" {
		// The rank, not the name, so that the index serving the priority
		// filter also serves the priority sort.
		q.filter, q.args = q.filter+" AND priority_rank = ?", append(q.args, f.Priority.Rank())
		q.count, q.countArgs = q.count+" AND priority = ?", append(q.countArgs, f.Priority)
	}
	if len(f.Words) > 0 {
		cond, args := db.searchCond(f.UserID, f.Words)
		q.filter, q.args = q.filter+" AND "+cond, append(q.args, args...)
		// The user's condition is written so that no index can serve
		// it (every other index of tasks starts with user_id): walking
		// the user's tasks in list order, testing each against the
		// words, is what the text index is there to avoid, yet a
		// planner that takes the words for common would choose it.
		q.filter = strings.Replace(q.filter, "user_id = ?", unindexedUser[db.driver], 1)
		// The counters know nothing of words: the matches are counted.
		q.count, q.countArgs = "SELECT COUNT(*) FROM tasks WHERE "+q.filter, append([]any(nil), q.args...)
	}
	if f.Ascending {
		q.cmp, q.dir = ">", "ASC"
	}
	sort := f.Sort
	if _, ok := sortColumns[sort]; !ok {
		sort = taskapi.SortCreatedAt
	}
	keys := append(sortColumns[sort][:len(sortColumns[sort]):len(sortColumns[sort])], "id")
	p := listPlan{query: q, segments: []segment{{keys: keys, order: keys}}, skip: int64(max(f.Offset, 0)), limit: int64(f.Limit)}
	if sort == taskapi.SortDueDate {
		// Ordering the NULL segment by due_date too keeps its ORDER BY the
		// index's order, which PostgreSQL needs to see that no sort is due.
		p.segments = []segment{
			{cond: "due_date IS NOT NULL", keys: keys, order: keys},
			{cond: "due_date IS NULL", keys: []string{"id"}, order: keys},
		}
	}
	if p.limit <= 0 {
		p.limit = math.MaxInt64 - 1
	}
	if k := f.After; k != nil {
		p.skip = 0
		switch sort {
		case taskapi.SortCreatedAt:
			p.after = []any{timeArg(k.CreatedAt), k.ID}
		case taskapi.SortPriority:
			p.after = []any{k.Priority.Rank(), timeArg(k.CreatedAt), k.ID}
		case taskapi.SortDueDate:
			if k.DueDate == nil {
				p.segments = p.segments[1:] // past every task with a due date
				p.after = []any{k.ID}
			} else {
				p.after = []any{timeArg(*k.DueDate), k.ID}
			}
		}
	}
	return p
}

// listQuery is one list request's SQL fragments and their arguments.
type listQuery struct {
	db              *DB
	filter, count   string // WHERE for the tasks, SELECT of the total
	args, countArgs []any
	cmp, dir        string // "<" and "DESC", or ">" and "ASC"
}

// read returns up to limit rows of seg after the keyset position after
// (nil: from the segment's start), skipping skip rows; withTotal adds the
// list's total to every row.
func (q listQuery) read(ctx context.Context, seg segment, after []any, limit, skip int64, withTotal bool) ([]listRow, error) {
	query, args := q.statement(seg, after, limit, skip, withTotal)
	var rows []listRow
	if err := q.db.x.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, classify(err)
	}
	return rows, nil
}

// statement is the SELECT that read runs, in the driver's syntax.
func (q listQuery) statement(seg segment, after []any, limit, skip int64, withTotal bool) (string, []any) {
	var sql strings.Builder
	var args []any
	sql.WriteString("SELECT " + taskColumns)
	if withTotal {
		sql.WriteString(", (" + q.count + ") AS total")
		args = append(args, q.countArgs...)
	} else {
		sql.WriteString(", 0 AS total")
	}
	sql.WriteString(" FROM tasks WHERE " + q.filter)
	args = append(args, q.args...)
	if seg.cond != "" {
		sql.WriteString(" AND " + seg.cond)
	}
	if after != nil {
		// A row comparison is a range condition on the index's trailing
		// columns, on both engines.
		sql.WriteString(" AND (" + strings.Join(seg.keys, ", ") + ") " + q.cmp + " (" + placeholders(len(after)) + ")")
		args = append(args, after...)
	}
	sql.WriteString(" ORDER BY " + strings.Join(seg.order, " "+q.dir+", ") + " " + q.dir + " LIMIT ?")
	args = append(args, limit)
	if skip > 0 {
		sql.WriteString(" OFFSET ?")
		args = append(args, skip)
	}
	return q.db.rebind(sql.String()), args
}

// size counts seg's rows, for an offset that reaches past its end.
func (q listQuery) size(ctx context.Context, seg segment) (int64, error) {
	var n int64
	query := "SELECT COUNT(*) FROM tasks WHERE " + q.filter + " AND " + seg.cond
	if err := q.db.x.GetContext(ctx, &n, q.db.rebind(query), q.args...); err != nil {
		return 0, classify(err)
	}
	return n, nil
}

// placeholders returns n comma-separated parameter markers.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

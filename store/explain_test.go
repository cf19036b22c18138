package store_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"taskapi"
	"taskapi/internal/testdb"
	"taskapi/store"
)

// planNode is the part of an EXPLAIN (ANALYZE, FORMAT JSON) node the
// test reads.
type planNode struct {
	NodeType       string     `json:"Node Type"`
	Relation       string     `json:"Relation Name"`
	Index          string     `json:"Index Name"`
	ActualRows     float64    `json:"Actual Rows"`
	ActualLoops    float64    `json:"Actual Loops"`
	RemovedFilter  float64    `json:"Rows Removed by Filter"`
	RemovedRecheck float64    `json:"Rows Removed by Index Recheck"`
	Plans          []planNode `json:"Plans"`
}

// TestListPlansPostgres runs EXPLAIN ANALYZE on every statement of every
// list shape (each filter, sort and direction; a first page, a page after
// a task with a due date and one after a task without) for a user holding
// 20,000 tasks among 40,000, after ANALYZE, so that the planner decides
// as it would in production with real statistics and real values rather
// than being pushed with enable_seqscan or enable_sort. A plan fails if
// it sorts, if it reads the tasks table other than through an index, or
// if its scans of tasks touch more rows than one page and the row that
// says more follow: a scan over the user's whole set would read
// thousands.
func TestListPlansPostgres(t *testing.T) {
	t.Parallel()
	testdb.Postgres(t)
	db := openPostgres(t)
	heavy := bulkTasks(t, db, "heavy", 20000)
	for i := 0; i < 4; i++ {
		bulkTasks(t, db, fmt.Sprint("other", i), 5000)
	}
	if err := store.ExecRaw(t.Context(), db, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	// Keyset positions half-way through the user's tasks, with and
	// without a due date.
	var withDue, withoutDue taskapi.Task
	for _, c := range []struct {
		task *taskapi.Task
		cond string
	}{{&withDue, "due_date IS NOT NULL"}, {&withoutDue, "due_date IS NULL"}} {
		var id int64
		if err := store.QueryRaw(t.Context(), db, "SELECT id FROM tasks WHERE user_id = ? AND "+c.cond+" ORDER BY id LIMIT 1 OFFSET 2000", heavy).Scan(&id); err != nil {
			t.Fatal(err)
		}
		*c.task = *getTask(t, db, id)
	}

	const limit = 20
	filters := []taskapi.TaskFilter{{}, {Status: taskapi.StatusCompleted}, {Priority: taskapi.PriorityHigh}, {Status: taskapi.StatusPending, Priority: taskapi.PriorityLow}}
	for _, filter := range filters {
		for _, sort := range []taskapi.TaskSort{taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority} {
			for _, asc := range []bool{false, true} {
				for _, after := range []*taskapi.Task{nil, &withDue, &withoutDue} {
					f := filter
					f.UserID, f.Sort, f.Ascending, f.Limit = heavy, sort, asc, limit
					name := fmt.Sprintf("status=%q priority=%q sort=%s asc=%v", f.Status, f.Priority, sort, asc)
					if after != nil {
						f.After = ptr(after.Key())
						name += fmt.Sprintf(" after task %d", after.ID)
					}
					for _, s := range store.ListStatements(db, f) {
						checkPlan(t, db, name, s, limit+1)
					}
				}
			}
		}
	}
}

// checkPlan explains s and fails t if the plan sorts or reads more than
// maxRows rows of tasks.
func checkPlan(t *testing.T, db *store.DB, name string, s store.ListStatement, maxRows float64) {
	t.Helper()
	var out string
	// The statement is already in PostgreSQL's $n syntax.
	if err := store.QueryRaw(t.Context(), db, "EXPLAIN (ANALYZE, FORMAT JSON) "+s.SQL, s.Args...).Scan(&out); err != nil {
		t.Fatalf("%s: EXPLAIN %s: %v", name, s.SQL, err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(out), &plans); err != nil || len(plans) != 1 {
		t.Fatalf("%s: unreadable plan %s: %v", name, out, err)
	}
	var walk func(n planNode) []string
	walk = func(n planNode) (problems []string) {
		if strings.Contains(n.NodeType, "Sort") {
			problems = append(problems, n.NodeType)
		}
		if n.Relation == "tasks" {
			read := (n.ActualRows + n.RemovedFilter + n.RemovedRecheck) * max(n.ActualLoops, 1)
			switch {
			case n.NodeType != "Index Scan" && n.NodeType != "Index Only Scan":
				problems = append(problems, n.NodeType+" on tasks")
			case read > maxRows:
				problems = append(problems, fmt.Sprintf("%s using %s read %.0f rows", n.NodeType, n.Index, read))
			}
		}
		for _, c := range n.Plans {
			problems = append(problems, walk(c)...)
		}
		return problems
	}
	if problems := walk(plans[0].Plan); len(problems) > 0 {
		t.Errorf("%s: %s\n%s\nplan: %s", name, strings.Join(problems, "; "), s.SQL, out)
	}
}

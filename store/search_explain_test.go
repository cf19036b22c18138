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

// searchFixture gives a heavy user 20,000 tasks, 10 of which hold the
// word "milk", and four other users 5,000 each, a tenth of which hold it:
// a search that read anything but the heavy user's own matches would
// read hundreds or thousands of rows.
func searchFixture(t *testing.T, db *store.DB) int64 {
	heavy := bulkTasks(t, db, "heavy", 20000)
	for i := range 4 {
		other := bulkTasks(t, db, fmt.Sprint("other", i), 5000)
		if err := store.ExecRaw(t.Context(), db, "UPDATE tasks SET description = 'milk and more' WHERE user_id = ? AND id % 10 = 0", other); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecRaw(t.Context(), db, "UPDATE tasks SET description = 'rare milk' WHERE user_id = ? AND id % 2000 = 0", heavy); err != nil {
		t.Fatal(err)
	}
	return heavy
}

// searchShapes are the searches whose plans the tests check: every sort
// both ways, alone and with a filter.
func searchShapes(user int64) []taskapi.TaskFilter {
	var out []taskapi.TaskFilter
	for _, filter := range []taskapi.TaskFilter{{}, {Status: taskapi.StatusCompleted, Priority: taskapi.PriorityHigh}} {
		for _, sort := range []taskapi.TaskSort{taskapi.SortCreatedAt, taskapi.SortDueDate, taskapi.SortPriority} {
			for _, asc := range []bool{false, true} {
				f := filter
				f.UserID, f.Words, f.Sort, f.Ascending, f.Limit = user, []string{"milk"}, sort, asc, 20
				out = append(out, f)
			}
		}
	}
	return out
}

// TestSearchPlansPostgres runs EXPLAIN ANALYZE on every statement of a
// selective search, after ANALYZE: each must read tasks only through the
// text index, and only the heavy user's few matches, not their 20,000
// tasks nor the other users' 2,000 matches.
func TestSearchPlansPostgres(t *testing.T) {
	t.Parallel()
	testdb.Postgres(t)
	db := openPostgres(t)
	heavy := searchFixture(t, db)
	if err := store.ExecRaw(t.Context(), db, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, f := range searchShapes(heavy) {
		name := fmt.Sprintf("status=%q priority=%q sort=%s asc=%v", f.Status, f.Priority, f.Sort, f.Ascending)
		for _, s := range store.ListStatements(db, f) {
			var out string
			if err := store.QueryRaw(t.Context(), db, "EXPLAIN (ANALYZE, FORMAT JSON) "+s.SQL, s.Args...).Scan(&out); err != nil {
				t.Fatalf("%s: EXPLAIN %s: %v", name, s.SQL, err)
			}
			var plans []struct {
				Plan planNode `json:"Plan"`
			}
			if err := json.Unmarshal([]byte(out), &plans); err != nil || len(plans) != 1 {
				t.Fatalf("%s: unreadable plan %s: %v", name, out, err)
			}
			var problems []string
			usedIndex := false
			var walk func(n planNode)
			walk = func(n planNode) {
				if n.Index == "idx_tasks_search" {
					usedIndex = true
				}
				if n.Relation == "tasks" {
					read := (n.ActualRows + n.RemovedFilter + n.RemovedRecheck) * max(n.ActualLoops, 1)
					switch {
					case n.NodeType != "Bitmap Heap Scan":
						problems = append(problems, n.NodeType+" on tasks")
					case read > 10:
						problems = append(problems, fmt.Sprintf("%s read %.0f rows", n.NodeType, read))
					}
				}
				for _, c := range n.Plans {
					walk(c)
				}
			}
			walk(plans[0].Plan)
			if !usedIndex {
				problems = append(problems, "idx_tasks_search unused")
			}
			if len(problems) > 0 {
				t.Errorf("%s: %s\n%s\nplan: %s", name, strings.Join(problems, "; "), s.SQL, out)
			}
		}
	}
}

// TestSearchPlansSQLite checks with EXPLAIN QUERY PLAN that SQLite
// answers every search statement from the FTS5 index, looking tasks up
// by id, and never scans tasks or the user's indexes.
func TestSearchPlansSQLite(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	heavy := searchFixture(t, db)
	for _, f := range searchShapes(heavy) {
		name := fmt.Sprintf("status=%q priority=%q sort=%s asc=%v", f.Status, f.Priority, f.Sort, f.Ascending)
		for _, s := range store.ListStatements(db, f) {
			var rows []struct {
				ID, Parent, NotUsed int
				Detail              string
			}
			if err := store.SelectRaw(t.Context(), db, &rows, "EXPLAIN QUERY PLAN "+s.SQL, s.Args...); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var plan []string
			for _, r := range rows {
				plan = append(plan, r.Detail)
			}
			text := strings.Join(plan, "\n")
			fts := strings.Contains(text, "SCAN tasks_fts VIRTUAL TABLE INDEX")
			byID := strings.Contains(text, "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)")
			if !fts || !byID || strings.Contains(text, "SCAN tasks\n") || strings.HasSuffix(text, "SCAN tasks") || strings.Contains(text, "idx_tasks_user") {
				t.Errorf("%s: the search does not read the text index alone\n%s\nplan:\n%s", name, s.SQL, text)
			}
		}
	}
}

package store_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"slices"
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
func searchFixture(t *testing.T, db *store.DB) int64 { return scaledSearchFixture(t, db, 1) }

// scaledSearchFixture is searchFixture with every count divided by
// scale: the same users, the same shares of matches.
func scaledSearchFixture(t *testing.T, db *store.DB, scale int) int64 {
	heavy := bulkTasks(t, db, "heavy", 20000/scale)
	for i := range 4 {
		other := bulkTasks(t, db, fmt.Sprint("other", i), 5000/scale)
		if err := store.ExecRaw(t.Context(), db, "UPDATE tasks SET description = 'milk and more' WHERE user_id = ? AND id % 10 = 0", other); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.ExecRaw(t.Context(), db, "UPDATE tasks SET description = 'rare milk' WHERE user_id = ? AND id % ? = 0", heavy, 2000/scale); err != nil {
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

// fullSQLiteSearch makes TestSearchPlansSQLite build searchFixture's
// 40,000 tasks, ANALYZE them and log the statistics it gets, to check a
// change in how SQLite plans against real sizes, or to refresh
// bigFixtureStat1.
var fullSQLiteSearch = flag.Bool("sqlite-search-full", false, "TestSearchPlansSQLite: use the 40,000-task fixture, ANALYZE it and log its sqlite_stat1 rows")

// bigFixtureStat1 is sqlite_stat1 as ANALYZE writes it for searchFixture's
// 40,000 tasks among 5 users (go test -v -run TestSearchPlansSQLite
// ./store/ -args -sqlite-search-full prints it again); Idx is empty where
// the row counts a table's rows rather than describing an index.
var bigFixtureStat1 = []struct{ Tbl, Idx, Stat string }{
	{"goose_db_version", "", "10"},
	{"task_counts", "task_counts", "720 144 48 16 1"},
	{"tasks", "idx_tasks_user_due", "40000 8000 2 1"},
	{"tasks", "idx_tasks_user_id_created_at", "40000 8000 1 1"},
	{"tasks", "idx_tasks_user_rank_created", "40000 8000 2667 1 1"},
	{"tasks", "idx_tasks_user_rank_due", "40000 8000 2667 2 1"},
	{"tasks", "idx_tasks_user_status_created", "40000 8000 2667 1 1"},
	{"tasks", "idx_tasks_user_status_due", "40000 8000 2667 2 1"},
	{"tasks", "idx_tasks_user_status_rank_created", "40000 8000 2667 889 1 1"},
	{"tasks", "idx_tasks_user_status_rank_due", "40000 8000 2667 889 2 1"},
	{"tasks_fts_config", "tasks_fts_config", "1 1"},
	{"tasks_fts_data", "", "201"},
	{"tasks_fts_docsize", "", "40000"},
	{"tasks_fts_idx", "tasks_fts_idx", "145 13 1"},
	{"users", "idx_users_email", "5 1"},
	{"users", "idx_users_email_lower", "5 1"},
	{"users", "idx_users_username", "5 1"},
	{"users", "idx_users_username_lower", "5 1"},
	{"users", "sqlite_autoindex_users_1", "5 1"},
	{"users", "sqlite_autoindex_users_2", "5 1"},
}

// TestSearchPlansSQLite checks with EXPLAIN QUERY PLAN that SQLite
// answers every search statement from the FTS5 index, looking tasks up
// by id, and never scans tasks or the user's indexes.
//
// The fixture is searchFixture divided by 100 (400 tasks), because
// SQLite's plan does not depend on how many rows there are: without
// statistics (sqlite_stat1 and sqlite_stat4, which only ANALYZE or
// PRAGMA optimize write, and the store runs neither) the planner assumes
// fixed sizes, and FTS5 prices its index by the query alone. The plans
// were compared, shape by shape, at 0, 1, 2, 9, 40, 400 and 40,000 tasks,
// and with the 40,000 tasks ANALYZEd: the same text. The test checks
// that the store still writes no statistics, and checks the plans again
// with the 40,000-task fixture's sqlite_stat1 loaded, so that a store that
// starts to ANALYZE is planned as it would be at that size.
func TestSearchPlansSQLite(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	scale := 100
	if *fullSQLiteSearch {
		scale = 1
	}
	heavy := scaledSearchFixture(t, db, scale)
	var stats []string
	if err := store.SelectRaw(t.Context(), db, &stats, "SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'"); err != nil {
		t.Fatal(err)
	}
	if len(stats) > 0 {
		t.Fatalf("the store wrote statistics (%v): the plans now depend on the data, check them with -sqlite-search-full", stats)
	}
	checkSearchPlansSQLite(t, db, heavy, "no statistics")

	if err := store.ExecRaw(t.Context(), db, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	if *fullSQLiteSearch {
		var rows []string
		if err := store.SelectRaw(t.Context(), db, &rows, `SELECT printf('{"%s", "%s", "%s"},', tbl, COALESCE(idx, ''), stat) FROM sqlite_stat1 ORDER BY tbl, idx`); err != nil {
			t.Fatal(err)
		}
		t.Logf("sqlite_stat1 of the 40,000-task fixture:\n%s", strings.Join(rows, "\n"))
		checkSearchPlansSQLite(t, db, heavy, "ANALYZE of 40,000 tasks")
		return
	}
	// The small fixture's own statistics out, the big one's in: every
	// index must have its row, so that a new index asks for new figures.
	var small []struct{ Tbl, Idx string }
	if err := store.SelectRaw(t.Context(), db, &small, "SELECT tbl, COALESCE(idx, '') AS idx FROM sqlite_stat1"); err != nil {
		t.Fatal(err)
	}
	for _, r := range small {
		if !slices.ContainsFunc(bigFixtureStat1, func(big struct{ Tbl, Idx, Stat string }) bool { return big.Tbl == r.Tbl && big.Idx == r.Idx }) {
			t.Fatalf("bigFixtureStat1 has no row for table %s index %q: run go test -v -run TestSearchPlansSQLite ./store/ -args -sqlite-search-full and copy the rows it logs", r.Tbl, r.Idx)
		}
	}
	for _, q := range []string{"DELETE FROM sqlite_stat1", "DELETE FROM sqlite_stat4"} {
		if err := store.ExecRaw(t.Context(), db, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range bigFixtureStat1 {
		if err := store.ExecRaw(t.Context(), db, "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, NULLIF(?, ''), ?)", r.Tbl, r.Idx, r.Stat); err != nil {
			t.Fatal(err)
		}
	}
	// ANALYZE sqlite_schema makes the connection read the tables again.
	if err := store.ExecRaw(t.Context(), db, "ANALYZE sqlite_schema"); err != nil {
		t.Fatal(err)
	}
	checkSearchPlansSQLite(t, db, heavy, "statistics of 40,000 tasks")
}

// checkSearchPlansSQLite fails t unless every search statement of user
// reads tasks only through tasks_fts and by id.
func checkSearchPlansSQLite(t *testing.T, db *store.DB, user int64, stats string) {
	t.Helper()
	for _, f := range searchShapes(user) {
		name := fmt.Sprintf("%s: status=%q priority=%q sort=%s asc=%v", stats, f.Status, f.Priority, f.Sort, f.Ascending)
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

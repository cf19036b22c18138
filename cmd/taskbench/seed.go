package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"taskapi/internal/loadgen"
)

// user is a seeded account.
type user struct {
	name, password string
	id             int64
	token          string
	tasks          int64   // how many it holds
	ids            []int64 // some of their ids, for get-one and updates
}

func register(ctx context.Context, auth api, name string) (*user, error) {
	u := &user{name: name, password: "bench-password-" + name}
	err := auth.call(ctx, "POST", "/auth/register", "", jsonBody(map[string]string{
		"username": name, "email": name + "@bench.example.com", "password": u.password,
	}), 201, nil)
	if err != nil {
		return nil, err
	}
	var login struct {
		Token string `json:"token"`
		User  struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if err := auth.call(ctx, "POST", "/auth/login", "", u.loginBody(), 200, &login); err != nil {
		return nil, err
	}
	u.token, u.id = login.Token, login.User.ID
	return u, nil
}

func (u *user) loginBody() []byte {
	return jsonBody(map[string]string{"username": u.name, "password": u.password})
}

var (
	statuses   = []string{"pending", "in_progress", "completed"}
	priorities = []string{"low", "medium", "high"}
)

// taskBody is the i-th seeded task: statuses, priorities and due dates
// spread evenly, so every filter and sort has work to do.
func taskBody(i int64) []byte {
	due := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(i%730))
	return jsonBody(map[string]string{
		"title":       "Task " + strconv.FormatInt(i, 10),
		"description": "Seeded by taskbench",
		"status":      statuses[i%3],
		"priority":    priorities[(i/3)%3],
		"due_date":    due.Format("2006-01-02"),
	})
}

// seedTasks creates n tasks for u through POST /tasks from conc workers,
// stopping early at limit. It keeps up to keep ids.
func seedTasks(ctx context.Context, tasks api, u *user, n int64, conc int, limit time.Duration, keep int) (time.Duration, error) {
	var mu sync.Mutex
	var firstErr error
	var made atomic.Int64
	start := time.Now()
	res := loadgen.Run(ctx, loadgen.Options{Concurrency: conc, Duration: limit, MaxRequests: n}, func(ctx context.Context, _ int, seq int64) error {
		body, err := tasks.rawCall(ctx, "POST", "/tasks", u.token, taskBody(seq), 201)
		if err == nil {
			var id int64
			if id, err = createdID(body); err == nil {
				made.Add(1)
				mu.Lock()
				if len(u.ids) < keep {
					u.ids = append(u.ids, id)
				}
				mu.Unlock()
				return nil
			}
		}
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		return err
	})
	u.tasks = made.Load()
	if res.Errors > 0 {
		return time.Since(start), fmt.Errorf("seeding %s: %d of %d creates failed, first: %v", u.name, res.Errors, res.Requests, firstErr)
	}
	return time.Since(start), nil
}

// lastPageQuery returns the query of the list's last page of 20 for u, in
// the default order: with cursor pagination (next_cursor in answers), the
// cursor that leads there, found by walking pages of 100; without it, the
// offset. It also says which it used.
func lastPageQuery(ctx context.Context, tasks api, u *user) (string, string, error) {
	var page struct {
		Count      int              `json:"count"`
		Total      int64            `json:"total"`
		NextCursor *string          `json:"next_cursor"`
		Tasks      []map[string]any `json:"tasks"`
	}
	var raw map[string]json.RawMessage
	if err := tasks.call(ctx, "GET", "/tasks?limit=1", u.token, nil, 200, &raw); err != nil {
		return "", "", err
	}
	if _, ok := raw["next_cursor"]; !ok {
		return fmt.Sprintf("/tasks?limit=20&offset=%d", max(u.tasks-20, 0)), "offset", nil
	}
	target := max(u.tasks-20, 0)
	seen := int64(0)
	cursor := ""
	for pages := 0; seen < target; pages++ {
		if pages > 2000 || ctx.Err() != nil {
			return "", "", fmt.Errorf("walking %s's pages: still %d tasks short after %d pages", u.name, target-seen, pages)
		}
		lim := min(target-seen, 100)
		q := "/tasks?limit=" + strconv.FormatInt(lim, 10)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		page.NextCursor = nil
		if err := tasks.call(ctx, "GET", q, u.token, nil, 200, &page); err != nil {
			return "", "", err
		}
		if page.Count == 0 || page.NextCursor == nil || *page.NextCursor == "" {
			return "", "", fmt.Errorf("walking %s's pages: the list ended after %d of %d tasks", u.name, seen+int64(page.Count), u.tasks)
		}
		seen += int64(page.Count)
		cursor = *page.NextCursor
	}
	if cursor == "" {
		return "/tasks?limit=20", "cursor", nil
	}
	return "/tasks?limit=20&cursor=" + url.QueryEscape(cursor), "cursor", nil
}

// bulkInsertTasks adds tasks first to n-1 of u in one INSERT … SELECT
// generate_series: the triggers count them once for the statement, and
// the indexes take every row, as for the API's creates.
func bulkInsertTasks(ctx context.Context, db *sql.DB, u *user, first, n int64) error {
	_, err := db.ExecContext(ctx, `INSERT INTO tasks (user_id, title, description, status, priority, due_date, created_at, updated_at)
		SELECT $1, 'Task ' || i, 'Seeded by taskbench',
			(ARRAY['pending','in_progress','completed'])[i % 3 + 1],
			(ARRAY['low','medium','high'])[(i / 3) % 3 + 1],
			DATE '2027-01-01' + (i % 730)::int,
			now() - make_interval(secs => ($3 - i) / 1000.0),
			now() - make_interval(secs => ($3 - i) / 1000.0)
		FROM generate_series($2::bigint, $3::bigint - 1) AS i`, u.id, first, n)
	if err != nil {
		return fmt.Errorf("bulk insert for %s: %w", u.name, err)
	}
	u.tasks += n - first
	return nil
}

// seed registers the run's users and gives the small user its tasks
// through POST /tasks and the big one through the API for up to
// -seed-limit, the rest in one statement (timed: a target). Then ANALYZE,
// what autovacuum's analyze would do after such a load (the server here
// runs without autovacuum); no VACUUM: lists must not need one.
func (b *bench) seed(ctx context.Context, e *env) error {
	cfg := b.cfg
	var err error
	if e.small, err = register(ctx, e.authAPI, "small_"+e.suffix); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if e.big, err = register(ctx, e.authAPI, "big_"+e.suffix); err != nil {
		return err
	}
	if e.one, err = register(ctx, e.authAPI, "writer_"+e.suffix); err != nil {
		return err
	}
	if e.many, err = registerAll(ctx, e.authAPI, "w", e.suffix, writers); err != nil {
		return err
	}
	if e.stormers, err = registerAll(ctx, e.authAPI, "s", e.suffix, b.cfg.stormConc); err != nil {
		return err
	}
	took, err := seedTasks(ctx, e.taskAPI, e.small, cfg.small, 8, time.Minute, int(cfg.small))
	if err != nil {
		return err
	}
	b.report.Seeding = append(b.report.Seeding, fmt.Sprintf("small user: %d tasks through POST /tasks in %.1f s", e.small.tasks, took.Seconds()))
	b.logf("seeded %d tasks for the small user in %s", e.small.tasks, took.Round(time.Millisecond))
	line := "big user:"
	if cfg.seedLimit > 0 {
		took, err := seedTasks(ctx, e.taskAPI, e.big, cfg.big, cfg.conc, cfg.seedLimit, 1000)
		if err != nil {
			return err
		}
		line += fmt.Sprintf(" %d tasks through POST /tasks from %d concurrent clients in %.1f s (%.0f creates/s);",
			e.big.tasks, cfg.conc, took.Seconds(), float64(e.big.tasks)/took.Seconds())
	}
	if viaAPI := e.big.tasks; viaAPI < cfg.big {
		start := time.Now()
		if err := bulkInsertTasks(ctx, e.pool, e.big, viaAPI, cfg.big); err != nil {
			return err
		}
		took := time.Since(start)
		b.report.BulkSeed = &loadgen.BulkSeed{Rows: cfg.big - viaAPI, Seconds: took.Seconds()}
		line += fmt.Sprintf(" %d tasks in one INSERT … SELECT generate_series into the same table (triggers and indexes maintained) in %.1f s", cfg.big-viaAPI, took.Seconds())
	}
	if _, err := e.pool.ExecContext(ctx, "ANALYZE"); err != nil {
		return err
	}
	b.report.Seeding = append(b.report.Seeding, line+"; then ANALYZE (no VACUUM)")
	b.logf("%s", line)
	return nil
}

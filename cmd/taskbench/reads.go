package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"

	"taskapi/app"
	"taskapi/internal/loadgen"
)

// getOne reads u's tasks by id, round robin.
func getOne(tasks api, u *user) loadgen.Op {
	return func(ctx context.Context, _ int, seq int64) error {
		return tasks.call(ctx, "GET", taskPath(u.ids[seq%int64(len(u.ids))]), u.token, nil, 200, nil)
	}
}

// getOneSteps measures the select limit, then get-one on the split
// deployment (with the default pool and one of 16), each login storm right
// after the get-one it is compared with, and the same on one process.
func (b *bench) getOneSteps(ctx context.Context, e *env) error {
	cfg := b.cfg
	small := e.small
	if b.wants(loadgen.LimitSelect) && ctx.Err() == nil {
		p := newProbe(b.pg)
		o := b.opts()
		o.OnMeasureStart, o.OnMeasureEnd = p.start, p.end
		res := selectLimit(ctx, e.pool, o, small.id, small.ids)
		b.addLimit(loadgen.LimitSelect, "SELECT * FROM tasks WHERE id = $1 AND user_id = $2", cfg.conc, res, p)
	}
	if sc := b.measure(ctx, loadgen.GetOne, "split", "GET /tasks/{id}", e.split, b.opts(), getOne(e.taskAPI, small)); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitSelect)
	}
	// The limit keeps cfg.conc connections busy; the task service's
	// default pool has 3. On a machine shared with other work, 3
	// backends get a smaller share of the CPU than 32, and 32 requests
	// queueing for 3 connections cost the service CPU too: the same
	// get-one against a task service with a pool of 16 shows how much of
	// the gap is the pool's.
	e.pool.SetMaxIdleConns(2) // give back the limit's idle connections first
	if name := loadgen.GetOne + "-pool16"; b.wants(name) && ctx.Err() == nil {
		task16, _, err := startService(ctx, cfg.bin, b.dir, "task16", b.serviceEnv("task", map[string]string{
			app.EnvAuthServiceURL: e.auth.url(), app.EnvDBMigrate: "false", app.EnvDBMaxOpenConns: "16",
		}), startLimit)
		if err != nil {
			return err
		}
		api16 := b.client
		api16.base = task16.url()
		if sc := b.measure(ctx, name, "split", "GET /tasks/{id}, "+app.EnvDBMaxOpenConns+"=16", []*service{e.auth, task16}, b.opts(), getOne(api16, small)); sc != nil {
			b.report.SetRatio(sc, loadgen.LimitSelect)
		}
		task16.stop()
	}

	// Both services in one process, on the same database and tokens,
	// right after the split deployment's get-one, and each login storm
	// right after the get-one it is compared with: the machine's other
	// load drifts, so a ratio is only as good as its two figures are close
	// in time.
	b.storm(ctx, loadgen.StormSplit, "split", e.split, e.taskAPI, e.authAPI, getOne(e.taskAPI, small), e.stormers, loadgen.GetOne)
	if b.wants(loadgen.GetOneAll) || b.wants(loadgen.StormAll) {
		all, _, err := startService(ctx, cfg.bin, b.dir, "all", b.serviceEnv("all", map[string]string{app.EnvDBMigrate: "false"}), startLimit)
		if err != nil {
			return err
		}
		defer all.stop()
		allAPI := b.client
		allAPI.base = all.url()
		if sc := b.measure(ctx, loadgen.GetOneAll, "all", "GET /tasks/{id}", []*service{all}, b.opts(), getOne(allAPI, small)); sc != nil {
			b.report.SetRatio(sc, loadgen.LimitSelect)
		}
		b.storm(ctx, loadgen.StormAll, "all", []*service{all}, allAPI, allAPI, getOne(allAPI, small), e.stormers, loadgen.GetOneAll)
	}
	return nil
}

// listShapes are the list requests of loadgen.ListShapes, but the last
// page, whose query depends on the user.
var listShapes = map[string]string{
	"created_at":      "/tasks?limit=20",
	"due_date":        "/tasks?limit=20&sort=due_date",
	"priority":        "/tasks?limit=20&sort=priority",
	"status+priority": "/tasks?limit=20&status=completed&sort=priority",
	// Every seeded title is "Task <n>": the word 42 is one task of each
	// user, so the page's cost is the text index's, not the user's size.
	"search": "/tasks?limit=20&q=42",
}

// lists measures every list shape, limit 20, for the small and the big
// user.
func (b *bench) lists(ctx context.Context, e *env) error {
	for _, u := range []struct {
		name string
		u    *user
	}{{loadgen.SmallUser, e.small}, {loadgen.BigUser, e.big}} {
		for _, shape := range loadgen.ListShapes {
			name := loadgen.ListName(u.name, shape)
			if !b.wants(name) || ctx.Err() != nil {
				continue
			}
			path := listShapes[shape]
			if shape == "last-page" {
				var how string
				var err error
				if path, how, err = lastPageQuery(ctx, e.taskAPI, u.u); err != nil {
					return err
				}
				b.report.Settings["last page"] = how
			}
			user := u.u
			sc := b.measure(ctx, name, "split", "GET "+shortQuery(path), e.split, b.opts(), func(ctx context.Context, _ int, _ int64) error {
				return e.taskAPI.call(ctx, "GET", path, user.token, nil, 200, nil)
			})
			if sc != nil {
				sc.Note = fmt.Sprintf("user holds %d tasks", user.tasks)
			}
		}
	}
	return nil
}

// storm measures get-one while logins hammer the auth routes, from the
// same moment for the same time: many users logging in at once, worker i
// as users[i mod len] (one account's concurrent logins are its own
// throttle's business: its limit counts the attempts in flight). Logins
// answered 503 (bcrypt busy, shed by the bcrypt queue timeout) are the
// server shedding load as intended, not errors.
func (b *bench) storm(ctx context.Context, name, deployment string, procs []*service, tasks, auth api, get loadgen.Op, users []*user, baseline string) {
	if !b.wants(name) || ctx.Err() != nil {
		return
	}
	var shed atomic.Int64
	bodies := make([][]byte, len(users))
	for i, u := range users {
		bodies[i] = u.loginBody()
	}
	stormOpts := b.opts()
	stormOpts.Concurrency = b.cfg.stormConc
	done := make(chan loadgen.Result, 1)
	go func() {
		done <- loadgen.Run(ctx, stormOpts, func(ctx context.Context, worker int, _ int64) error {
			err := auth.call(ctx, "POST", "/auth/login", "", bodies[worker%len(bodies)], 200, nil)
			var se *statusError
			if errors.As(err, &se) && se.status == 503 {
				shed.Add(1)
				return nil
			}
			return err
		})
	}()
	sc := b.measure(ctx, name, deployment, "GET /tasks/{id} during a login storm", procs, b.opts(), get)
	logins := <-done
	if sc == nil {
		return
	}
	b.report.SetRatio(sc, baseline)
	ls := loadgen.NewScenario(name+"/logins", deployment, "POST /auth/login (the storm)", stormOpts.Concurrency, logins)
	ls.Note = fmt.Sprintf("%d of %d logins answered 503 Service busy (bcrypt slots full past %s): shed by design, not counted as errors", shed.Load(), logins.Requests, app.EnvBcryptQueueTimeout)
	b.report.SetRatio(&ls, loadgen.LimitBcrypt)
	b.report.Scenarios = append(b.report.Scenarios, ls)
	b.logf("%-28s %8.0f rps  p50 %7.2f  p99 %7.2f ms  errors %d, shed %d", ls.Name, ls.RPS, ls.P50ms, ls.P99ms, ls.Errors, shed.Load())
}

// shortQuery drops a cursor's value from a path, for the table.
func shortQuery(path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	if q.Get("cursor") != "" {
		q.Set("cursor", "…")
	}
	u.RawQuery = q.Encode()
	s, _ := url.QueryUnescape(u.String())
	return s
}

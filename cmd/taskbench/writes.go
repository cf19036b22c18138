package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"taskapi/app"
	"taskapi/internal/loadgen"
)

// writeTarget is a deployment the write scenarios run against.
type writeTarget struct {
	prefix     string // of the scenario names: "" or "embedded-"
	deployment string
	procs      []*service
	tasks      api
}

// userGroup is whose writes a scenario sends: worker w writes as
// users[w % len(users)].
type userGroup struct {
	suffix string // of the scenario names: "" (many users) or "-1user"
	users  []*user
}

// written is a task a create scenario made, and its owner.
type written struct {
	u  *user
	id int64
}

// postgresWrites measures creates, updates and deletes on the split
// deployment from many users and from one, each kind right after its
// bare limit.
func (b *bench) postgresWrites(ctx context.Context, e *env) error {
	e.pool.SetMaxIdleConns(b.cfg.conc) // no reconnects in the window: new backends would escape the probe
	l := &limits{b: b, db: e.pool, e: postgresEngine, pg: b.pg}
	w := writeTarget{deployment: "split", procs: e.split, tasks: e.taskAPI}
	if err := b.writes(ctx, w, []userGroup{{"", e.many}, {loadgen.OneUser, []*user{e.one}}}, l); err != nil {
		return err
	}
	// A write holds its connection for three round trips and the commit's
	// WAL flush, and the task service has 3 by default, so at most 3 of
	// the 32 creates are in flight and they never meet on a row: the same
	// creates against a pool of 16 show how much of the gap is the pool's,
	// and, from one user, whether that user's creates queue.
	pooled := []userGroup{{pool16, e.many}, {loadgen.OneUser + pool16, []*user{e.one}}}
	if (!b.wants(loadgen.Create+pooled[0].suffix) && !b.wants(loadgen.Create+pooled[1].suffix)) || ctx.Err() != nil {
		return nil
	}
	task16, _, err := startService(ctx, b.cfg.bin, b.dir, "task16", b.serviceEnv("task", map[string]string{
		app.EnvAuthServiceURL: e.auth.url(), app.EnvDBMigrate: "false", app.EnvDBMaxOpenConns: "16",
	}), startLimit)
	if err != nil {
		return err
	}
	defer task16.stop()
	api16 := b.client
	api16.base = task16.url()
	w16 := writeTarget{deployment: "split", procs: []*service{e.auth, task16}, tasks: api16}
	for _, g := range pooled {
		b.creates(ctx, w16, g, l.e.limitName("insert"))
	}
	return nil
}

// pool16 is the suffix of the scenarios against a task service with a
// pool of 16 connections.
const pool16 = "-pool16"

// postgresMixed measures the mixed load on the split deployment after
// its bare limit.
func (b *bench) postgresMixed(ctx context.Context, e *env) error {
	l := &limits{b: b, db: e.pool, e: postgresEngine, pg: b.pg, made: true}
	if err := l.mixed(ctx); err != nil {
		return err
	}
	b.mixed(ctx, writeTarget{deployment: "split", procs: e.split, tasks: e.taskAPI}, e.many, l.e.limitName("mixed"))
	return nil
}

// writes runs the bare insert limit, then the creates of every group,
// and the same for updates (of those tasks) and deletes (each once).
func (b *bench) writes(ctx context.Context, w writeTarget, groups []userGroup, l *limits) error {
	made := make([][]written, len(groups))
	if err := l.insert(ctx); err != nil {
		return err
	}
	for i, g := range groups {
		made[i] = b.creates(ctx, w, g, l.e.limitName("insert"))
	}
	for i, g := range groups {
		if len(made[i]) == 0 { // create did not run: make some to update and delete
			var err error
			if made[i], err = seedWrites(ctx, w.tasks, g.users, 2000); err != nil {
				return err
			}
		}
	}
	l.update(ctx)
	for i, g := range groups {
		b.updates(ctx, w, g, made[i], l.e.limitName("update"))
	}
	l.delete(ctx)
	for i, g := range groups {
		b.deletes(ctx, w, g, made[i], l.e.limitName("delete"))
	}
	return nil
}

// creates runs POST /tasks for the group and returns what it made.
func (b *bench) creates(ctx context.Context, w writeTarget, g userGroup, limit string) []written {
	var made []written
	var mu sync.Mutex
	name := w.prefix + loadgen.Create + g.suffix
	request := "POST /tasks"
	if strings.HasSuffix(g.suffix, pool16) {
		request += ", " + app.EnvDBMaxOpenConns + "=16"
	}
	sc := b.measure(ctx, name, w.deployment, request, w.procs, b.opts(), func(ctx context.Context, worker int, seq int64) error {
		u := g.users[worker%len(g.users)]
		body, err := w.tasks.rawCall(ctx, "POST", "/tasks", u.token, taskBody(seq), 201)
		if err != nil {
			return err
		}
		id, err := createdID(body)
		if err == nil {
			mu.Lock()
			made = append(made, written{u, id})
			mu.Unlock()
		}
		return err
	})
	if sc != nil {
		b.report.SetRatio(sc, limit)
		sc.Note = groupNote(g)
	}
	sort.Slice(made, func(i, j int) bool { return made[i].id < made[j].id })
	return made
}

// updates runs PUT /tasks/{id} over the tasks made, round robin, each as
// its owner.
func (b *bench) updates(ctx context.Context, w writeTarget, g userGroup, made []written, limit string) {
	body := jsonBody(map[string]string{"status": "in_progress", "priority": "high", "title": "Updated by taskbench"})
	name := w.prefix + loadgen.Update + g.suffix
	if sc := b.measure(ctx, name, w.deployment, "PUT /tasks/{id}", w.procs, b.opts(), func(ctx context.Context, _ int, seq int64) error {
		t := made[seq%int64(len(made))]
		return w.tasks.call(ctx, "PUT", taskPath(t.id), t.u.token, body, 200, nil)
	}); sc != nil {
		b.report.SetRatio(sc, limit)
		sc.Note = groupNote(g)
	}
}

// deletes runs DELETE /tasks/{id} over the tasks made, each once.
func (b *bench) deletes(ctx context.Context, w writeTarget, g userGroup, made []written, limit string) {
	o := b.opts()
	o.MaxRequests = int64(len(made))
	// No warm-up (the services are warm from the creates and updates):
	// deletes can be faster than the creates that made their tasks, and
	// would spend them all before the window opened.
	o.Warmup = 0
	name := w.prefix + loadgen.Delete + g.suffix
	if sc := b.measure(ctx, name, w.deployment, "DELETE /tasks/{id}", w.procs, o, func(ctx context.Context, _ int, seq int64) error {
		t := made[seq]
		return w.tasks.call(ctx, "DELETE", taskPath(t.id), t.u.token, nil, 200, nil)
	}); sc != nil {
		b.report.SetRatio(sc, limit)
		sc.Note = fmt.Sprintf("%s; deletes the %d tasks the create scenario made, each once, ending early when they run out", groupNote(g), len(made))
	}
}

func groupNote(g userGroup) string {
	if len(g.users) == 1 {
		return "every request as one user"
	}
	return fmt.Sprintf("worker i writes as user i mod %d", len(g.users))
}

// seedWrites creates n tasks spread over users through the API.
func seedWrites(ctx context.Context, tasks api, users []*user, n int64) ([]written, error) {
	var made []written
	for _, u := range users {
		u.ids = nil
		if _, err := seedTasks(ctx, tasks, u, max(n/int64(len(users)), 1), 8, time.Minute, int(n)); err != nil {
			return nil, err
		}
		for _, id := range u.ids {
			made = append(made, written{u, id})
		}
	}
	return made, nil
}

// The mixed load's requests.
type mixKind int

const (
	mixCreate mixKind = iota
	mixUpdate
	mixDelete
	mixGet
	mixList
)

// mixOf is what request seq of a worker holding have tasks of its own
// sends: of every 25, 2 creates, 2 updates and 1 delete (20 % writes),
// 10 get-ones and 10 list pages; a create while it holds none.
func mixOf(seq int64, have int) mixKind {
	switch r := seq % 25; {
	case r < 2 || have == 0:
		return mixCreate
	case r < 4:
		return mixUpdate
	case r < 5:
		return mixDelete
	case r < 15:
		return mixGet
	default:
		return mixList
	}
}

// mixed runs the mixed load: each worker as one of users, on the tasks it
// created itself.
func (b *bench) mixed(ctx context.Context, w writeTarget, users []*user, limit string) {
	stacks := make([][]int64, b.cfg.conc)
	update := jsonBody(map[string]string{"status": "completed", "title": "Updated by taskbench"})
	sc := b.measure(ctx, w.prefix+loadgen.Mixed, w.deployment, "80 % reads, 20 % writes (see the note)", w.procs, b.opts(), func(ctx context.Context, worker int, seq int64) error {
		u := users[worker%len(users)]
		own := &stacks[worker]
		switch mixOf(seq, len(*own)) {
		case mixCreate:
			body, err := w.tasks.rawCall(ctx, "POST", "/tasks", u.token, taskBody(seq), 201)
			if err != nil {
				return err
			}
			id, err := createdID(body)
			if err == nil {
				*own = append(*own, id)
			}
			return err
		case mixUpdate:
			return w.tasks.call(ctx, "PUT", taskPath((*own)[seq%int64(len(*own))]), u.token, update, 200, nil)
		case mixDelete:
			id := (*own)[len(*own)-1]
			*own = (*own)[:len(*own)-1]
			return w.tasks.call(ctx, "DELETE", taskPath(id), u.token, nil, 200, nil)
		case mixGet:
			return w.tasks.call(ctx, "GET", taskPath((*own)[seq%int64(len(*own))]), u.token, nil, 200, nil)
		default:
			return w.tasks.call(ctx, "GET", "/tasks?limit=20", u.token, nil, 200, nil)
		}
	})
	if sc != nil {
		b.report.SetRatio(sc, limit)
		sc.Note = fmt.Sprintf("of every 25 requests 2 POST /tasks, 2 PUT and 1 DELETE of the worker's own tasks, 10 GET /tasks/{id}, 10 GET /tasks?limit=20; worker i as user i mod %d", len(users))
	}
}

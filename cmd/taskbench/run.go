package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"taskapi/app"
	"taskapi/internal/loadgen"
)

// bench is one run in progress.
type bench struct {
	cfg    config
	report *loadgen.Report
	dir    string // logs and the embedded store's files
	dsn    string // the benchmark schema's URL
	secret string
	client api       // its client is shared by every call
	pg     *backends // the run's PostgreSQL backends
}

func (b *bench) wants(name string) bool { return b.cfg.only == nil || b.cfg.only.MatchString(name) }

func (b *bench) opts() loadgen.Options {
	return loadgen.Options{Concurrency: b.cfg.conc, Warmup: b.cfg.warmup, Duration: b.cfg.duration}
}

// slowOpts is opts with twice the window, for bcrypt's few tens of
// operations a second: enough of them that the ratio is not quantization.
func (b *bench) slowOpts() loadgen.Options {
	o := b.opts()
	o.Duration *= 2
	return o
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

// measure runs op as scenario name, sampling procs around the window,
// and adds the row to the report.
func (b *bench) measure(ctx context.Context, name, deployment, request string, procs []*service, o loadgen.Options, op loadgen.Op) *loadgen.Scenario {
	if !b.wants(name) || ctx.Err() != nil {
		return nil
	}
	p := newProbe(b.pg, procs...)
	o.OnMeasureStart, o.OnMeasureEnd = p.start, p.end
	res := loadgen.Run(ctx, o, op)
	s := loadgen.NewScenario(name, deployment, request, o.Concurrency, res)
	s.Procs = p.figures(res.Requests)
	if len(p.errs) > 0 {
		s.Note = p.errs[0]
	}
	b.report.Scenarios = append(b.report.Scenarios, s)
	b.logf("%-28s %8.0f rps  p50 %7.2f  p99 %7.2f ms  errors %d", name, s.RPS, s.P50ms, s.P99ms, s.Errors)
	return &b.report.Scenarios[len(b.report.Scenarios)-1]
}

func (b *bench) serviceEnv(service string, extra map[string]string) map[string]string {
	env := map[string]string{
		app.EnvService:     service,
		app.EnvHost:        "127.0.0.1",
		app.EnvPort:        "0",
		app.EnvDatabaseURL: b.dsn,
		app.EnvLogFormat:   "json",
		app.EnvBcryptCost:  strconv.Itoa(b.cfg.bcryptCost),
		app.EnvTaskQuota:   strconv.FormatInt(b.cfg.big+1_000_000, 10),
	}
	if service != "task" {
		env[app.EnvJWTSecret] = b.secret
	}
	if b.cfg.dbConns > 0 {
		env[app.EnvDBMaxOpenConns] = strconv.Itoa(b.cfg.dbConns)
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func run(ctx context.Context, cfg config) error {
	b := &bench{cfg: cfg, secret: randomHex(32)}
	b.report = &loadgen.Report{Started: time.Now(), Command: "make bench (" + cfg.commandLine + ")", Settings: map[string]string{}}
	b.report.Machine = describeMachine()
	if cfg.analysis != "" {
		text, err := os.ReadFile(cfg.analysis)
		if err != nil {
			return fmt.Errorf("-analysis: %w", err)
		}
		b.report.Analysis = string(text)
	}
	if _, err := os.Stat(cfg.bin); err != nil {
		return fmt.Errorf("the binary %s: %w (make bench builds it)", cfg.bin, err)
	}
	var err error
	if b.dir, err = os.MkdirTemp("", "taskbench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	b.client = api{client: newHTTPClient(cfg.conc + cfg.stormConc)}

	admin, err := sql.Open("postgres", cfg.dbURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := admin.QueryRowContext(ctx, "SHOW server_version").Scan(&b.report.Machine.Postgres); err != nil {
		return fmt.Errorf("PostgreSQL at -db: %w", err)
	}
	schema := "bench_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		return err
	}
	if !cfg.keepSchema {
		defer func() {
			if _, err := admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`); err != nil {
				b.logf("drop schema %s: %v", schema, err)
			}
		}()
	} else {
		b.logf("schema %s is kept", schema)
	}
	u, _ := url.Parse(cfg.dbURL)
	q := u.Query()
	q.Set("search_path", schema) // lib/pq sends unknown parameters as settings
	// Every connection of the run, the services' and the limits', names
	// the run, so that its backends' CPU can be told from other clients'.
	appName := "taskbench-" + schema
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	b.dsn = u.String()
	b.pg = &backends{db: admin, appName: appName}

	runErr := b.scenarios(ctx)
	b.report.Finished = time.Now()
	b.report.Machine.LoadAfter = loadAverage()
	b.report.Targets = loadgen.Evaluate(b.report)
	if runErr != nil {
		b.report.Notes = append(b.report.Notes, "The run stopped early: "+runErr.Error())
	}
	if err := b.write(); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

func (b *bench) write() error {
	_ = b.report.WriteTable(os.Stdout)
	fmt.Println()
	for _, t := range b.report.Targets {
		met := "NOT MET"
		if t.Met {
			met = "met"
		}
		fmt.Printf("%-62s %-24s %-44s %s\n", t.Name, t.Want, t.Got, met)
	}
	write := func(path string, f func(*os.File) error) error {
		if path == "" {
			return nil
		}
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := f(out); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	if err := write(b.cfg.mdPath, func(f *os.File) error { return b.report.WriteMarkdown(f) }); err != nil {
		return err
	}
	return write(b.cfg.jsonPath, func(f *os.File) error { return b.report.WriteJSON(f) })
}

// scenarios is the run itself, in the order that keeps it fair: limits
// first, then the split deployment, then one process, then start-ups.
func (b *bench) scenarios(ctx context.Context) error {
	cfg := b.cfg
	s := b.report.Settings
	s["concurrency"] = strconv.Itoa(cfg.conc)
	s["login concurrency"] = strconv.Itoa(cfg.loginConc)
	s["login storm concurrency"] = strconv.Itoa(cfg.stormConc)
	s["window"] = cfg.duration.String()
	s["warm-up"] = cfg.warmup.String()
	s[app.EnvBcryptCost] = strconv.Itoa(cfg.bcryptCost)
	s["services"] = "the built binary, default settings except " + app.EnvPort + "=0, " + app.EnvHost + "=127.0.0.1, " + app.EnvLogFormat + "=json, " + app.EnvTaskQuota + " raised for the seed"
	s["GOMAXPROCS"] = strconv.Itoa(runtime.GOMAXPROCS(0))

	const startLimit = 60 * time.Second
	auth, _, err := startService(ctx, cfg.bin, b.dir, "auth", b.serviceEnv("auth", nil), startLimit)
	if err != nil {
		return err
	}
	defer auth.stop()
	task, _, err := startService(ctx, cfg.bin, b.dir, "task", b.serviceEnv("task", map[string]string{
		app.EnvAuthServiceURL: auth.url(), app.EnvDBMigrate: "false",
	}), startLimit)
	if err != nil {
		return err
	}
	defer task.stop()
	// The limits' pool, and the seed's bulk path.
	pool, err := openPool(b.dsn, cfg.conc)
	if err != nil {
		return err
	}
	defer pool.Close()
	authAPI, taskAPI := b.client, b.client
	authAPI.base, taskAPI.base = auth.url(), task.url()

	// Seed through the API: a 100-task user, a 100,000-task user, a user
	// for the writes.
	suffix := randomHex(3)
	small, err := register(ctx, authAPI, "small_"+suffix)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	big, err := register(ctx, authAPI, "big_"+suffix)
	if err != nil {
		return err
	}
	writer, err := register(ctx, authAPI, "writer_"+suffix)
	if err != nil {
		return err
	}
	took, err := seedTasks(ctx, taskAPI, small, cfg.small, 8, time.Minute, int(cfg.small))
	if err != nil {
		return err
	}
	b.report.Seeding = append(b.report.Seeding, fmt.Sprintf("small user: %d tasks through POST /tasks in %.1f s", small.tasks, took.Seconds()))
	b.logf("seeded %d tasks for the small user in %s", small.tasks, took.Round(time.Millisecond))
	took, err = seedTasks(ctx, taskAPI, big, cfg.big, cfg.conc, cfg.seedLimit, 1000)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("big user: %d tasks through POST /tasks from %d concurrent clients in %.1f s (%.0f creates/s)",
		big.tasks, cfg.conc, took.Seconds(), float64(big.tasks)/took.Seconds())
	if big.tasks < cfg.big {
		viaAPI := big.tasks
		bulkStart := time.Now()
		if err := bulkInsertTasks(ctx, pool, big, viaAPI, cfg.big); err != nil {
			return err
		}
		line += fmt.Sprintf(", stopped by -seed-limit %s; the other %d by INSERT … SELECT generate_series, 100 rows a statement, into the same table (triggers and indexes maintained) in %.1f s: at this machine's create rate the API alone would need about %.0f s of the run's 10 minutes",
			cfg.seedLimit, cfg.big-viaAPI, time.Since(bulkStart).Seconds(), float64(cfg.big)/(float64(viaAPI)/took.Seconds()))
	}
	b.report.Seeding = append(b.report.Seeding, line)
	b.logf("%s", line)

	// The limits, each measured right before the scenarios it bounds, so
	// that the machine's other load drifts as little as possible between
	// a rate and its limit.
	if b.wants(loadgen.LimitSelect) && ctx.Err() == nil {
		p := newProbe(b.pg)
		o := b.opts()
		o.OnMeasureStart, o.OnMeasureEnd = p.start, p.end
		res := selectLimit(ctx, pool, o, small.id, small.ids)
		b.addLimit(loadgen.LimitSelect, "SELECT * FROM tasks WHERE id = $1 AND user_id = $2", cfg.conc, res, p)
	}

	split := []*service{auth, task}
	getOne := func(tasks api, u *user) loadgen.Op {
		return func(ctx context.Context, _ int, seq int64) error {
			return tasks.call(ctx, "GET", taskPath(u.ids[seq%int64(len(u.ids))]), u.token, nil, 200, nil)
		}
	}
	if sc := b.measure(ctx, loadgen.GetOne, "split", "GET /tasks/{id}", split, b.opts(), getOne(taskAPI, small)); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitSelect)
	}
	// The limit keeps cfg.conc connections busy; the task service's
	// default pool has 3. On a machine shared with other work, 3
	// backends get a smaller share of the CPU than 32, and 32 requests
	// queueing for 3 connections cost the service CPU too: the same
	// get-one against a task service with a pool of 16 shows how much of
	// the gap is the pool's.
	pool.SetMaxIdleConns(2) // give back the limit's idle connections first
	if name := loadgen.GetOne + "-pool16"; b.wants(name) && ctx.Err() == nil {
		task16, _, err := startService(ctx, cfg.bin, b.dir, "task16", b.serviceEnv("task", map[string]string{
			app.EnvAuthServiceURL: auth.url(), app.EnvDBMigrate: "false", app.EnvDBMaxOpenConns: "16",
		}), startLimit)
		if err != nil {
			return err
		}
		api16 := b.client
		api16.base = task16.url()
		if sc := b.measure(ctx, name, "split", "GET /tasks/{id}, "+app.EnvDBMaxOpenConns+"=16", []*service{auth, task16}, b.opts(), getOne(api16, small)); sc != nil {
			b.report.SetRatio(sc, loadgen.LimitSelect)
		}
		task16.stop()
	}

	// Both services in one process, on the same database and tokens,
	// right after the split deployment's get-one, and each login storm
	// right after the get-one it is compared with: the machine's other
	// load drifts, so a ratio is only as good as its two figures are close
	// in time.
	b.storm(ctx, loadgen.StormSplit, "split", split, taskAPI, authAPI, getOne(taskAPI, small), small, loadgen.GetOne)
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
		b.storm(ctx, loadgen.StormAll, "all", []*service{all}, allAPI, allAPI, getOne(allAPI, small), small, loadgen.GetOneAll)
		all.stop()
	}

	// Lists, limit 20, for both users.
	shapes := map[string]string{
		"created_at":      "/tasks?limit=20",
		"due_date":        "/tasks?limit=20&sort=due_date",
		"priority":        "/tasks?limit=20&sort=priority",
		"status+priority": "/tasks?limit=20&status=completed&sort=priority",
	}
	for _, u := range []struct {
		name string
		u    *user
	}{{loadgen.SmallUser, small}, {loadgen.BigUser, big}} {
		for _, shape := range loadgen.ListShapes {
			name := loadgen.ListName(u.name, shape)
			if !b.wants(name) {
				continue
			}
			path := shapes[shape]
			if shape == "last-page" {
				var how string
				if path, how, err = lastPageQuery(ctx, taskAPI, u.u); err != nil {
					return err
				}
				s["last page"] = how
			}
			user := u.u
			sc := b.measure(ctx, name, "split", "GET "+shortQuery(path), split, b.opts(), func(ctx context.Context, _ int, _ int64) error {
				return taskAPI.call(ctx, "GET", path, user.token, nil, 200, nil)
			})
			if sc != nil {
				sc.Note = fmt.Sprintf("user holds %d tasks", user.tasks)
			}
		}
	}

	// Writes: create, then update and delete what was created.
	pool.SetMaxIdleConns(cfg.conc) // no reconnects in the window: new backends would escape the probe
	if b.wants(loadgen.LimitInsert) && ctx.Err() == nil {
		p := newProbe(b.pg)
		o := b.opts()
		o.OnMeasureStart, o.OnMeasureEnd = p.start, p.end
		res, err := insertLimit(ctx, pool, o)
		if err != nil {
			return err
		}
		b.addLimit(loadgen.LimitInsert, "INSERT INTO bench_insert_limit … RETURNING id", cfg.conc, res, p)
	}
	pool.Close()
	var created []int64
	var createdMu sync.Mutex
	if sc := b.measure(ctx, loadgen.Create, "split", "POST /tasks", split, b.opts(), func(ctx context.Context, _ int, seq int64) error {
		body, err := taskAPI.rawCall(ctx, "POST", "/tasks", writer.token, taskBody(seq), 201)
		if err != nil {
			return err
		}
		id, err := createdID(body)
		if err == nil {
			createdMu.Lock()
			created = append(created, id)
			createdMu.Unlock()
		}
		return err
	}); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitInsert)
	}
	if len(created) == 0 { // create did not run: make some to update and delete
		writer.ids = nil
		if _, err := seedTasks(ctx, taskAPI, writer, 2000, cfg.conc, time.Minute, 2000); err != nil {
			return err
		}
		created = writer.ids
	}
	sort.Slice(created, func(i, j int) bool { return created[i] < created[j] })
	updateBody := jsonBody(map[string]string{"status": "in_progress", "priority": "high", "title": "Updated by taskbench"})
	if sc := b.measure(ctx, "update", "split", "PUT /tasks/{id}", split, b.opts(), func(ctx context.Context, _ int, seq int64) error {
		return taskAPI.call(ctx, "PUT", taskPath(created[seq%int64(len(created))]), writer.token, updateBody, 200, nil)
	}); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitInsert)
	}
	del := b.opts()
	del.MaxRequests = int64(len(created)) // each task is deleted once
	if sc := b.measure(ctx, "delete", "split", "DELETE /tasks/{id}", split, del, func(ctx context.Context, _ int, seq int64) error {
		return taskAPI.call(ctx, "DELETE", taskPath(created[seq]), writer.token, nil, 200, nil)
	}); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitInsert)
		sc.Note = fmt.Sprintf("deletes the %d tasks the create scenario made, each once; ends early when they run out", len(created))
	}

	login := func(auth api, u *user) loadgen.Op {
		body := u.loginBody()
		return func(ctx context.Context, _ int, _ int64) error {
			return auth.call(ctx, "POST", "/auth/login", "", body, 200, nil)
		}
	}
	if b.wants(loadgen.LimitBcrypt) && ctx.Err() == nil {
		res, workers, err := bcryptLimit(ctx, cfg.bcryptCost, b.slowOpts())
		if err != nil {
			return err
		}
		b.addLimit(loadgen.LimitBcrypt, fmt.Sprintf("bcrypt.CompareHashAndPassword, cost %d", cfg.bcryptCost), workers, res, nil)
	}
	loginOpts := b.slowOpts()
	loginOpts.Concurrency = cfg.loginConc
	if sc := b.measure(ctx, loadgen.Login, "split", "POST /auth/login", split, loginOpts, login(authAPI, small)); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitBcrypt)
	}

	if b.wants("startup") && ctx.Err() == nil {
		st, err := b.startups(ctx)
		if err != nil {
			return err
		}
		b.report.Startup = st
		b.logf("start-up to healthy (embedded): median %.0f ms, slowest %.0f ms; idle RSS %.1f MiB", st.MedianMs, st.MaxMs, st.IdleRSSMiB)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before every scenario ran: %w", ctx.Err())
	}
	return nil
}

func (b *bench) addLimit(name, request string, conc int, res loadgen.Result, p *probe) {
	sc := loadgen.NewScenario(name, "limit", request, conc, res)
	if p != nil {
		sc.Procs = p.figures(res.Requests)
	}
	b.report.Scenarios = append(b.report.Scenarios, sc)
	b.logf("%-28s %8.0f /s   p50 %7.2f  p99 %7.2f ms  errors %d", name, sc.RPS, sc.P50ms, sc.P99ms, sc.Errors)
}

// storm measures get-one while logins hammer the auth routes, from the
// same moment for the same time. Logins answered 503 (bcrypt busy, shed
// by the bcrypt queue timeout) are the design working, not errors.
func (b *bench) storm(ctx context.Context, name, deployment string, procs []*service, tasks, auth api, get loadgen.Op, u *user, baseline string) {
	if !b.wants(name) || ctx.Err() != nil {
		return
	}
	var shed atomic.Int64
	body := u.loginBody()
	stormOpts := b.opts()
	stormOpts.Concurrency = b.cfg.stormConc
	done := make(chan loadgen.Result, 1)
	go func() {
		done <- loadgen.Run(ctx, stormOpts, func(ctx context.Context, _ int, _ int64) error {
			err := auth.call(ctx, "POST", "/auth/login", "", body, 200, nil)
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

// startups times both services in one process on a new embedded store (the first start
// creates and migrates the file) and restarts on the same file.
func (b *bench) startups(ctx context.Context) (*loadgen.Startup, error) {
	dir := filepath.Join(b.dir, "embedded")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := map[string]string{app.EnvService: "all", app.EnvHost: "127.0.0.1", app.EnvPort: "0", app.EnvLogFormat: "json",
		app.EnvSQLitePath: filepath.Join(dir, "taskapi.db"), app.EnvBcryptCost: strconv.Itoa(b.cfg.bcryptCost)}
	var times []float64
	st := &loadgen.Startup{Description: "`" + app.EnvService + "=all` on the embedded SQLite store, from exec to the first 200 from /health (the first start creates and migrates a new file, the others reopen it)"}
	for i := 0; i < b.cfg.startups && ctx.Err() == nil; i++ {
		s, took, err := startService(ctx, b.cfg.bin, dir, fmt.Sprint("embedded-", i), env, 30*time.Second)
		if err != nil {
			return nil, err
		}
		times = append(times, float64(took.Microseconds())/1000)
		if p, err := loadgen.ReadProc(s.pid()); err == nil {
			st.IdleRSSMiB = max(st.IdleRSSMiB, float64(p.RSSKiB)/1024)
		}
		s.stop()
	}
	st.Runs = len(times)
	if len(times) > 0 {
		sort.Float64s(times)
		st.MedianMs = times[len(times)/2]
		st.MaxMs = times[len(times)-1]
	}
	return st, nil
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

// render rewrites the Markdown report from a JSON one, with remarks from
// -analysis: for adding what a person learned from a run to its page
// without running it again.
func render(cfg config) error {
	data, err := os.ReadFile(cfg.render)
	if err != nil {
		return err
	}
	var r loadgen.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: %w", cfg.render, err)
	}
	if cfg.analysis != "" {
		text, err := os.ReadFile(cfg.analysis)
		if err != nil {
			return fmt.Errorf("-analysis: %w", err)
		}
		r.Analysis = string(text)
	}
	b := &bench{cfg: cfg, report: &r}
	b.cfg.jsonPath = ""
	return b.write()
}

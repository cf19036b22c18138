package main

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"taskapi/app"
)

// startLimit bounds a service's start in the run.
const startLimit = 60 * time.Second

// writers is how many users the many-user write scenarios spread over.
const writers = 32

// env is what the steps share: the split deployment's services and
// clients, the limits' pool, and the seeded users.
type env struct {
	auth, task       *service
	split            []*service
	authAPI, taskAPI api
	pool             *sql.DB // the limits' pool, and the seed's bulk path
	suffix           string  // makes the run's user names unique
	small, big       *user
	many             []*user // the many-user writes' accounts
	one              *user   // the one-user writes' account
	stormers         []*user // the login storms' accounts, one per storm worker
}

// step is one part of the run: a few scenarios that belong together,
// usually a limit and what it bounds, measured back to back.
type step struct {
	name string
	run  func(ctx context.Context, e *env) error
}

// steps is the run in its order, which keeps it fair: each limit right
// before the scenarios it bounds (the machine's other load drifts), the
// split deployment, then one process, then the embedded store and the
// start-ups. A new scenario is a new step here.
func (b *bench) steps() []step {
	return []step{
		{"seed", b.seed},
		{"get-one", b.getOneSteps},
		{"lists", b.lists},
		{"writes", b.postgresWrites},
		{"mixed", b.postgresMixed},
		{"login", b.logins},
		{"embedded", b.embeddedWrites},
		{"startup", b.startupStep},
	}
}

// scenarios starts the split deployment and runs every step.
func (b *bench) scenarios(ctx context.Context) error {
	cfg := b.cfg
	s := b.report.Settings
	s["concurrency"] = strconv.Itoa(cfg.conc)
	s["login concurrency"] = strconv.Itoa(cfg.loginConc)
	s["login storm concurrency"] = strconv.Itoa(cfg.stormConc)
	s["window"] = cfg.duration.String()
	s["warm-up"] = cfg.warmup.String()
	s[app.EnvBcryptCost] = strconv.Itoa(cfg.bcryptCost)
	s["services"] = "the built binary, default settings except " + app.EnvPort + "=0, " + app.EnvHost + "=127.0.0.1, " +
		app.EnvLogFormat + "=json, " + app.EnvTaskQuota + " raised for the seed, " + app.EnvRegisterIPMax + " raised for the run's accounts"
	s["GOMAXPROCS"] = strconv.Itoa(runtime.GOMAXPROCS(0))
	s["writers"] = fmt.Sprintf("%d users for the many-user writes and the mixed load, one user for the one-user writes, each at c=%d", writers, cfg.conc)

	e := &env{suffix: randomHex(3)}
	var err error
	if e.auth, _, err = startService(ctx, cfg.bin, b.dir, "auth", b.serviceEnv("auth", nil), startLimit); err != nil {
		return err
	}
	defer e.auth.stop()
	if e.task, _, err = startService(ctx, cfg.bin, b.dir, "task", b.serviceEnv("task", map[string]string{
		app.EnvAuthServiceURL: e.auth.url(), app.EnvDBMigrate: "false",
	}), startLimit); err != nil {
		return err
	}
	defer e.task.stop()
	if e.pool, err = openPool(b.dsn, cfg.conc); err != nil {
		return err
	}
	defer e.pool.Close()
	e.split = []*service{e.auth, e.task}
	e.authAPI, e.taskAPI = b.client, b.client
	e.authAPI.base, e.taskAPI.base = e.auth.url(), e.task.url()

	for _, st := range b.steps() {
		if ctx.Err() != nil {
			break
		}
		if err := st.run(ctx, e); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before every scenario ran: %w", ctx.Err())
	}
	return nil
}

// registerAll registers n users named prefix_<i>_suffix.
func registerAll(ctx context.Context, auth api, prefix, suffix string, n int) ([]*user, error) {
	out := make([]*user, n)
	for i := range out {
		u, err := register(ctx, auth, fmt.Sprintf("%s%d_%s", prefix, i, suffix))
		if err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
		out[i] = u
	}
	return out, nil
}

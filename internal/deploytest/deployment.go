package deploytest

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"

	"taskapi/app"
	"taskapi/internal/testdb"
)

// Options describe a deployment.
type Options struct {
	// Auth and Task are how many auth-service and task-service processes
	// to start. Task processes need at least one auth process.
	Auth, Task int
	// All is how many processes serving both services to start (as make
	// run does).
	All int
	// Env is added to every process's environment, over the defaults
	// below; AuthEnv and TaskEnv are added over Env for one service.
	// Variables are named by the app.Env constants (app/variables.go
	// declares each name once).
	//
	// Defaults: listen on 127.0.0.1 on a free port, JSON logs, bcrypt
	// cost 4, a random JWT secret shared by every process that signs, and
	// the database on a fresh PostgreSQL schema (testdb.Postgres: the test
	// is skipped without TEST_DATABASE_URL unless REQUIRE_POSTGRES=1)
	// unless Env names a database URL or an SQLite path. Task process i is
	// pointed at auth process i mod Auth, so that with as many of each
	// every task process talks to its own auth process.
	Env, AuthEnv, TaskEnv map[string]string
}

// Deployment is the processes Start started, stopped when the test ends.
type Deployment struct {
	Auth, Task, All []*Process
	// DatabaseURL is the database every process uses ("" on SQLite).
	DatabaseURL string
	// Secret is the JWT secret of the processes that sign tokens.
	Secret string
}

// Start starts the deployment and waits until every process is ready.
// The first process to start (an auth or all process) migrates the
// database; the others start together once it is ready.
func Start(t testing.TB, opts Options) *Deployment {
	t.Helper()
	if opts.Task > 0 && opts.Auth == 0 {
		t.Fatal("deploytest: task processes need an auth process")
	}
	bin := Binary(t)
	base := map[string]string{
		app.EnvHost: "127.0.0.1", app.EnvPort: "0", app.EnvLogFormat: "json", app.EnvBcryptCost: "4",
		app.EnvJWTSecret: randomHex(32),
	}
	for k, v := range opts.Env {
		base[k] = v
	}
	if base[app.EnvDatabaseURL] == "" && base[app.EnvSQLitePath] == "" {
		base[app.EnvDatabaseURL] = testdb.Postgres(t)
	}
	d := &Deployment{Secret: base[app.EnvJWTSecret], DatabaseURL: base[app.EnvDatabaseURL]}

	dir := t.TempDir()
	envFor := func(service string, extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		env[app.EnvService] = service
		return env
	}
	for i := range opts.Auth {
		d.Auth = append(d.Auth, newProcess(bin, dir, name("auth", i), envFor("auth", opts.AuthEnv)))
	}
	for i := range opts.All {
		d.All = append(d.All, newProcess(bin, dir, name("all", i), envFor("all", nil)))
	}
	t.Cleanup(func() { d.StopAll(t) })

	signers := append(append([]*Process{}, d.Auth...), d.All...)
	if len(signers) > 0 {
		startTogether(t, signers[:1]) // migrates, alone, before anyone else uses the database
		startTogether(t, signers[1:])
	}
	for i := range opts.Task {
		env := envFor("task", opts.TaskEnv)
		if _, set := opts.TaskEnv[app.EnvAuthServiceURL]; !set {
			env[app.EnvAuthServiceURL] = d.Auth[i%len(d.Auth)].URL
		}
		d.Task = append(d.Task, newProcess(bin, dir, name("task", i), env))
	}
	startTogether(t, d.Task)
	return d
}

// startTogether starts ps in parallel and waits for all of them; a failed
// start fails the test once every start has returned.
func startTogether(t testing.TB, ps []*Process) {
	t.Helper()
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.start()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Processes returns every process of the deployment: auth, all, task.
func (d *Deployment) Processes() []*Process {
	return append(append(append([]*Process{}, d.Auth...), d.All...), d.Task...)
}

// StopAll stops every process (task processes first, as a rolling
// shutdown would), each with SIGTERM and a wait.
func (d *Deployment) StopAll(t testing.TB) {
	t.Helper()
	for _, ps := range [][]*Process{d.Task, d.All, d.Auth} {
		for _, p := range ps {
			p.Stop(t)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

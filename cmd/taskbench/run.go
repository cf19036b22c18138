package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
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
	pg := b.pg
	if deployment == "embedded" { // no PostgreSQL to count
		pg = nil
	}
	p := newProbe(pg, procs...)
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

// registerMax is the services' registration limit per address in the run: above the
// accounts it registers from 127.0.0.1.
const registerMax = 1000

func (b *bench) serviceEnv(service string, extra map[string]string) map[string]string {
	env := map[string]string{
		app.EnvService:     service,
		app.EnvHost:        "127.0.0.1",
		app.EnvPort:        "0",
		app.EnvDatabaseURL: b.dsn,
		app.EnvLogFormat:   "json",
		app.EnvBcryptCost:  strconv.Itoa(b.cfg.bcryptCost),
		app.EnvTaskQuota:   strconv.FormatInt(b.cfg.big+1_000_000, 10),
		// The run registers a few dozen accounts from one address.
		app.EnvRegisterIPMax: strconv.Itoa(registerMax),
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

func (b *bench) addLimit(name, request string, conc int, res loadgen.Result, p *probe) {
	sc := loadgen.NewScenario(name, "limit", request, conc, res)
	if p != nil {
		sc.Procs = p.figures(res.Requests)
	}
	b.report.Scenarios = append(b.report.Scenarios, sc)
	b.logf("%-28s %8.0f /s   p50 %7.2f  p99 %7.2f ms  errors %d", name, sc.RPS, sc.P50ms, sc.P99ms, sc.Errors)
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

// Command taskbench is `make bench`: it starts the API as separate
// processes of the built binary on PostgreSQL (the split deployment, auth
// and task services, then both in one process), seeds users through the
// API, drives every scenario at a fixed concurrency for a fixed time,
// measures the limits (PostgreSQL's single-row select and insert through
// lib/pq, raw bcrypt) in the same run, and writes BENCHMARKS.md and a JSON
// file with every figure and every target met or not.
//
// Only loopback is ever called, every loop is bounded in count and time,
// and the whole run is bounded by -total (default 9m30s).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"taskapi/app"
)

// config is the command line.
type config struct {
	bin         string
	dbURL       string
	conc        int
	duration    time.Duration
	warmup      time.Duration
	small, big  int64
	seedLimit   time.Duration
	total       time.Duration
	mdPath      string
	jsonPath    string
	only        *regexp.Regexp
	bcryptCost  int
	startups    int
	stormConc   int
	loginConc   int
	dbConns     int
	analysis    string
	render      string
	keepSchema  bool
	commandLine string
}

// ciDatabase is the CI server's test database (.ci/run), used when
// TEST_DATABASE_URL is not set.
const ciDatabase = "postgres://postgres:postgres@127.0.0.1:5432/test?sslmode=disable"

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("taskbench", flag.ContinueOnError)
	var c config
	var only string
	dbDefault := os.Getenv("TEST_DATABASE_URL")
	if dbDefault == "" {
		dbDefault = ciDatabase
	}
	fs.StringVar(&c.bin, "bin", "bin/taskapi", "the built taskapi binary to start")
	fs.StringVar(&c.dbURL, "db", dbDefault, "PostgreSQL URL (a schema of its own is created in it and dropped after)")
	fs.IntVar(&c.conc, "c", 32, "concurrency: workers per scenario, each with one request in flight")
	fs.DurationVar(&c.duration, "d", 5*time.Second, "measured time per scenario")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured time before each scenario's window")
	fs.Int64Var(&c.small, "small", 100, "tasks of the small user")
	fs.Int64Var(&c.big, "big", 100_000, "tasks of the big user")
	fs.DurationVar(&c.seedLimit, "seed-limit", 0, "longest time spent seeding the big user through the API (0: none); the rest goes in by one INSERT … SELECT, timed, and the report says how many came which way")
	fs.DurationVar(&c.total, "total", 9*time.Minute+30*time.Second, "bound on the whole run")
	fs.StringVar(&c.mdPath, "md", "BENCHMARKS.md", "where to write the Markdown report (empty: not written)")
	fs.StringVar(&c.jsonPath, "json", "BENCHMARKS.json", "where to write the JSON report (empty: not written)")
	fs.StringVar(&only, "run", "", "run only the scenarios whose name matches this regular expression")
	fs.IntVar(&c.bcryptCost, "bcrypt-cost", 10, app.EnvBcryptCost+" of the services and of the bcrypt limit")
	fs.IntVar(&c.startups, "startups", 5, "embedded-store start-ups to time")
	fs.IntVar(&c.stormConc, "storm-c", 16, "concurrent logins of a login storm (more than the bcrypt slots: some are shed with 503)")
	// A login is ~50 ms of one core's bcrypt; 32 at once on 2 cores only
	// queue past the bcrypt queue timeout and get 503. One per CPU (the
	// default bcrypt concurrency) keeps every bcrypt slot busy without a
	// queue, which is what "login rate" means; the storm scenarios are
	// where queueing and shedding are measured.
	fs.IntVar(&c.loginConc, "login-c", runtime.NumCPU(), "concurrency of the login scenario")
	fs.IntVar(&c.dbConns, "db-conns", 0, app.EnvDBMaxOpenConns+" of every service (0: the service's default, 3)")
	fs.StringVar(&c.analysis, "analysis", "", "a Markdown file of remarks on this run, copied into BENCHMARKS.md after the targets")
	fs.StringVar(&c.render, "render", "", "run nothing: rewrite -md from this JSON report (with -analysis, if given)")
	fs.BoolVar(&c.keepSchema, "keep", false, "keep the benchmark's schema (for a look afterwards)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.conc < 1 || c.conc > 1024 || c.stormConc < 1 || c.stormConc > 1024 || c.loginConc < 1 || c.loginConc > 1024 {
		return c, fmt.Errorf("-c, -login-c and -storm-c: want 1 to 1024")
	}
	if c.duration <= 0 || c.duration > time.Minute || c.warmup < 0 || c.warmup > time.Minute {
		return c, fmt.Errorf("-d: want up to 1m; -warmup: want 0 to 1m")
	}
	if c.small < 21 || c.big < c.small || c.big > 1_000_000 {
		return c, fmt.Errorf("-small and -big: want 21 <= small <= big <= 1,000,000")
	}
	if c.total <= 0 || c.total > 30*time.Minute {
		return c, fmt.Errorf("-total: want up to 30m")
	}
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			return c, fmt.Errorf("-run: %w", err)
		}
		c.only = re
	}
	if u, err := url.Parse(c.dbURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return c, fmt.Errorf("-db: want a postgres:// URL")
	} else if h := u.Hostname(); h != "localhost" && !strings.HasPrefix(h, "127.") && h != "::1" {
		return c, fmt.Errorf("-db: the benchmark only talks to loopback, not %q", h)
	}
	c.commandLine = strings.Join(append([]string{"taskbench"}, args...), " ")
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskbench:", err)
		os.Exit(2)
	}
	if cfg.render != "" {
		if err := render(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "taskbench:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.total)
	defer cancel()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "taskbench:", err)
		os.Exit(1)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package loadgen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func row(name string, rps, p99 float64) Scenario {
	return Scenario{Name: name, Deployment: "split", Request: "GET /x", Concurrency: 32, RPS: rps, P99ms: p99, Requests: int64(rps * 5)}
}

// passing is a report that meets every target.
func passing() *Report {
	r := &Report{Started: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC), Finished: time.Date(2026, 11, 29, 8, 5, 0, 0, time.UTC),
		Command: "make bench", Settings: map[string]string{"c": "32", "duration": "5s"}}
	r.Scenarios = []Scenario{
		row(LimitSelect, 10000, 5), row(LimitInsert, 5000, 9), row(LimitBcrypt, 30, 70),
		row(GetOne, 6500, 20), row(GetOneAll, 6100, 22), row(Create, 2100, 30),
		row(Login, 28, 900), row(StormAll, 3100, 40),
		row(Create+OneUser, 1100, 40), row(LimitUpdate, 6000, 8), row(Update, 1900, 30),
		row(LimitDelete, 6000, 8), row(Delete, 1900, 30),
	}
	for _, shape := range ListShapes {
		r.Scenarios = append(r.Scenarios, row(ListName(SmallUser, shape), 2000, 10), row(ListName(BigUser, shape), 1900, 19.9))
	}
	r.Scenarios[3].Procs = []ProcFigure{{Name: "auth", PeakRSSMiB: 18, CPUSecPer1k: 0.01}, {Name: "task", PeakRSSMiB: 39.5, CPUSecPer1k: 0.2}}
	r.Find(Create).Procs = []ProcFigure{{Name: "task", CPUSecPer1k: 0.29}, {Name: "postgres", CPUSecPer1k: 0.5}}
	r.Find(LimitInsert).Procs = []ProcFigure{{Name: "postgres", CPUSecPer1k: 0.25}}
	r.Startup = &Startup{Runs: 5, MedianMs: 120, MaxMs: 250, Description: "SERVICE=all on SQLite"}
	r.BulkSeed = &BulkSeed{Rows: 100000, Seconds: 4}
	return r
}

func TestEvaluateAllMet(t *testing.T) {
	r := passing()
	ts := Evaluate(r)
	if len(ts) != 14+len(ListShapes) {
		t.Errorf("%d targets, want %d", len(ts), 14+len(ListShapes))
	}
	for _, tg := range ts {
		if !tg.Met {
			t.Errorf("%s: %s, want met (%s)", tg.Name, tg.Got, tg.Want)
		}
	}
}

func TestEvaluateNotMet(t *testing.T) {
	cases := map[string]func(r *Report){
		"get-one, split deployment":                   func(r *Report) { r.Find(GetOne).RPS = 5900 },    // 59 %
		"get-one, both services in one process":       func(r *Report) { r.Find(GetOneAll).RPS = 3000 }, // 30 %
		"create, 32 users":                            func(r *Report) { r.Find(Create).RPS = 1999 },    // just under 40 %
		"create, one user at c=32":                    func(r *Report) { r.Find(Create + OneUser).RPS = 999 },
		"update, 32 users":                            func(r *Report) { r.Find(Update).RPS = 1799 },
		"delete, 32 users":                            func(r *Report) { r.Find(Delete).RPS = 1799 },
		"task-service CPU per create, 32 users":       func(r *Report) { r.Find(Create).Procs[0].CPUSecPer1k = 0.31 },
		"PostgreSQL CPU per create, 32 users":         func(r *Report) { r.Find(Create).Procs[1].CPUSecPer1k = 0.51 },
		"seed of the big user in one INSERT … SELECT": func(r *Report) { r.BulkSeed.Seconds = 61 },
		"list p99, 100,000-task user vs 100-task user: last-page": func(r *Report) {
			r.Find(ListName(BigUser, "last-page")).P99ms = 20.1
		},
		"login": func(r *Report) { r.Find(Login).RPS = 26.9 },
		"get-one during a login storm, one process": func(r *Report) { r.Find(StormAll).RPS = 3000 },
		"peak RSS under load, per service":          func(r *Report) { r.Scenarios[3].Procs[1].PeakRSSMiB = 40.5 },
		"start-up to healthy, embedded store":       func(r *Report) { r.Startup.MedianMs = 201 },
		"errors, every scenario":                    func(r *Report) { r.Find(Login).Errors = 1 },
	}
	for name, breakIt := range cases {
		r := passing()
		breakIt(r)
		for _, tg := range Evaluate(r) {
			if tg.Met == (tg.Name == name) {
				t.Errorf("after breaking %q: %q met = %v (%s)", name, tg.Name, tg.Met, tg.Got)
			}
		}
	}
}

// TestEvaluateExplainsFromTheRunsFigures: a target says where the CPU
// went, from the same scenarios it judges.
func TestEvaluateExplainsFromTheRunsFigures(t *testing.T) {
	r := passing()
	r.Find(GetOne).Procs = []ProcFigure{{Name: "task", CPUSecPer1k: 0.2}, {Name: "postgres", CPUSecPer1k: 0.1}}
	r.Find(LimitSelect).Procs = []ProcFigure{{Name: "postgres", CPUSecPer1k: 0.09}}
	r.Find(ListName(SmallUser, "priority")).Procs = []ProcFigure{{Name: "postgres", CPUSecPer1k: 0.3}}
	r.Find(ListName(BigUser, "priority")).Procs = []ProcFigure{{Name: "postgres", CPUSecPer1k: 30}}
	why := map[string]string{}
	for _, tg := range Evaluate(r) {
		why[tg.Name] = tg.Why
	}
	if w := why["get-one, split deployment"]; w != "get-one: task 0.200 + postgres 0.100 ms CPU per request; limit-select: postgres 0.090 ms CPU per request" {
		t.Errorf("get-one why = %q", w)
	}
	if w := why["list p99, 100,000-task user vs 100-task user: priority"]; !strings.Contains(w, "30.00 vs 0.30 ms (100.0×)") || !strings.HasSuffix(w, "grows with the user's tasks") || strings.Contains(w, "does not") {
		t.Errorf("list why = %q", w)
	}
}

func TestEvaluateMissingScenarioIsNotMet(t *testing.T) {
	r := passing()
	r.Scenarios = r.Scenarios[1:] // no select limit
	for _, tg := range Evaluate(r) {
		if strings.HasPrefix(tg.Name, "get-one, ") && (tg.Met || tg.Got != "not run") {
			t.Errorf("%s without its limit: met %v, got %q", tg.Name, tg.Met, tg.Got)
		}
	}
}

func TestSetRatio(t *testing.T) {
	r := passing()
	s := r.Find(GetOne)
	r.SetRatio(s, LimitSelect)
	if s.Limit != LimitSelect || s.Ratio != 0.65 {
		t.Errorf("ratio %v of %q, want 0.65 of %q", s.Ratio, s.Limit, LimitSelect)
	}
	other := r.Find(Create)
	r.SetRatio(other, "no-such-limit")
	if other.Limit != "" || other.Ratio != 0 {
		t.Error("a ratio was set against a limit that did not run")
	}
}

func TestNewScenarioFromResult(t *testing.T) {
	res := Result{Requests: 4, Errors: 1, Elapsed: 2 * time.Second,
		Latencies: []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 40 * time.Millisecond}}
	s := NewScenario("x", "split", "GET /x", 4, res)
	if s.RPS != 2 || s.P50ms != 2 || s.P99ms != 40 || s.Errors != 1 || s.Seconds != 2 {
		t.Errorf("got %+v", s)
	}
}

func TestWriteMarkdownAndJSON(t *testing.T) {
	r := passing()
	r.SetRatio(r.Find(GetOne), LimitSelect)
	r.Find(Login).Errors = 2
	r.Find(Login).ErrorText = []string{"POST /auth/login: status 500"}
	r.Targets = Evaluate(r)
	r.Analysis = "## Why the unmet targets are unmet\n\nBecause."
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{
		"| get-one | split | `GET /x` | 32 | 6500 |",
		"65 % of limit-select",
		"task 39.5 / 0.200",
		"| errors, every scenario | 0 | login 2 | **not met** | see the error texts under Notes |",
		"| create, 32 users | ≥ 40 % of limit-insert | 42 % (2100 / 5000 rps) | met | create: task 0.290 + postgres 0.500 ms CPU per request; limit-insert: postgres 0.250 ms CPU per request |",
		"## Why the unmet targets are unmet",
		"login error: POST /auth/login: status 500",
		"median 120 ms, slowest 250 ms over 5 starts",
		"Command: `make bench`",
		"Settings: c=32; duration=5s;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, out)
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Scenarios) != len(r.Scenarios) || back.Find(GetOne).Ratio != 0.65 || len(back.Targets) != len(r.Targets) {
		t.Errorf("JSON round trip lost figures: %+v", back.Find(GetOne))
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(table.String(), "\n"); lines != len(r.Scenarios)+1 {
		t.Errorf("terminal table has %d lines, want a header and %d rows", lines, len(r.Scenarios))
	}
}

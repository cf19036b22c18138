package loadgen

import (
	"fmt"
	"strings"
)

// The scenario names the targets refer to. cmd/taskbench runs them.
const (
	LimitSelect = "limit-select" // single-row SELECT by primary key, lib/pq
	LimitInsert = "limit-insert" // single-row INSERT, lib/pq
	LimitBcrypt = "limit-bcrypt" // bcrypt verifications at the configured cost

	GetOne    = "get-one"     // split deployment
	GetOneAll = "get-one-all" // both services in one process
	Create    = "create"      // split, many users; "-1user": one user
	Update    = "update"      // split, many users; "-1user": one user
	Delete    = "delete"      // split, many users; "-1user": one user
	Mixed     = "mixed"       // split: 80 % reads, 20 % writes, many users
	OneUser   = "-1user"      // suffix of the one-user writes
	// EmbeddedPrefix names the same scenarios on both services in one
	// process with the embedded SQLite store, and limit-sqlite-* their limits.
	EmbeddedPrefix = "embedded-"
	LimitUpdate    = "limit-update" // single-row UPDATE by primary key, lib/pq
	LimitDelete    = "limit-delete" // single-row DELETE by primary key, lib/pq
	// Task-service and PostgreSQL CPU per create, the latter as a multiple
	// of a bare insert's; the one-statement seed of the big user.
	CreateServiceCPUms = 0.3
	CreateDBCPUx       = 2.0
	BulkSeedSeconds    = 60.0
	Login              = "login"       // split (the auth service alone)
	StormSplit         = "storm-split" // get-one on the task service during a login storm on the auth service
	StormAll           = "storm-all"   // get-one during a login storm, both in one process
	ListPrefix         = "list-"       // list-<user>/<shape>
	SmallUser          = "100"         // the user with 100 tasks
	BigUser            = "100k"        // the user with 100,000 tasks
	ServiceRSS         = 40.0          // MiB, peak under load per service
	StartupGoal        = 200.0         // ms, start to healthy on the embedded store
)

// ListShapes are the list requests measured for both users; "search" is
// a text search for a word that one task of each user holds.
var ListShapes = []string{"created_at", "due_date", "priority", "status+priority", "last-page", "search"}

// ListName is the scenario name of a list shape for a user.
func ListName(user, shape string) string { return ListPrefix + user + "/" + shape }

// Target is one goal the benchmark holds the service to (BENCHMARKS.md
// lists them) and whether the run met it.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
	// Why explains the figure from the run's own measurements: where the
	// CPU per request went, or what limited the rate.
	Why string `json:"why,omitempty"`
}

// cpuMs is the CPU milliseconds per request of process proc in s, and
// whether s has that figure.
func cpuMs(s *Scenario, proc string) (float64, bool) {
	if s == nil {
		return 0, false
	}
	for _, p := range s.Procs {
		if p.Name == proc {
			return p.CPUSecPer1k, true // seconds per 1,000 = milliseconds per request
		}
	}
	return 0, false
}

// costText lists the CPU milliseconds per request of every process of s.
func costText(s *Scenario) string {
	if s == nil {
		return ""
	}
	var parts []string
	for _, p := range s.Procs {
		if p.CPUSecPer1k > 0.0005 {
			parts = append(parts, fmt.Sprintf("%s %.3f", p.Name, p.CPUSecPer1k))
		}
	}
	if len(parts) == 0 {
		return "no CPU figures"
	}
	return strings.Join(parts, " + ") + " ms CPU per request"
}

// Evaluate checks every target against r's scenarios. A target whose
// scenarios did not run is not met.
func Evaluate(r *Report) []Target {
	var out []Target
	ratio := func(name, want, of, limit string, min float64) {
		t := Target{Name: name, Want: fmt.Sprintf("≥ %.0f %% of %s", min*100, limit)}
		s, l := r.Find(of), r.Find(limit)
		if s == nil || l == nil || l.RPS <= 0 {
			t.Got = "not run"
		} else {
			got := s.RPS / l.RPS
			t.Got = fmt.Sprintf("%.0f %% (%.0f / %.0f rps)", got*100, s.RPS, l.RPS)
			t.Met = got >= min
			t.Why = fmt.Sprintf("%s: %s; %s: %s", of, costText(s), limit, costText(l))
		}
		if want != "" {
			t.Want = want
		}
		out = append(out, t)
	}
	ratio("get-one, split deployment", "", GetOne, LimitSelect, 0.60)
	ratio("get-one, both services in one process", "", GetOneAll, LimitSelect, 0.60)
	ratio("create, 32 users", "", Create, LimitInsert, 0.40)
	ratio("create, one user at c=32", "", Create+OneUser, LimitInsert, 0.20)
	ratio("update, 32 users", "", Update, LimitUpdate, 0.30)
	ratio("delete, 32 users", "", Delete, LimitDelete, 0.30)
	out = append(out, createCPU(r)...)
	out = append(out, bulkSeed(r))
	for _, shape := range ListShapes {
		t := Target{Name: "list p99, 100,000-task user vs 100-task user: " + shape, Want: "≤ 2×"}
		small, big := r.Find(ListName(SmallUser, shape)), r.Find(ListName(BigUser, shape))
		if small == nil || big == nil || small.P99ms <= 0 {
			t.Got = "not run"
		} else {
			x := big.P99ms / small.P99ms
			t.Got = fmt.Sprintf("%.2f× (%.1f vs %.1f ms)", x, big.P99ms, small.P99ms)
			t.Met = x <= 2
			bigDB, ok1 := cpuMs(big, "postgres")
			smallDB, ok2 := cpuMs(small, "postgres")
			if ok1 && ok2 && smallDB > 0 {
				t.Why = fmt.Sprintf("PostgreSQL CPU per list %.2f vs %.2f ms (%.1f×): the database's work per page", bigDB, smallDB, bigDB/smallDB)
				if bigDB/smallDB > 2 {
					t.Why += " grows with the user's tasks"
				} else {
					t.Why += " does not grow with the user's tasks"
				}
			}
		}
		out = append(out, t)
	}
	ratio("login", "", Login, LimitBcrypt, 0.90)
	ratio("get-one during a login storm, one process", "≥ 50 % of get-one-all", StormAll, GetOneAll, 0.50)

	rss := Target{Name: "peak RSS under load, per service", Want: fmt.Sprintf("≤ %.0f MiB", ServiceRSS)}
	peaks := map[string]float64{}
	for _, s := range r.Scenarios {
		for _, p := range s.Procs {
			if p.Name != "postgres" && p.PeakRSSMiB > peaks[p.Name] {
				peaks[p.Name] = p.PeakRSSMiB
			}
		}
	}
	if len(peaks) == 0 {
		rss.Got = "not measured"
	} else {
		rss.Why = "VmHWM of each service process, reset before each scenario; the highest over the run"
		rss.Met = true
		var parts []string
		for _, name := range []string{"auth", "task", "all"} {
			if v, ok := peaks[name]; ok {
				parts = append(parts, fmt.Sprintf("%s %.1f MiB", name, v))
				rss.Met = rss.Met && v <= ServiceRSS
			}
		}
		rss.Got = strings.Join(parts, ", ")
	}
	out = append(out, rss)

	st := Target{Name: "start-up to healthy, embedded store", Want: fmt.Sprintf("≤ %.0f ms", StartupGoal)}
	if r.Startup == nil || r.Startup.Runs == 0 {
		st.Got = "not measured"
	} else {
		st.Got = fmt.Sprintf("median %.0f ms, slowest %.0f ms (%d starts)", r.Startup.MedianMs, r.Startup.MaxMs, r.Startup.Runs)
		st.Met = r.Startup.MedianMs <= StartupGoal
		st.Why = r.Startup.Description
	}
	out = append(out, st)

	errs := Target{Name: "errors, every scenario", Want: "0"}
	var bad []string
	for _, s := range r.Scenarios {
		if s.Errors > 0 {
			bad = append(bad, fmt.Sprintf("%s %d", s.Name, s.Errors))
		}
	}
	errs.Met = len(bad) == 0 && len(r.Scenarios) > 0
	errs.Got = "0"
	if len(bad) > 0 {
		errs.Got = strings.Join(bad, ", ")
		errs.Why = "see the error texts under Notes"
	}
	out = append(out, errs)
	return out
}

// createCPU checks the CPU a create costs the task service and PostgreSQL.
func createCPU(r *Report) []Target {
	svc := Target{Name: "task-service CPU per create, 32 users", Want: fmt.Sprintf("≤ %.1f ms", CreateServiceCPUms)}
	db := Target{Name: "PostgreSQL CPU per create, 32 users", Want: fmt.Sprintf("≤ %.0f× %s's", CreateDBCPUx, LimitInsert)}
	s, l := r.Find(Create), r.Find(LimitInsert)
	if ms, ok := cpuMs(s, "task"); ok {
		svc.Got = fmt.Sprintf("%.3f ms", ms)
		svc.Met = ms <= CreateServiceCPUms
		svc.Why = costText(s)
	} else {
		svc.Got = "not run"
	}
	pgCreate, ok1 := cpuMs(s, "postgres")
	pgBare, ok2 := cpuMs(l, "postgres")
	if ok1 && ok2 && pgBare > 0 {
		db.Got = fmt.Sprintf("%.1f× (%.3f vs %.3f ms)", pgCreate/pgBare, pgCreate, pgBare)
		db.Met = pgCreate <= CreateDBCPUx*pgBare
		db.Why = "the create: a transaction (BEGIN, SELECT task_create(…), COMMIT) with the quota check and the counter trigger, nine indexes; the bare insert: one autocommit INSERT, two indexes"
	} else {
		db.Got = "not run"
	}
	return []Target{svc, db}
}

// bulkSeed checks the big user's seed in one statement.
func bulkSeed(r *Report) Target {
	t := Target{Name: "seed of the big user in one INSERT … SELECT", Want: fmt.Sprintf("≤ %.0f s", BulkSeedSeconds)}
	if r.BulkSeed == nil {
		t.Got = "not run"
		return t
	}
	t.Got = fmt.Sprintf("%.1f s for %d tasks", r.BulkSeed.Seconds, r.BulkSeed.Rows)
	t.Met = r.BulkSeed.Seconds <= BulkSeedSeconds
	t.Why = "the counters are updated once per statement, per (user, status, priority, slot) cell"
	return t
}

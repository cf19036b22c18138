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

	GetOne      = "get-one"     // split deployment
	GetOneAll   = "get-one-all" // SERVICE=all
	Create      = "create"      // split
	Login       = "login"       // split (the auth service alone)
	StormSplit  = "storm-split" // get-one on the task service during a login storm on the auth service
	StormAll    = "storm-all"   // get-one during a login storm, both in one process
	ListPrefix  = "list-"       // list-<user>/<shape>
	SmallUser   = "100"         // the user with 100 tasks
	BigUser     = "100k"        // the user with 100,000 tasks
	ServiceRSS  = 40.0          // MiB, peak under load per service
	StartupGoal = 200.0         // ms, start to healthy on the embedded store
)

// ListShapes are the list requests measured for both users.
var ListShapes = []string{"created_at", "due_date", "priority", "status+priority", "last-page"}

// ListName is the scenario name of a list shape for a user.
func ListName(user, shape string) string { return ListPrefix + user + "/" + shape }

// Target is one goal of issue 10 and whether the run met it.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
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
		}
		if want != "" {
			t.Want = want
		}
		out = append(out, t)
	}
	ratio("get-one, split deployment", "", GetOne, LimitSelect, 0.60)
	ratio("get-one, one process (SERVICE=all)", "", GetOneAll, LimitSelect, 0.60)
	ratio("create", "", Create, LimitInsert, 0.40)
	for _, shape := range ListShapes {
		t := Target{Name: "list p99, 100,000-task user vs 100-task user: " + shape, Want: "≤ 2×"}
		small, big := r.Find(ListName(SmallUser, shape)), r.Find(ListName(BigUser, shape))
		if small == nil || big == nil || small.P99ms <= 0 {
			t.Got = "not run"
		} else {
			x := big.P99ms / small.P99ms
			t.Got = fmt.Sprintf("%.2f× (%.1f vs %.1f ms)", x, big.P99ms, small.P99ms)
			t.Met = x <= 2
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
	}
	out = append(out, errs)
	return out
}

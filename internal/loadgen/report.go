package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// ProcFigure is one process's share of a scenario.
type ProcFigure struct {
	Name        string  `json:"name"` // auth, task, all, postgres
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	CPUSecPer1k float64 `json:"cpu_s_per_1k"`
}

// Scenario is one row of the table.
type Scenario struct {
	Name        string       `json:"name"`
	Deployment  string       `json:"deployment"` // split, all, embedded, limit
	Request     string       `json:"request"`    // what one request is, e.g. GET /tasks/{id}
	Concurrency int          `json:"concurrency"`
	Requests    int64        `json:"requests"`
	Errors      int64        `json:"errors"`
	ErrorText   []string     `json:"error_text,omitempty"`
	Seconds     float64      `json:"seconds"`
	RPS         float64      `json:"rps"`
	P50ms       float64      `json:"p50_ms"`
	P95ms       float64      `json:"p95_ms"`
	P99ms       float64      `json:"p99_ms"`
	Procs       []ProcFigure `json:"procs,omitempty"`
	// Limit names the scenario whose rate bounds this one; Ratio is
	// RPS / that rate (0 when there is none).
	Limit string  `json:"limit,omitempty"`
	Ratio float64 `json:"ratio,omitempty"`
	Note  string  `json:"note,omitempty"`
}

// NewScenario fills a row from a run's result.
func NewScenario(name, deployment, request string, concurrency int, r Result) Scenario {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Scenario{
		Name: name, Deployment: deployment, Request: request, Concurrency: concurrency,
		Requests: r.Requests, Errors: r.Errors, ErrorText: r.ErrorText,
		Seconds: r.Elapsed.Seconds(), RPS: r.Rate(),
		P50ms: ms(r.Percentile(50)), P95ms: ms(r.Percentile(95)), P99ms: ms(r.Percentile(99)),
	}
}

// Machine describes where the run happened.
type Machine struct {
	CPUModel   string  `json:"cpu_model"`
	CPUs       int     `json:"cpus"`
	MemoryGiB  float64 `json:"memory_gib"`
	Kernel     string  `json:"kernel"`
	GoVersion  string  `json:"go_version"`
	Postgres   string  `json:"postgres"`
	LoadBefore string  `json:"load_before"` // /proc/loadavg when the run started
	LoadAfter  string  `json:"load_after"`
}

// Startup is the embedded store's start-up figure.
type Startup struct {
	Runs        int     `json:"runs"`
	MedianMs    float64 `json:"median_ms"`
	MaxMs       float64 `json:"max_ms"`
	IdleRSSMiB  float64 `json:"idle_rss_mib"`
	Description string  `json:"description"`
}

// BulkSeed is how long the big user's tasks took in one INSERT … SELECT.
type BulkSeed struct {
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
}

// Report is everything one run of the benchmark found.
type Report struct {
	Started   time.Time         `json:"started"`
	Finished  time.Time         `json:"finished"`
	Command   string            `json:"command"`
	Machine   Machine           `json:"machine"`
	Settings  map[string]string `json:"settings"`
	Seeding   []string          `json:"seeding"`
	BulkSeed  *BulkSeed         `json:"bulk_seed,omitempty"`
	Scenarios []Scenario        `json:"scenarios"`
	Startup   *Startup          `json:"startup,omitempty"`
	Targets   []Target          `json:"targets"`
	Notes     []string          `json:"notes,omitempty"`
	// Analysis is Markdown written by people about this run (taskbench
	// -analysis FILE), placed after the targets.
	Analysis string `json:"analysis,omitempty"`
}

// Find returns the scenario named name, or nil.
func (r *Report) Find(name string) *Scenario {
	for i := range r.Scenarios {
		if r.Scenarios[i].Name == name {
			return &r.Scenarios[i]
		}
	}
	return nil
}

// SetRatio sets s's ratio to the rate of the scenario named limit, if that
// one ran and served anything.
func (r *Report) SetRatio(s *Scenario, limit string) {
	l := r.Find(limit)
	if s == nil || l == nil || l.RPS <= 0 {
		return
	}
	s.Limit, s.Ratio = limit, s.RPS/l.RPS
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the scenario table as aligned text, for the terminal.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %-8s %4s %9s %8s %8s %8s %6s  %-34s %s\n",
		"scenario", "deploy", "c", "rps", "p50 ms", "p95 ms", "p99 ms", "errors", "peak RSS MiB / CPU s per 1k", "ratio")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "%-30s %-8s %4d %9.0f %8.2f %8.2f %8.2f %6d  %-34s %s\n",
			s.Name, s.Deployment, s.Concurrency, s.RPS, s.P50ms, s.P95ms, s.P99ms, s.Errors, procText(s.Procs), ratioText(s))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes r as the BENCHMARKS.md page.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make bench` (cmd/taskbench); do not edit by hand, rerun it. Every figure below\n")
	b.WriteString("comes from one run on one machine shared with other work: absolute rates are noise from run\n")
	b.WriteString("to run, the ratios within the run are what the targets are about.\n\n")
	fmt.Fprintf(&b, "- Run: %s to %s (%.0f s)\n", r.Started.UTC().Format(time.RFC3339), r.Finished.UTC().Format(time.RFC3339), r.Finished.Sub(r.Started).Seconds())
	fmt.Fprintf(&b, "- Command: `%s`\n", r.Command)
	m := r.Machine
	fmt.Fprintf(&b, "- Machine: %d CPUs (%s), %.1f GiB, Linux %s, %s, PostgreSQL %s; load average before %s, after %s\n",
		m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.GoVersion, m.Postgres, m.LoadBefore, m.LoadAfter)
	if len(r.Settings) > 0 {
		b.WriteString("- Settings:")
		for _, k := range slices.Sorted(maps.Keys(r.Settings)) {
			fmt.Fprintf(&b, " %s=%s;", k, r.Settings[k])
		}
		b.WriteString("\n")
	}
	for _, s := range r.Seeding {
		fmt.Fprintf(&b, "- Seeding: %s\n", s)
	}

	b.WriteString("\n## Targets\n\n| target | wanted | measured | met | why (this run's own figures) |\n|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		met := "**not met**"
		if t.Met {
			met = "met"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, met, t.Why)
	}
	if r.Analysis != "" {
		b.WriteString("\n" + strings.TrimSpace(r.Analysis) + "\n")
	}

	b.WriteString("\n## Scenarios\n\n")
	b.WriteString("Closed loop: `c` workers, each sending its next request when the last is answered, for a fixed\n")
	b.WriteString("time after a warm-up. Rate is requests answered per second; latencies are nearest-rank percentiles\n")
	b.WriteString("of every request in the window. Per process: peak RSS (VmHWM, reset before each scenario) and CPU\n")
	b.WriteString("seconds (utime+stime) per 1,000 requests. Ratio: the rate over the named limit's rate.\n\n")
	b.WriteString("| scenario | deployment | request | c | rps | p50 ms | p95 ms | p99 ms | errors | peak RSS MiB / CPU s per 1k | ratio |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "| %s | %s | `%s` | %d | %.0f | %.2f | %.2f | %.2f | %d | %s | %s |\n",
			s.Name, s.Deployment, s.Request, s.Concurrency, s.RPS, s.P50ms, s.P95ms, s.P99ms, s.Errors, procText(s.Procs), ratioText(s))
	}
	if st := r.Startup; st != nil {
		fmt.Fprintf(&b, "\n## Start-up\n\n%s: median %.0f ms, slowest %.0f ms over %d starts; idle RSS %.1f MiB.\n",
			st.Description, st.MedianMs, st.MaxMs, st.Runs, st.IdleRSSMiB)
	}
	var notes []string
	for _, s := range r.Scenarios {
		if s.Note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", s.Name, s.Note))
		}
		for _, e := range s.ErrorText {
			notes = append(notes, fmt.Sprintf("%s error: %s", s.Name, e))
		}
	}
	notes = append(notes, r.Notes...)
	if len(notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func procText(ps []ProcFigure) string {
	var parts []string
	for _, p := range ps {
		if p.PeakRSSMiB > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f / %.3f", p.Name, p.PeakRSSMiB, p.CPUSecPer1k))
		} else {
			parts = append(parts, fmt.Sprintf("%s – / %.3f", p.Name, p.CPUSecPer1k))
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}

func ratioText(s Scenario) string {
	if s.Limit == "" {
		return "–"
	}
	return fmt.Sprintf("%.0f %% of %s", s.Ratio*100, s.Limit)
}

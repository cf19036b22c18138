package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"taskapi/internal/loadgen"
)

// service is one process of the built binary that the benchmark started.
type service struct {
	name    string // auth, task, all
	cmd     *exec.Cmd
	logPath string
	addr    string // host:port it listens on
	done    chan struct{}
	waitErr error // once done is closed
}

func (s *service) url() string { return "http://" + s.addr }
func (s *service) pid() int    { return s.cmd.Process.Pid }

// startService runs bin with env (plus PATH and HOME) and waits until it
// logs its listen address and answers /health, within limit. Its log goes
// to a file in dir: written by the kernel, read by nobody during the run,
// so logging costs the service what it costs in production and the
// benchmark nothing.
func startService(ctx context.Context, bin, dir, name string, env map[string]string, limit time.Duration) (*service, time.Duration, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, 0, err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the benchmark
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", name, err)
	}
	s := &service{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	deadline := start.Add(limit)
	for s.addr == "" {
		if err := s.checkAlive(); err != nil {
			return nil, 0, err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, 0, fmt.Errorf("%s did not log its address within %s; log: %s", name, limit, logPath)
		}
		s.addr = listenAddr(logPath)
		if s.addr == "" {
			time.Sleep(time.Millisecond)
		}
	}
	client := &http.Client{Timeout: time.Second}
	for {
		if err := s.checkAlive(); err != nil {
			return nil, 0, err
		}
		resp, err := client.Get(s.url() + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, 0, fmt.Errorf("%s not healthy within %s; log: %s", name, limit, logPath)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *service) checkAlive() error {
	select {
	case <-s.done:
		return fmt.Errorf("%s exited (%v); log: %s", s.name, s.waitErr, s.logPath)
	default:
		return nil
	}
}

// listenAddr finds the "server started" line of a JSON log and returns
// its addr, or "" if it is not there yet.
func listenAddr(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"server started"`) {
			continue
		}
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "server started" {
			return rec.Addr
		}
	}
	return ""
}

// stop sends SIGTERM and waits up to 10 s for a clean exit, then kills.
// Stopping a stopped service does nothing.
func (s *service) stop() {
	if s == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// probe samples processes around a scenario's measured window: the
// services, and the PostgreSQL backends serving the run's connections
// (found by their application_name, so that other clients of the same
// server are not counted; the server's shared background processes, WAL
// writer and checkpointer, are not counted either).
type probe struct {
	procs  []*service
	before []loadgen.ProcSample
	after  []loadgen.ProcSample
	errs   []string

	pg         *backends
	pgBefore   map[int]int64
	pgCPUTicks int64
}

// backends finds the PostgreSQL backend processes of one run.
type backends struct {
	db      *sql.DB
	appName string
}

// cpu returns the CPU ticks of every backend of the run, by pid.
func (b *backends) cpu() map[int]int64 {
	out := map[int]int64{}
	if b == nil {
		return out
	}
	rows, err := b.db.Query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", b.appName)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
				if t, err := loadgen.ParseStatCPU(string(b)); err == nil {
					out[pid] = t
				}
			}
		}
	}
	return out
}

func newProbe(pg *backends, procs ...*service) *probe { return &probe{procs: procs, pg: pg} }

func (p *probe) start() {
	p.before = make([]loadgen.ProcSample, len(p.procs))
	for i, s := range p.procs {
		if err := loadgen.ResetPeak(s.pid()); err != nil {
			p.errs = append(p.errs, fmt.Sprintf("%s: peak RSS not reset (%v): the figure is the process's lifetime peak", s.name, err))
		}
		p.before[i], _ = loadgen.ReadProc(s.pid())
	}
	p.pgBefore = p.pg.cpu()
}

func (p *probe) end() {
	p.after = make([]loadgen.ProcSample, len(p.procs))
	for i, s := range p.procs {
		p.after[i], _ = loadgen.ReadProc(s.pid())
	}
	for pid, t := range p.pg.cpu() {
		if t0, ok := p.pgBefore[pid]; ok {
			p.pgCPUTicks += t - t0
		}
	}
}

// figures turns the samples into the row's per-process figures, CPU per
// 1,000 of requests.
func (p *probe) figures(requests int64) []loadgen.ProcFigure {
	if len(p.after) != len(p.procs) || len(p.before) != len(p.procs) {
		return nil
	}
	out := make([]loadgen.ProcFigure, len(p.procs))
	for i, s := range p.procs {
		out[i] = loadgen.ProcFigure{
			Name:        s.name,
			PeakRSSMiB:  float64(p.after[i].PeakRSSKiB) / 1024,
			CPUSecPer1k: loadgen.CPUSecondsPer1k(p.before[i], p.after[i], requests),
		}
	}
	if p.pg != nil {
		out = append(out, loadgen.ProcFigure{Name: "postgres",
			CPUSecPer1k: loadgen.CPUSecondsPer1k(loadgen.ProcSample{}, loadgen.ProcSample{CPUTicks: p.pgCPUTicks}, requests)})
	}
	return out
}

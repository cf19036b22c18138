package deploytest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"taskapi/app"
	"taskapi/internal/apitest"
)

// ReadyLimit bounds how long a process may take from exec to its first
// 200 from /health. It is generous because the machine running the tests
// may be busy; a healthy start takes well under a second.
var ReadyLimit = 60 * time.Second

// Process is one running (or stopped) process of the binary.
type Process struct {
	// Name is the service and its index, e.g. "auth-1"; its log file is
	// named after it.
	Name string
	// URL is where it serves, http://127.0.0.1:port. It stays the same
	// across Restart.
	URL string

	bin     string
	env     map[string]string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error // once done is closed
}

// Addr is URL without the scheme: host:port.
func (p *Process) Addr() string { return p.URL[len("http://"):] }

// API returns a client for the process's API (its URL stays the same
// across Restart, so the client does too).
func (p *Process) API() *apitest.Server { return apitest.New(p.URL) }

// Log returns what the process has written so far (JSON log lines, one a
// line, from every run of it).
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// Running reports whether the process is up (started and not exited).
func (p *Process) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// start execs the binary with p.env (plus PATH and HOME, nothing else of
// the test's environment, so that a developer's own settings never leak
// in) and waits until /health answers 200 within ReadyLimit. It returns
// an error rather than failing the test, so that processes can start in
// parallel goroutines.
func (p *Process) start() error {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", p.Name, err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(p.bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range p.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Never outlive the test binary, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", p.Name, err)
	}
	p.cmd, p.done, p.waitErr = cmd, make(chan struct{}), nil
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()

	deadline := time.Now().Add(ReadyLimit)
	for p.URL == "" {
		if addr := p.listenAddr(); addr != "" {
			p.URL = "http://" + addr
			break
		}
		if err := p.checkStarting(deadline, "log its address"); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(p.URL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := p.checkStarting(deadline, "answer /health with 200"); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkStarting says why a start failed: the process exited, or it is
// out of time (and then it is killed).
func (p *Process) checkStarting(deadline time.Time, what string) error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited before it was ready (%v); log:\n%s", p.Name, p.waitErr, tail(p.Log()))
	default:
	}
	if time.Now().After(deadline) {
		p.kill()
		return fmt.Errorf("%s did not %s within %s; log:\n%s", p.Name, what, ReadyLimit, tail(p.Log()))
	}
	return nil
}

// listenAddr finds the address in this run's "server started" line, or
// "" if it is not there yet. Only the first run has to look: a restart
// listens on the same port.
func (p *Process) listenAddr() string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), []byte(`"server started"`)) {
			continue
		}
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "server started" {
			return rec.Addr
		}
	}
	return ""
}

// Stop sends SIGTERM and waits for the process to finish what it is doing
// and exit (up to 15 s, then it is killed). Stopping a stopped process
// does nothing.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.kill()
		t.Errorf("%s still running 15s after SIGTERM; killed", p.Name)
	}
}

// Kill ends the process at once (SIGKILL), as a crash or a lost task
// would, and waits for it to be gone.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	p.kill()
}

func (p *Process) kill() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Restart stops the process if it runs and starts it again with the same
// environment on the same port, waiting until it is ready.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	if p.URL != "" {
		_, port, err := net.SplitHostPort(p.Addr())
		if err != nil {
			t.Fatalf("%s: address %q: %v", p.Name, p.Addr(), err)
		}
		p.env[app.EnvPort] = port
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
}

func newProcess(bin, dir, name string, env map[string]string) *Process {
	own := make(map[string]string, len(env))
	for k, v := range env {
		own[k] = v
	}
	return &Process{Name: name, bin: bin, env: own, logPath: filepath.Join(dir, name+".log")}
}

// tail is the last 40 lines of a log, enough to see why a start failed.
func tail(log string) string {
	lines := bytes.Split([]byte(log), []byte("\n"))
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// name is a process's name: its service and index.
func name(service string, i int) string { return service + "-" + strconv.Itoa(i) }

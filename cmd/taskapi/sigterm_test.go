package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"taskapi/internal/deploytest"
	"taskapi/internal/testnet"
)

// TestSIGTERMDrainsAndExitsZero runs the real binary, as ECS does, and
// sends it SIGTERM while a request is still arriving: new connections are
// refused from then on, the request in flight completes, and the process
// exits 0 well inside ECS's 30s stop timeout.
func TestSIGTERMDrainsAndExitsZero(t *testing.T) {
	t.Parallel() // its own process (see TestHelpAndVersionExitZero)
	bin := deploytest.Binary(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "SQLITE_PATH=" + t.TempDir() + "/db",
		"HOST=127.0.0.1", "PORT=0", "LOG_FORMAT=json", "BCRYPT_COST=4",
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var lines []string
	var linesMu sync.Mutex
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var entry map[string]any
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry["msg"] == "server started" {
				addr <- fmt.Sprint(entry["addr"])
			}
			linesMu.Lock()
			lines = append(lines, sc.Text())
			linesMu.Unlock()
		}
		exited <- cmd.Wait() // after stdout is drained, as Wait requires
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	var hostPort string
	select {
	case hostPort = <-addr:
	case err := <-exited:
		t.Fatalf("exited before serving: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("no \"server started\" line within 30s")
	}
	resp, err := http.Get("http://" + hostPort + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// A registration whose body has only half arrived.
	conn, err := net.Dial("tcp", hostPort)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"username":"alice","email":"alice@example.com","password":"correct horse battery"}`
	fmt.Fprintf(conn, "POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		len(body), body[:10])
	// SIGTERM only once the server has accepted the connection and read
	// what came so far: a connection still in the kernel's accept queue
	// is not yet a request in flight.
	testnet.AwaitRead(t, conn)

	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused while the request is still in flight.
	testnet.AwaitRefused(t, hostPort)
	fmt.Fprint(conn, body[10:])
	answer, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight at SIGTERM was lost: %v", err)
	}
	answer.Body.Close()
	if answer.StatusCode != http.StatusCreated {
		t.Errorf("the request in flight at SIGTERM = %d, want 201", answer.StatusCode)
	}

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM = %v, want status 0\nstderr: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20s after SIGTERM (ECS kills at 30s)")
	}
	if took := time.Since(signalled); took > 10*time.Second {
		t.Errorf("took %s to exit after SIGTERM, want well inside 30s", took)
	}
	linesMu.Lock()
	defer linesMu.Unlock()
	if log := strings.Join(lines, "\n"); !strings.Contains(log, `"msg":"server stopped"`) {
		t.Errorf("no \"server stopped\" line in the log:\n%s", log)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr after a clean stop: %s", stderr.String())
	}
}

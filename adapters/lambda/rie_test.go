//go:build linux

package lambda_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	lambdaadapter "taskapi/adapters/lambda"
	"taskapi/internal/syncbuf"
)

// The AWS Lambda Runtime Interface Emulator, pinned. The Makefile's rie
// target pins the same (TestRIEVersionMatchesMakefile).
const (
	rieModule  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

// TestUnderRuntimeInterfaceEmulator builds the real bootstrap, as sam
// build does, runs it under aws-lambda-rie (the Lambda Runtime API, no
// docker) and drives register → login → create → get through it with the
// sample events of every kind, one invocation at a time: the emulator
// does not survive concurrent invocations. All of them reach one
// execution environment: one init, one database pool.
func TestUnderRuntimeInterfaceEmulator(t *testing.T) {
	rie := rieBinary(t)
	dir := t.TempDir()

	start := time.Now()
	bootstrap := filepath.Join(dir, "bootstrap")
	// As make lambda (and so sam build) builds it: the build cache then
	// serves both.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bootstrap, "../../cmd/taskapi")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	info, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bootstrap built in %s: %.1f MB (stripped, as make lambda builds it)", time.Since(start).Round(time.Millisecond), float64(info.Size())/1e6)

	addr := "127.0.0.1:" + freePort(t)
	logs := &syncbuf.Buffer{}
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+freePort(t),
		bootstrap)
	cmd.Dir = dir
	// The emulator passes its environment on to the function, as Lambda
	// passes the function's configuration.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC",
		"SQLITE_PATH=" + filepath.Join(dir, "taskapi.db"),
		"BCRYPT_COST=4", "LOG_LEVEL=info", "LOG_FORMAT=json",
		"AWS_LAMBDA_FUNCTION_NAME=taskapi-e2e", "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so that the emulator and the bootstrap it
	// starts end together; and never outliving the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// On SIGTERM the bootstrap closes its pool and exits within the
		// runtime's share of the shutdown phase: the emulator never has
		// to kill it (as Lambda would).
		if strings.Contains(logs.String(), "did not exit after deadline") {
			t.Errorf("the emulator SIGKILLed the bootstrap after SIGTERM:\n%s", logs)
		}
		if t.Failed() {
			t.Logf("emulator output:\n%s", logs)
		}
	})
	waitForPort(t, addr, exited)

	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	client := &http.Client{Timeout: 30 * time.Second}
	invocations := 0
	invoke := func(payload []byte) ([]byte, error) {
		invocations++
		resp, err := client.Post(url, "application/json", bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("emulator answered %d: %s", resp.StatusCode, body)
		}
		var failed struct{ ErrorMessage, ErrorType string }
		if json.Unmarshal(body, &failed) == nil && failed.ErrorType != "" {
			return nil, fmt.Errorf("invocation failed: %s: %s", failed.ErrorType, failed.ErrorMessage)
		}
		return body, nil
	}

	flows := time.Now()
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			runFlow(t, kind, "rie_"+strings.ReplaceAll(string(kind), "-", "_"), invoke)
		})
	}
	// A token from one kind works through another: one environment, one
	// database, one signing key.
	login, err := invoke(sampleEvent(t, lambdaadapter.APIGatewayV1, "login", "rie_alb", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Token string }
	if err := json.Unmarshal([]byte(decodeAnswer(t, lambdaadapter.APIGatewayV1, login).Body), &body); err != nil || body.Token == "" {
		t.Fatalf("login through v1: %v", err)
	}
	// The ALB flow ran last: its task is the last one created.
	out, err := invoke(sampleEvent(t, lambdaadapter.APIGatewayV2, "get-task", "rie_alb", body.Token, fmt.Sprint(len(kinds))))
	if err != nil {
		t.Fatal(err)
	}
	if a := decodeAnswer(t, lambdaadapter.APIGatewayV2, out); a.Status != http.StatusOK || !strings.Contains(a.Body, `"title":"Buy milk"`) {
		t.Errorf("the ALB user's task through v2: %d %s", a.Status, a.Body)
	}
	// An event that is not an HTTP request fails the invocation.
	if _, err := invoke([]byte(`{"source":"aws.events","detail-type":"Scheduled Event"}`)); err == nil || !strings.Contains(err.Error(), "not an API Gateway") {
		t.Errorf("scheduled event: %v", err)
	}
	t.Logf("%d invocations in %s", invocations, time.Since(flows).Round(time.Millisecond))

	// The emulator logs the Lambda lifecycle; the function's own lines
	// are JSON: the access log and the EMF metrics, as on ECS.
	// The last lines trail the last answer: read (complete lines only)
	// until every access line is there, for at most 10s.
	want := invocations - 1 // all but the scheduled event
	var ready, requests, emf int
	var bad []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ready, requests, emf, bad = 0, 0, 0, nil
		out := logs.String()
		for _, line := range strings.Split(out[:strings.LastIndex(out, "\n")+1], "\n") {
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var entry map[string]any
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				bad = append(bad, line)
				continue
			}
			switch {
			case entry["msg"] == "lambda function ready":
				ready++
			case entry["msg"] == "request":
				requests++
			case entry["_aws"] != nil:
				emf++
			}
		}
		if requests >= want || time.Now().After(deadline) {
			break
		}
	}
	for _, line := range bad {
		t.Errorf("function log line is not JSON: %q", line)
	}
	if ready != 1 {
		t.Errorf("%d init log lines, want 1: the environment must be initialised once and reused", ready)
	}
	if requests != want {
		t.Errorf("%d access log lines, want %d", requests, want)
	}
	if emf == 0 {
		t.Error("no EMF metric records")
	}
	if m := regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`).FindStringSubmatch(logs.String()); m != nil {
		t.Logf("init duration (the emulator's INIT REPORT): %s ms", m[1])
	} else {
		t.Error("the emulator logged no INIT REPORT")
	}
	if m := regexp.MustCompile(`Init Duration: ([0-9.]+) ms`).FindStringSubmatch(logs.String()); m != nil {
		t.Logf("REPORT line's Init Duration: %s ms", m[1])
	}
}

// TestRIEVersionMatchesMakefile keeps the two pins of the emulator equal.
func TestRIEVersionMatchesMakefile(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RIE_MODULE    ?= " + rieModule + "\n", "RIE_VERSION   ?= " + rieVersion + "\n"} {
		if !strings.Contains(string(makefile), want) {
			t.Errorf("Makefile lacks %q", want)
		}
	}
}

// rieBinary returns aws-lambda-rie: $AWS_LAMBDA_RIE if set, else the
// pinned version, installed with `go install` into the user's cache on
// first use (the Go module proxy is all it needs). If it cannot be had,
// the test is skipped on a developer's machine and fails on CI.
func rieBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	gobin := filepath.Join(cache, "taskapi", "aws-lambda-rie@"+rieVersion)
	bin := filepath.Join(gobin, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	install := exec.Command("go", "install", rieModule+"/cmd/aws-lambda-rie@"+rieVersion)
	install.Dir = t.TempDir() // outside this module: its go.mod is not the emulator's
	install.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "GOWORK=off")
	if out, err := install.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot install aws-lambda-rie %s: %v\n%s", rieVersion, err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// waitForPort waits until the emulator accepts connections.
func waitForPort(t *testing.T, addr string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-exited:
			t.Fatal("the emulator exited before it listened")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal(errors.Join(errors.New("the emulator is not listening after 15s"), err))
		}
	}
}

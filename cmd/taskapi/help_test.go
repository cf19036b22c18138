package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"taskapi/app"

	"taskapi/internal/deploytest"
)

// TestHelpAndVersionExitZero runs the real binary the way a newcomer
// first tries it: every spelling of help prints the usage on stdout and
// exits 0, and version names the build and the Go release, even with a
// configuration that would stop the server.
func TestHelpAndVersionExitZero(t *testing.T) {
	// Its own build and processes: it runs beside the other parallel
	// tests, after TestRevocationReachesEveryTaskInstance, whose 2 s bound
	// is kept from their load.
	t.Parallel()
	// deploytest's flags with a version set: the packages compiled for
	// deploytest.Binary (and make build) are reused, only the link differs.
	bin := filepath.Join(t.TempDir(), "taskapi")
	args := []string{"build"}
	for _, f := range deploytest.BuildFlags {
		if strings.HasPrefix(f, "-ldflags=") {
			f += " -X taskapi/app.Version=v1.2.3-test"
		}
		args = append(args, f)
	}
	build := exec.Command("go", append(args, "-o", bin, ".")...)
	build.Env = append(os.Environ(), deploytest.BuildEnv...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := func(arg string) string {
		t.Helper()
		cmd := exec.Command(bin, arg)
		// Broken on purpose: help must not read the configuration.
		cmd.Env = []string{"PATH=/usr/bin:/bin", "PORT=http", "SERVICE=both", "DB_HOST=db.internal"}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("taskapi %s: %v\nstderr: %s", arg, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("taskapi %s wrote to stderr: %s", arg, stderr.String())
		}
		return stdout.String()
	}
	for _, arg := range []string{"--help", "-h", "help"} {
		if out := run(arg); out != app.Usage {
			t.Errorf("taskapi %s printed\n%s\nwant the usage", arg, out)
		}
	}
	want := regexp.MustCompile(`^taskapi v1\.2\.3-test \(` + regexp.QuoteMeta(runtime.Version()) + `, ` + runtime.GOOS + `/` + runtime.GOARCH + `[,)]`)
	for _, arg := range []string{"version", "--version"} {
		if out := run(arg); !want.MatchString(out) || strings.Count(out, "\n") != 1 {
			t.Errorf("taskapi %s printed %q, want one line matching %s", arg, out, want)
		}
	}
}

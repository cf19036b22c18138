// Package deploytest runs the deployed shape in a test: N auth and M task
// processes of the real binary (cmd/taskapi) on one database, each on its
// own loopback port, ready when their /health answers 200, stopped and
// restarted on cue, and stopped for good when the test ends.
//
// The binary is built once per test binary (the first Binary or Start
// call), so a package's tests share one compile. A package that uses it
// removes the build when its tests end with a TestMain of one line:
//
//	func TestMain(m *testing.M) { os.Exit(deploytest.Main(m)) }
package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// BuildEnv and BuildFlags are how the binary is built: the same as make
// build and make run (the Makefile's BUILD_ENV and BUILD_FLAGS; a test
// keeps them equal), so that the build cache serves all three.
var (
	BuildEnv   = []string{"CGO_ENABLED=0"}
	BuildFlags = []string{"-trimpath", "-ldflags=-s -w"}
)

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// Binary returns the path of cmd/taskapi built for this test binary. The
// first call compiles it (with BuildEnv and BuildFlags, so the build
// cache is shared with make build and make run); later calls reuse it. The file
// lives in a directory of its own and is left for the OS to clean with
// Main: no single test owns it, since every test may use it.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "deploytest-")
		if err != nil {
			build.err = err
			return
		}
		build.dir, build.path = dir, filepath.Join(dir, "taskapi")
		cmd := exec.Command("go", append(append([]string{"build"}, BuildFlags...), "-o", build.path, "taskapi/cmd/taskapi")...)
		cmd.Env = append(os.Environ(), BuildEnv...)
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("build cmd/taskapi: %v\n%s", build.err, build.out)
	}
	return build.path
}

// Main runs the tests and then removes the binary Binary built, if any,
// returning m.Run's exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	return code
}

package taskapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"taskapi/internal/deploytest"
)

// makeCmd runs make in the repository with env added to a copy of the
// test's environment that has no HOST (a shell may set one of its own).
func makeCmd(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOST=") && !strings.HasPrefix(kv, "MAKEFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMakeHelpListsEveryTarget: every `## target: text` comment of the
// Makefile names a real target and shows up in `make help`, and a plain
// `make` prints the same help instead of starting anything.
func TestMakeHelpListsEveryTarget(t *testing.T) {
	src, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	documented := regexp.MustCompile(`(?m)^## ([A-Za-z0-9_-]+): (.+)$`).FindAllStringSubmatch(string(src), -1)
	if len(documented) < 10 {
		t.Fatalf("found only %d ## target: comments", len(documented))
	}
	help, err := makeCmd(t, nil, "help")
	if err != nil {
		t.Fatalf("make help: %v\n%s", err, help)
	}
	for _, d := range documented {
		line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(d[1]) + ` +` + regexp.QuoteMeta(d[2]) + `$`)
		if !line.MatchString(help) {
			t.Errorf("make help lacks %q (%s)", d[1], d[2])
		}
		if out, err := makeCmd(t, nil, "-n", d[1]); err != nil {
			t.Errorf("## %s: names no target: %v\n%s", d[1], err, out)
		}
	}
	plain, err := makeCmd(t, nil)
	if err != nil || plain != help {
		t.Errorf("plain make (%v) printed\n%s\nwant make help's\n%s", err, plain, help)
	}
	if !strings.Contains(help, "plain make prints this list") {
		t.Errorf("make help does not say what a plain make does:\n%s", help)
	}
}

// TestMakeRunListensOnLoopback: make run starts the server on 127.0.0.1
// unless HOST says otherwise, and says what it is doing before the
// (possibly long) first compile. The go command is a stand-in whose build
// writes a "server" that prints the HOST it runs with.
func TestMakeRunListensOnLoopback(t *testing.T) {
	dir := t.TempDir()
	fakeGo := filepath.Join(dir, "go")
	script := `#!/bin/sh
[ "$1" = build ] || { echo "unexpected: go $*"; exit 1; }
while [ $# -gt 0 ] && [ "$1" != -o ]; do shift; done
printf '#!/bin/sh\necho "server HOST=${HOST-unset}"\n' > "$2" && chmod +x "$2"
`
	if err := os.WriteFile(fakeGo, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	runBin := filepath.Join(dir, "taskapi")
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, "HOST=127.0.0.1"},
		{[]string{"HOST=0.0.0.0"}, "HOST=0.0.0.0"},
	} {
		out, err := makeCmd(t, c.env, "-s", "run", "GO="+fakeGo, "RUN_BIN="+runBin)
		if err != nil {
			t.Fatalf("make run %v: %v\n%s", c.env, err, out)
		}
		if !strings.Contains(out, "\nserver "+c.want+"\n") {
			t.Errorf("make run with %v: want %s, got\n%s", c.env, c.want, out)
		}
		first, _, _ := strings.Cut(out, "\n")
		if !strings.Contains(first, "compiling") || !strings.Contains(first, "minutes") {
			t.Errorf("make run does not announce the compile first:\n%s", out)
		}
	}
}

// TestMakefileRecipesAreShort: the Makefile is a table of contents; a
// recipe longer than 6 lines is a program, which belongs in scripts/.
func TestMakefileRecipesAreShort(t *testing.T) {
	src, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "\t") {
			continue
		}
		start := i
		for i < len(lines) && strings.HasPrefix(lines[i], "\t") {
			i++
		}
		if n := i - start; n > 6 {
			t.Errorf("Makefile:%d: a recipe of %d lines (%s): move it into a script", start, n, strings.TrimSpace(lines[start-1]))
		}
	}
}

// TestOneBuildForRunBuildAndTests: make run, make build and the tests'
// own build of the binary (internal/deploytest) use one environment and
// one set of flags, so none compiles again what another compiled.
func TestOneBuildForRunBuildAndTests(t *testing.T) {
	dry, err := makeCmd(t, nil, "-n", "run", "build")
	if err != nil {
		t.Fatalf("make -n run build: %v\n%s", err, dry)
	}
	var builds []string
	for _, line := range strings.Split(dry, "\n") {
		if strings.Contains(line, " build ") && strings.Contains(line, "./cmd/taskapi") {
			_, args, _ := strings.Cut(line, " build ")
			before, _, _ := strings.Cut(line, " build ")
			builds = append(builds, before+" build "+regexp.MustCompile(`-o \S+ `).ReplaceAllString(args, ""))
		}
	}
	if len(builds) != 2 || builds[0] != builds[1] {
		t.Fatalf("make run and make build compile differently:\n%s", strings.Join(builds, "\n"))
	}
	// The flags as the shell splits them, against deploytest's.
	env, flags, _ := strings.Cut(strings.TrimSuffix(builds[0], " ./cmd/taskapi"), " go build ")
	out, err := exec.Command("sh", "-c", `printf '%s\n' `+flags).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(env)
	wantFlags := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if !slices.Equal(got, deploytest.BuildEnv) || !slices.Equal(wantFlags, deploytest.BuildFlags) {
		t.Errorf("the Makefile builds with %q %q, internal/deploytest with %q %q", got, wantFlags, deploytest.BuildEnv, deploytest.BuildFlags)
	}
}

package taskapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
[ "$1 $2" = "build -o" ] || { echo "unexpected: go $*"; exit 1; }
printf '#!/bin/sh\necho "server HOST=${HOST-unset}"\n' > "$3" && chmod +x "$3"
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

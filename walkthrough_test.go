package taskapi_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"taskapi/app"
	"taskapi/internal/apitest"
	"taskapi/internal/syncbuf"
)

// The documents whose walkthroughs TestReadmeWalkthrough runs, in order,
// in one shell: docs/api.md continues where the README stops.
var walkthroughDocs = []string{"README.md", "docs/api.md"}

// docAddress is the address the documents' commands use; the test puts its
// own server's address in its place.
const docAddress = "localhost:3000"

// step is one command of a walkthrough and the answer the document shows.
type step struct {
	where   string   // file:line of the command's first line
	command []string // the shell lines, continuations included
	answer  []string // the comment lines after the command, "# " removed
}

// walkthroughSteps extracts the steps of a document: the ```sh blocks
// between a "<!-- walkthrough" line and the next "<!-- walkthrough: end"
// line. In a block, blank lines separate steps; a step's comment lines
// before its command describe it, those after it are its answer (every
// line it prints, in order), and a step without any prints nothing.
func walkthroughSteps(t *testing.T, path string) []step {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	var cur *step
	inRegion, inBlock := false, false
	flush := func() {
		if cur != nil && len(cur.command) > 0 {
			steps = append(steps, *cur)
		}
		cur = nil
	}
	for i, line := range strings.Split(string(src), "\n") {
		switch {
		case !inBlock && strings.HasPrefix(line, "<!-- walkthrough: end"):
			if !inRegion {
				t.Fatalf("%s:%d: walkthrough end without a start", path, i+1)
			}
			inRegion = false
		case !inBlock && strings.HasPrefix(line, "<!-- walkthrough"):
			inRegion = true
		case inRegion && !inBlock && line == "```sh":
			inBlock = true
		case inBlock && line == "```":
			flush()
			inBlock = false
		case inBlock && strings.TrimSpace(line) == "":
			flush()
		case inBlock:
			if cur == nil {
				cur = &step{}
			}
			comment, isComment := strings.CutPrefix(line, "#")
			switch {
			case isComment && len(cur.command) == 0: // describes the step
			case isComment:
				cur.answer = append(cur.answer, strings.TrimPrefix(comment, " "))
			case len(cur.answer) > 0:
				t.Fatalf("%s:%d: a command after an answer: separate steps with a blank line", path, i+1)
			default:
				if len(cur.command) == 0 {
					cur.where = fmt.Sprintf("%s:%d", path, i+1)
				}
				cur.command = append(cur.command, line)
			}
		}
	}
	if inRegion || inBlock {
		t.Fatalf("%s: a walkthrough region or sh block is not closed", path)
	}
	return steps
}

// answerPattern turns a documented answer line into a pattern: the line
// literally, with each … standing for any text.
func answerPattern(line string) *regexp.Regexp {
	parts := strings.Split(line, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// TestReadmeWalkthrough runs the README's first requests and docs/api.md's
// walkthrough, as a newcomer pastes them, against a fresh server like
// make run's (both services, embedded SQLite, no JWT_SECRET), and checks
// that every command prints exactly the answer the document shows. A
// document that drifts from the API fails here.
func TestReadmeWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed to run the documents' commands: %v", tool, err)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	var steps []step
	for _, doc := range walkthroughDocs {
		s := walkthroughSteps(t, doc)
		if len(s) < 4 {
			t.Fatalf("%s: found %d walkthrough steps; are its <!-- walkthrough --> markers gone?", doc, len(s))
		}
		steps = append(steps, s...)
	}

	addr, logs := startWalkthroughServer(t)

	// One script, one shell, as in a terminal: a marker line after each
	// step splits the output into the steps' answers.
	var script strings.Builder
	for i, s := range steps {
		cmd := strings.ReplaceAll(strings.Join(s.command, "\n"), docAddress, addr)
		fmt.Fprintf(&script, "%s\nprintf '\\n@@step %d@@\\n'\n", cmd, i)
	}
	// Bounded, never timed: a slow machine only takes longer.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bash := exec.CommandContext(ctx, "bash", "--noprofile", "--norc")
	bash.Stdin = strings.NewReader(script.String())
	bash.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LC_ALL=C.UTF-8"}
	bash.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	bash.Stderr = &stderr
	out, err := bash.Output()
	if err != nil {
		t.Fatalf("the walkthrough's shell failed: %v\nstderr:\n%s\nserver log:\n%s", err, stderr.String(), logs)
	}

	outputs := strings.Split(string(out), "\n@@step ")
	for i, s := range steps {
		if i >= len(outputs) {
			t.Fatalf("%s: no output after step %d", s.where, i)
		}
		text := outputs[i]
		if i > 0 { // drop the previous marker's "N@@" line
			_, text, _ = strings.Cut(text, "\n")
		}
		var got []string
		for _, line := range strings.Split(text, "\n") {
			if line = strings.TrimRight(line, "\r \t"); line != "" {
				got = append(got, line)
			}
		}
		ok := len(got) == len(s.answer)
		for j := 0; ok && j < len(got); j++ {
			ok = answerPattern(s.answer[j]).MatchString(got[j])
		}
		if !ok {
			t.Errorf("%s: the document shows\n\t%s\nbut the command\n\t%s\nprinted\n\t%s",
				s.where, strings.Join(s.answer, "\n\t"), strings.Join(s.command, "\n\t"), strings.Join(got, "\n\t"))
		}
	}
	if t.Failed() {
		t.Logf("shell stderr:\n%s\nserver log:\n%s", stderr.String(), logs)
	}
}

// startWalkthroughServer starts the API as make run does, but on a free
// loopback port and a fresh database, and returns its host:port.
func startWalkthroughServer(t *testing.T) (string, *syncbuf.Buffer) {
	t.Helper()
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "LOG_FORMAT": "text",
		"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db"),
		"BCRYPT_COST": "4", // what the documents show does not depend on it
	}
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	api := apitest.Start(t, func(ctx context.Context, ready chan<- string) error {
		if err := app.Serve(ctx, cfg, logs, ready); err != nil {
			return fmt.Errorf("%w\nserver log:\n%s", err, logs)
		}
		return nil
	})
	return strings.TrimPrefix(api.URL, "http://"), logs
}

package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// startedLine returns the "server started" line of a server's JSON log.
func startedLine(t *testing.T, logs string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var o map[string]any
		if json.Unmarshal([]byte(line), &o) == nil && o["msg"] == "server started" {
			return o
		}
	}
	t.Fatalf("no server started line in\n%s", logs)
	return nil
}

// TestStartupSaysWhenTheJWTKeyIsEphemeral: on the embedded default
// without JWT_SECRET the key is random per process, and the start-up line
// says so (and what it means); with a secret of one's own it says nothing.
func TestStartupSaysWhenTheJWTKeyIsEphemeral(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "taskapi.db")
	ephemeral := startServer(t, map[string]string{"SQLITE_PATH": db})
	if got := startedLine(t, ephemeral.Logs.String())["jwt_key"]; got != EphemeralKeyNote {
		t.Errorf("jwt_key = %v, want %q", got, EphemeralKeyNote)
	}
	if !strings.Contains(EphemeralKeyNote, "set JWT_SECRET") {
		t.Errorf("the note does not say how to keep tokens: %q", EphemeralKeyNote)
	}

	own := startServer(t, map[string]string{"SQLITE_PATH": db, "JWT_SECRET": testSecret})
	if got, ok := startedLine(t, own.Logs.String())["jwt_key"]; ok {
		t.Errorf("with JWT_SECRET set the start-up line still says jwt_key=%v", got)
	}
}

// TestTextLogsSummariseMetrics: under LOG_FORMAT=text (make run) the log
// stays human: no EMF JSON record, one short metrics line per service that
// saw requests. Under json the EMF records are there for CloudWatch.
func TestTextLogsSummariseMetrics(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			s := startServer(t, map[string]string{
				"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db"), "LOG_FORMAT": format,
				"LOG_LEVEL": "info", "METRICS_INTERVAL": "1h", // only the flush at shutdown
			})
			s.call(t, "GET", "/health", "", nil).expect(t, 200, "")
			s.call(t, "GET", "/tasks", "", nil).expect(t, 401, "")
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
			logs := s.Logs.String()
			emf := strings.Count(logs, `"_aws":`)
			var summaries []string
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, "msg=metrics ") {
					summaries = append(summaries, line)
				}
			}
			if format == "json" {
				if emf == 0 || len(summaries) > 0 {
					t.Errorf("json: %d EMF records, %d summaries; want EMF only\n%s", emf, len(summaries), logs)
				}
				return
			}
			if emf > 0 {
				t.Errorf("text: %d EMF records in the human log\n%s", emf, logs)
			}
			// /health is the process's own (taskapi), /tasks the task service's;
			// the idle auth service says nothing.
			want := map[string]bool{"service=taskapi requests=1 errors_5xx=0": false, "service=task-service requests=1 errors_5xx=0": false}
			for _, line := range summaries {
				if len(line) > 200 {
					t.Errorf("text: a %d-character metrics line: %s", len(line), line)
				}
				for w := range want {
					want[w] = want[w] || strings.Contains(line, w)
				}
			}
			if len(summaries) != len(want) {
				t.Errorf("text: %d metrics lines, want %d\n%s", len(summaries), len(want), logs)
			}
			for w, seen := range want {
				if !seen {
					t.Errorf("text: no summary with %s\n%s", w, logs)
				}
			}
		})
	}
}

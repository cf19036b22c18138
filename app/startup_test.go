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

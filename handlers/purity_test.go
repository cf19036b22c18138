package handlers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHandlersStayPure keeps the business logic free of transports and
// drivers: handlers (and everything it imports) may not reach net/http,
// gorilla, sqlx, database drivers or Lambda types. Adapters depend on
// handlers, never the reverse.
func TestHandlersStayPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "taskapi/handlers").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"net/http", "database/sql", "github.com/gorilla/", "github.com/jmoiron/sqlx",
		"github.com/lib/pq", "modernc.org/sqlite", "github.com/aws/", "github.com/awslabs/", "taskapi/adapters", "taskapi/store"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f) {
				t.Errorf("handlers depends on %s", dep)
			}
		}
	}
}

package app

import (
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestVariablesInventory keeps Variables equal to what LoadConfig really
// reads, across every branch (each service, SQLite, PostgreSQL by parts),
// and every variable documented in docs/configuration.md's table.
func TestVariablesInventory(t *testing.T) {
	envs := []map[string]string{
		{"SERVICE": "all"},
		{"SERVICE": "auth", "DB_HOST": "db", "JWT_SECRET": testSecret},
		{"SERVICE": "task", "DATABASE_URL": "postgres://x@db/y", "AUTH_SERVICE_URL": "http://auth:3000"},
	}
	seen := map[string]bool{}
	for _, env := range envs {
		e := &envReader{getenv: func(k string) string { return env[k] }, seen: seen}
		if _, err := loadConfig(e); err != nil {
			t.Fatalf("%v: %v", env, err)
		}
	}
	var read, listed []string
	for name := range seen {
		read = append(read, name)
	}
	for _, v := range Variables {
		listed = append(listed, v.Name)
	}
	sort.Strings(read)
	sort.Strings(listed)
	if !slices.Equal(read, listed) {
		t.Errorf("LoadConfig reads %v\nVariables lists %v", read, listed)
	}

	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range listed {
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("docs/configuration.md's table lacks %s", name)
		}
	}
}

package app

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestUsageNamesRealCommandsAndVariables keeps the help honest: every
// variable it names is one LoadConfig reads, every command it lists is
// one Run accepts, and it points at the documentation.
func TestUsageNamesRealCommandsAndVariables(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, v := range Variables {
		known[v.Name] = true
	}
	names := regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b(SERVICE|HOST|PORT)\b`).FindAllString(Usage, -1)
	if len(names) < 8 {
		t.Fatalf("the usage names only %v", names)
	}
	for _, name := range names {
		if !known[name] {
			t.Errorf("the usage names %s, which is not in Variables", name)
		}
	}
	for _, doc := range []string{"docs/configuration.md", "docs/api.md", "README.md"} {
		if !strings.Contains(Usage, doc) {
			t.Errorf("the usage does not point at %s", doc)
		}
	}
	// Each listed command is accepted: none fails as unknown.
	for _, m := range regexp.MustCompile(`(?m)^  taskapi \[?([a-z]+)`).FindAllStringSubmatch(Usage, -1) {
		err := Run(context.Background(), []string{m[1]}, func(string) string { return "broken" }, &strings.Builder{})
		if err != nil && strings.Contains(err.Error(), "unknown command") {
			t.Errorf("the usage lists %q, which Run refuses: %v", m[1], err)
		}
	}
	err := Run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "--help") {
		t.Errorf("an unknown command gives %v, want a pointer to --help", err)
	}
}

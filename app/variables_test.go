package app

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConfigDocIsTheTable keeps docs/configuration.md's table equal to
// Variables: the table is generated, and a hand edit (or a new variable
// without `make config-doc`) fails here.
func TestConfigDocIsTheTable(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := spliceConfigDoc(doc, ConfigDoc(Variables))
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != string(want) {
		t.Errorf("docs/configuration.md's table differs from app/variables.go: run make config-doc")
	}
	for _, v := range Variables {
		if !strings.Contains(string(doc), "| `"+v.Name+"` |") {
			t.Errorf("docs/configuration.md lacks %s", v.Name)
		}
	}
}

// TestConfigDocCommandRewritesTheTable: taskapi config-doc FILE replaces
// a stale table and keeps the prose around it.
func TestConfigDocCommandRewritesTheTable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "configuration.md")
	stale := "# Title\n\nprose\n" + configDocBegin + "\n| `OLD` | x |\n" + configDocEnd + "\n\nmore prose\n"
	if err := os.WriteFile(file, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Run(t.Context(), []string{"config-doc", file}, func(string) string { return "" }, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	want := "# Title\n\nprose\n" + configDocBegin + "\n" + ConfigDoc(Variables) + configDocEnd + "\n\nmore prose\n"
	if string(got) != want {
		t.Errorf("rewritten file:\n%s", got)
	}
	var out strings.Builder
	if err := Run(t.Context(), []string{"config-doc"}, func(string) string { return "" }, &out); err != nil || out.String() != ConfigDoc(Variables) {
		t.Errorf("config-doc printed %q, %v", out.String(), err)
	}
	if err := os.WriteFile(file, []byte("no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Run(t.Context(), []string{"config-doc", file}, func(string) string { return "" }, &strings.Builder{}); err == nil {
		t.Error("a file without the markers was accepted")
	}
}

// TestVariablesNamedOnce: each variable's name is written in exactly one
// non-test Go file, the table's; everything else refers to the table, so
// renaming or re-documenting a variable is one edit. Test kits (packages
// named like httptest: testdb, deploytest…) are test code: they set
// variables the way a test does.
func TestVariablesNamedOnce(t *testing.T) {
	t.Parallel()
	var names []string
	for _, v := range Variables {
		names = append(names, v.Name)
	}
	word := regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
	files := map[string][]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		testKit := strings.HasPrefix(d.Name(), "test") || strings.HasSuffix(d.Name(), "test")
		skip := d.Name() == "node_modules" || d.Name() == "bin" || d.Name() == "data" || strings.HasPrefix(d.Name(), ".") || testKit
		if d.IsDir() && path != ".." && skip {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, name := range word.FindAllString(string(src), -1) {
			if !seen[name] {
				seen[name] = true
				files[name] = append(files[name], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables {
		if got := files[v.Name]; len(got) != 1 || filepath.Base(got[0]) != "variables.go" {
			t.Errorf("%s is named in %v, want app/variables.go alone", v.Name, got)
		}
	}
}

// TestVariableDefaultsParse: every default is a valid value of its own
// variable (an empty environment loads), and every row is complete.
func TestVariableDefaultsParse(t *testing.T) {
	t.Parallel()
	if _, err := LoadConfig(func(string) string { return "" }); err != nil {
		t.Fatalf("the defaults do not load: %v", err)
	}
	seen := map[string]bool{}
	for _, v := range Variables {
		if seen[v.Name] {
			t.Errorf("%s is declared twice", v.Name)
		}
		seen[v.Name] = true
		if v.parse.set == nil || v.Doc == "" || !(v.Auth || v.Task) {
			t.Errorf("%s: a row needs a parser, a doc and a service", v.Name)
		}
		if v.Default != "" && v.derive != nil {
			t.Errorf("%s has both a default and a derived default", v.Name)
		}
	}
}

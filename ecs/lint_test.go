package ecs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// cfnLint returns the path of cfn-lint, or skips the test where it is not
// installed (make lint-ecs, which CI runs, fails instead).
func cfnLint(t *testing.T) string {
	t.Helper()
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed: skipped here, make lint-ecs requires it")
	}
	return lint
}

// TestCfnLint runs AWS's own linter, with its resource specifications, on
// every template: no error, no warning, and no informational finding
// either (--include-checks I: a stateful resource without an explicit
// DeletionPolicy, for one).
func TestCfnLint(t *testing.T) {
	t.Parallel() // a Python process does the work: the other tests go on meanwhile
	lint := cfnLint(t)
	files := []string{"../template.yaml"}
	for _, name := range stackOrder {
		files = append(files, filepath.Join("templates", name+".yaml"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, lint, append([]string{"--include-checks", "I", "--"}, files...)...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// cfnLintDir finds cfn-lint's installed package directory, once per test
// binary: find_spec locates the package without importing it (an import
// of cfnlint takes a second or more).
var cfnLintDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import importlib.util; print(importlib.util.find_spec('cfnlint').submodule_search_locations[0])").Output()
	return strings.TrimSpace(string(out)), err
})

// cfnLintData reads one of cfn-lint's schema extensions for
// AWS::RDS::DBInstance from its installed package data.
func cfnLintData(t *testing.T, file string) map[string]any {
	t.Helper()
	cfnLint(t)
	dir, err := cfnLintDir()
	if err != nil {
		t.Skipf("cfn-lint's package directory: %v", err)
	}
	path := filepath.Join(dir, "data", "schemas", "extensions", "aws_rds_dbinstance", file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return schema
}

// postgresVersions returns the versions one of cfn-lint's engine-version
// schemas lists for engine postgres: in the "if" (deprecated list) or in
// the "then" (valid list).
func postgresVersions(t *testing.T, schema map[string]any) []string {
	t.Helper()
	for _, c := range schema["allOf"].([]any) {
		props := asMap(asMap(asMap(c)["if"])["properties"])
		if asMap(props["Engine"])["const"] != "postgres" {
			continue
		}
		enum := asMap(props["EngineVersion"])["enum"]
		if enum == nil {
			enum = asMap(asMap(asMap(asMap(c)["then"])["properties"])["EngineVersion"])["enum"]
		}
		var out []string
		for _, v := range enum.([]any) {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	t.Fatal("no postgres versions in cfn-lint's data")
	return nil
}

// TestPostgresVersionIsSupported: cfn-lint does not check a parameter's
// default against the engine versions, so this does, with cfn-lint's own
// data: the default is a 15.x that RDS knows and still creates.
func TestPostgresVersionIsSupported(t *testing.T) {
	t.Parallel() // a Python process does the work: the other tests go on meanwhile
	valid := postgresVersions(t, cfnLintData(t, "engine_version.json"))
	deprecated := postgresVersions(t, cfnLintData(t, "engine_version_deprecated.json"))
	version := fmt.Sprint(stacks(t)["data"].T.Parameters["PostgresVersion"].Default)
	if !slices.Contains(valid, version) {
		t.Errorf("PostgresVersion default %s is not an RDS postgres version (cfn-lint knows %v)", version, valid)
	}
	if slices.Contains(deprecated, version) {
		t.Errorf("PostgresVersion default %s is deprecated: RDS no longer creates it", version)
	}
	var supported []string
	for _, v := range valid {
		if strings.HasPrefix(v, "15.") && !slices.Contains(deprecated, v) {
			supported = append(supported, v)
		}
	}
	t.Logf("PostgreSQL 15 minors RDS creates (cfn-lint's data): %v", supported)
}

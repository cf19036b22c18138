// Package emfcheck validates CloudWatch Embedded Metric Format records in
// tests, against the structure the EMF specification requires.
package emfcheck

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Check validates one log line against the structure the EMF
// specification requires, and returns the decoded record (numbers as
// json.Number). It checks what
// CloudWatch would otherwise silently drop: a missing or non-integer
// Timestamp, a namespace that is not a non-empty string, dimensions that do
// not name string members of the root, more than 30 dimensions, metric
// names without a numeric (or histogram) member, units outside
// CloudWatch's list, and histograms with mismatched or over-long arrays.
func Check(t testing.TB, line string) map[string]any {
	t.Helper()
	var rec map[string]any
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("invalid EMF: %s\n%s", fmt.Sprintf(format, args...), line)
	}
	aws, ok := rec["_aws"].(map[string]any)
	if !ok {
		fail("no _aws object")
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if _, err := ts.Int64(); !ok || err != nil {
		fail("Timestamp must be an integer of milliseconds")
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		fail("CloudWatchMetrics must be a non-empty array")
	}
	for _, d := range directives {
		dir, _ := d.(map[string]any)
		if ns, _ := dir["Namespace"].(string); ns == "" || len(ns) > 255 {
			fail("Namespace must be a non-empty string")
		}
		dimSets, ok := dir["Dimensions"].([]any)
		if !ok {
			fail("Dimensions must be an array of arrays")
		}
		for _, set := range dimSets {
			names, _ := set.([]any)
			if len(names) > 30 {
				fail("more than 30 dimensions in a set")
			}
			for _, n := range names {
				name, _ := n.(string)
				if v, ok := rec[name].(string); !ok || v == "" || len(v) > 1024 {
					fail("dimension %q has no string member", n)
				}
			}
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok || len(metrics) == 0 || len(metrics) > 100 {
			fail("Metrics must hold 1 to 100 definitions")
		}
		for _, m := range metrics {
			def, _ := m.(map[string]any)
			name, _ := def["Name"].(string)
			if name == "" {
				fail("metric without a Name")
			}
			if unit, ok := def["Unit"].(string); ok && !validUnits[unit] {
				fail("unit %q is not a CloudWatch unit", unit)
			}
			checkValue(t, fail, name, rec[name])
		}
	}
	return rec
}

func checkValue(t testing.TB, fail func(string, ...any), name string, v any) {
	t.Helper()
	switch v := v.(type) {
	case json.Number:
	case map[string]any:
		values, _ := v["Values"].([]any)
		counts, _ := v["Counts"].([]any)
		if len(values) == 0 || len(values) != len(counts) || len(values) > 100 {
			fail("%s: Values and Counts must be equal, non-empty and at most 100 long", name)
		}
		for _, k := range []string{"Max", "Min", "Count", "Sum"} {
			if _, ok := v[k].(json.Number); !ok {
				fail("%s: histogram lacks %s", name, k)
			}
		}
	default:
		fail("metric %s has no numeric member (got %T)", name, v)
	}
}

var validUnits = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes
		Gigabytes Terabytes Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second
		Kilobytes/Second Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second
		Kilobits/Second Megabits/Second Gigabits/Second Terabits/Second Count/Second None`) {
		validUnits[u] = true
	}
}

// IsEMF reports whether a log line is an EMF record rather than a log entry.
func IsEMF(line string) bool {
	return strings.Contains(line, `"_aws":{"CloudWatchMetrics":`)
}

#!/usr/bin/env bash
# How much the test suite checks, to compare before and after a change to
# it: assertion call sites per package (t.Error, t.Errorf, t.Fatal,
# t.Fatalf and every call of a helper that wraps them, see
# scripts/countassert/main.go), then the tests, fuzz targets, benchmarks
# and examples go test -list finds. Takes the build cache's time to list.
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"

"$GO" run scripts/countassert/main.go
# go test -list prints each package's matching names, then "ok <package>".
"$GO" test -list . ./... | awk '
	/^Test/ { tests++ } /^Fuzz/ { fuzz++ } /^Benchmark/ { benchmarks++ } /^Example/ { examples++ }
	END { printf "tests %d, fuzz targets %d, benchmarks %d, examples %d\n", tests, fuzz, benchmarks, examples }'

#!/usr/bin/env bash
# make fuzz: every Fuzz target of every package, each for FUZZTIME (30s
# unless set), one after the other. A failing input is saved under its
# package's testdata/fuzz/ and replays in every go test from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-30s}"

# go test -list prints each package's matching names, then "ok <package>".
if ! list="$("$GO" test -list '^Fuzz' ./...)"; then
	echo "$list"
	exit 1
fi
targets="$(echo "$list" | awk '/^Fuzz/ { names[++n] = $1 } /^ok / { for (i = 1; i <= n; i++) print $2 ":" names[i]; n = 0 }')"
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
for t in $targets; do
	pkg="${t%%:*}" name="${t##*:}"
	echo "fuzz: $name in $pkg for $FUZZTIME"
	"$GO" test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$pkg"
done

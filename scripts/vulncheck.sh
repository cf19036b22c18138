#!/usr/bin/env bash
# make vulncheck: govulncheck on the code the binary calls, offline. The
# vulnerability database is built from the golang.org/x/vulndb module,
# which the Go module proxy serves (the database's own host may be out of
# reach), and cached per version in VULNDB_CACHE.
# The Makefile sets GOVULNCHECK (the tool, pinned) and VULNDB_VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"
tool="${GOVULNCHECK:?GOVULNCHECK is not set}"
module="golang.org/x/vulndb@${VULNDB_VERSION:?VULNDB_VERSION is not set}"
cache="${VULNDB_CACHE:-$HOME/.cache/taskapi-vulndb}"

# The module's version and where the go command unpacked it, from go mod
# download's JSON (one "Key": "value" per line; on failure it holds the
# error, shown as it is).
if ! info="$("$GO" mod download -json "$module")"; then
	echo "$info"
	exit 1
fi
field() { echo "$info" | sed -n 's/^[[:space:]]*"'"$1"'": "\(.*\)",*$/\1/p'; }
version="$(field Version)"
src="$(field Dir)"

db="$cache/$version"
if [ ! -f "$db/index/db.json" ]; then
	echo "vulncheck: building the vulnerability database $version"
	mkdir -p "$cache"
	rm -rf "$db.tmp"
	"$GO" run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$src/data/osv" -out "$db.tmp"
	mv "$db.tmp" "$db"
fi
echo "vulncheck: database $version"
"$GO" run "$tool" -db "file://$db" ./...

#!/usr/bin/env bash
# make clients: the contract as a client author meets it. Starts the built
# binary (argument 1) on a free loopback port with a fresh SQLite database,
# fetches the /openapi.json it serves, and with each generator's default
# settings
#   - generates a Go client with oapi-codegen (pinned as a tool in
#     go/go.mod), builds it and runs go/session against the server;
#   - generates TypeScript types with openapi-typescript (pinned in
#     ts/package-lock.json), compiles ts/session.ts with tsc --strict and
#     runs it with node against the server.
# Everything generated goes to a temporary directory, never the tree.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
tmp="$(mktemp -d)"
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

PORT=0 HOST=127.0.0.1 SQLITE_PATH="$tmp/taskapi.db" LOG_FORMAT=json "$bin" >"$tmp/server.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 100); do
	addr="$(sed -n 's/.*"msg":"server started".*"addr":"\([^"]*\)".*/\1/p' "$tmp/server.log")"
	[ -n "$addr" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "clients: the server did not start:" >&2
	cat "$tmp/server.log" >&2
	exit 1
fi
base="http://$addr"
curl -sSf "$base/openapi.json" -o "$tmp/openapi.json"

echo "clients: Go (oapi-codegen, -generate types,client)"
cp -R "$here/go" "$tmp/go"
mkdir -p "$tmp/go/client"
(cd "$tmp/go" &&
	go tool oapi-codegen -generate types,client -package client -o client/client.gen.go "$tmp/openapi.json" &&
	go vet ./... &&
	go run ./session -base "$base")

echo "clients: TypeScript (openapi-typescript, tsc --strict)"
mkdir -p "$tmp/ts"
cp "$here/ts/package.json" "$here/ts/tsconfig.json" "$here/ts/session.ts" "$tmp/ts/"
ln -s "$here/ts/node_modules" "$tmp/ts/node_modules"
(cd "$tmp/ts" &&
	./node_modules/.bin/openapi-typescript "$tmp/openapi.json" -o schema.d.ts &&
	./node_modules/.bin/tsc -p . &&
	node session.js "$base")

#!/usr/bin/env bash
# The API through sam local start-api, both functions on the PostgreSQL
# container of make sam-local-db. The template takes no secret as a
# parameter (on AWS, CloudFormation resolves them from Secrets Manager),
# and sam local resolves no Secrets Manager reference: the two secrets
# reach the local functions as environment overrides (--env-vars), in a
# file only the current user can read, deleted on exit.
#
#   tools/sam-local.sh PORT NETWORK DB_CONTAINER ARCHITECTURE API_TYPE
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 PORT NETWORK DB_CONTAINER ARCHITECTURE API_TYPE" >&2; exit 2; }
port="$1" network="$2" db="$3" arch="$4" api="$5"
secret="${JWT_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}"
env_file="$(umask 077 && mktemp)"
trap 'rm -f "$env_file"' EXIT
printf '{"Parameters": {"DB_PASSWORD": "sam-local", "JWT_SECRET": "%s"}}\n' "$secret" >"$env_file"
sam local start-api --port "$port" --docker-network "$network" --warm-containers EAGER \
	--env-vars "$env_file" \
	--parameter-overrides "Architecture=$arch ApiType=$api DbHost=$db DbSslMode=disable"

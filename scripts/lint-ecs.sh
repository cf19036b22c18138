#!/usr/bin/env bash
# make lint-ecs: bash -n and shellcheck on every shell script of the
# repository (the deployment scripts, these scripts, the CI entry point),
# then cfn-lint, which must report no error and no warning, on the
# CloudFormation templates given as arguments.
# CFN_LINT_VERSION is the pinned cfn-lint release (the Makefile sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts=(ecs/scripts/*.sh scripts/*.sh .ci/run)
for f in "${scripts[@]}"; do
	bash -n "$f"
done
shellcheck -x "${scripts[@]}"

pinned="${CFN_LINT_VERSION:?CFN_LINT_VERSION is not set}"
if ! command -v cfn-lint >/dev/null 2>&1; then
	echo "lint-ecs: cfn-lint is not installed: pip install cfn-lint==$pinned" >&2
	exit 1
fi
installed="$(cfn-lint --version | awk '{print $2}')"
if [ "$installed" != "$pinned" ]; then
	echo "lint-ecs: cfn-lint $installed, not the pinned $pinned: its findings may differ" >&2
fi
# The informational checks too (a stateful resource without an explicit
# DeletionPolicy, for one): the templates keep them silent.
cfn-lint --include-checks I -- "$@"

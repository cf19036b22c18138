# shellcheck shell=bash
# Shared by the ecs/scripts commands: settings, checks and AWS CLI helpers.
# Everything comes from the environment (see docs/deploy-ecs.md).
set -euo pipefail

# Used by the scripts that source this file.
# shellcheck disable=SC2034
{
	SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
	ECS_DIR="$(dirname "$SCRIPTS")"
	ROOT="$(dirname "$ECS_DIR")"
	TEMPLATES="$ECS_DIR/templates"
}

die() {
	echo "ecs: $*" >&2
	exit 1
}

# ENVIRONMENT names one deployment among several in the account and region
# (dev, staging, prod): the templates' EnvironmentName, which goes into every
# account-wide name, and the stack names. Empty: the design's names.
ENVIRONMENT="${ENVIRONMENT:-}"
[[ "$ENVIRONMENT" =~ ^([a-z][a-z0-9]{0,11})?$ ]] ||
	die "ENVIRONMENT=$ENVIRONMENT: up to 12 lowercase letters and digits, starting with a letter"

# Stack names are $STACK_PREFIX-<template>: taskapi-registry, taskapi-network...
# (taskapi-staging-registry... with ENVIRONMENT=staging).
STACK_PREFIX="${STACK_PREFIX:-taskapi${ENVIRONMENT:+-$ENVIRONMENT}}"
AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
export AWS_REGION

say() {
	echo "ecs: $*" >&2
}

stack() {
	echo "$STACK_PREFIX-$1"
}

# need VAR...: every named variable must be set.
need() {
	local missing=() v
	for v in "$@"; do
		[ -n "${!v:-}" ] || missing+=("$v")
	done
	[ ${#missing[@]} -eq 0 ] || die "set ${missing[*]} (see docs/deploy-ecs.md)"
}

# need_cmd CMD...: every named command must be installed.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "$c is not installed"
	done
}

# require_tag: TAG names the image to deploy; never "latest".
require_tag() {
	need TAG
	[ "$TAG" != latest ] || die "TAG=latest: deploy an explicit, immutable-by-convention tag such as v1.0.0"
	[[ "$TAG" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || die "TAG=$TAG is not an image tag (letters, digits, . _ -)"
}

# check_subnets: the two public and the two private subnets are each in two
# different Availability Zones (the design's two-AZ layout). CloudFormation's
# rule functions cannot compare two subnets' zones, so it is checked here,
# before any stack changes.
check_subnets() {
	local pair zones a b
	for pair in "PUBLIC_SUBNET_1 PUBLIC_SUBNET_2" "PRIVATE_SUBNET_1 PRIVATE_SUBNET_2"; do
		read -r a b <<<"$pair"
		zones="$(aws ec2 describe-subnets --subnet-ids "${!a}" "${!b}" \
			--query 'Subnets[].AvailabilityZone' --output text)" ||
			die "cannot describe subnets ${!a} and ${!b}"
		read -r -a zones <<<"$zones"
		if [ ${#zones[@]} -ne 2 ] || [ "${zones[0]}" = "${zones[1]}" ]; then
			die "$a and $b must be in two different Availability Zones (they are in: ${zones[*]:-none})"
		fi
	done
}

# stack_output STACK KEY: one output of a deployed stack.
stack_output() {
	local value
	value="$(aws cloudformation describe-stacks --stack-name "$(stack "$1")" \
		--query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text)"
	if [ -z "$value" ] || [ "$value" = None ]; then
		die "stack $(stack "$1") has no output $2: is it deployed?"
	fi
	echo "$value"
}

# deploy_stack NAME [Key=Value...]: create or update stack NAME from
# templates/NAME.yaml (a no-op when nothing changed).
deploy_stack() {
	local name="$1"
	shift
	say "deploying $(stack "$name") (templates/$name.yaml)"
	aws cloudformation deploy --stack-name "$(stack "$name")" \
		--template-file "$TEMPLATES/$name.yaml" \
		--capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
		--parameter-overrides EnvironmentName="$ENVIRONMENT" "$@"
}

# secret_name NAME: a secret's name in this environment (data.yaml's).
secret_name() {
	echo "${ENVIRONMENT:+$ENVIRONMENT/}$1"
}

# stack_names: the parameters through which templates find each other.
stack_names() {
	echo "RegistryStackName=$(stack registry)" "NetworkStackName=$(stack network)" \
		"DataStackName=$(stack data)" "ClusterStackName=$(stack cluster)" \
		"ServicesStackName=$(stack services)"
}

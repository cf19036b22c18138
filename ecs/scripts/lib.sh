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

# ARCH: the processor the Fargate tasks run on, which the image is built
# for: amd64 (X86_64) or arm64 (ARM64, Graviton: cheaper for the same
# vCPU and memory). The binary is static Go, so only the platform changes.
case "${ARCH:-amd64}" in
amd64 | x86_64) ARCH=amd64 CPU_ARCHITECTURE=X86_64 ;;
arm64 | aarch64) ARCH=arm64 CPU_ARCHITECTURE=ARM64 ;;
*) die "ARCH=$ARCH: amd64 or arm64" ;;
esac

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

# check_subnets: the two private subnets are in two different Availability
# Zones (the two-AZ layout: the ALB, the tasks and RDS's standby span both). CloudFormation's
# rule functions cannot compare two subnets' zones, so it is checked here,
# before any stack changes.
check_subnets() {
	local zones
	zones="$(aws ec2 describe-subnets --subnet-ids "$PRIVATE_SUBNET_1" "$PRIVATE_SUBNET_2" \
		--query 'Subnets[].AvailabilityZone' --output text)" ||
		die "cannot describe subnets $PRIVATE_SUBNET_1 and $PRIVATE_SUBNET_2"
	read -r -a zones <<<"$zones"
	if [ ${#zones[@]} -ne 2 ] || [ "${zones[0]}" = "${zones[1]}" ]; then
		die "PRIVATE_SUBNET_1 and PRIVATE_SUBNET_2 must be in two different Availability Zones (they are in: ${zones[*]:-none})"
	fi
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

# check_deploy_settings: what deploy.sh and plan.sh need, checked before
# any AWS call.
check_deploy_settings() {
	require_tag
	need VPC_ID PRIVATE_SUBNET_1 PRIVATE_SUBNET_2
	need_cmd aws
	if [ "${CREATE_VPC_ENDPOINTS:-false}" = true ]; then
		need PRIVATE_ROUTE_TABLE_IDS
	fi
	case "${ENABLE_WAF:-false}" in
	true | false) ;;
	*) die "ENABLE_WAF=$ENABLE_WAF: true or false" ;;
	esac
	case "${DB_PROFILE:-}" in
	"" | dev | prod) ;;
	*) die "DB_PROFILE=$DB_PROFILE: dev or prod" ;;
	esac
}

# cloudfront_prefix_list: the region's ID of the AWS-managed prefix list of
# CloudFront's origin-facing addresses, the only source the ALB admits.
cloudfront_prefix_list() {
	local id
	id="$(aws ec2 describe-managed-prefix-lists \
		--filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing \
		--query 'PrefixLists[0].PrefixListId' --output text)" || die "cannot look up CloudFront's origin-facing prefix list"
	[[ "$id" =~ ^pl-[0-9a-f]+$ ]] || die "no CloudFront origin-facing prefix list in $AWS_REGION (got: $id)"
	echo "$id"
}

# stack_parameters NAME: the parameters stack NAME is deployed with (besides
# EnvironmentName), one Key=Value a line; the same for a deployment and a plan.
stack_parameters() {
	local registry network data cluster services
	registry="RegistryStackName=$(stack registry)"
	network="NetworkStackName=$(stack network)"
	data="DataStackName=$(stack data)"
	cluster="ClusterStackName=$(stack cluster)"
	services="ServicesStackName=$(stack services)"
	case "$1" in
	registry) ;;
	network)
		printf '%s\n' "VpcId=$VPC_ID" "CloudFrontPrefixListId=$(cloudfront_prefix_list)" \
			"PrivateSubnet1=$PRIVATE_SUBNET_1" "PrivateSubnet2=$PRIVATE_SUBNET_2" \
			"CreateVpcEndpoints=${CREATE_VPC_ENDPOINTS:-false}" \
			"PrivateRouteTableIds=${PRIVATE_ROUTE_TABLE_IDS:-}"
		;;
	data)
		# Without POSTGRES_VERSION an existing database keeps its version,
		# without DB_PROFILE its profile (a new one is prod).
		printf '%s\n' "$network" ${POSTGRES_VERSION:+"PostgresVersion=$POSTGRES_VERSION"} \
			${DB_PROFILE:+"Profile=$DB_PROFILE"}
		;;
	cluster)
		printf '%s\n' "ImageTag=$TAG" "CpuArchitecture=$CPU_ARCHITECTURE" "$registry" "$network" "$data"
		;;
	services)
		printf '%s\n' "ImageTag=$TAG" "CpuArchitecture=$CPU_ARCHITECTURE" \
			"DomainName=${DOMAIN_NAME:-}" "CloudFrontCertificateArn=${CLOUDFRONT_CERTIFICATE_ARN:-}" \
			"CertificateArn=${CERTIFICATE_ARN:-}" "EnableWaf=${ENABLE_WAF:-false}" \
			${WAF_LOGIN_RATE_LIMIT:+"WafLoginRateLimit=$WAF_LOGIN_RATE_LIMIT"} \
			"$registry" "$network" "$data" "$cluster"
		;;
	monitoring)
		printf '%s\n' "AlarmEmail=${ALARM_EMAIL:-}" "$data" "$cluster" "$services"
		;;
	*) die "no stack $1" ;;
	esac
}

# cloudformation_deploy NAME [OPTION...]: `aws cloudformation deploy` of
# stack NAME from templates/NAME.yaml with its parameters: it creates a change
# set and, unless told --no-execute-changeset, executes it (nothing at all
# when nothing changed).
cloudformation_deploy() {
	local name="$1" params
	shift
	params="$(stack_parameters "$name")"
	local overrides=("EnvironmentName=$ENVIRONMENT")
	if [ -n "$params" ]; then
		mapfile -t -O 1 overrides <<<"$params"
	fi
	aws cloudformation deploy --stack-name "$(stack "$name")" \
		--template-file "$TEMPLATES/$name.yaml" \
		--capabilities CAPABILITY_IAM --no-fail-on-empty-changeset "$@" \
		--parameter-overrides "${overrides[@]}"
}

# deploy_stack NAME: create or update stack NAME (a no-op when nothing changed).
deploy_stack() {
	say "deploying $(stack "$1") (templates/$1.yaml)"
	cloudformation_deploy "$1"
}

# stack_status NAME: the stack's status, empty when it does not exist.
stack_status() {
	aws cloudformation describe-stacks --stack-name "$(stack "$1")" \
		--query 'Stacks[0].StackStatus' --output text 2>/dev/null || true
}

# imports_of NAME: the stacks templates/NAME.yaml imports exports from.
imports_of() {
	grep -o '[$]{[A-Za-z]*StackName}' "$TEMPLATES/$1.yaml" | sort -u |
		sed 's/^[$]{\(.*\)StackName}$/\1/' | tr '[:upper:]' '[:lower:]'
}

# secret_name NAME: a secret's name in this environment (data.yaml's).
secret_name() {
	echo "${ENVIRONMENT:+$ENVIRONMENT/}$1"
}

# snapshot_id DATABASE: a new manual snapshot's identifier, DATABASE-pre-
# migrate-<UTC time>[-<tag>]: letters, digits and single hyphens, as RDS
# requires (a tag's . and _ become -), at most 255 characters.
snapshot_id() {
	local id
	id="$1-pre-migrate-$(date -u +%Y%m%d-%H%M%S)${TAG:+-$TAG}"
	id="$(tr -c 'A-Za-z0-9\n' '-' <<<"$id" | tr -s '-')"
	id="${id%-}"
	echo "${id:0:255}"
}

# upload_web_app: the web app's files (web/static, the release's) into the
# services stack's bucket, each revalidated on every load as the binary
# serves them (Cache-Control: no-cache); files no longer in the release go.
upload_web_app() {
	local bucket
	bucket="$(stack_output services WebBucketName)"
	say "uploading the web app (web/static) to s3://$bucket"
	aws s3 sync "$ROOT/web/static" "s3://$bucket" --delete --only-show-errors --cache-control no-cache
}

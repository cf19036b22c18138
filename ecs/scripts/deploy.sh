#!/usr/bin/env bash
# Create or update every stack, in order, for image $TAG (already pushed with
# push.sh): registry, network, data, cluster, then the database migration as
# a one-off task, then services and monitoring. Safe to run again: unchanged
# stacks are left alone.
#
#   TAG=v1.0.0 VPC_ID=vpc-... PUBLIC_SUBNET_1=subnet-... PUBLIC_SUBNET_2=subnet-... \
#   PRIVATE_SUBNET_1=subnet-... PRIVATE_SUBNET_2=subnet-... ecs/scripts/deploy.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

require_tag
need VPC_ID PUBLIC_SUBNET_1 PUBLIC_SUBNET_2 PRIVATE_SUBNET_1 PRIVATE_SUBNET_2
need_cmd aws
if [ "${CREATE_VPC_ENDPOINTS:-false}" = true ]; then
	need PRIVATE_ROUTE_TABLE_IDS
fi
check_subnets
read -r -a names <<<"$(stack_names)"

deploy_stack registry
for output in AuthServiceRepositoryUri TaskServiceRepositoryUri; do
	repo="$(stack_output registry "$output")"
	repo="${repo#*/}"
	aws ecr describe-images --repository-name "$repo" --image-ids imageTag="$TAG" >/dev/null 2>&1 ||
		die "no image $repo:$TAG: run make ecs-push TAG=$TAG${ENVIRONMENT:+ ENVIRONMENT=$ENVIRONMENT} first"
done

deploy_stack network \
	VpcId="$VPC_ID" \
	PublicSubnet1="$PUBLIC_SUBNET_1" PublicSubnet2="$PUBLIC_SUBNET_2" \
	PrivateSubnet1="$PRIVATE_SUBNET_1" PrivateSubnet2="$PRIVATE_SUBNET_2" \
	CreateVpcEndpoints="${CREATE_VPC_ENDPOINTS:-false}" \
	PrivateRouteTableIds="${PRIVATE_ROUTE_TABLE_IDS:-}"
deploy_stack data "${names[1]}" ${POSTGRES_VERSION:+"PostgresVersion=$POSTGRES_VERSION"}
deploy_stack cluster ImageTag="$TAG" "${names[0]}" "${names[1]}" "${names[2]}"

# The schema first, with the new image: the services never migrate.
"$SCRIPTS/migrate.sh"

deploy_stack services ImageTag="$TAG" CertificateArn="${CERTIFICATE_ARN:-}" \
	"${names[0]}" "${names[1]}" "${names[2]}" "${names[3]}"
deploy_stack monitoring AlarmEmail="${ALARM_EMAIL:-}" "${names[2]}" "${names[3]}" "${names[4]}"

"$SCRIPTS/url.sh"

#!/usr/bin/env bash
# Create or update every stack, in order, for image $TAG (already pushed with
# push.sh): registry, network, data, cluster, then the database migration as
# a one-off task, then services and monitoring. Safe to run again: unchanged
# stacks are left alone.
#
#   TAG=v1.0.0 VPC_ID=vpc-... PRIVATE_SUBNET_1=subnet-... PRIVATE_SUBNET_2=subnet-... \
#   ecs/scripts/deploy.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

check_deploy_settings
check_subnets

deploy_stack registry
for output in AuthServiceRepositoryUri TaskServiceRepositoryUri; do
	repo="$(stack_output registry "$output")"
	repo="${repo#*/}"
	aws ecr describe-images --repository-name "$repo" --image-ids imageTag="$TAG" >/dev/null 2>&1 ||
		die "no image $repo:$TAG: run make ecs-push TAG=$TAG${ENVIRONMENT:+ ENVIRONMENT=$ENVIRONMENT} first"
done

deploy_stack network
# A database created by this run is empty: nothing to snapshot before its
# first migration.
first_deployment=""
[ -n "$(stack_status data)" ] || first_deployment=yes
deploy_stack data
deploy_stack cluster

# The schema first, with the new image: the services never migrate. A
# snapshot first, unless the database is new (or SNAPSHOT=false).
if [ -n "$first_deployment" ]; then
	SNAPSHOT=false "$SCRIPTS/migrate.sh"
else
	"$SCRIPTS/migrate.sh"
fi

deploy_stack services
upload_web_app
deploy_stack monitoring

"$SCRIPTS/url.sh"

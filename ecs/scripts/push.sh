#!/usr/bin/env bash
# Build the image once and push it, as $TAG, to both ECR repositories
# (auth-service and task-service; SERVICE in the task definition picks the
# role), for the processor ARCH (amd64 or arm64) the tasks run on. Creates
# the repositories first if needed.
#
#   TAG=v1.0.0 [ARCH=arm64] ecs/scripts/push.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

require_tag
need_cmd aws docker

deploy_stack registry
auth_repo="$(stack_output registry AuthServiceRepositoryUri)"
task_repo="$(stack_output registry TaskServiceRepositoryUri)"
registry="${auth_repo%%/*}"

say "logging in to $registry"
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"

# The platform the task definitions run (ARCH, the same setting ecs-deploy
# reads), whatever the build host: the Dockerfile cross-compiles for it.
say "building taskapi:$TAG for linux/$ARCH"
docker build --platform "linux/$ARCH" --build-arg VERSION="$TAG" -t "taskapi:$TAG" "$ROOT"
for repo in "$auth_repo" "$task_repo"; do
	docker tag "taskapi:$TAG" "$repo:$TAG"
	docker push "$repo:$TAG"
done
say "pushed $auth_repo:$TAG and $task_repo:$TAG"

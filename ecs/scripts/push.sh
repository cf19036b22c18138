#!/usr/bin/env bash
# Build the image once and push it, as $TAG, to both ECR repositories
# (auth-service and task-service; SERVICE in the task definition picks the
# role), for the processor ARCH (amd64 or arm64) the tasks run on. Creates
# the repositories first if needed. Tags are immutable: a tag already in
# both repositories is left as it is (run again, it changes nothing); one
# in a single repository is copied, same digest, to the other.
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

# has_tag REPOSITORY_URI: the repository holds an image tagged $TAG.
has_tag() {
	aws ecr describe-images --repository-name "${1#*/}" --image-ids imageTag="$TAG" >/dev/null 2>&1
}

missing=() present=()
for repo in "$auth_repo" "$task_repo"; do
	if has_tag "$repo"; then present+=("$repo"); else missing+=("$repo"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
	say "$TAG is already in both repositories (tags are immutable: push a new tag for new code)"
	exit 0
fi

say "logging in to $registry"
aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"

if [ ${#present[@]} -gt 0 ]; then
	# An earlier push stopped half-way: the same image, not a rebuild.
	say "copying ${present[0]}:$TAG to ${missing[*]}"
	docker pull "${present[0]}:$TAG"
	for repo in "${missing[@]}"; do
		docker tag "${present[0]}:$TAG" "$repo:$TAG"
		docker push "$repo:$TAG"
	done
	say "pushed ${missing[*]/%/:$TAG}"
	exit 0
fi

# The platform the task definitions run (ARCH, the same setting ecs-deploy
# reads), whatever the build host: the Dockerfile cross-compiles for it.
say "building taskapi:$TAG for linux/$ARCH"
docker build --platform "linux/$ARCH" --build-arg VERSION="$TAG" -t "taskapi:$TAG" "$ROOT"
for repo in "$auth_repo" "$task_repo"; do
	docker tag "taskapi:$TAG" "$repo:$TAG"
	docker push "$repo:$TAG"
done
say "pushed $auth_repo:$TAG and $task_repo:$TAG"

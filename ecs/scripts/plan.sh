#!/usr/bin/env bash
# Show what deploy.sh would change, stack by stack, and change nothing: for
# each stack a change set with deploy's own parameters (aws cloudformation
# deploy --no-execute-changeset), its resource changes, then the change set
# deleted, and a stack that did not exist deleted again. A stack importing
# from one this plan would create can only be planned once that one exists:
# it is listed as waiting. The migration ecs-deploy runs is not shown.
#
#   TAG=v1.1.0 VPC_ID=vpc-... (the settings of deploy.sh) ecs/scripts/plan.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

check_deploy_settings
check_subnets

# changes CHANGE_SET: one line per resource change, terraform's symbols: +
# add, ~ modify, - remove; the changed properties after the colon.
changes() {
	# The backquotes are JMESPath string literals, not a command.
	# shellcheck disable=SC2016
	aws cloudformation describe-change-set --change-set-name "$1" \
		--query 'Changes[].ResourceChange.[Action,LogicalResourceId,ResourceType,Replacement,join(`,`,Details[?Target.Name].Target.Name)]' \
		--output text |
		awk -F '\t' '
			{
				symbol = $1 == "Add" ? "+" : $1 == "Remove" ? "-" : $1 == "Modify" ? "~" : "?"
				line = "  " symbol " " $2 " (" $3 ")"
				if ($4 == "True") line = line " replaced"
				if ($4 == "Conditional") line = line " may be replaced"
				n = split($5, props, ",")
				split("", seen)
				list = ""
				for (i = 1; i <= n; i++) {
					if (props[i] != "" && props[i] != "None" && !(props[i] in seen)) {
						seen[props[i]] = 1
						list = list (list == "" ? "" : ", ") props[i]
					}
				}
				if (list != "") line = line ": " list
				print line
			}'
}

# The image ecs-deploy would run must be in the repositories by then.
if [ -n "$(stack_status registry)" ]; then
	for output in AuthServiceRepositoryUri TaskServiceRepositoryUri; do
		repo="$(stack_output registry "$output")"
		repo="${repo#*/}"
		aws ecr describe-images --repository-name "$repo" --image-ids imageTag="$TAG" >/dev/null 2>&1 ||
			echo "warning: no image $repo:$TAG yet: make ecs-push first, or ecs-deploy refuses"
	done
fi

# Whatever this plan created and has not removed yet, removed on any exit
# (a failure, an interrupt): a change set, and the empty stack a new stack's
# change set leaves in REVIEW_IN_PROGRESS.
open_change_set="" open_new_stack=""
clean_up() {
	if [ -n "$open_change_set" ]; then
		aws cloudformation delete-change-set --change-set-name "$open_change_set" || true
	fi
	if [ -n "$open_new_stack" ]; then
		aws cloudformation delete-stack --stack-name "$open_new_stack" || true
	fi
}
trap clean_up EXIT

declare -A pending=()
created=0 changed=0 unchanged=0 waiting=0
for name in registry network data cluster services monitoring; do
	stack_name="$(stack "$name")"
	waits=()
	for dependency in $(imports_of "$name"); do
		if [ -n "${pending[$dependency]:-}" ]; then
			waits+=("$(stack "$dependency")")
		fi
	done
	if [ ${#waits[@]} -gt 0 ]; then
		echo "$stack_name: waits for ${waits[*]} (it imports their exports): planned once they exist"
		pending[$name]=1
		waiting=$((waiting + 1))
		continue
	fi

	status="$(stack_status "$name")"
	new=""
	if [ -z "$status" ] || [ "$status" = None ] || [ "$status" = REVIEW_IN_PROGRESS ]; then
		new=yes
		open_new_stack="$stack_name"
	fi
	say "planning $stack_name (templates/$name.yaml)"
	if ! out="$(cloudformation_deploy "$name" --no-execute-changeset 2>&1)"; then
		echo "$out" >&2
		die "cannot plan $stack_name"
	fi
	change_set="$(grep -o 'arn:[^ ]*:changeSet/[^ ]*' <<<"$out" | head -n 1 || true)"
	open_change_set="$change_set"
	if [ -z "$change_set" ]; then
		echo "$stack_name: no changes"
		unchanged=$((unchanged + 1))
		continue
	fi
	if [ -n "$new" ]; then
		echo "$stack_name: to create"
		pending[$name]=1
		created=$((created + 1))
	else
		echo "$stack_name: to change"
		changed=$((changed + 1))
	fi
	changes "$change_set"
	aws cloudformation delete-change-set --change-set-name "$change_set"
	open_change_set=""
	if [ -n "$new" ]; then
		# The change set left an empty stack in REVIEW_IN_PROGRESS: remove it.
		aws cloudformation delete-stack --stack-name "$stack_name"
		open_new_stack=""
	fi
done
echo "Plan: $created to create, $changed to change, $unchanged unchanged, $waiting waiting."

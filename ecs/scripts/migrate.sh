#!/usr/bin/env bash
# Apply the database migrations: take a manual RDS snapshot (the point a
# rollback restores to, docs/deploy-ecs.md "Rolling back"), then run the
# cluster stack's migration task definition (`taskapi migrate`, the image
# the cluster stack was last deployed with) once on Fargate, wait for it to
# stop, and fail unless it exited 0.
#
#   [SNAPSHOT=false] ecs/scripts/migrate.sh
#
# SNAPSHOT=false skips the snapshot: deploy.sh does so on a first
# deployment, whose database was created empty moments before.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

need_cmd aws
case "${SNAPSHOT:-true}" in
true | false) ;;
*) die "SNAPSHOT=$SNAPSHOT: true or false" ;;
esac
cluster="$(stack_output cluster ClusterName)"
task_definition="$(stack_output cluster MigrateTaskDefinitionArn)"
subnets="$(stack_output network PrivateSubnet1),$(stack_output network PrivateSubnet2)"
# The auth service's group reaches PostgreSQL and the AWS APIs, as a migration must.
security_group="$(stack_output network AuthServiceSecurityGroupId)"

if [ "${SNAPSHOT:-true}" = true ]; then
	database="$(stack_output data DatabaseInstanceId)"
	snapshot="$(snapshot_id "$database")"
	say "snapshot $snapshot of $database before migrating (SNAPSHOT=false skips it)"
	aws rds create-db-snapshot --db-instance-identifier "$database" --db-snapshot-identifier "$snapshot" \
		--tags Key=taskapi:purpose,Value=pre-migration Key=taskapi:task-definition,Value="${task_definition##*/}" >/dev/null
	aws rds wait db-snapshot-available --db-snapshot-identifier "$snapshot"
	say "snapshot $snapshot available"
fi

say "running the migration ($task_definition)"
task="$(aws ecs run-task --cluster "$cluster" --task-definition "$task_definition" \
	--launch-type FARGATE --count 1 --started-by taskapi-migrate \
	--network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$security_group],assignPublicIp=DISABLED}" \
	--query 'tasks[0].taskArn || failures[0].reason' --output text)"
case "$task" in
arn:*) ;;
*) die "the migration task did not start: $task" ;;
esac

say "waiting for $task to stop"
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"
code="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
	--query 'tasks[0].containers[0].exitCode' --output text)"
if [ "$code" != 0 ]; then
	reason="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
		--query 'tasks[0].stoppedReason' --output text)"
	die "the migration failed (exit code $code: $reason). Its log: aws logs tail $(stack_output cluster AuthServiceLogGroupName) --log-stream-names migrate/migrate/${task##*/}${snapshot:+. The database before it: snapshot $snapshot}"
fi
say "migrations applied"

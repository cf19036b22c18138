#!/usr/bin/env bash
# Delete every stack, newest first. The database leaves a final snapshot
# (its DeletionPolicy), listed at the end; the images go with the
# repositories. Asks first unless CONFIRM=yes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

need_cmd aws
if [ "${CONFIRM:-}" != yes ]; then
	answer=""
	read -r -p "Delete the $STACK_PREFIX-* stacks in $AWS_REGION, the database (a final snapshot stays) and the images? Type yes: " answer || true
	[ "$answer" = yes ] || die "nothing deleted (type yes, or set CONFIRM=yes)"
fi

database="$(aws cloudformation describe-stacks --stack-name "$(stack data)" \
	--query "Stacks[0].Outputs[?OutputKey=='DatabaseInstanceId'].OutputValue" --output text 2>/dev/null || true)"

# The web app's bucket must be empty before CloudFormation can delete it.
bucket="$(aws cloudformation describe-stacks --stack-name "$(stack services)" \
	--query "Stacks[0].Outputs[?OutputKey=='WebBucketName'].OutputValue" --output text 2>/dev/null || true)"
if [ -n "$bucket" ] && [ "$bucket" != None ]; then
	say "emptying s3://$bucket (the web app's files)"
	aws s3 rm "s3://$bucket" --recursive --only-show-errors
fi

for name in monitoring services cluster data network registry; do
	if [ "$name" = data ] && [ -n "$database" ] && [ "$database" != None ]; then
		# The prod profile protects the instance from deletion; the answer
		# above was the decision (the final snapshot still stays).
		aws rds modify-db-instance --db-instance-identifier "$database" --no-deletion-protection --apply-immediately >/dev/null 2>&1 || true
	fi
	say "deleting $(stack "$name")"
	aws cloudformation delete-stack --stack-name "$(stack "$name")"
	aws cloudformation wait stack-delete-complete --stack-name "$(stack "$name")"
done

# Secrets Manager keeps a deleted secret's name during its recovery window;
# free the two names so that a new deployment can create them again.
for secret in "$(secret_name rds-credentials)" "$(secret_name jwt-secret)"; do
	deleted="$(aws secretsmanager describe-secret --secret-id "$secret" --query DeletedDate --output text 2>/dev/null || true)"
	if [ -n "$deleted" ] && [ "$deleted" != None ]; then
		aws secretsmanager delete-secret --secret-id "$secret" --force-delete-without-recovery >/dev/null
	fi
done

if [ -n "$database" ] && [ "$database" != None ]; then
	snapshots="$(aws rds describe-db-snapshots --db-instance-identifier "$database" --snapshot-type manual \
		--query 'DBSnapshots[].DBSnapshotIdentifier' --output text 2>/dev/null || true)"
	if [ -n "$snapshots" ] && [ "$snapshots" != None ]; then
		say "kept the database's final snapshot (billed per GB-month): $snapshots"
		say "delete it with: aws rds delete-db-snapshot --db-snapshot-identifier <id>"
	fi
fi
say "deleted"

package ecs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

func scripts(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("scripts/*.sh")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	return files
}

// TestScriptsLint: every script parses (bash -n), the commands are
// executable, and shellcheck is silent where it is installed (make lint-ecs
// runs it too).
func TestScriptsLint(t *testing.T) {
	for _, f := range scripts(t) {
		if out, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", f, err, out)
		}
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if executable := info.Mode()&0o111 != 0; executable == (filepath.Base(f) == "lib.sh") {
			t.Errorf("%s: executable is %v (every command is, the sourced lib.sh is not)", f, executable)
		}
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not installed: skipped (apt-get install shellcheck)")
		return
	}
	args := append([]string{"-x"}, scripts(t)...)
	if out, err := exec.Command("shellcheck", args...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// fakeAWS puts stand-ins for the aws and docker commands first on PATH:
// they record every call (one line, arguments separated by \x1f) and answer
// what the scripts ask with plausible values.
func fakeAWS(t *testing.T) (env []string, calls func() [][]string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls.log")
	// One write per call: in a pipeline (aws ecr get-login-password |
	// docker login) both stand-ins record at once, and two appends each
	// would interleave their halves.
	const record = `line="$(printf '%s\x1f' "$(basename "$0")" "$@")"; printf '%s\n' "$line" >>"$FAKE_LOG"` + "\n"
	aws := "#!/usr/bin/env bash\n" + record + `
args="$*"
stack="" prev=""
for a in "$@"; do
	if [ "$prev" = --stack-name ]; then stack="$a"; fi
	prev="$a"
done
case "$args" in
"cloudformation deploy"*--no-execute-changeset*)
	case " ${FAKE_FAIL_PLAN:-} " in
	*" $stack "*) echo "Failed to create the changeset: Waiter ChangeSetCreateComplete failed: Status: FAILED. Reason: Template error" >&2; exit 255 ;;
	esac
	case " ${FAKE_UNCHANGED:-} " in
	*" $stack "*) printf '\nNo changes to deploy. Stack %s is up to date\n' "$stack" ;;
	*) printf 'Waiting for changeset to be created..\nChangeset created successfully. Run the following command to review changes:\naws cloudformation describe-change-set --change-set-name arn:aws:cloudformation:us-east-1:123456789012:changeSet/awscli-cloudformation-package-deploy-1764400000/%s\n' "$stack" ;;
	esac ;;
*"describe-stacks"*StackStatus*)
	case " ${FAKE_NEW_STACKS:-} " in
	*" $stack "*) echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $stack does not exist" >&2; exit 254 ;;
	*) echo UPDATE_COMPLETE ;;
	esac ;;
"cloudformation describe-change-set"*)
	printf 'Modify\tAuthTaskDefinition\tAWS::ECS::TaskDefinition\tTrue\tContainerDefinitions,ContainerDefinitions,RuntimePlatform\n'
	printf 'Add\tWebAcl\tAWS::WAFv2::WebACL\tNone\t\n'
	printf 'Remove\tOldThing\tAWS::SNS::Topic\tNone\t\n' ;;
"ecr describe-images"*)
	if [ -n "${FAKE_NO_IMAGE:-}" ]; then exit 254; fi
	if [ -n "${FAKE_IMAGE_ONLY_IN:-}" ]; then
		case "$args" in *"--repository-name $FAKE_IMAGE_ONLY_IN "*) ;; *) exit 254 ;; esac
	fi ;;
*"describe-stacks"*RepositoryUri*)
	repo=auth-service; case "$args" in *TaskServiceRepositoryUri*) repo=task-service ;; esac
	echo "123456789012.dkr.ecr.us-east-1.amazonaws.com/$repo${FAKE_REPO_SUFFIX:-}" ;;
*"describe-stacks"*ServiceUrl*) echo "http://task-management-alb-1.us-east-1.elb.amazonaws.com" ;;
*"describe-stacks"*MigrateTaskDefinitionArn*) echo "arn:aws:ecs:us-east-1:123456789012:task-definition/taskapi-migrate:7" ;;
*"describe-stacks"*DatabaseInstanceId*) echo "taskapi-data-database-abc" ;;
*"describe-stacks"*OutputKey==*)
	key="${args#*OutputKey==\'}"; echo "fake-${key%%\'*}" ;;
"ec2 describe-managed-prefix-lists"*) echo pl-3b927c52 ;;
"ec2 describe-subnets"*)
	if [ -n "${FAKE_ONE_AZ:-}" ]; then printf 'us-east-1a\tus-east-1a\n'; else printf 'us-east-1a\tus-east-1b\n'; fi ;;
"ecr get-login-password"*) echo password ;;
"ecs run-task"*) echo "arn:aws:ecs:us-east-1:123456789012:task/task-management-cluster/0123456789abcdef" ;;
"ecs describe-tasks"*exitCode*) echo "${FAKE_EXIT_CODE:-0}" ;;
"ecs describe-tasks"*stoppedReason*) echo "Essential container in task exited" ;;
"secretsmanager describe-secret"*) echo "2026-11-28T10:00:00Z" ;;
"rds describe-db-snapshots"*) echo "taskapi-data-database-abc-final" ;;
esac
exit 0
`
	docker := "#!/usr/bin/env bash\n" + record + "cat >/dev/null 2>&1 || true\nexit 0\n"
	for name, body := range map[string]string{"aws": aws, "docker": docker} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "FAKE_LOG=" + log, "HOME=" + dir}
	calls = func() [][]string {
		data, _ := os.ReadFile(log)
		var out [][]string
		for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
			if line != "" {
				out = append(out, strings.Split(strings.TrimSuffix(line, "\x1f"), "\x1f"))
			}
		}
		return out
	}
	return env, calls
}

func runScript(t *testing.T, script string, env []string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join("scripts", script))
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var deployEnv = []string{
	"TAG=v1.0.0", "AWS_REGION=us-east-1", "VPC_ID=vpc-0a",
	"PRIVATE_SUBNET_1=subnet-priv1", "PRIVATE_SUBNET_2=subnet-priv2",
}

// flagValue returns the argument after flag in a call.
func flagValue(call []string, flag string) string {
	if i := slices.Index(call, flag); i >= 0 && i+1 < len(call) {
		return call[i+1]
	}
	return ""
}

// TestDeployScript runs deploy.sh against the stand-in aws command: the
// stacks are deployed in order, each from its template, with exactly the
// template's parameters (all those without a default among them), and the
// migration runs, and must succeed, before the services are updated.
func TestDeployScript(t *testing.T) {
	for _, env := range []string{"", "staging"} {
		t.Run("ENVIRONMENT="+env, func(t *testing.T) { testDeployScript(t, env) })
	}
}

// testDeployScript runs deploy.sh for one environment: every stack gets
// the environment's name and the environment's stack names.
func testDeployScript(t *testing.T, env string) {
	all := stacks(t)
	d := deploymentFor(t, env)
	base, calls := fakeAWS(t)
	repoSuffix := ""
	if env != "" {
		repoSuffix = "-" + env
	}
	// A minor upgrade of PostgreSQL is a setting; without it the stack keeps its version.
	postgres := ""
	if env != "" {
		postgres = "15.16"
	}
	// The staging run is a dev database; the default keeps the stack's (prod when new).
	profile := ""
	if env != "" {
		profile = "dev"
	}
	// The staging run asks for Graviton tasks.
	arch, cpu := "", "X86_64"
	if env != "" {
		arch, cpu = "arm64", "ARM64"
	}
	out, err := runScript(t, "deploy.sh", append(append(base, deployEnv...), "ENVIRONMENT="+env, "FAKE_REPO_SUFFIX="+repoSuffix, "POSTGRES_VERSION="+postgres, "ARCH="+arch, "DB_PROFILE="+profile))
	if err != nil {
		t.Fatalf("deploy.sh: %v\n%s", err, out)
	}
	var order, images []string
	for _, call := range calls() {
		if len(call) < 3 || call[0] != "aws" {
			continue
		}
		switch call[1] + " " + call[2] {
		case "cloudformation deploy":
			var name string
			for n, stackName := range d.Stacks {
				if stackName == flagValue(call, "--stack-name") {
					name = n
				}
			}
			order = append(order, name)
			st := all[name]
			if st == nil {
				t.Errorf("deploys unknown stack %s", flagValue(call, "--stack-name"))
				continue
			}
			if tf := flagValue(call, "--template-file"); !strings.HasSuffix(tf, "/ecs/templates/"+name+".yaml") {
				t.Errorf("%s deployed from %s", name, tf)
			}
			if !slices.Contains(call, "CAPABILITY_IAM") || !slices.Contains(call, "--no-fail-on-empty-changeset") {
				t.Errorf("%s: deploy needs CAPABILITY_IAM and --no-fail-on-empty-changeset: %v", name, call)
			}
			given := map[string]string{}
			if i := slices.Index(call, "--parameter-overrides"); i >= 0 {
				for _, kv := range call[i+1:] {
					k, v, _ := strings.Cut(kv, "=")
					given[k] = v
				}
			}
			for k, v := range given {
				if _, ok := st.T.Parameters[k]; !ok {
					t.Errorf("%s: passes %s, which the template does not declare (CloudFormation refuses that)", name, k)
				}
				if target, isStack := stackParams[k]; isStack && v != d.Stacks[target] {
					t.Errorf("%s: %s=%s, want %s", name, k, v, d.Stacks[target])
				}
			}
			if v, ok := given["PostgresVersion"]; name == "data" && (ok != (postgres != "") || v != postgres) {
				t.Errorf("data: PostgresVersion=%q (given: %v), want %q", v, ok, postgres)
			}
			if v, ok := given["Profile"]; name == "data" && (ok != (profile != "") || v != profile) {
				t.Errorf("data: Profile=%q (given: %v), want %q", v, ok, profile)
			}
			if p, ok := st.T.Parameters["CpuArchitecture"]; ok {
				eq(t, name+" CpuArchitecture", given["CpuArchitecture"], cpu)
				if !slices.Contains(p.AllowedValues, any(cpu)) {
					t.Errorf("%s: CpuArchitecture %s is not one the template allows (%v)", name, cpu, p.AllowedValues)
				}
			}
			if v, ok := given["EnvironmentName"]; !ok || v != env {
				t.Errorf("%s: EnvironmentName=%q (given: %v), want %q", name, v, ok, env)
			}
			for k, p := range st.T.Parameters {
				if _, ok := given[k]; !ok && p.Default == nil {
					t.Errorf("%s: required parameter %s is not passed", name, k)
				}
			}
			if _, ok := st.T.Parameters["ImageTag"]; ok {
				eq(t, name+" ImageTag", given["ImageTag"], "v1.0.0")
			}
		case "ecs run-task":
			order = append(order, "run-task")
			eq(t, "migration task definition", flagValue(call, "--task-definition"), "arn:aws:ecs:us-east-1:123456789012:task-definition/taskapi-migrate:7")
			eq(t, "migration launch type", flagValue(call, "--launch-type"), "FARGATE")
			eq(t, "migration network", flagValue(call, "--network-configuration"),
				"awsvpcConfiguration={subnets=[fake-PrivateSubnet1,fake-PrivateSubnet2],securityGroups=[fake-AuthServiceSecurityGroupId],assignPublicIp=DISABLED}")
		case "ecs wait":
			order = append(order, "wait")
		case "rds create-db-snapshot":
			order = append(order, "snapshot")
			eq(t, "snapshot of", flagValue(call, "--db-instance-identifier"), "taskapi-data-database-abc")
			if id := flagValue(call, "--db-snapshot-identifier"); !regexp.MustCompile(`^taskapi-data-database-abc-pre-migrate-[0-9]{8}-[0-9]{6}-v1-0-0$`).MatchString(id) {
				t.Errorf("snapshot identifier %q", id)
			}
		case "rds wait":
			eq(t, "waits for the snapshot", call[3], "db-snapshot-available")
			order = append(order, "snapshot-ready")
		case "ecr describe-images":
			images = append(images, flagValue(call, "--repository-name"))
		}
	}
	// The image is looked for in this environment's repositories.
	registry := all["registry"]
	eq(t, "repositories checked for the image", strings.Join(images, " "),
		evaluate(t, all, registry, property(registry, "AuthServiceRepository", "RepositoryName"), d)+" "+
			evaluate(t, all, registry, property(registry, "TaskServiceRepository", "RepositoryName"), d))
	// Each stack after those it imports from; the migration between the
	// cluster (its task definition) and the services (the new code).
	// A snapshot of the database before the migration changes it.
	eq(t, "order", strings.Join(order, " "), "registry network data cluster snapshot snapshot-ready run-task wait services monitoring")
	if !strings.Contains(out, "http://task-management-alb-1") {
		t.Errorf("deploy.sh does not end with the URL:\n%s", out)
	}
}

// TestFirstDeploymentTakesNoSnapshot: a database the deployment creates is
// empty, so the migration runs without a snapshot first.
func TestFirstDeploymentTakesNoSnapshot(t *testing.T) {
	base, calls := fakeAWS(t)
	out, err := runScript(t, "deploy.sh", append(append(base, deployEnv...), "FAKE_NEW_STACKS=taskapi-data"))
	if err != nil {
		t.Fatalf("deploy.sh: %v\n%s", err, out)
	}
	ran := false
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "rds" {
			t.Errorf("a first deployment calls %v", call)
		}
		ran = ran || (len(call) > 2 && call[1] == "ecs" && call[2] == "run-task")
	}
	eq(t, "the migration still runs", ran, true)
}

// TestScriptsRefuseBadInput: no AWS call is made for a missing or "latest"
// tag or missing network settings, and a failed migration stops the deploy.
func TestScriptsRefuseBadInput(t *testing.T) {
	for _, tc := range []struct {
		script string
		env    []string
		want   string
	}{
		{"push.sh", []string{"TAG=latest"}, "latest"},
		{"push.sh", nil, "set TAG"},
		{"deploy.sh", []string{"TAG=v1 0"}, "not an image tag"},
		{"deploy.sh", []string{"TAG=v1.0.0", "VPC_ID=vpc-0a"}, "set PRIVATE_SUBNET_1 PRIVATE_SUBNET_2"},
		{"deploy.sh", append(slices.Clone(deployEnv), "CREATE_VPC_ENDPOINTS=true"), "set PRIVATE_ROUTE_TABLE_IDS"},
		{"destroy.sh", nil, "nothing deleted"},
		{"plan.sh", []string{"TAG=latest"}, "latest"},
		{"plan.sh", []string{"TAG=v1.0.0", "VPC_ID=vpc-0a"}, "set PRIVATE_SUBNET_1 PRIVATE_SUBNET_2"},
		{"plan.sh", append(slices.Clone(deployEnv), "ENABLE_WAF=yes"), "ENABLE_WAF=yes: true or false"},
		{"deploy.sh", append(slices.Clone(deployEnv), "DB_PROFILE=production"), "DB_PROFILE=production: dev or prod"},
		{"plan.sh", append(slices.Clone(deployEnv), "ENVIRONMENT=Staging"), "ENVIRONMENT=Staging"},
	} {
		base, calls := fakeAWS(t)
		out, err := runScript(t, tc.script, append(base, tc.env...))
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s %v: err %v, output %q; want a failure saying %q", tc.script, tc.env, err, out, tc.want)
		}
		if n := len(calls()); n != 0 {
			t.Errorf("%s %v: %d AWS/docker calls before refusing: %v", tc.script, tc.env, n, calls())
		}
	}

	// Two subnets in one Availability Zone: refused before any stack changes.
	base, calls := fakeAWS(t)
	out, err := runScript(t, "deploy.sh", append(append(base, deployEnv...), "FAKE_ONE_AZ=1"))
	if err == nil || !strings.Contains(out, "PRIVATE_SUBNET_1 and PRIVATE_SUBNET_2 must be in two different Availability Zones") {
		t.Errorf("subnets in one zone: err %v, output:\n%s", err, out)
	}
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "cloudformation" {
			t.Errorf("a stack changed although the subnets share a zone: %v", call)
		}
	}

	base, calls = fakeAWS(t)
	out, err = runScript(t, "deploy.sh", append(append(base, deployEnv...), "FAKE_EXIT_CODE=1"))
	if err == nil || !strings.Contains(out, "migration failed (exit code 1") {
		t.Errorf("a failed migration: err %v, output:\n%s", err, out)
	}
	for _, call := range calls() {
		if slices.Contains(call, "taskapi-services") {
			t.Errorf("the services were deployed after a failed migration: %v", call)
		}
	}
}

// TestPushAndDestroyScripts checks the image goes to both repositories for
// the task definitions' platform, and teardown goes newest stack first.
func TestPushAndDestroyScripts(t *testing.T) {
	base, calls := fakeAWS(t)
	dockerCalls := func() []string {
		var docker []string
		for _, call := range calls() {
			if call[0] == "docker" {
				docker = append(docker, strings.Join(call[1:], " "))
			}
		}
		return docker
	}
	if out, err := runScript(t, "push.sh", append(base, "TAG=v1.2.3", "FAKE_NO_IMAGE=1")); err != nil {
		t.Fatalf("push.sh: %v\n%s", err, out)
	}
	docker := dockerCalls()
	root, _ := filepath.Abs("..")
	want := []string{
		"login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
		"build --platform linux/amd64 --build-arg VERSION=v1.2.3 -t taskapi:v1.2.3 " + root,
		"tag taskapi:v1.2.3 123456789012.dkr.ecr.us-east-1.amazonaws.com/auth-service:v1.2.3",
		"push 123456789012.dkr.ecr.us-east-1.amazonaws.com/auth-service:v1.2.3",
		"tag taskapi:v1.2.3 123456789012.dkr.ecr.us-east-1.amazonaws.com/task-service:v1.2.3",
		"push 123456789012.dkr.ecr.us-east-1.amazonaws.com/task-service:v1.2.3",
	}
	eq(t, "docker calls", strings.Join(docker, "\n"), strings.Join(want, "\n"))

	// Tags are immutable: a tag in both repositories is not pushed again
	// (ECR would refuse it), and one in a single repository is copied, the
	// same image, to the other.
	base, calls = fakeAWS(t)
	if out, err := runScript(t, "push.sh", append(base, "TAG=v1.2.3")); err != nil || !strings.Contains(out, "already in both repositories") {
		t.Fatalf("push.sh of a pushed tag: %v\n%s", err, out)
	}
	eq(t, "docker calls for a pushed tag", len(dockerCalls()), 0)
	base, calls = fakeAWS(t)
	if out, err := runScript(t, "push.sh", append(base, "TAG=v1.2.3", "FAKE_IMAGE_ONLY_IN=auth-service")); err != nil {
		t.Fatalf("push.sh after a half push: %v\n%s", err, out)
	}
	eq(t, "docker calls after a half push", strings.Join(dockerCalls(), "\n"), strings.Join([]string{
		"login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
		"pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/auth-service:v1.2.3",
		"tag 123456789012.dkr.ecr.us-east-1.amazonaws.com/auth-service:v1.2.3 123456789012.dkr.ecr.us-east-1.amazonaws.com/task-service:v1.2.3",
		"push 123456789012.dkr.ecr.us-east-1.amazonaws.com/task-service:v1.2.3",
	}, "\n"))

	// ARCH=arm64: the image for Graviton tasks (and the deploy asks for them:
	// testDeployScript); anything else is refused before any call.
	base, calls = fakeAWS(t)
	if out, err := runScript(t, "push.sh", append(base, "TAG=v1.2.3", "ARCH=arm64", "FAKE_NO_IMAGE=1")); err != nil {
		t.Fatalf("push.sh ARCH=arm64: %v\n%s", err, out)
	}
	for _, call := range calls() {
		if call[0] == "docker" && call[1] == "build" {
			eq(t, "ARCH=arm64 build platform", flagValue(call, "--platform"), "linux/arm64")
		}
	}
	base, calls = fakeAWS(t)
	if out, err := runScript(t, "push.sh", append(base, "TAG=v1.2.3", "ARCH=sparc")); err == nil || !strings.Contains(out, "ARCH=sparc: amd64 or arm64") || len(calls()) != 0 {
		t.Errorf("push.sh ARCH=sparc: err %v, %d calls, output %q", err, len(calls()), out)
	}

	base, calls = fakeAWS(t)
	out, err := runScript(t, "destroy.sh", append(base, "CONFIRM=yes"))
	if err != nil {
		t.Fatalf("destroy.sh: %v\n%s", err, out)
	}
	var deleted, forced []string
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "delete-stack" {
			deleted = append(deleted, strings.TrimPrefix(flagValue(call, "--stack-name"), "taskapi-"))
		}
		if len(call) > 2 && call[2] == "delete-secret" {
			forced = append(forced, flagValue(call, "--secret-id"))
		}
	}
	reversed := slices.Clone(stackOrder)
	slices.Reverse(reversed)
	eq(t, "teardown order", fmt.Sprint(deleted), fmt.Sprint(reversed))
	sort.Strings(forced)
	eq(t, "secret names freed", fmt.Sprint(forced), "[jwt-secret rds-credentials]")
	if !strings.Contains(out, "taskapi-data-database-abc-final") {
		t.Errorf("destroy.sh does not name the kept snapshot:\n%s", out)
	}

	// Another environment: its own stacks and secret names, nothing else.
	all := stacks(t)
	d := deploymentFor(t, "staging")
	base, calls = fakeAWS(t)
	if out, err := runScript(t, "destroy.sh", append(base, "CONFIRM=yes", "ENVIRONMENT=staging")); err != nil {
		t.Fatalf("destroy.sh: %v\n%s", err, out)
	}
	deleted, forced = nil, nil
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "delete-stack" {
			deleted = append(deleted, flagValue(call, "--stack-name"))
		}
		if len(call) > 2 && call[2] == "delete-secret" {
			forced = append(forced, flagValue(call, "--secret-id"))
		}
	}
	var wantStacks []string
	for _, name := range reversed {
		wantStacks = append(wantStacks, d.Stacks[name])
	}
	eq(t, "staging teardown", fmt.Sprint(deleted), fmt.Sprint(wantStacks))
	data := all["data"]
	eq(t, "staging secret names freed", fmt.Sprint(forced), fmt.Sprint([]string{
		evaluate(t, all, data, property(data, "DatabaseSecret", "Name"), d),
		evaluate(t, all, data, property(data, "JwtSecret", "Name"), d),
	}))
}

// overridesByStack returns, for each `cloudformation deploy` call, the
// stack's --parameter-overrides, sorted.
func overridesByStack(calls [][]string) map[string]string {
	out := map[string]string{}
	for _, call := range calls {
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "deploy" {
			var params []string
			if i := slices.Index(call, "--parameter-overrides"); i >= 0 {
				params = slices.Clone(call[i+1:])
			}
			sort.Strings(params)
			out[flagValue(call, "--stack-name")] = strings.Join(params, " ")
		}
	}
	return out
}

// TestPlanScript runs plan.sh against the stand-in aws: it changes nothing
// (no deploy is executed, no migration runs, every change set it creates
// is deleted), plans each stack with exactly the parameters deploy.sh
// gives it, and prints terraform-style changes and a summary.
func TestPlanScript(t *testing.T) {
	env := append(slices.Clone(deployEnv), "ENABLE_WAF=true", "ARCH=arm64")
	base, calls := fakeAWS(t)
	if out, err := runScript(t, "deploy.sh", append(base, env...)); err != nil {
		t.Fatalf("deploy.sh: %v\n%s", err, out)
	}
	deployed := overridesByStack(calls())

	unchanged := "taskapi-registry taskapi-network taskapi-data taskapi-monitoring"
	base, calls = fakeAWS(t)
	out, err := runScript(t, "plan.sh", append(base, append(env, "FAKE_UNCHANGED="+unchanged)...))
	if err != nil {
		t.Fatalf("plan.sh: %v\n%s", err, out)
	}
	checkPlanChangesNothing(t, calls())
	eq(t, "plan's parameters = deploy's", fmt.Sprint(overridesByStack(calls())), fmt.Sprint(deployed))
	var created, deleted []string
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "delete-change-set" {
			deleted = append(deleted, flagValue(call, "--change-set-name"))
		}
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "delete-stack" {
			t.Errorf("plan deletes an existing stack: %v", call)
		}
	}
	// The stand-in creates a change set for each stack that changes.
	for _, stack := range []string{"taskapi-cluster", "taskapi-services"} {
		created = append(created, "arn:aws:cloudformation:us-east-1:123456789012:changeSet/awscli-cloudformation-package-deploy-1764400000/"+stack)
	}
	eq(t, "change sets deleted", fmt.Sprint(deleted), fmt.Sprint(created))
	for _, want := range []string{
		"taskapi-registry: no changes\n",
		"taskapi-services: to change\n" +
			"  ~ AuthTaskDefinition (AWS::ECS::TaskDefinition) replaced: ContainerDefinitions, RuntimePlatform\n" +
			"  + WebAcl (AWS::WAFv2::WebACL)\n" +
			"  - OldThing (AWS::SNS::Topic)\n",
		"Plan: 0 to create, 2 to change, 4 unchanged, 0 waiting.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "warning: no image") {
		t.Errorf("plan warns of a missing image that is there:\n%s", out)
	}

	// A new account: what does not exist yet is planned as a creation and its
	// empty placeholder stack removed; what imports from it waits.
	base, calls = fakeAWS(t)
	all := "taskapi-registry taskapi-network taskapi-data taskapi-cluster taskapi-services taskapi-monitoring"
	out, err = runScript(t, "plan.sh", append(base, append(env, "FAKE_NEW_STACKS="+all)...))
	if err != nil {
		t.Fatalf("plan.sh on a new account: %v\n%s", err, out)
	}
	checkPlanChangesNothing(t, calls())
	var removed []string
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "delete-stack" {
			removed = append(removed, flagValue(call, "--stack-name"))
		}
	}
	eq(t, "placeholder stacks removed", fmt.Sprint(removed), "[taskapi-registry taskapi-network]")
	for _, want := range []string{
		"taskapi-registry: to create\n",
		"taskapi-network: to create\n",
		"taskapi-data: waits for taskapi-network (it imports their exports)",
		"taskapi-cluster: waits for taskapi-data taskapi-network taskapi-registry",
		"taskapi-monitoring: waits for taskapi-cluster taskapi-data taskapi-services",
		"Plan: 2 to create, 0 to change, 0 unchanged, 4 waiting.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("new-account plan output lacks %q:\n%s", want, out)
		}
	}

	// A change set that cannot be created: the plan fails, and what it had
	// created (the new stack's empty placeholder) is removed on the way out.
	base, calls = fakeAWS(t)
	out, err = runScript(t, "plan.sh", append(base, append(env, "FAKE_NEW_STACKS="+all, "FAKE_FAIL_PLAN=taskapi-network")...))
	if err == nil || !strings.Contains(out, "cannot plan taskapi-network") || !strings.Contains(out, "Template error") {
		t.Errorf("a failing change set: err %v, output:\n%s", err, out)
	}
	checkPlanChangesNothing(t, calls())
	removed = nil
	for _, call := range calls() {
		if len(call) > 2 && call[1] == "cloudformation" && call[2] == "delete-stack" {
			removed = append(removed, flagValue(call, "--stack-name"))
		}
	}
	eq(t, "placeholder stacks removed after a failure", fmt.Sprint(removed), "[taskapi-registry taskapi-network]")

	// The image ecs-deploy would need is not pushed yet: said, not fatal.
	base, _ = fakeAWS(t)
	out, err = runScript(t, "plan.sh", append(base, append(env, "FAKE_NO_IMAGE=1")...))
	if err != nil || !strings.Contains(out, "warning: no image auth-service:v1.0.0 yet") {
		t.Errorf("plan without the image: err %v, output:\n%s", err, out)
	}
}

// checkPlanChangesNothing fails on any call that would change the account
// beyond creating and deleting change sets (and deleting the empty stack a
// new stack's change set leaves).
func checkPlanChangesNothing(t *testing.T, calls [][]string) {
	t.Helper()
	for _, call := range calls {
		if call[0] != "aws" {
			t.Errorf("plan ran %v", call)
			continue
		}
		op := call[1] + " " + call[2]
		switch {
		case op == "cloudformation deploy":
			if !slices.Contains(call, "--no-execute-changeset") {
				t.Errorf("plan deploys: %v", call)
			}
		case op == "cloudformation delete-change-set", op == "cloudformation delete-stack":
		case strings.HasPrefix(call[2], "describe-"), strings.HasPrefix(call[2], "get-"), strings.HasPrefix(call[2], "list-"):
		default:
			t.Errorf("plan calls %s: %v", op, call)
		}
	}
}

package ecs_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow these tests read.
type workflow struct {
	On struct {
		Push struct {
			Tags []string `yaml:"tags"`
		} `yaml:"push"`
		WorkflowDispatch *yaml.Node `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		Needs       any               `yaml:"needs"`
		Permissions map[string]string `yaml:"permissions"`
		Environment any               `yaml:"environment"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestDeployWorkflow checks the workflow users deploy with beyond what
// actionlint (make lint-workflows) can know: on a version tag it runs test,
// push, plan and deploy in that order; AWS access is only ever an OIDC role
// (no stored keys); every make target it runs exists; and it gives the
// scripts every setting they require.
func TestDeployWorkflow(t *testing.T) {
	raw, err := os.ReadFile("../.github/workflows/deploy.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(wf.On.Push.Tags, "v*") || wf.On.WorkflowDispatch == nil {
		t.Errorf("triggers: tags %v, workflow_dispatch %v: want tags v* and a manual run", wf.On.Push.Tags, wf.On.WorkflowDispatch != nil)
	}
	eq(t, "workflow permissions", fmt.Sprint(wf.Permissions), "map[contents:read]")

	// test -> push -> plan -> deploy.
	order := map[string]string{"push": "test", "plan": "push", "deploy": "plan"}
	for job, need := range order {
		if fmt.Sprint(wf.Jobs[job].Needs) != need {
			t.Errorf("job %s needs %v, want %s", job, wf.Jobs[job].Needs, need)
		}
	}
	if len(wf.Jobs) != 4 || wf.Jobs["test"].Needs != nil {
		t.Errorf("jobs %v: want exactly test, push, plan, deploy", wf.Jobs)
	}
	if wf.Jobs["deploy"].Environment == nil {
		t.Error("the deploy job has no GitHub environment: nothing can require an approval of the plan")
	}

	// No long-lived keys: the only credentials are an assumed role.
	for _, forbidden := range []string{"aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if strings.Contains(string(raw), forbidden) {
			t.Errorf("the workflow mentions %s: AWS access must be the OIDC role only", forbidden)
		}
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	for name, job := range wf.Jobs {
		assumes, callsAWS := false, false
		for _, step := range job.Steps {
			if strings.HasPrefix(step.Uses, "aws-actions/configure-aws-credentials@") {
				assumes = true
				if !regexp.MustCompile(`^\$\{\{ secrets\.\w+ \}\}$`).MatchString(step.With["role-to-assume"]) {
					t.Errorf("job %s: role-to-assume %q, want a secret's ARN", name, step.With["role-to-assume"])
				}
			}
			for _, m := range regexp.MustCompile(`\bmake( -s)?((?: [a-z][a-z0-9-]*)+)`).FindAllStringSubmatch(step.Run, -1) {
				for _, target := range strings.Fields(m[2]) {
					ran[target] = true
					if !regexp.MustCompile(`(?m)^(?:\S+ )*` + regexp.QuoteMeta(target) + `(?: \S+)*:`).Match(makefile) {
						t.Errorf("job %s runs make %s, which the Makefile does not have", name, target)
					}
					if strings.HasPrefix(target, "ecs-") {
						callsAWS = true
					}
				}
			}
		}
		// The role's trust policy names the environment (sub =
		// repo:OWNER/REPO:environment:NAME): a job without one is refused.
		if assumes && environmentName(job.Environment) == "" {
			t.Errorf("job %s assumes the role without naming a GitHub environment: a trust policy on environment subjects refuses it", name)
		}
		if callsAWS && (!assumes || job.Permissions["id-token"] != "write") {
			t.Errorf("job %s calls AWS without assuming a role through OIDC (configure-aws-credentials %v, id-token %q)", name, assumes, job.Permissions["id-token"])
		}
		if !callsAWS && (assumes || job.Permissions["id-token"] != "") {
			t.Errorf("job %s gets AWS credentials it does not use", name)
		}
	}
	// push and plan share the "-plan" environment (no reviewers needed),
	// deploy has the environment itself; docs/deploy-ecs.md's trust policy
	// admits exactly these two subjects.
	deployEnv := environmentName(wf.Jobs["deploy"].Environment)
	eq(t, "deploy environment", deployEnv, "${{ inputs.environment || vars.ENVIRONMENT || 'production' }}")
	for _, job := range []string{"push", "plan"} {
		eq(t, job+" environment", environmentName(wf.Jobs[job].Environment), "${{ format('{0}-plan', inputs.environment || vars.ENVIRONMENT || 'production') }}")
	}
	doc, err := os.ReadFile("../docs/deploy-ecs.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{`"repo:OWNER/REPO:environment:production"`, `"repo:OWNER/REPO:environment:production-plan"`} {
		if !strings.Contains(string(doc), sub) {
			t.Errorf("docs/deploy-ecs.md's trust policy does not admit %s, which the workflow's jobs present", sub)
		}
	}
	for _, target := range []string{"lint", "lint-ecs", "lint-workflows", "test", "ecs-push", "ecs-plan", "ecs-deploy"} {
		if !ran[target] {
			t.Errorf("the workflow never runs make %s", target)
		}
	}

	// Every setting deploy.sh and plan.sh require comes from the workflow.
	lib, err := os.ReadFile("scripts/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	needs := regexp.MustCompile(`(?m)^\tneed ([A-Z_0-9 ]+)$`).FindAllSubmatch(lib, -1)
	if len(needs) == 0 {
		t.Fatal("lib.sh's check_deploy_settings needs nothing?")
	}
	for _, n := range needs {
		for _, v := range strings.Fields(string(n[1])) {
			if wf.Env[v] == "" {
				t.Errorf("the workflow does not set %s, which the scripts require", v)
			}
		}
	}
	for _, v := range []string{"TAG", "AWS_REGION", "ENVIRONMENT", "ARCH", "ENABLE_WAF"} {
		if wf.Env[v] == "" {
			t.Errorf("the workflow does not set %s", v)
		}
	}
}

// environmentName is a job's environment: the string form or its name.
func environmentName(v any) string {
	switch e := v.(type) {
	case string:
		return e
	case map[string]any:
		name, _ := e["name"].(string)
		return name
	}
	return ""
}

package ecs_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// accountNames are, per resource type, the name property that must be
// unique in an account and region (a security group's, in a VPC, which
// environments may share). Two deployments' names of one kind must never
// meet, or the second deployment fails.
var accountNames = map[string]string{
	"AWS::ECR::Repository":                       "RepositoryName",
	"AWS::EC2::SecurityGroup":                    "GroupName",
	"AWS::SecretsManager::Secret":                "Name",
	"AWS::ECS::Cluster":                          "ClusterName",
	"AWS::Logs::LogGroup":                        "LogGroupName",
	"AWS::ServiceDiscovery::PrivateDnsNamespace": "Name",
	"AWS::ECS::TaskDefinition":                   "Family",
	"AWS::ElasticLoadBalancingV2::LoadBalancer":  "Name",
	"AWS::ElasticLoadBalancingV2::TargetGroup":   "Name",
	"AWS::CloudWatch::Alarm":                     "AlarmName",
	"AWS::SNS::Topic":                            "TopicName",
	"AWS::CloudWatch::Dashboard":                 "DashboardName",
	"AWS::WAFv2::WebACL":                         "Name",
	"AWS::CloudFront::Function":                  "Name",
}

// scopedNames are the other name properties, with why two environments
// can share their values.
var scopedNames = map[string]string{
	"AWS::ECS::Service ServiceName":                         "unique per cluster, and each environment has its cluster",
	"AWS::ServiceDiscovery::Service Name":                   "unique per namespace, and each environment has its namespace",
	"AWS::ApplicationAutoScaling::ScalingPolicy PolicyName": "unique per scalable target (an environment's service)",
	"AWS::RDS::DBInstance DBName":                           "a database inside the environment's instance",
	"AWS::CloudWatch::Alarm MetricName":                     "a metric's name, in the environment's namespace or dimensions",
	"AWS::EC2::VPCEndpoint ServiceName":                     "the AWS service the endpoint reaches",
	"AWS::RDS::DBParameterGroup Family":                     "the engine family (postgres15), not a name",
	"AWS::SNS::Topic DisplayName":                           "a label in notifications, not unique",
}

// environmentNames returns every name deployment d gives that must be
// unique in the account and region, by kind: the resources' names, the
// stack names, the export names, and the metrics namespace.
func environmentNames(t *testing.T, d deployment) map[string][]string {
	t.Helper()
	all := stacks(t)
	names := map[string][]string{}
	for _, name := range stackOrder {
		st := all[name]
		names["stack"] = append(names["stack"], d.Stacks[name])
		for logical, r := range asMap(st.Raw["Resources"]) {
			typ := fmt.Sprint(asMap(r)["Type"])
			prop, ok := accountNames[typ]
			if !ok {
				continue
			}
			v := property(st, logical, prop)
			if v == nil {
				t.Errorf("%s: %s has no %s: CloudFormation generates one, but the design names it", st.Path, logical, prop)
				continue
			}
			names[typ] = append(names[typ], evaluate(t, all, st, v, d))
		}
		for output, o := range asMap(st.Raw["Outputs"]) {
			if export := asMap(asMap(o)["Export"]); export != nil {
				names["export"] = append(names["export"], evaluate(t, all, st, export["Name"], d))
			} else if output == "MetricsNamespace" {
				t.Errorf("%s: MetricsNamespace is not exported", st.Path)
			}
		}
	}
	names["metrics namespace"] = []string{evaluate(t, all, all["cluster"], asMap(asMap(all["cluster"].Raw["Outputs"])["MetricsNamespace"])["Value"], d)}
	return names
}

// TestEveryNameIsClassified: each property that names something is either
// one of the account-wide names, which carry the environment, or a name
// inside something that does. A new named resource must be placed here.
func TestEveryNameIsClassified(t *testing.T) {
	for _, st := range stacks(t) {
		for logical, r := range asMap(st.Raw["Resources"]) {
			typ := fmt.Sprint(asMap(r)["Type"])
			for prop, v := range asMap(asMap(r)["Properties"]) {
				if !strings.HasSuffix(prop, "Name") && prop != "Family" {
					continue
				}
				// A reference to another resource of the stack is not a name.
				if target := refOf(v); target != "" {
					if resourceType(st, target) != "" {
						continue
					}
				}
				if accountNames[typ] == prop {
					continue
				}
				if _, ok := scopedNames[typ+" "+prop]; !ok {
					t.Errorf("%s: %s.%s (%s) names something: add it to accountNames (with the environment in it) or scopedNames (with the reason it needs none)", st.Path, logical, prop, typ)
				}
			}
		}
	}
}

// TestEnvironmentParameter: every template takes EnvironmentName, empty by
// default, with the scripts' own rule for ENVIRONMENT, and names depend on
// it through the one condition HasEnvironment.
func TestEnvironmentParameter(t *testing.T) {
	lib, err := os.ReadFile("scripts/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\[\[ "\$ENVIRONMENT" =~ (\S+) \]\]`).FindSubmatch(lib)
	if m == nil {
		t.Fatal("lib.sh does not check ENVIRONMENT against a pattern")
	}
	for _, name := range stackOrder {
		st := stacks(t)[name]
		p, ok := st.T.Parameters["EnvironmentName"]
		if !ok {
			t.Errorf("%s has no EnvironmentName parameter", st.Path)
			continue
		}
		eq(t, st.Path+" EnvironmentName default (the design's names)", fmt.Sprint(p.Default), "")
		eq(t, st.Path+" EnvironmentName pattern (= lib.sh's)", val(p.AllowedPattern), string(m[1]))
		sameJSON(t, st.Path+" HasEnvironment", st.T.Conditions["HasEnvironment"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("EnvironmentName"), ""}}}})
	}
	re := regexp.MustCompile(string(m[1]))
	for env, ok := range map[string]bool{"": true, "dev": true, "staging": true, "prod2": true, "abcdefghijkl": true,
		"abcdefghijklm": false, "Prod": false, "2dev": false, "qa-1": false, "a/b": false} {
		if re.MatchString(env) != ok {
			t.Errorf("environment %q accepted: %v, want %v", env, !ok, ok)
		}
	}
	// The scripts refuse what the templates would.
	cmd := exec.Command("bash", "-c", "source scripts/lib.sh")
	cmd.Env = append(os.Environ(), "ENVIRONMENT=Prod")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ENVIRONMENT=Prod") {
		t.Errorf("lib.sh accepts ENVIRONMENT=Prod: %v %s", err, out)
	}
}

// TestDesignNamesByDefault: without an environment every name is the
// design's, so an existing deployment updates in place.
func TestDesignNamesByDefault(t *testing.T) {
	got := environmentNames(t, designDeployment(t))
	want := map[string][]string{
		"AWS::ECR::Repository":                       {"auth-service", "task-service"},
		"AWS::EC2::SecurityGroup":                    {"alb-sg", "auth-service-sg", "endpoints-sg", "rds-sg", "task-service-sg"},
		"AWS::SecretsManager::Secret":                {"jwt-secret", "rds-credentials"},
		"AWS::ECS::Cluster":                          {"task-management-cluster"},
		"AWS::Logs::LogGroup":                        {"/ecs/auth-service", "/ecs/task-service"},
		"AWS::ServiceDiscovery::PrivateDnsNamespace": {"task-management.local"},
		"AWS::ECS::TaskDefinition":                   {"auth-service", "task-service", "taskapi-migrate"},
		"AWS::ElasticLoadBalancingV2::LoadBalancer":  {"task-management-alb"},
		"AWS::ElasticLoadBalancingV2::TargetGroup":   {"auth-service-tg", "task-service-tg"},
		"AWS::CloudWatch::Alarm": {"auth-service-cpu", "auth-service-deployment-5xx", "auth-service-deployment-unhealthy",
			"auth-service-error-rate", "auth-service-unhealthy-tasks", "task-management-db-burst-balance",
			"task-management-db-connections", "task-management-db-cpu-credits", "task-management-db-free-storage", "task-service-cpu",
			"task-service-deployment-5xx", "task-service-deployment-unhealthy", "task-service-error-rate", "task-service-unhealthy-tasks"},
		"AWS::SNS::Topic":            {"task-management-alarms"},
		"AWS::CloudWatch::Dashboard": {"task-management"},
		"AWS::WAFv2::WebACL":         {"task-management-waf"},
		"AWS::CloudFront::Function":  {"taskapi-services-viewer-address"},
		"metrics namespace":          {"TaskManagement"},
		"stack":                      {"taskapi-cluster", "taskapi-data", "taskapi-monitoring", "taskapi-network", "taskapi-registry", "taskapi-services"},
	}
	for kind, names := range got {
		if kind == "export" {
			continue
		}
		sort.Strings(names)
		w, ok := want[kind]
		if !ok {
			t.Errorf("%s %v: not in the test's list of design names", kind, names)
			continue
		}
		eq(t, kind+" names", strings.Join(names, " "), strings.Join(w, " "))
	}
}

// TestEnvironmentNamesNeverCollide deploys, on paper, the design's
// environment and four named ones into one account and region: within
// each, names of a kind are distinct and known before deploying; across
// any two, no name of a kind is shared; and every name fits its limits
// with the longest environment name allowed.
func TestEnvironmentNamesNeverCollide(t *testing.T) {
	envs := []string{"", "dev", "staging", "prod", "abcdefghijkl"}
	names := map[string]map[string][]string{}
	for _, env := range envs {
		names[env] = environmentNames(t, deploymentFor(t, env))
		for kind, list := range names[env] {
			seen := map[string]bool{}
			for _, n := range list {
				if seen[n] {
					t.Errorf("environment %q: %s name %q twice", env, kind, n)
				}
				seen[n] = true
				if placeholder.MatchString(n) || n == "" {
					t.Errorf("environment %q: %s name %q is not known before deploying", env, kind, n)
				}
				if env != "" && !strings.Contains(n, env) {
					t.Errorf("environment %q: %s name %q does not carry the environment", env, kind, n)
				}
			}
		}
	}
	for i, a := range envs {
		for _, b := range envs[i+1:] {
			for kind, list := range names[a] {
				for _, n := range list {
					if slices.Contains(names[b][kind], n) {
						t.Errorf("environments %q and %q both use the %s name %q", a, b, kind, n)
					}
				}
			}
		}
	}

	// AWS's limits, for the longest environment name.
	limits := map[string]struct {
		max     int
		pattern string
	}{
		"AWS::ElasticLoadBalancingV2::LoadBalancer":  {32, `^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`},
		"AWS::ElasticLoadBalancingV2::TargetGroup":   {32, `^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`},
		"AWS::ECR::Repository":                       {256, `^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`},
		"AWS::EC2::SecurityGroup":                    {255, `^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$`},
		"AWS::SecretsManager::Secret":                {512, `^[A-Za-z0-9/_+=.@-]+$`},
		"AWS::ECS::Cluster":                          {255, `^[A-Za-z0-9_-]+$`},
		"AWS::ECS::TaskDefinition":                   {255, `^[A-Za-z0-9_-]+$`},
		"AWS::Logs::LogGroup":                        {512, `^[A-Za-z0-9_/.#-]+$`},
		"AWS::ServiceDiscovery::PrivateDnsNamespace": {253, `^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]+$`},
		"AWS::CloudWatch::Alarm":                     {255, `^[ -~]+$`},
		"AWS::SNS::Topic":                            {256, `^[A-Za-z0-9_-]+$`},
		"AWS::CloudWatch::Dashboard":                 {255, `^[A-Za-z0-9_-]+$`},
		"AWS::WAFv2::WebACL":                         {128, `^[\w-]+$`},
		"AWS::CloudFront::Function":                  {64, `^[A-Za-z0-9_-]+$`},
		"metrics namespace":                          {255, `^[A-Za-z0-9._/#:-]+$`},
		"stack":                                      {128, `^[A-Za-z][A-Za-z0-9-]*$`},
		"export":                                     {255, `^[A-Za-z0-9:-]+$`},
	}
	for kind, list := range names["abcdefghijkl"] {
		l, ok := limits[kind]
		if !ok {
			t.Errorf("no limits known for %s names", kind)
			continue
		}
		for _, n := range list {
			if len(n) > l.max || !regexp.MustCompile(l.pattern).MatchString(n) {
				t.Errorf("%s name %q (%d characters): AWS allows %d characters matching %s", kind, n, len(n), l.max, l.pattern)
			}
		}
	}
}

// TestEnvironmentWiring follows, for each environment, the names one part
// of the deployment uses to find another: the task service's Cloud Map
// address, the metrics namespace the services write and the alarms and
// dashboard read, and the secrets the teardown frees.
func TestEnvironmentWiring(t *testing.T) {
	all := stacks(t)
	for _, env := range []string{"", "staging"} {
		d := deploymentFor(t, env)
		cluster := all["cluster"]
		namespace := evaluate(t, all, cluster, property(cluster, "ServiceDiscoveryNamespace", "Name"), d)
		metricsNS := evaluate(t, all, cluster, asMap(asMap(cluster.Raw["Outputs"])["MetricsNamespace"])["Value"], d)
		for _, c := range containers(t) {
			if c.Logical == "MigrateTaskDefinition" {
				continue
			}
			envs := map[string]any{}
			for _, kv := range property(c.Stack, c.Logical, "ContainerDefinitions").([]any)[0].(map[string]any)["Environment"].([]any) {
				envs[fmt.Sprint(asMap(kv)["Name"])] = asMap(kv)["Value"]
			}
			eq(t, fmt.Sprintf("%q %s METRICS_NAMESPACE", env, c.Logical), evaluate(t, all, c.Stack, envs["METRICS_NAMESPACE"], d), metricsNS)
			if c.Service == "task" {
				discovery := evaluate(t, all, c.Stack, property(c.Stack, "AuthDiscoveryService", "Name"), d)
				eq(t, fmt.Sprintf("%q AUTH_SERVICE_URL", env), evaluate(t, all, c.Stack, envs["AUTH_SERVICE_URL"], d), "http://"+discovery+"."+namespace+":3000")
			}
		}
		monitoring := all["monitoring"]
		walk(monitoring.Raw["Resources"], "Resources", func(path string, m map[string]any) {
			if ns, ok := m["Namespace"]; ok && !strings.HasPrefix(fmt.Sprint(ns), "AWS/") {
				eq(t, fmt.Sprintf("%q %s namespace", env, path), evaluate(t, all, monitoring, ns, d), metricsNS)
			}
		})
		dash := asMap(property(monitoring, "Dashboard", "DashboardBody"))["Fn::Sub"].([]any)
		eq(t, fmt.Sprintf("%q dashboard namespace", env), evaluate(t, all, monitoring, asMap(dash[1])["Namespace"], d), metricsNS)

		data := all["data"]
		for _, secret := range []string{"DatabaseSecret", "JwtSecret"} {
			name := evaluate(t, all, data, property(data, secret, "Name"), d)
			base := name[strings.LastIndex(name, "/")+1:]
			cmd := exec.Command("bash", "-c", `source scripts/lib.sh; secret_name "$1"`, "-", base)
			cmd.Env = append(os.Environ(), "ENVIRONMENT="+env)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			eq(t, fmt.Sprintf("%q lib.sh secret_name %s", env, base), strings.TrimSpace(string(out)), name)
		}
	}
}

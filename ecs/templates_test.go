package ecs_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	goecs "github.com/awslabs/goformation/v7/cloudformation/ecs"
)

// val dereferences an optional property (the zero value when absent).
func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// eq reports a mismatch of one design value.
func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// sameJSON compares two values by their JSON (intrinsics expanded).
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(plain(got))
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

// plain turns a typed goformation value into generic JSON values with
// every intrinsic expanded.
func plain(v any) any {
	js, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(js, &out); err != nil {
		return v
	}
	return expand(out)
}

// imp is the long form of Fn::ImportValue: !Sub "${<param>}-<export>".
func imp(param, export string) map[string]any {
	return map[string]any{"Fn::ImportValue": map[string]any{"Fn::Sub": "${" + param + "}-" + export}}
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

// TestTemplateSet makes sure no template escapes the tests and that each
// uses only the sections CloudFormation knows (goformation ignores unknown
// top-level keys, so a misspelt "Output:" would otherwise pass).
func TestTemplateSet(t *testing.T) {
	files, err := filepath.Glob("templates/*")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range stackOrder {
		want = append(want, filepath.Join("templates", name+".yaml"))
	}
	sort.Strings(files)
	sort.Strings(want)
	if !slices.Equal(files, want) {
		t.Errorf("templates/ holds %v, the tests know %v", files, want)
	}
	sections := []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Resources", "Outputs"}
	for _, st := range stacks(t) {
		for key := range st.Raw {
			if !slices.Contains(sections, key) {
				t.Errorf("%s: unknown top-level section %q", st.Path, key)
			}
		}
		eq(t, st.Path+" AWSTemplateFormatVersion", st.T.AWSTemplateFormatVersion, "2010-09-09")
		if len(st.T.Description) > 1024 {
			t.Errorf("%s: Description is %d characters, CloudFormation allows 1024", st.Path, len(st.T.Description))
		}
		for name, p := range asMap(st.Raw["Parameters"]) {
			for key := range asMap(p) {
				if !slices.Contains([]string{"Type", "Default", "Description", "AllowedValues", "AllowedPattern", "ConstraintDescription", "MinLength", "MaxLength", "MinValue", "MaxValue", "NoEcho"}, key) {
					t.Errorf("%s parameter %s: unknown key %q", st.Path, name, key)
				}
			}
		}
		for name, o := range asMap(st.Raw["Outputs"]) {
			for key := range asMap(o) {
				if !slices.Contains([]string{"Value", "Description", "Export", "Condition"}, key) {
					t.Errorf("%s output %s: unknown key %q", st.Path, name, key)
				}
			}
		}
		// Rules are outside goformation's model: check their shape here.
		for name, r := range asMap(st.Raw["Rules"]) {
			for key := range asMap(r) {
				if key != "RuleCondition" && key != "Assertions" {
					t.Errorf("%s rule %s: unknown key %q", st.Path, name, key)
				}
			}
			for _, a := range asMap(r)["Assertions"].([]any) {
				for key := range asMap(a) {
					if key != "Assert" && key != "AssertDescription" {
						t.Errorf("%s rule %s: unknown assertion key %q", st.Path, name, key)
					}
				}
			}
		}
	}
}

// TestParserRejectsMistakes keeps the parser strict: a misspelt property,
// a wrong type or an unknown resource type must fail, or every other test
// here would pass on templates CloudFormation refuses.
func TestParserRejectsMistakes(t *testing.T) {
	data, err := os.ReadFile("templates/services.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseTemplate(data); err != nil {
		t.Fatalf("the unchanged template fails: %v", err)
	}
	for name, edit := range map[string][2]string{
		"misspelt property":     {"HealthCheckIntervalSeconds: 30", "HealthCheckIntervalSecond: 30"},
		"number for a string":   {`Cpu: "256"`, `Cpu: 256`},
		"string for a number":   {"DesiredCount: 2", "DesiredCount: two"},
		"unknown resource type": {"Type: AWS::ECS::Service", "Type: AWS::ECS::Servic"},
	} {
		broken := strings.Replace(string(data), edit[0], edit[1], 1)
		if broken == string(data) {
			t.Fatalf("%s: %q is not in the template", name, edit[0])
		}
		if _, _, err := parseTemplate([]byte(broken)); err == nil {
			t.Errorf("%s: the parser accepted %q", name, edit[1])
		}
	}
}

func TestRegistry(t *testing.T) {
	st := stacks(t)["registry"]
	repos := st.T.GetAllECRRepositoryResources()
	eq(t, "repositories", len(repos), 2)
	for logical, service := range map[string]string{"AuthServiceRepository": "auth-service", "TaskServiceRepository": "task-service"} {
		r, err := st.T.GetECRRepositoryWithName(logical)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, logical+" name", designName(t, st, logical, "RepositoryName"), service)
		eq(t, logical+" scan on push", val(r.ImageScanningConfiguration).ScanOnPush != nil && *r.ImageScanningConfiguration.ScanOnPush, true)
		eq(t, logical+" encryption", val(r.EncryptionConfiguration).EncryptionType, "AES256")
		// A rollback must run the very image the tag named when it was deployed.
		eq(t, logical+" tag mutability", val(r.ImageTagMutability), "IMMUTABLE")
		eq(t, logical+" emptied on delete", val(r.EmptyOnDelete), true)
		var policy struct {
			Rules []struct {
				RulePriority int `json:"rulePriority"`
				Selection    struct {
					TagStatus   string `json:"tagStatus"`
					CountType   string `json:"countType"`
					CountNumber int    `json:"countNumber"`
				} `json:"selection"`
				Action struct {
					Type string `json:"type"`
				} `json:"action"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(val(val(r.LifecyclePolicy).LifecyclePolicyText)), &policy); err != nil {
			t.Fatalf("%s lifecycle policy: %v", logical, err)
		}
		if len(policy.Rules) != 1 {
			t.Fatalf("%s lifecycle policy: %d rules, want 1", logical, len(policy.Rules))
		}
		rule := policy.Rules[0]
		eq(t, logical+" lifecycle keeps", fmt.Sprint(rule.Selection.TagStatus, " ", rule.Selection.CountType, " ", rule.Selection.CountNumber, " ", rule.Action.Type), "any imageCountMoreThan 10 expire")
	}
}

// TestData checks the secrets and RDS against design sections 6 and 8.
func TestData(t *testing.T) {
	st := stacks(t)["data"]
	for _, s := range stacks(t) {
		for name, secret := range s.T.GetAllSecretsManagerSecretResources() {
			if secret.SecretString != nil {
				t.Errorf("%s secret %s has a typed SecretString: secrets are generated, never typed", s.Path, name)
			}
			if secret.GenerateSecretString == nil {
				t.Errorf("%s secret %s is not generated", s.Path, name)
			}
		}
	}
	db, err := st.T.GetSecretsManagerSecretWithName("DatabaseSecret")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "database secret name", designName(t, st, "DatabaseSecret", "Name"), "rds-credentials")
	gen := val(db.GenerateSecretString)
	var tmpl map[string]string
	if err := json.Unmarshal([]byte(val(gen.SecretStringTemplate)), &tmpl); err != nil {
		t.Fatalf("rds-credentials template: %v", err)
	}
	eq(t, "rds-credentials username", tmpl["username"], "dbadmin")
	eq(t, "rds-credentials dbname", tmpl["dbname"], "taskmanagement")
	eq(t, "rds-credentials generated key", val(gen.GenerateStringKey), "password")
	if val(gen.PasswordLength) < 16 {
		t.Errorf("database password length %d, want at least 16", val(gen.PasswordLength))
	}
	for _, c := range []string{`"`, "@", "/"} { // RDS refuses these in a master password
		if !strings.Contains(val(gen.ExcludeCharacters), c) {
			t.Errorf("database password may contain %q, which RDS refuses", c)
		}
	}

	jwt, err := st.T.GetSecretsManagerSecretWithName("JwtSecret")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "JWT secret name", designName(t, st, "JwtSecret", "Name"), "jwt-secret")
	jgen := val(jwt.GenerateSecretString)
	eq(t, "jwt-secret generated key", val(jgen.GenerateStringKey), "secret")
	// Letters and digits carry log2(62) bits each: 256 bits (the design's
	// "256-bit key") need 43; the binary wants at least 32 bytes.
	if n := val(jgen.PasswordLength); float64(n)*math.Log2(62) < 256 || n < 32 {
		t.Errorf("jwt-secret length %d: under 256 bits or 32 bytes", n)
	}
	eq(t, "jwt-secret alphanumeric", val(jgen.ExcludePunctuation), true)

	rds, err := st.T.GetRDSDBInstanceWithName("Database")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "engine", val(rds.Engine), "postgres")
	eq(t, "engine version", refOf(rds.EngineVersion), "PostgresVersion")
	version := fmt.Sprint(st.T.Parameters["PostgresVersion"].Default)
	major, _, _ := strings.Cut(version, ".")
	eq(t, "PostgreSQL major (the design's)", major, "15")
	eq(t, "minor upgrades (security fixes) applied by RDS", val(rds.AutoMinorVersionUpgrade), true)
	eq(t, "major upgrades refused", val(rds.AllowMajorVersionUpgrade), false)
	eq(t, "storage GB", val(rds.AllocatedStorage), "20")
	eq(t, "storage autoscaling ceiling GiB (a full disk stops writes)", val(rds.MaxAllocatedStorage), 100)
	eq(t, "storage type (its burst balance is watched)", val(rds.StorageType), "gp2")
	eq(t, "encrypted", val(rds.StorageEncrypted), true)
	checkDatabaseProfiles(t, st)
	eq(t, "publicly accessible", rds.PubliclyAccessible != nil && !*rds.PubliclyAccessible, true)
	eq(t, "port", val(rds.Port), "5432")
	eq(t, "database name", val(rds.DBName), "taskmanagement")
	eq(t, "deletion policy", string(rds.AWSCloudFormationDeletionPolicy), "Snapshot")
	eq(t, "update-replace policy", string(rds.AWSCloudFormationUpdateReplacePolicy), "Snapshot")
	sameJSON(t, "master username", rds.MasterUsername, map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:username}}"})
	sameJSON(t, "master password", rds.MasterUserPassword, map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"})
	sameJSON(t, "RDS security group", rds.VPCSecurityGroups, []any{imp("NetworkStackName", "RdsSecurityGroupId")})

	subnets, err := st.T.GetRDSDBSubnetGroupWithName(refOf(rds.DBSubnetGroupName))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "RDS subnets (private, two AZs)", subnets.SubnetIds, []any{imp("NetworkStackName", "PrivateSubnet1"), imp("NetworkStackName", "PrivateSubnet2")})

	params, err := st.T.GetRDSDBParameterGroupWithName(refOf(rds.DBParameterGroupName))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "parameter group family", params.Family, "postgres"+major)
	sameJSON(t, "parameter group", params.Parameters, map[string]any{"rds.force_ssl": "1"})

	att, err := st.T.GetSecretsManagerSecretTargetAttachmentWithName("DatabaseSecretAttachment")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "attachment secret", refOf(att.SecretId), "DatabaseSecret")
	eq(t, "attachment target", refOf(att.TargetId), "Database")
	eq(t, "attachment type", att.TargetType, "AWS::RDS::DBInstance")
}

// checkDatabaseProfiles evaluates the database's settings under each
// Profile: the default is prod, and prod survives a zone's failure, a
// deletion and a bad week; dev is the cheap one.
func checkDatabaseProfiles(t *testing.T, st *stack) {
	t.Helper()
	all := stacks(t)
	eq(t, "Profile default", fmt.Sprint(st.T.Parameters["Profile"].Default), "prod")
	sameJSON(t, "Profile values", st.T.Parameters["Profile"].AllowedValues, []any{"dev", "prod"})
	settings := []string{"MultiAZ", "DeletionProtection", "EnablePerformanceInsights", "PerformanceInsightsRetentionPeriod", "BackupRetentionPeriod", "DBInstanceClass"}
	for _, tc := range []struct {
		profile string
		want    []string
	}{
		{"", []string{"true", "true", "true", "7", "14", "db.t3.small"}}, // the default: prod
		{"prod", []string{"true", "true", "true", "7", "14", "db.t3.small"}},
		{"dev", []string{"false", "false", "false", "<none>", "1", "db.t3.micro"}},
	} {
		d := designDeployment(t)
		if tc.profile != "" {
			d = d.with(map[string]string{"Profile": tc.profile})
		}
		for i, prop := range settings {
			v := property(st, "Database", prop)
			if v == nil {
				t.Errorf("Database has no %s", prop)
				continue
			}
			eq(t, fmt.Sprintf("Profile=%q %s", tc.profile, prop), evaluate(t, all, st, v, d), tc.want[i])
		}
	}
}

func TestCluster(t *testing.T) {
	all := stacks(t)
	st := all["cluster"]
	c, err := st.T.GetECSClusterWithName("Cluster")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "cluster name", designName(t, st, "Cluster", "ClusterName"), "task-management-cluster")
	sameJSON(t, "cluster settings", c.ClusterSettings, []any{map[string]any{"Name": "containerInsights", "Value": "enabled"}})

	groups := st.T.GetAllLogsLogGroupResources()
	eq(t, "log groups", len(groups), 2)
	for logical, name := range map[string]string{"AuthServiceLogGroup": "/ecs/auth-service", "TaskServiceLogGroup": "/ecs/task-service"} {
		g, err := st.T.GetLogsLogGroupWithName(logical)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, logical+" name", designName(t, st, logical, "LogGroupName"), name)
		eq(t, logical+" retention days", val(g.RetentionInDays), 30)
	}

	ns, err := st.T.GetServiceDiscoveryPrivateDnsNamespaceWithName("ServiceDiscoveryNamespace")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Cloud Map namespace", designName(t, st, "ServiceDiscoveryNamespace", "Name"), "task-management.local")
	sameJSON(t, "namespace VPC", ns.Vpc, imp("NetworkStackName", "VpcId"))

	// The execution role: image pulls, the two log groups, the two secrets.
	role, err := st.T.GetIAMRoleWithName("TaskExecutionRole")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "execution role trust", role.AssumeRolePolicyDocument, map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
		}},
	})
	if len(role.ManagedPolicyArns) != 0 {
		t.Errorf("execution role has managed policies %v: its inline policies are the whole grant", role.ManagedPolicyArns)
	}
	grants := map[string][]string{} // action -> resources
	for _, p := range role.Policies {
		for _, s := range asMap(expand(p.PolicyDocument))["Statement"].([]any) {
			s := asMap(s)
			if s["Effect"] != "Allow" {
				t.Errorf("policy %s: effect %v", p.PolicyName, s["Effect"])
			}
			for _, action := range listOf(s["Action"]) {
				for _, r := range listOf(s["Resource"]) {
					js, _ := json.Marshal(r)
					grants[fmt.Sprint(action)] = append(grants[fmt.Sprint(action)], string(js))
				}
			}
		}
	}
	j := func(v any) string { js, _ := json.Marshal(v); return string(js) }
	repos := []string{j(imp("RegistryStackName", "AuthServiceRepositoryArn")), j(imp("RegistryStackName", "TaskServiceRepositoryArn"))}
	logs := []string{j(map[string]any{"Fn::GetAtt": []any{"AuthServiceLogGroup", "Arn"}}), j(map[string]any{"Fn::GetAtt": []any{"TaskServiceLogGroup", "Arn"}})}
	want := map[string][]string{
		"ecr:GetAuthorizationToken":       {`"*"`}, // the one action that takes no resource
		"ecr:BatchCheckLayerAvailability": repos,
		"ecr:GetDownloadUrlForLayer":      repos,
		"ecr:BatchGetImage":               repos,
		"logs:CreateLogStream":            logs,
		"logs:PutLogEvents":               logs,
		"secretsmanager:GetSecretValue":   {j(imp("DataStackName", "DatabaseSecretArn")), j(imp("DataStackName", "JwtSecretArn"))},
	}
	for action, resources := range grants {
		sort.Strings(resources)
		w := slices.Clone(want[action])
		sort.Strings(w)
		if !slices.Equal(resources, w) {
			t.Errorf("execution role grants %s on %v, want %v", action, resources, w)
		}
	}
	for action := range want {
		if _, ok := grants[action]; !ok {
			t.Errorf("execution role lacks %s", action)
		}
	}
	// The secrets it may read are the data stack's two, named as the design.
	for _, export := range []string{"DatabaseSecretArn", "JwtSecretArn"} {
		r := resolve(t, all, st, imp("DataStackName", export))
		if resourceType(r.Stack, r.Resource) != "AWS::SecretsManager::Secret" || r.Attribute != "" {
			t.Errorf("%s does not resolve to a secret's ARN: %+v", export, r)
		}
	}

	checkImageTagParameter(t, st)
}

func listOf(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// checkImageTagParameter: an image tag must be given, may never be
// "latest", and looks like an ECR tag.
func checkImageTagParameter(t *testing.T, st *stack) {
	t.Helper()
	p, ok := st.T.Parameters["ImageTag"]
	if !ok {
		t.Errorf("%s has no ImageTag parameter", st.Path)
		return
	}
	if p.Default != nil {
		t.Errorf("%s: ImageTag has a default (%v): every deployment names its tag", st.Path, p.Default)
	}
	re, err := regexp.Compile(val(p.AllowedPattern))
	if err != nil {
		t.Fatalf("%s ImageTag pattern: %v", st.Path, err)
	}
	for tag, ok := range map[string]bool{"v1.0.0": true, "1.2.3-rc.1": true, "git-3f46a12": true, "": false, "v1 0": false, "-x": false, "a/b": false} {
		if re.MatchString(tag) != ok {
			t.Errorf("%s ImageTag pattern accepts %q: %v, want %v", st.Path, tag, !ok, ok)
		}
	}
	rule := asMap(asMap(st.Raw["Rules"])["PinnedImageTag"])
	sameJSON(t, st.Path+" PinnedImageTag rule", rule["Assertions"].([]any)[0].(map[string]any)["Assert"],
		map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("ImageTag"), "latest"}}}})
}

func TestNetworkParameters(t *testing.T) {
	st := stacks(t)["network"]
	for _, name := range []string{"PrivateSubnet1", "PrivateSubnet2"} {
		eq(t, name+" type", st.T.Parameters[name].Type, "AWS::EC2::Subnet::Id")
		eq(t, name+" is exported as is", fmt.Sprint(expand(st.T.Outputs[name].Value)), fmt.Sprint(ref(name)))
	}
	eq(t, "VpcId type", st.T.Parameters["VpcId"].Type, "AWS::EC2::VPC::Id")
	// The rules that make "two Availability Zones" and "in the VPC" hold.
	rules := asMap(st.Raw["Rules"])
	if _, ok := rules["TwoAvailabilityZones"]; ok {
		t.Error("a rule compares two Fn::ValueOf results, which CloudFormation refuses (cfn-lint E8005): the scripts check the zones")
	}
	sameJSON(t, "subnets in the VPC", asMap(asMap(rules["SubnetsInTheVpc"])["Assertions"].([]any)[0])["Assert"],
		map[string]any{"Fn::EachMemberEquals": []any{map[string]any{"Fn::ValueOfAll": []any{"AWS::EC2::Subnet::Id", "VpcId"}}, ref("VpcId")}})
}

// TestServicesLoadBalancer checks the ALB, target groups, listeners and
// rules (design section 1).
func TestServicesLoadBalancer(t *testing.T) {
	st := stacks(t)["services"]
	lb, err := st.T.GetElasticLoadBalancingV2LoadBalancerWithName("LoadBalancer")
	if err != nil {
		t.Fatal(err)
	}
	// Internal, in the private subnets: CloudFront is the public origin.
	eq(t, "ALB scheme", val(lb.Scheme), "internal")
	eq(t, "ALB address type", val(lb.IpAddressType), "ipv4")
	eq(t, "ALB type", val(lb.Type), "application")
	sameJSON(t, "ALB subnets", lb.Subnets, []any{imp("NetworkStackName", "PrivateSubnet1"), imp("NetworkStackName", "PrivateSubnet2")})
	sameJSON(t, "ALB security groups", lb.SecurityGroups, []any{imp("NetworkStackName", "AlbSecurityGroupId")})
	attrs := map[string]string{}
	for _, a := range lb.LoadBalancerAttributes {
		attrs[val(a.Key)] = val(a.Value)
	}
	// The services keep idle connections 75 s (app/serve.go): longer than this.
	eq(t, "ALB idle timeout", attrs["idle_timeout.timeout_seconds"], "60")

	for logical, want := range map[string]string{"AuthTargetGroup": "auth-service-tg /auth/health", "TaskTargetGroup": "task-service-tg /tasks/health"} {
		tg, err := st.T.GetElasticLoadBalancingV2TargetGroupWithName(logical)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, logical+" name and health path", designName(t, st, logical, "Name")+" "+val(tg.HealthCheckPath), want)
		eq(t, logical+" target type", val(tg.TargetType), "ip")
		eq(t, logical+" protocol", val(tg.Protocol), "HTTP")
		eq(t, logical+" port", val(tg.Port), 3000)
		eq(t, logical+" health check interval", val(tg.HealthCheckIntervalSeconds), 30)
		eq(t, logical+" health check timeout", val(tg.HealthCheckTimeoutSeconds), 5)
		eq(t, logical+" health check matcher", val(val(tg.Matcher).HttpCode), "200")
		sameJSON(t, logical+" VPC", tg.VpcId, imp("NetworkStackName", "VpcId"))
		for _, a := range tg.TargetGroupAttributes {
			if val(a.Key) == "deregistration_delay.timeout_seconds" {
				eq(t, logical+" deregistration delay", val(a.Value), "30")
			}
		}
	}

	http, err := st.T.GetElasticLoadBalancingV2ListenerWithName("HttpListener")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "HTTP listener", fmt.Sprint(val(http.Protocol), val(http.Port)), "HTTP80")
	eq(t, "HTTP listener is unconditional", http.AWSCloudFormationCondition, "")
	https, err := st.T.GetElasticLoadBalancingV2ListenerWithName("HttpsListener")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "HTTPS listener", fmt.Sprint(val(https.Protocol), val(https.Port)), "HTTPS443")
	eq(t, "HTTPS listener condition", https.AWSCloudFormationCondition, "HasCertificate")
	sameJSON(t, "HTTPS certificate", https.Certificates, []any{map[string]any{"CertificateArn": ref("CertificateArn")}})
	eq(t, "CertificateArn default (optional)", fmt.Sprint(st.T.Parameters["CertificateArn"].Default), "")
	sameJSON(t, "HasCertificate", st.T.Conditions["HasCertificate"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("CertificateArn"), ""}}}})
	for name, l := range map[string]any{"HTTP": http.DefaultActions, "HTTPS": https.DefaultActions} {
		sameJSON(t, name+" default action", l, []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{
			"StatusCode": "404", "ContentType": "application/json", "MessageBody": `{"error":"Not Found","message":"No route for this path"}`}}})
	}
	redirect, err := st.T.GetElasticLoadBalancingV2ListenerRuleWithName("HttpToHttpsRule")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "redirect rule condition", redirect.AWSCloudFormationCondition, "HasCertificate")
	eq(t, "redirect rule listener", refOf(redirect.ListenerArn), "HttpListener")
	sameJSON(t, "redirect rule", []any{redirect.Conditions, redirect.Actions}, []any{
		[]any{map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{"Values": []any{"/*"}}}},
		[]any{map[string]any{"Type": "redirect", "RedirectConfig": map[string]any{"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}},
	})

	// Every routing rule sits on the listener that serves the API.
	priorities := map[int]string{}
	for name, rule := range st.T.GetAllElasticLoadBalancingV2ListenerRuleResources() {
		if other, dup := priorities[rule.Priority]; dup {
			t.Errorf("rules %s and %s share priority %d", name, other, rule.Priority)
		}
		priorities[rule.Priority] = name
		if name == "HttpToHttpsRule" {
			continue
		}
		sameJSON(t, name+" listener", rule.ListenerArn, map[string]any{"Fn::If": []any{"HasCertificate", ref("HttpsListener"), ref("HttpListener")}})
	}
	blocked, _ := st.T.GetElasticLoadBalancingV2ListenerRuleWithName("ValidateBlockedRule")
	auth, _ := st.T.GetElasticLoadBalancingV2ListenerRuleWithName("AuthRule")
	if blocked == nil || auth == nil || blocked.Priority >= auth.Priority {
		t.Error("the /auth/validate block must come before (lower priority number than) the /auth/* rule")
	} else {
		var body map[string]string
		if err := json.Unmarshal([]byte(val(blocked.Actions[0].FixedResponseConfig.MessageBody)), &body); err != nil || body["error"] != "Not Found" || body["message"] == "" {
			t.Errorf("blocked /auth/validate body %q: want the API's error shape", val(blocked.Actions[0].FixedResponseConfig.MessageBody))
		}
		eq(t, "blocked /auth/validate status", blocked.Actions[0].FixedResponseConfig.StatusCode, "404")
	}
}

// TestServicesTaskDefinitions checks CPU, memory, networking, port, log
// configuration and the container health check (design sections 3, 4, 9).
func TestServicesTaskDefinitions(t *testing.T) {
	all := stacks(t)
	for _, c := range containers(t) {
		td, cd := c.TaskDef, c.Container
		what := c.Stack.Name + "/" + c.Logical
		eq(t, what+" cpu", val(td.Cpu), "256")
		eq(t, what+" memory", val(td.Memory), "512")
		eq(t, what+" network mode", val(td.NetworkMode), "awsvpc")
		sameJSON(t, what+" compatibilities", td.RequiresCompatibilities, []any{"FARGATE"})
		// The processor is a parameter: X86_64 by default, ARM64 (Graviton) by choice.
		sameJSON(t, what+" platform", td.RuntimePlatform, map[string]any{"CpuArchitecture": ref("CpuArchitecture"), "OperatingSystemFamily": "LINUX"})
		arch := c.Stack.T.Parameters["CpuArchitecture"]
		eq(t, what+" CpuArchitecture default", fmt.Sprint(arch.Default), "X86_64")
		sameJSON(t, what+" CpuArchitecture values", arch.AllowedValues, []any{"X86_64", "ARM64"})
		eq(t, what+" containers", len(td.ContainerDefinitions), 1)
		eq(t, what+" essential", val(cd.Essential), true)
		eq(t, what+" read-only root", val(cd.ReadonlyRootFilesystem), true)
		// Non-root, as the image's own USER (AWS Config's
		// ecs-task-definition-user-for-host-mode-check and
		// ecs-task-definition-linux-user-non-root), with no capability.
		eq(t, what+" user (the Dockerfile's USER)", val(cd.User), dockerfileUser(t))
		if uid, _, _ := strings.Cut(val(cd.User), ":"); uid == "" || uid == "0" || uid == "root" {
			t.Errorf("%s runs as %q: root", what, val(cd.User))
		}
		sameJSON(t, what+" capabilities", val(cd.LinuxParameters).Capabilities, map[string]any{"Drop": []any{"ALL"}})
		if caps := val(val(cd.LinuxParameters).Capabilities); len(caps.Add) != 0 {
			t.Errorf("%s adds capabilities %v", what, caps.Add)
		}
		if val(cd.Privileged) {
			t.Errorf("%s is privileged", what)
		}
		if r := resolve(t, all, c.Stack, td.ExecutionRoleArn); r.Stack == nil || r.Stack.Name != "cluster" || r.Resource != "TaskExecutionRole" || r.Attribute != "Arn" {
			t.Errorf("%s execution role %v is not the cluster stack's TaskExecutionRole", what, expand(td.ExecutionRoleArn))
		}
		if td.TaskRoleArn != nil {
			t.Errorf("%s has a task role: the application calls no AWS API", what)
		}

		// The image: the service's own repository, at the ImageTag parameter.
		repo := "AuthServiceRepositoryUri"
		if c.Service == "task" {
			repo = "TaskServiceRepositoryUri"
		}
		sameJSON(t, what+" image", cd.Image, map[string]any{"Fn::Sub": []any{"${Repository}:${ImageTag}", map[string]any{"Repository": imp("RegistryStackName", repo)}}})
		checkImageTagParameter(t, c.Stack)

		// Logs: the service's log group (the migration's goes with auth).
		lc := val(cd.LogConfiguration)
		eq(t, what+" log driver", lc.LogDriver, "awslogs")
		group := resolve(t, all, c.Stack, lc.Options["awslogs-group"])
		wantGroup := "AuthServiceLogGroup"
		if c.Service == "task" {
			wantGroup = "TaskServiceLogGroup"
		}
		if group.Stack == nil || group.Stack.Name != "cluster" || group.Resource != wantGroup || group.Attribute != "" {
			t.Errorf("%s logs to %v, want the cluster stack's %s", what, expand(lc.Options["awslogs-group"]), wantGroup)
		}
		eq(t, what+" log region", refOf(lc.Options["awslogs-region"]), "AWS::Region")
		if lc.Options["awslogs-stream-prefix"] == "" {
			t.Errorf("%s: awslogs-stream-prefix is required on Fargate", what)
		}

		if c.Logical == "MigrateTaskDefinition" {
			sameJSON(t, what+" command", cd.Command, []any{"migrate"})
			continue
		}
		// The long-running services.
		sameJSON(t, what+" ports", cd.PortMappings, []any{map[string]any{"ContainerPort": 3000, "Protocol": "tcp"}})
		eq(t, what+" stop timeout", val(cd.StopTimeout), 30)
		hc := val(cd.HealthCheck)
		sameJSON(t, what+" health check", hc, map[string]any{"Command": []any{"CMD", "/taskapi", "healthcheck"}, "Interval": 30, "Retries": 3, "StartPeriod": 60, "Timeout": 5})
		if len(cd.Command) != 0 || len(cd.EntryPoint) != 0 {
			t.Errorf("%s overrides the image's entrypoint or command", what)
		}
	}
}

// TestServicesEcsServices checks the ECS services, Cloud Map and auto
// scaling (design sections 2, 5 and 10).
func TestServicesEcsServices(t *testing.T) {
	st := stacks(t)["services"]
	for _, s := range []struct {
		logical, name, taskDef, container, targetGroup, rule, securityGroup, scalable, policy string
	}{
		{"AuthService", "auth-service", "AuthTaskDefinition", "auth-service", "AuthTargetGroup", "AuthRule", "AuthServiceSecurityGroupId", "AuthScalableTarget", "AuthCpuScaling"},
		{"TaskService", "task-service", "TaskTaskDefinition", "task-service", "TaskTargetGroup", "TasksRule", "TaskServiceSecurityGroupId", "TaskScalableTarget", "TaskCpuScaling"},
	} {
		svc, err := st.T.GetECSServiceWithName(s.logical)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, s.logical+" name", val(svc.ServiceName), s.name)
		sameJSON(t, s.logical+" cluster", svc.Cluster, imp("ClusterStackName", "ClusterName"))
		eq(t, s.logical+" task definition", refOf(svc.TaskDefinition), s.taskDef)
		eq(t, s.logical+" launch type", val(svc.LaunchType), "FARGATE")
		eq(t, s.logical+" desired count", val(svc.DesiredCount), 2)
		dc := val(svc.DeploymentConfiguration)
		cb := val(dc.DeploymentCircuitBreaker)
		eq(t, s.logical+" circuit breaker with rollback", cb.Enable && cb.Rollback, true)
		eq(t, s.logical+" minimum healthy percent", val(dc.MinimumHealthyPercent), 100)
		checkDeploymentAlarms(t, st, s.logical, s.targetGroup, dc)
		vpc := val(val(svc.NetworkConfiguration).AwsvpcConfiguration)
		eq(t, s.logical+" public IP", val(vpc.AssignPublicIp), "DISABLED")
		// One private subnet in each of two AZs (network.yaml's rules).
		sameJSON(t, s.logical+" subnets", vpc.Subnets, []any{imp("NetworkStackName", "PrivateSubnet1"), imp("NetworkStackName", "PrivateSubnet2")})
		sameJSON(t, s.logical+" security groups", vpc.SecurityGroups, []any{imp("NetworkStackName", s.securityGroup)})
		sameJSON(t, s.logical+" load balancer", svc.LoadBalancers, []any{map[string]any{"ContainerName": s.container, "ContainerPort": 3000, "TargetGroupArn": ref(s.targetGroup)}})
		if !slices.Contains(svc.AWSCloudFormationDependsOn, s.rule) {
			t.Errorf("%s must depend on %s: a target group needs a listener before a service uses it", s.logical, s.rule)
		}
		td, _ := st.T.GetECSTaskDefinitionWithName(s.taskDef)
		eq(t, s.logical+" container", td.ContainerDefinitions[0].Name, s.container)

		target, err := st.T.GetApplicationAutoScalingScalableTargetWithName(s.scalable)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, s.scalable+" min", target.MinCapacity, 2)
		eq(t, s.scalable+" max", target.MaxCapacity, 10)
		eq(t, s.scalable+" dimension", target.ScalableDimension+" "+target.ServiceNamespace, "ecs:service:DesiredCount ecs")
		sameJSON(t, s.scalable+" resource", target.ResourceId, map[string]any{"Fn::Sub": []any{"service/${Cluster}/${" + s.logical + ".Name}", map[string]any{"Cluster": imp("ClusterStackName", "ClusterName")}}})
		policy, err := st.T.GetApplicationAutoScalingScalingPolicyWithName(s.policy)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, s.policy+" type", policy.PolicyType, "TargetTrackingScaling")
		eq(t, s.policy+" target", refOf(policy.ScalingTargetId), s.scalable)
		tt := val(policy.TargetTrackingScalingPolicyConfiguration)
		eq(t, s.policy+" metric", val(tt.PredefinedMetricSpecification).PredefinedMetricType, "ECSServiceAverageCPUUtilization")
		eq(t, s.policy+" target CPU %", tt.TargetValue, 70.0)
		eq(t, s.policy+" scale-out cooldown", val(tt.ScaleOutCooldown), 60)
		eq(t, s.policy+" scale-in cooldown", val(tt.ScaleInCooldown), 300)
	}

	auth, _ := st.T.GetECSServiceWithName("AuthService")
	sameJSON(t, "auth service registry", auth.ServiceRegistries, []any{map[string]any{"RegistryArn": map[string]any{"Fn::GetAtt": []any{"AuthDiscoveryService", "Arn"}}}})
	task, _ := st.T.GetECSServiceWithName("TaskService")
	if len(task.ServiceRegistries) != 0 {
		t.Error("the task service registers in Cloud Map, but nothing discovers it")
	}
	ds, err := st.T.GetServiceDiscoveryServiceWithName("AuthDiscoveryService")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "discovery service name", val(ds.Name), "auth-service")
	sameJSON(t, "discovery namespace", ds.NamespaceId, imp("ClusterStackName", "NamespaceId"))
	sameJSON(t, "discovery DNS", ds.DnsConfig, map[string]any{"DnsRecords": []any{map[string]any{"TTL": 60, "Type": "A"}}, "RoutingPolicy": "MULTIVALUE"})
	if ds.HealthCheckCustomConfig == nil {
		t.Error("the discovery service does not take ECS's health status")
	}
}

// checkDeploymentAlarms: the service rolls back on its alarms, which exist
// in the same stack (ECS refuses a missing alarm) and watch its own target
// group: the 5xx rate and unhealthy targets.
func checkDeploymentAlarms(t *testing.T, st *stack, service, targetGroup string, dc goecs.Service_DeploymentConfiguration) {
	t.Helper()
	alarms := val(dc.Alarms)
	eq(t, service+" deployment alarms enabled", alarms.Enable, true)
	eq(t, service+" deployment alarms roll back", alarms.Rollback, true)
	watched := map[string]bool{}
	for _, name := range alarms.AlarmNames {
		logical := refOf(name)
		alarm, err := st.T.GetCloudWatchAlarmWithName(logical)
		if err != nil {
			t.Errorf("%s deployment alarm %v is not an alarm of the stack", service, expand(name))
			continue
		}
		raw := asMap(asMap(asMap(st.Raw["Resources"])[logical])["Properties"])
		var metrics []string
		walk(raw, "", func(_ string, m map[string]any) {
			if name, ok := m["MetricName"].(string); ok {
				metrics = append(metrics, name)
			}
			if m["Name"] == "TargetGroup" {
				res, attr := getAttOf(m["Value"])
				eq(t, logical+" target group", res+"."+attr, targetGroup+".TargetGroupFullName")
			}
		})
		slices.Sort(metrics)
		watched[strings.Join(metrics, "+")] = true
		eq(t, logical+" treats missing data as fine (no traffic is no failure)", val(alarm.TreatMissingData), "notBreaching")
	}
	for _, want := range []string{"HTTPCode_Target_5XX_Count+RequestCount", "UnHealthyHostCount"} {
		if !watched[want] {
			t.Errorf("%s: no deployment alarm on %s (has %v)", service, want, watched)
		}
	}
}

// appMetrics returns monitoring.yaml's AppMetrics mapping.
func appMetrics(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for k, v := range asMap(asMap(stacks(t)["monitoring"].Raw["Mappings"])["AppMetrics"]) {
		out[k] = map[string]string{}
		for k2, v2 := range asMap(v) {
			out[k][k2] = fmt.Sprint(v2)
		}
	}
	return out
}

// TestMonitoringAlarms checks the design's four alarms for each service
// (section 9) and the optional SNS topic.
func TestMonitoringAlarms(t *testing.T) {
	all := stacks(t)
	st := all["monitoring"]
	m := appMetrics(t)
	alarms := st.T.GetAllCloudWatchAlarmResources()
	eq(t, "alarms", len(alarms), 10)

	// The database's own limits: storage, CPU credits (t3) and gp2 I/O
	// burst credits, each on the data stack's instance.
	for logical, want := range map[string]string{
		"DatabaseFreeStorageAlarm":  "FreeStorageSpace Minimum LessThanThreshold 2.147483648e+09",
		"DatabaseCpuCreditsAlarm":   "CPUCreditBalance Minimum LessThanThreshold 20",
		"DatabaseBurstBalanceAlarm": "BurstBalance Minimum LessThanThreshold 20",
	} {
		a := alarms[logical]
		if a == nil {
			t.Errorf("no %s", logical)
			continue
		}
		eq(t, logical, fmt.Sprint(val(a.MetricName), " ", val(a.Statistic), " ", a.ComparisonOperator, " ", val(a.Threshold)), want)
		eq(t, logical+" namespace", val(a.Namespace), "AWS/RDS")
		sameJSON(t, logical+" instance", a.Dimensions, []any{map[string]any{"Name": "DBInstanceIdentifier", "Value": imp("DataStackName", "DatabaseInstanceId")}})
	}

	for name, a := range alarms {
		// Notifications go to the topic when there is one.
		onTopic := []any{map[string]any{"Fn::If": []any{"HasAlarmEmail", ref("AlarmTopic"), ref("AWS::NoValue")}}}
		sameJSON(t, name+" alarm actions", a.AlarmActions, onTopic)
		sameJSON(t, name+" OK actions", a.OKActions, onTopic)
		if val(a.AlarmName) == "" || val(a.AlarmDescription) == "" {
			t.Errorf("%s: name and description tell the on-call what fired", name)
		}
	}

	for _, s := range []struct{ prefix, service string }{{"Auth", "auth-service"}, {"Task", "task-service"}} {
		// 1. Error rate > 5 % for 5 minutes, from the app's own counts.
		a := alarms[s.prefix+"ErrorRateAlarm"]
		if a == nil {
			t.Fatalf("no %sErrorRateAlarm", s.prefix)
		}
		eq(t, s.prefix+" error rate threshold", fmt.Sprint(a.ComparisonOperator, val(a.Threshold)), "GreaterThanThreshold5")
		eq(t, s.prefix+" error rate minutes", a.EvaluationPeriods*60, 300)
		eq(t, s.prefix+" error rate datapoints", val(a.DatapointsToAlarm), 5)
		eq(t, s.prefix+" error rate with no traffic", val(a.TreatMissingData), "notBreaching")
		inputs := map[string]string{}
		var expr string
		for _, q := range a.Metrics {
			if q.MetricStat != nil {
				ms := q.MetricStat
				eq(t, s.prefix+" "+q.Id+" period", ms.Period, 60)
				eq(t, s.prefix+" "+q.Id+" stat", ms.Stat, "Sum")
				sameJSON(t, s.prefix+" "+q.Id+" namespace", ms.Metric.Namespace, imp("ClusterStackName", "MetricsNamespace"))
				sameJSON(t, s.prefix+" "+q.Id+" dimensions", ms.Metric.Dimensions, []any{map[string]any{"Name": "Service", "Value": map[string]any{"Fn::FindInMap": []any{"AppMetrics", "Service", s.prefix}}}})
				eq(t, s.prefix+" service in the mapping", m["Service"][s.prefix], s.service)
				inputs[q.Id] = val(ms.Metric.MetricName)
				eq(t, s.prefix+" "+q.Id+" hidden", val(q.ReturnData), false)
			} else {
				expr = val(q.Expression)
				eq(t, s.prefix+" expression returned", val(q.ReturnData), true)
			}
		}
		eq(t, s.prefix+" error-rate inputs", fmt.Sprint(inputs), "map[errors:ErrorCount requests:RequestCount]")
		eq(t, s.prefix+" error-rate expression", expr, "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)")

		// 2. CPU > 70 % for 5 minutes.
		a = alarms[s.prefix+"CpuAlarm"]
		eq(t, s.prefix+" CPU metric", val(a.Namespace)+" "+val(a.MetricName)+" "+val(a.Statistic), "AWS/ECS CPUUtilization Average")
		eq(t, s.prefix+" CPU threshold", fmt.Sprint(a.ComparisonOperator, val(a.Threshold)), "GreaterThanThreshold70")
		eq(t, s.prefix+" CPU minutes", val(a.Period)*a.EvaluationPeriods, 300)
		eq(t, s.prefix+" CPU datapoints", val(a.DatapointsToAlarm), 5)
		sameJSON(t, s.prefix+" CPU dimensions", a.Dimensions, []any{
			map[string]any{"Name": "ClusterName", "Value": imp("ClusterStackName", "ClusterName")},
			map[string]any{"Name": "ServiceName", "Value": imp("ServicesStackName", s.prefix+"ServiceName")},
		})

		// 4. Unhealthy tasks > 0 for 2 minutes.
		a = alarms[s.prefix+"UnhealthyHostsAlarm"]
		eq(t, s.prefix+" unhealthy metric", val(a.Namespace)+" "+val(a.MetricName)+" "+val(a.Statistic), "AWS/ApplicationELB UnHealthyHostCount Maximum")
		eq(t, s.prefix+" unhealthy threshold", fmt.Sprint(a.ComparisonOperator, val(a.Threshold)), "GreaterThanThreshold0")
		eq(t, s.prefix+" unhealthy minutes", val(a.Period)*a.EvaluationPeriods, 120)
		eq(t, s.prefix+" unhealthy datapoints", val(a.DatapointsToAlarm), 2)
		sameJSON(t, s.prefix+" unhealthy dimensions", a.Dimensions, []any{
			map[string]any{"Name": "LoadBalancer", "Value": imp("ServicesStackName", "LoadBalancerFullName")},
			map[string]any{"Name": "TargetGroup", "Value": imp("ServicesStackName", s.prefix+"TargetGroupFullName")},
		})
		tg := resolve(t, all, st, imp("ServicesStackName", s.prefix+"TargetGroupFullName"))
		eq(t, s.prefix+" unhealthy alarm watches", tg.Resource+"."+tg.Attribute, s.prefix+"TargetGroup.TargetGroupFullName")
	}

	// 3. RDS connections > 80 % of max_connections.
	a := alarms["DatabaseConnectionsAlarm"]
	eq(t, "RDS metric", val(a.Namespace)+" "+val(a.MetricName)+" "+val(a.Statistic), "AWS/RDS DatabaseConnections Maximum")
	eq(t, "RDS comparison", a.ComparisonOperator, "GreaterThanThreshold")
	// 80 % of 87 (a db.t3.micro's max_connections) is 69.6: more than 69
	// connections alarm.
	eq(t, "RDS threshold", val(a.Threshold), math.Floor(0.8*dbT3MicroMaxConnections))
	sameJSON(t, "RDS dimensions", a.Dimensions, []any{map[string]any{"Name": "DBInstanceIdentifier", "Value": imp("DataStackName", "DatabaseInstanceId")}})

	// The optional SNS topic.
	eq(t, "AlarmEmail default", fmt.Sprint(st.T.Parameters["AlarmEmail"].Default), "")
	sameJSON(t, "HasAlarmEmail", st.T.Conditions["HasAlarmEmail"], map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("AlarmEmail"), ""}}}})
	for _, name := range []string{"AlarmTopic", "AlarmEmailSubscription"} {
		if r, ok := st.T.Resources[name]; !ok || conditionOf(st, name) != "HasAlarmEmail" {
			t.Errorf("%s (%v) must exist only with HasAlarmEmail", name, r)
		}
	}
}

// dbT3MicroMaxConnections is max_connections of a db.t3.micro with the
// default parameter group (see monitoring.yaml and docs/deploy-ecs.md).
const dbT3MicroMaxConnections = 87

func conditionOf(st *stack, resource string) string {
	c, _ := asMap(asMap(st.Raw["Resources"])[resource])["Condition"].(string)
	return c
}

// TestMonitoringDashboard parses the dashboard body and checks every metric
// it shows against the AppMetrics mapping and every alarm.
func TestMonitoringDashboard(t *testing.T) {
	st := stacks(t)["monitoring"]
	d, err := st.T.GetCloudWatchDashboardWithName("Dashboard")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "dashboard name", designName(t, st, "Dashboard", "DashboardName"), "task-management")
	name, arg, ok := fn(d.DashboardBody)
	if !ok || name != "Fn::Sub" {
		t.Fatalf("dashboard body is not a Fn::Sub: %v", expand(d.DashboardBody))
	}
	parts := arg.([]any)
	body, vars := parts[0].(string), asMap(parts[1])
	sameJSON(t, "dashboard namespace variable", vars["Namespace"], imp("ClusterStackName", "MetricsNamespace"))

	// Substitute every ${...} with a placeholder: what is left must be JSON.
	alarmArns := map[string]bool{}
	placeholders := regexp.MustCompile(`\$\{([^}]+)\}`)
	body = placeholders.ReplaceAllStringFunc(body, func(s string) string {
		v := s[2 : len(s)-1]
		if res, attr, found := strings.Cut(v, "."); found && attr == "Arn" {
			if resourceType(st, res) != "AWS::CloudWatch::Alarm" {
				t.Errorf("dashboard shows %s, not an alarm", v)
			}
			alarmArns[res] = true
			return "arn:" + res
		}
		if _, isVar := vars[v]; !isVar && v != "AWS::Region" {
			t.Errorf("dashboard uses ${%s}, which is neither a variable nor AWS::Region", v)
		}
		return "<" + v + ">"
	})
	var dash struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &dash); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	for name := range st.T.GetAllCloudWatchAlarmResources() {
		if !alarmArns[name] {
			t.Errorf("the dashboard's alarm widget lacks %s", name)
		}
	}
	units := appMetrics(t)["Unit"]
	shown := map[string]bool{}
	for _, w := range dash.Widgets {
		metrics, _ := w.Properties["metrics"].([]any)
		for _, row := range metrics {
			r := row.([]any)
			ns, isString := r[0].(string)
			if !isString { // an expression
				continue
			}
			if ns != "<Namespace>" {
				continue
			}
			metric := r[1].(string)
			if _, known := units[metric]; !known {
				t.Errorf("dashboard shows %s, which is not in the AppMetrics mapping", metric)
			}
			shown[metric] = true
			if r[2] != "Service" || (r[3] != "auth-service" && r[3] != "task-service") {
				t.Errorf("dashboard metric %s: dimensions %v, want Service=auth-service|task-service", metric, r[2:4])
			}
		}
	}
	for metric := range units {
		if !shown[metric] && metric != "ErrorRate" { // computed from the counts instead
			t.Errorf("the dashboard does not show %s", metric)
		}
	}
}

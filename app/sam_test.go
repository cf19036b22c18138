package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// samTemplate parses template.yaml's root mapping.
func samTemplate(t *testing.T) *yaml.Node {
	t.Helper()
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// integrationURI matches the Lambda proxy integration URI of a function.
var integrationURI = regexp.MustCompile(`^arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}:lambda:path/2015-03-31/functions/\$\{(\w+)\.Arn\}/invocations$`)

// samRoutes returns, for the API resource api (Api: the REST API, HttpApi:
// the HTTP API), each path of its definition and the function it invokes.
// Every path takes any method through a Lambda proxy integration with the
// payload version its event kind needs: 1.0 (the REST API's only one)
// or 2.0.
func samRoutes(t *testing.T, root *yaml.Node, api string) map[string]string {
	t.Helper()
	res := lookup(root, "Resources", api)
	kind := map[string]struct{ typ, payload string }{
		"Api":     {"AWS::Serverless::Api", ""},
		"HttpApi": {"AWS::Serverless::HttpApi", "2.0"},
	}[api]
	wantType, wantPayload := kind.typ, kind.payload
	if got := scalar(res, "Type"); got != wantType {
		t.Fatalf("%s: type %q, want %s", api, got, wantType)
	}
	routes := map[string]string{}
	for path, ops := range mapping(lookup(res, "Properties", "DefinitionBody", "paths")) {
		methods := mapping(ops)
		if len(methods) != 1 || methods["x-amazon-apigateway-any-method"] == nil {
			t.Errorf("%s %s: want one x-amazon-apigateway-any-method, got %v", api, path, ops)
			continue
		}
		in := lookup(methods["x-amazon-apigateway-any-method"], "x-amazon-apigateway-integration")
		if scalar(in, "type") != "aws_proxy" || scalar(in, "httpMethod") != "POST" {
			t.Errorf("%s %s: not a Lambda proxy integration (type %q, httpMethod %q)", api, path, scalar(in, "type"), scalar(in, "httpMethod"))
		}
		if got := scalar(in, "payloadFormatVersion"); got != wantPayload {
			t.Errorf("%s %s: payloadFormatVersion %q, want %q", api, path, got, wantPayload)
		}
		uri := lookup(in, "uri")
		m := integrationURI.FindStringSubmatch(uri.Value)
		if uri.Tag != "!Sub" || m == nil {
			t.Errorf("%s %s: integration uri %s %q is not a function's invocation ARN", api, path, uri.Tag, uri.Value)
			continue
		}
		routes[path] = m[1]
	}
	return routes
}

// TestSAMApiTypes checks the ApiType switch: exactly one API exists for each
// value, both carry the same routes to the same functions, the HTTP API
// serves from its $default stage (no stage in the path), and API Gateway
// may invoke each function from the API that exists and only from it.
func TestSAMApiTypes(t *testing.T) {
	t.Parallel()
	root := samTemplate(t)
	var allowed []string
	for _, v := range lookup(root, "Parameters", "ApiType", "AllowedValues").Content {
		allowed = append(allowed, v.Value)
	}
	if !slices.Equal(allowed, []string{"REST", "HTTP"}) {
		t.Errorf("ApiType allows %v, want [REST HTTP]", allowed)
	}
	conditions := mapping(lookup(root, "Conditions"))
	for name, value := range map[string]string{"UseRestApi": "REST", "UseHttpApi": "HTTP"} {
		c := conditions[name]
		if c == nil || c.Tag != "!Equals" || len(c.Content) != 2 || c.Content[0].Tag != "!Ref" || c.Content[0].Value != "ApiType" || c.Content[1].Value != value {
			t.Errorf("condition %s is not !Equals [!Ref ApiType, %s]", name, value)
		}
	}
	apiOf := map[string]string{"UseRestApi": "Api", "UseHttpApi": "HttpApi"}
	for cond, api := range apiOf {
		if got := scalar(lookup(root, "Resources", api), "Condition"); got != cond {
			t.Errorf("%s has condition %q, want %s", api, got, cond)
		}
	}
	rest, http := samRoutes(t, root, "Api"), samRoutes(t, root, "HttpApi")
	if fmt.Sprint(rest) != fmt.Sprint(http) {
		t.Errorf("the REST API routes %v, the HTTP API %v: the same API either way", rest, http)
	}
	if stage := lookup(root, "Resources", "HttpApi", "Properties", "StageName"); stage != nil {
		t.Errorf("the HTTP API has a named stage %q: the $default stage keeps the path as the routes are", stage.Value)
	}

	// One invoke permission per function and API, under the API's condition.
	type grant struct{ fn, api, cond string }
	var grants []grant
	for name, res := range mapping(lookup(root, "Resources")) {
		if scalar(res, "Type") != "AWS::Lambda::Permission" {
			continue
		}
		props := lookup(res, "Properties")
		fn := lookup(props, "FunctionName")
		source := lookup(props, "SourceArn")
		m := regexp.MustCompile(`^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{(\w+)\}/\*/\*/\*$`).FindStringSubmatch(source.Value)
		if fn.Tag != "!Ref" || source.Tag != "!Sub" || m == nil || scalar(props, "Principal") != "apigateway.amazonaws.com" || scalar(props, "Action") != "lambda:InvokeFunction" {
			t.Errorf("%s: not an API Gateway invoke permission on a function from this stack's API", name)
			continue
		}
		grants = append(grants, grant{fn.Value, m[1], scalar(res, "Condition")})
	}
	for _, fn := range []string{"AuthFunction", "TaskFunction"} {
		for cond, api := range apiOf {
			if !slices.Contains(grants, grant{fn, api, cond}) {
				t.Errorf("no permission for %s to invoke %s under %s (have %v)", api, fn, cond, grants)
			}
		}
	}
	if len(grants) != 4 {
		t.Errorf("permissions %v: want exactly one per function and API", grants)
	}

	// The URL names the API that exists.
	url := lookup(root, "Outputs", "ApiUrl", "Value")
	if url == nil || url.Tag != "!If" || len(url.Content) != 3 || url.Content[0].Value != "UseRestApi" ||
		!strings.Contains(url.Content[1].Value, "${Api}") || !strings.Contains(url.Content[1].Value, "/${StageName}") ||
		!strings.Contains(url.Content[2].Value, "${HttpApi}") || strings.Contains(url.Content[2].Value, "StageName") {
		t.Errorf("ApiUrl does not follow ApiType: %v", url)
	}
}

// TestSAMSampleEventsMatchTheTemplate ties the adapter tests' sample events
// (events/apigw-v1, events/apigw-v2: adapters/lambda runs every one of
// them) to the routes each API type sends: a REST API's v1 event names the
// resource it matched, an HTTP API's v2 event its route key.
func TestSAMSampleEventsMatchTheTemplate(t *testing.T) {
	t.Parallel()
	root := samTemplate(t)
	rest, http := samRoutes(t, root, "Api"), samRoutes(t, root, "HttpApi")
	for kind, check := range map[string]func(ev map[string]any) (string, error){
		"apigw-v1": func(ev map[string]any) (string, error) {
			resource, _ := ev["resource"].(string)
			if _, ok := rest[resource]; !ok {
				return "", fmt.Errorf("resource %q is not a REST API path %v", resource, rest)
			}
			return rest[resource], nil
		},
		"apigw-v2": func(ev map[string]any) (string, error) {
			if ev["version"] != "2.0" {
				return "", fmt.Errorf("version %v, want 2.0 (the HTTP API's payload format)", ev["version"])
			}
			key, _ := ev["routeKey"].(string)
			path, ok := strings.CutPrefix(key, "ANY ")
			if _, known := http[path]; !ok || !known {
				return "", fmt.Errorf("routeKey %q is not ANY on an HTTP API path %v", key, http)
			}
			return http[path], nil
		},
	} {
		files, err := filepath.Glob(filepath.Join("..", "events", kind, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s sample events: %v", kind, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var ev map[string]any
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			fn, err := check(ev)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			// register and login go to the auth function, the rest to the task one.
			want := "TaskFunction"
			if base := filepath.Base(f); base == "login.json" || base == "register.json" {
				want = "AuthFunction"
			}
			if fn != want {
				t.Errorf("%s: routed to %s, want %s", f, fn, want)
			}
		}
	}
}

// samTranslate is the AWS SAM translator (the aws-sam-translator Python
// package, what CloudFormation runs for the Transform) applied to a
// template file; it prints the translated template as JSON.
const samTranslate = `
import json, sys
try:
    from cfnlint.decode import cfn_yaml
    from samtranslator.translator.transform import transform
    from samtranslator.public.exceptions import InvalidDocumentException
except ImportError as e:
    print(e, file=sys.stderr)
    sys.exit(` + samMissing + `)

class NoManagedPolicies:
    def load(self):
        return {}

template = json.loads(json.dumps(cfn_yaml.load(sys.argv[1])))
# sam build uploads the code; the translator wants an S3 location for it.
template["Globals"]["Function"]["CodeUri"] = "s3://bucket/key"
try:
    print(json.dumps(transform(template, {}, NoManagedPolicies())))
except InvalidDocumentException as e:
    for cause in e.causes:
        print("sam-translator:", cause.message, file=sys.stderr)
    sys.exit(1)
`

// samMissing is samTranslate's exit status when it cannot import the
// translator or cfn-lint: the test skips, as where python3 is missing.
// The script's own imports tell, rather than a Python process of its own
// (importing cfn-lint takes about a second of CPU).
const samMissing = "3"

// TestSAMTransform runs the SAM translator on template.yaml, where it is
// installed (with cfn-lint, which reads the YAML), and checks what
// CloudFormation would deploy: the REST API and the HTTP API with their
// stages under their conditions, and no unconditional resource that
// refers to a conditional one (which fails the deployment for the other
// ApiType).
func TestSAMTransform(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", samTranslate, "../template.yaml")
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
			if strconv.Itoa(ee.ExitCode()) == samMissing {
				t.Skipf("aws-sam-translator or cfn-lint is not installed (pip install aws-sam-translator cfn-lint): %s", stderr)
			}
		}
		t.Fatalf("the SAM translator refuses template.yaml: %v\n%s", err, stderr)
	}
	var translated struct {
		Resources map[string]struct {
			Type       string
			Condition  string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(out, &translated); err != nil {
		t.Fatal(err)
	}
	byType := map[string][]string{}
	for name, r := range translated.Resources {
		byType[r.Type] = append(byType[r.Type], name+"?"+r.Condition)
	}
	for typ, want := range map[string]string{
		"AWS::ApiGateway::RestApi":    "UseRestApi",
		"AWS::ApiGateway::Stage":      "UseRestApi",
		"AWS::ApiGatewayV2::Api":      "UseHttpApi",
		"AWS::ApiGatewayV2::Stage":    "UseHttpApi",
		"AWS::Lambda::Function":       "",
		"AWS::ApiGateway::Deployment": "UseRestApi",
	} {
		if len(byType[typ]) == 0 {
			t.Errorf("the translation has no %s", typ)
		}
		for _, r := range byType[typ] {
			if _, cond, _ := strings.Cut(r, "?"); cond != want {
				t.Errorf("%s: condition %q, want %q", r, cond, want)
			}
		}
	}
	for name, r := range translated.Resources {
		if r.Type == "AWS::ApiGatewayV2::Stage" && r.Properties["StageName"] != "$default" {
			t.Errorf("%s: stage %v, want $default", name, r.Properties["StageName"])
		}
	}
	// References from each resource to resources under a condition.
	for name, r := range translated.Resources {
		for _, target := range references(r.Properties) {
			dep, ok := translated.Resources[target]
			if ok && dep.Condition != "" && dep.Condition != r.Condition {
				t.Errorf("%s (condition %q) refers to %s, which exists only under %s", name, r.Condition, target, dep.Condition)
			}
		}
	}
}

// references returns the logical names a translated value refers to with
// Ref, Fn::GetAtt or a Fn::Sub variable.
func references(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, arg := range x {
			switch k {
			case "Ref":
				if s, ok := arg.(string); ok {
					out = append(out, s)
				}
			case "Fn::GetAtt":
				if l, ok := arg.([]any); ok && len(l) > 0 {
					out = append(out, fmt.Sprint(l[0]))
				}
			case "Fn::Sub":
				s := arg
				if l, ok := arg.([]any); ok && len(l) > 0 {
					s = l[0]
					out = append(out, references(l[1:])...)
				}
				for _, m := range regexp.MustCompile(`\$\{([^!}.]+)[^}]*\}`).FindAllStringSubmatch(fmt.Sprint(s), -1) {
					out = append(out, m[1])
				}
				continue
			}
			out = append(out, references(arg)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, references(e)...)
		}
	}
	return out
}

package app

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"taskapi/internal/syncbuf"
)

func TestOnLambda(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if OnLambda(getenv) {
		t.Error("OnLambda without AWS_LAMBDA_RUNTIME_API")
	}
	env[LambdaRuntimeVariable] = "127.0.0.1:9001"
	if !OnLambda(getenv) {
		t.Error("not OnLambda with AWS_LAMBDA_RUNTIME_API")
	}
}

// TestLambdaSQLiteDefault: under Lambda only /tmp is writable, so the
// embedded database defaults there; a SQLITE_PATH given still wins.
func TestLambdaSQLiteDefault(t *testing.T) {
	t.Parallel()
	for given, want := range map[string]string{"": lambdaSQLitePath, "/tmp/other.db": "/tmp/other.db"} {
		cfg, err := LoadConfig(lambdaEnv(func(k string) string {
			return map[string]string{"SQLITE_PATH": given, "SERVICE": "auth"}[k]
		}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.DB.Driver != "sqlite" || cfg.DB.DSN != want || cfg.Service != "auth" {
			t.Errorf("SQLITE_PATH=%q: %s %s, service %s", given, cfg.DB.Driver, cfg.DB.DSN, cfg.Service)
		}
	}
}

// TestRunLambdaReturnsInitErrors: a broken configuration or database
// ends RunLambda with the reason (main prints it and exits 1) before the
// runtime loop, which would only log.Fatal.
func TestRunLambdaReturnsInitErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"bad config": {map[string]string{"SERVICE": "both"}, "SERVICE"},
		"database unreachable": {map[string]string{"DATABASE_URL": "postgres://u@" + dead + "/x?sslmode=disable",
			"JWT_SECRET": testSecret, "DB_CONNECT_TIMEOUT": "1s"}, "database unreachable"},
	} {
		t.Run(name, func(t *testing.T) {
			c.env[LambdaRuntimeVariable] = "127.0.0.1:1"
			err := RunLambda(context.Background(), func(k string) string { return c.env[k] }, &syncbuf.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("RunLambda = %v, want an error naming %q", err, c.want)
			}
		})
	}
}

// TestLambdaFunctionInitOnceFlushEveryInvocation: the init phase builds
// the pool and router once; every invocation reuses them and ends with
// its EMF metric records, since a frozen environment runs no timer.
func TestLambdaFunctionInitOnceFlushEveryInvocation(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "taskapi.db"), "BCRYPT_COST": "4"}
	cfg, err := LoadConfig(lambdaEnv(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	lambdaContract := withContract(t, &cfg) // events go through the same router and contract
	out := &syncbuf.Buffer{}
	fn, err := NewLambdaFunction(context.Background(), cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fn.Close() })

	register, err := os.ReadFile("../events/apigw-v1/register.json")
	if err != nil {
		t.Fatal(err)
	}
	emfRecords := func() (n int) {
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, `"_aws":`) {
				n++
			}
		}
		return n
	}
	wantStatus := []int{201, 409}
	for i, want := range wantStatus {
		before := emfRecords()
		resp, err := fn.Invoke(context.Background(), register)
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ StatusCode int }
		if err := json.Unmarshal(resp, &r); err != nil || r.StatusCode != want {
			t.Fatalf("invocation %d: %s", i, resp)
		}
		if emfRecords() <= before {
			t.Errorf("invocation %d wrote no metrics", i)
		}
	}
	if n := lambdaContract.exchanges(); n != len(wantStatus) {
		t.Errorf("the contract check saw %d invocations, want %d", n, len(wantStatus))
	}
	if _, err := fn.Invoke(context.Background(), []byte(`{"detail-type":"Scheduled Event"}`)); err == nil {
		t.Error("a scheduled event was served")
	}
	logs := out.String()
	if n := strings.Count(logs, `"msg":"lambda function ready"`); n != 1 {
		t.Errorf("%d init lines, want 1", n)
	}
	if !strings.Contains(logs, `"msg":"invocation failed"`) {
		t.Error("the failed invocation was not logged")
	}
	if fn.db.Stats().OpenConnections > cfg.DB.MaxOpenConns {
		t.Errorf("pool: %+v", fn.db.Stats())
	}
}

// TestSAMTemplate checks template.yaml against what the binary reads and
// what sam build runs: every variable is one LoadConfig reads (Variables)
// for that function's role, every secret comes from Secrets Manager,
// both functions are built by the Makefile for the right architecture,
// and the routes are the API's. cfn-lint, where installed, validates it.
func TestSAMTemplate(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	if got := scalar(root, "Transform"); got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %q", got)
	}

	fnGlobals := lookup(root, "Globals", "Function")
	for key, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "CodeUri": "."} {
		if got := scalar(fnGlobals, key); got != want {
			t.Errorf("Globals.Function.%s = %q, want %q", key, got, want)
		}
	}
	// One architecture parameter for both functions, and the Makefile
	// builds for its default unless told otherwise (ARCH, LAMBDA_GOARCH).
	arch := lookup(fnGlobals, "Architectures")
	if arch == nil || len(arch.Content) != 1 || arch.Content[0].Tag != "!Ref" || arch.Content[0].Value != "Architecture" {
		t.Errorf("Globals.Function.Architectures = %v, want [!Ref Architecture]", arch)
	}
	goarch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}
	archParam := lookup(root, "Parameters", "Architecture")
	var allowed []string
	for _, v := range lookup(archParam, "AllowedValues").Content {
		allowed = append(allowed, v.Value)
	}
	if !slices.Equal(allowed, []string{"x86_64", "arm64"}) {
		t.Errorf("Architecture allows %v, want [x86_64 arm64]", allowed)
	}
	makeArch := regexp.MustCompile(`(?m)^ARCH\s*\?=\s*(\S+)$`).FindSubmatch(makefile)
	if makeArch == nil || goarch[scalar(archParam, "Default")] != string(makeArch[1]) ||
		!regexp.MustCompile(`(?m)^LAMBDA_GOARCH\s*\?=\s*\$\(ARCH\)$`).Match(makefile) {
		t.Errorf("Architecture default %q does not match the Makefile's ARCH %q (with LAMBDA_GOARCH ?= $(ARCH))", scalar(archParam, "Default"), makeArch)
	}
	global := mapping(lookup(fnGlobals, "Environment", "Variables"))
	if global["SQLITE_PATH"].Value != lambdaSQLitePath || global["LOG_FORMAT"].Value != "json" {
		t.Errorf("SQLITE_PATH %q, LOG_FORMAT %q", global["SQLITE_PATH"].Value, global["LOG_FORMAT"].Value)
	}

	params := mapping(lookup(root, "Parameters"))
	variables := map[string]Variable{}
	for _, v := range Variables {
		variables[v.Name] = v
	}
	for name, c := range map[string]struct {
		role     func(Variable) bool
		required []string
		paths    []string
	}{
		"AuthFunction": {func(v Variable) bool { return v.Auth }, []string{"SERVICE", "JWT_SECRET"}, []string{"/auth/{proxy+}"}},
		// The task function may run SERVICE=all (see AuthServiceUrl).
		"TaskFunction": {func(v Variable) bool { return v.Task || v.Auth }, []string{"SERVICE", "AUTH_SERVICE_URL"}, []string{"/tasks", "/tasks/{proxy+}"}},
	} {
		res := lookup(root, "Resources", name)
		if scalar(res, "Type") != "AWS::Serverless::Function" || scalar(lookup(res, "Metadata"), "BuildMethod") != "makefile" {
			t.Errorf("%s: not a Serverless::Function built by makefile", name)
		}
		if !regexp.MustCompile(`(?m)^(?:[^\s#][^:\n]*\s)?build-` + name + `\b[^:\n]*:`).Match(makefile) {
			t.Errorf("the Makefile has no build-%s target for sam build", name)
		}
		env := mapping(lookup(res, "Properties", "Environment", "Variables"))
		for k, v := range global {
			if env[k] == nil {
				env[k] = v
			}
		}
		for _, k := range c.required {
			if env[k] == nil {
				t.Errorf("%s: no %s", name, k)
			}
		}
		for k, value := range env {
			v, ok := variables[k]
			switch {
			case !ok:
				t.Errorf("%s: %s is not a variable the binary reads", name, k)
			case !c.role(v):
				t.Errorf("%s: %s is not read in this role", name, k)
			case v.Secret:
				// Never a parameter's value (plain text in the function's
				// configuration source): empty, or a Secrets Manager
				// dynamic reference to a secret named by an ARN parameter.
				for _, ref := range refs(value) {
					m := samSecretRef.FindStringSubmatch(ref)
					if ref == "literal " {
						continue
					}
					if m == nil {
						t.Errorf("%s: secret %s comes from %q, not a Secrets Manager reference", name, k, ref)
					} else if p := params[m[1]]; p == nil || !strings.Contains(scalar(p, "AllowedPattern"), ":secretsmanager:") {
						t.Errorf("%s: secret %s resolves %s, not a secret ARN parameter", name, k, m[1])
					}
				}
			}
		}
		if events := lookup(res, "Properties", "Events"); events != nil {
			t.Errorf("%s has SAM events: they cannot follow ApiType (the APIs' definitions carry the routes)", name)
		}
		for _, api := range []string{"Api", "HttpApi"} {
			var paths []string
			for path, fn := range samRoutes(t, root, api) {
				if fn == name {
					paths = append(paths, path)
				}
			}
			slices.Sort(paths)
			if !slices.Equal(paths, c.paths) {
				t.Errorf("%s: %s routes %v, want %v", name, api, paths, c.paths)
			}
		}
	}
	// cfn-lint checks template.yaml in ecs's TestCfnLint, with the
	// informational checks too, in one run over every template of the
	// repository: a second run here (about 2 s of a Python process) found
	// nothing that one cannot.
}

// lookup follows mapping keys from n; nil if one is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil {
			return nil
		}
		n = mapping(n)[k]
	}
	return n
}

// mapping returns a mapping node's members.
func mapping(n *yaml.Node) map[string]*yaml.Node {
	m := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	return m
}

func scalar(n *yaml.Node, key string) string {
	if v := lookup(n, key); v != nil {
		return v.Value
	}
	return ""
}

// refs returns the parameters a value refers to with !Ref, looking
// inside !If and the like; AWS::NoValue is no parameter.
// samSecretRef is a Secrets Manager dynamic reference to the secret an
// ARN parameter names, as refs returns it.
var samSecretRef = regexp.MustCompile(`^literal \{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString:\w+\}\}$`)

func refs(n *yaml.Node) []string {
	if n.Tag == "!Ref" && n.Value != "AWS::NoValue" {
		return []string{n.Value}
	}
	content := n.Content
	if n.Tag == "!If" && len(content) > 0 {
		content = content[1:] // the condition's name
	}
	var out []string
	for _, c := range content {
		out = append(out, refs(c)...)
	}
	if out == nil && n.Kind == yaml.ScalarNode && n.Tag != "!Ref" {
		out = []string{"literal " + n.Value}
	}
	return out
}

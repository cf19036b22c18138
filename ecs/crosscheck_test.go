package ecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goecs "github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/lib/pq"

	"taskapi/adapters/httpapi"
	"taskapi/app"
	"taskapi/metrics"
	"taskapi/store"

	"taskapi/internal/apitest"
	"taskapi/internal/deploytest"
)

// container is one task definition's container, with what it runs as.
type container struct {
	Stack     *stack
	Logical   string // the task definition's logical name
	TaskDef   *goecs.TaskDefinition
	Container *goecs.TaskDefinition_ContainerDefinition
	Service   string         // its SERVICE: auth or task
	Env       map[string]any // Environment, name -> value (possibly an intrinsic)
	Secrets   map[string]string
}

// containers returns the two services' containers and the migration's.
func containers(t *testing.T) []container {
	t.Helper()
	all := stacks(t)
	var out []container
	for _, c := range []struct{ stack, logical string }{
		{"services", "AuthTaskDefinition"}, {"services", "TaskTaskDefinition"}, {"cluster", "MigrateTaskDefinition"},
	} {
		st := all[c.stack]
		td, err := st.T.GetECSTaskDefinitionWithName(c.logical)
		if err != nil {
			t.Fatal(err)
		}
		if len(td.ContainerDefinitions) == 0 {
			t.Fatalf("%s has no container", c.logical)
		}
		cd := &td.ContainerDefinitions[0]
		ct := container{Stack: st, Logical: c.logical, TaskDef: td, Container: cd, Env: map[string]any{}, Secrets: map[string]string{}}
		for _, kv := range cd.Environment {
			name := val(kv.Name)
			if _, dup := ct.Env[name]; dup {
				t.Errorf("%s sets %s twice", c.logical, name)
			}
			ct.Env[name] = val(kv.Value)
		}
		for _, s := range cd.Secrets {
			if _, dup := ct.Env[s.Name]; dup {
				t.Errorf("%s sets %s both as a variable and as a secret", c.logical, s.Name)
			}
			if _, dup := ct.Secrets[s.Name]; dup {
				t.Errorf("%s sets secret %s twice", c.logical, s.Name)
			}
			ct.Secrets[s.Name] = s.ValueFrom
		}
		ct.Service, _ = ct.Env["SERVICE"].(string)
		out = append(out, ct)
	}
	return out
}

// ecsServiceLogical returns the logical name of the ECS service that runs
// a container's task definition.
func ecsServiceLogical(t *testing.T, c container) string {
	t.Helper()
	for name, svc := range c.Stack.T.GetAllECSServiceResources() {
		if refOf(svc.TaskDefinition) == c.Logical {
			return name
		}
	}
	t.Fatalf("no ECS service runs %s", c.Logical)
	return ""
}

// ecsServiceOf returns the ECS service that runs a container's task
// definition.
func ecsServiceOf(t *testing.T, c container) *goecs.Service {
	t.Helper()
	svc, err := c.Stack.T.GetECSServiceWithName(ecsServiceLogical(t, c))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// required lists what each container must be given, with the values that
// matter ("" = any value).
var required = map[string]map[string]string{
	"AuthTaskDefinition": {
		"SERVICE": "auth", "DB_HOST": "", "DB_PORT": "", "DB_NAME": "", "DB_USER": "", "DB_PASSWORD": "",
		"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "", "JWT_SECRET": "", "JWT_EXPIRATION": "3600", "DB_MIGRATE": "false",
		// The environment's namespace, which its alarms watch (TestEnvironmentWiring).
		"METRICS_NAMESPACE": "",
		// CloudFront and then the ALB append to X-Forwarded-For; the
		// binary's default (0) trusts no proxy.
		"TRUSTED_PROXY_HOPS": "2",
	},
	"TaskTaskDefinition": {
		"SERVICE": "task", "DB_HOST": "", "DB_PORT": "", "DB_NAME": "", "DB_USER": "", "DB_PASSWORD": "",
		"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "", "DB_MIGRATE": "false",
		// The auth service's Cloud Map name in the environment's namespace
		// (TestTaskDefinitionConfigurationLoads, TestEnvironmentWiring).
		"AUTH_SERVICE_URL": "", "METRICS_NAMESPACE": "",
	},
	// `taskapi migrate` validates the auth service's configuration.
	"MigrateTaskDefinition": {
		"SERVICE": "auth", "DB_HOST": "", "DB_PORT": "", "DB_NAME": "", "DB_USER": "", "DB_PASSWORD": "",
		"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "", "JWT_SECRET": "",
	},
}

// secretSources is where each secret variable comes from: secret name and
// JSON key (the design's rds-credentials and jwt-secret).
var secretSources = map[string]string{
	"DB_HOST":     "rds-credentials:host",
	"DB_NAME":     "rds-credentials:dbname",
	"DB_USER":     "rds-credentials:username",
	"DB_PASSWORD": "rds-credentials:password",
	"JWT_SECRET":  "jwt-secret:secret",
}

// TestTaskDefinitionVariables checks every variable and secret the task
// definitions provide against app.Variables, the binary's own list: each
// is one the binary reads, in that service; the required ones are there;
// secret ones come only from Secrets Manager, from JSON keys that exist.
func TestTaskDefinitionVariables(t *testing.T) {
	all := stacks(t)
	known := map[string]app.Variable{}
	for _, v := range app.Variables {
		known[v.Name] = v
	}
	for _, c := range containers(t) {
		provided := map[string]bool{}
		for name := range c.Env {
			provided[name] = true
		}
		for name := range c.Secrets {
			provided[name] = true
		}
		for name := range provided {
			v, ok := known[name]
			switch {
			case !ok:
				t.Errorf("%s provides %s, which the binary never reads", c.Logical, name)
			case c.Service == "auth" && !v.Auth, c.Service == "task" && !v.Task:
				t.Errorf("%s (SERVICE=%s) provides %s, which that service does not use", c.Logical, c.Service, name)
			case v.Secret && c.Env[name] != nil:
				t.Errorf("%s provides secret %s as a plain environment variable", c.Logical, name)
			}
		}
		for name, want := range required[c.Logical] {
			if !provided[name] {
				t.Errorf("%s lacks %s", c.Logical, name)
			} else if want != "" && fmt.Sprint(c.Env[name]) != want {
				t.Errorf("%s: %s = %v, want %q", c.Logical, name, expand(c.Env[name]), want)
			}
		}
		for name := range provided {
			if _, ok := required[c.Logical][name]; !ok && name != "DB_MAX_OPEN_CONNS" {
				t.Errorf("%s provides %s: add it to the test's required list with a reason", c.Logical, name)
			}
		}

		// Each secret: "<secret ARN>:<json key>::" of one of the data stack's
		// two secrets, a key the secret's JSON holds as a string.
		for name, from := range c.Secrets {
			source, ok := secretSources[name]
			if !ok {
				t.Errorf("%s: secret %s has no known source", c.Logical, name)
				continue
			}
			wantSecret, wantKey, _ := strings.Cut(source, ":")
			sub, arg, _ := fn(from)
			parts, _ := arg.([]any)
			if sub != "Fn::Sub" || len(parts) != 2 || parts[0] != "${Secret}:"+wantKey+"::" {
				t.Errorf("%s: %s valueFrom %v, want !Sub [\"${Secret}:%s::\", {Secret: <ARN>}]", c.Logical, name, expand(from), wantKey)
				continue
			}
			r := resolve(t, all, c.Stack, asMap(parts[1])["Secret"])
			if r.Stack == nil || resourceType(r.Stack, r.Resource) != "AWS::SecretsManager::Secret" || r.Attribute != "" {
				t.Errorf("%s: %s does not come from a secret's ARN", c.Logical, name)
				continue
			}
			eq(t, c.Logical+" "+name+" secret", designName(t, r.Stack, r.Resource, "Name"), wantSecret)
			if keys := stringKeys(t, r.Stack, r.Resource); !keys[wantKey] {
				t.Errorf("%s: %s reads key %q, but %s holds string keys %v", c.Logical, name, wantKey, wantSecret, keys)
			}
		}
	}
}

// stringKeys returns the JSON keys of a generated secret whose values are
// strings: the template's, the generated one, and what a target attachment
// adds (host, engine, dbInstanceIdentifier; its "port" is a number, which
// ECS cannot inject, hence DB_PORT from the database's own Endpoint.Port).
func stringKeys(t *testing.T, st *stack, logical string) map[string]bool {
	t.Helper()
	secret, err := st.T.GetSecretsManagerSecretWithName(logical)
	if err != nil {
		t.Fatal(err)
	}
	gen := val(secret.GenerateSecretString)
	var tmpl map[string]any
	if err := json.Unmarshal([]byte(val(gen.SecretStringTemplate)), &tmpl); err != nil {
		t.Fatalf("%s template: %v", logical, err)
	}
	keys := map[string]bool{val(gen.GenerateStringKey): true}
	for k, v := range tmpl {
		if _, ok := v.(string); ok {
			keys[k] = true
		}
	}
	for _, att := range st.T.GetAllSecretsManagerSecretTargetAttachmentResources() {
		if refOf(att.SecretId) == logical {
			keys["host"], keys["engine"], keys["dbInstanceIdentifier"] = true, true, true
		}
	}
	return keys
}

// environment builds a container's environment as ECS would: literal
// values, imports resolved to the template values they come to, and
// stand-ins for the secrets.
func environment(t *testing.T, c container) map[string]string {
	t.Helper()
	all := stacks(t)
	env := map[string]string{}
	for name, v := range c.Env {
		if s, ok := v.(string); ok {
			if _, _, isFn := fn(s); !isFn {
				env[name] = s
				continue
			}
		}
		r := resolve(t, all, c.Stack, v)
		switch {
		case r.Resource == "Database" && r.Attribute == "Endpoint.Port":
			db, _ := r.Stack.T.GetRDSDBInstanceWithName("Database")
			env[name] = val(db.Port)
		default:
			// Names and the like, as the design's deployment has them.
			value := evaluate(t, all, c.Stack, expand(v), designDeployment(t))
			if placeholder.MatchString(value) {
				t.Errorf("%s: %s = %v: no stand-in for it", c.Logical, name, expand(v))
			}
			env[name] = value
		}
	}
	data := all["data"]
	var dbTemplate map[string]string
	dbSecret, _ := data.T.GetSecretsManagerSecretWithName("DatabaseSecret")
	_ = json.Unmarshal([]byte(val(val(dbSecret.GenerateSecretString).SecretStringTemplate)), &dbTemplate)
	standIn := map[string]string{
		"DB_HOST":     "taskapi-db.abcdefghijkl.us-east-1.rds.amazonaws.com",
		"DB_NAME":     dbTemplate["dbname"],
		"DB_USER":     dbTemplate["username"],
		"DB_PASSWORD": "generated-by-secrets-manager",
		"JWT_SECRET":  strings.Repeat("k", 64),
	}
	for name := range c.Secrets {
		env[name] = standIn[name]
	}
	return env
}

// dockerfileBundlePath is where the Dockerfile puts the RDS CA bundle.
func dockerfileBundlePath(t *testing.T) string {
	t.Helper()
	for _, in := range dockerfile(t) {
		if in.Cmd == "COPY" && strings.Contains(in.Args, "rds-global-bundle.pem") {
			f := strings.Fields(in.Args)
			return f[len(f)-1]
		}
	}
	t.Fatal("the Dockerfile does not copy the RDS CA bundle into the image")
	return ""
}

// TestTaskDefinitionConfigurationLoads runs each container's environment
// through app.LoadConfig, as the binary will on ECS, and checks what it
// comes to against the rest of the deployment.
func TestTaskDefinitionConfigurationLoads(t *testing.T) {
	// Keep lib/pq from filling in what the DSN leaves out.
	for _, k := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT", "PGSERVICE", "PGPASSFILE"} {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	all := stacks(t)
	bundle := dockerfileBundlePath(t)
	poolBudget := 0
	for _, c := range containers(t) {
		env := environment(t, c)
		cfg, err := app.LoadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s: the binary refuses this configuration: %v", c.Logical, err)
			continue
		}
		eq(t, c.Logical+" database driver", cfg.DB.Driver, "postgres")
		pc, err := pq.NewConfig(cfg.DB.DSN)
		if err != nil {
			t.Errorf("%s: DSN does not parse: %v", c.Logical, err)
			continue
		}
		eq(t, c.Logical+" host", pc.Host, env["DB_HOST"])
		eq(t, c.Logical+" port", fmt.Sprint(pc.Port), "5432")
		eq(t, c.Logical+" database", pc.Database, "taskmanagement")
		eq(t, c.Logical+" user", pc.User, "dbadmin")
		eq(t, c.Logical+" sslmode", string(pc.SSLMode), "verify-full")
		eq(t, c.Logical+" sslrootcert (the image's bundle)", pc.SSLRootCert, bundle)

		if c.Logical == "MigrateTaskDefinition" {
			poolBudget += cfg.DB.MaxOpenConns // one migration at a time
			continue
		}
		eq(t, c.Logical+" migrates at start-up", cfg.Migrate, false)
		port := val(c.Container.PortMappings[0].ContainerPort)
		eq(t, c.Logical+" listens on the container port", cfg.Port, port)
		if stop := time.Duration(val(c.Container.StopTimeout)) * time.Second; cfg.ShutdownTimeout >= stop {
			t.Errorf("%s: SHUTDOWN_TIMEOUT %v is not under the stop timeout %v: ECS would SIGKILL mid-drain", c.Logical, cfg.ShutdownTimeout, stop)
		}
		target, err := c.Stack.T.GetApplicationAutoScalingScalableTargetWithName(scalableTargetOf(t, c))
		if err != nil {
			t.Fatal(err)
		}
		poolBudget += cfg.DB.MaxOpenConns * target.MaxCapacity

		if c.Service == "task" {
			// AUTH_SERVICE_URL names the auth service's Cloud Map record.
			u, err := url.Parse(cfg.AuthServiceURL)
			if err != nil {
				t.Fatal(err)
			}
			ds, _ := all["services"].T.GetServiceDiscoveryServiceWithName("AuthDiscoveryService")
			eq(t, "AUTH_SERVICE_URL host", u.Hostname(), val(ds.Name)+"."+designName(t, all["cluster"], "ServiceDiscoveryNamespace", "Name"))
			eq(t, "AUTH_SERVICE_URL scheme", u.Scheme, "http")
			auth, _ := all["services"].T.GetECSTaskDefinitionWithName("AuthTaskDefinition")
			eq(t, "AUTH_SERVICE_URL port", u.Port(), strconv.Itoa(val(auth.ContainerDefinitions[0].PortMappings[0].ContainerPort)))
		}
	}
	// Every pool at its largest stays under the RDS connections alarm.
	alarm, _ := all["monitoring"].T.GetCloudWatchAlarmWithName("DatabaseConnectionsAlarm")
	if float64(poolBudget) > val(alarm.Threshold) {
		t.Errorf("pools can open %d connections, over the RDS alarm's %v", poolBudget, val(alarm.Threshold))
	}
	t.Logf("connections at maximum scale: %d (alarm above %v, max_connections %d)", poolBudget, val(alarm.Threshold), dbT3MicroMaxConnections)
}

// scalableTargetOf returns the scalable target whose ResourceId names the
// ECS service that runs c.
func scalableTargetOf(t *testing.T, c container) string {
	t.Helper()
	svc := ecsServiceLogical(t, c)
	for name, target := range c.Stack.T.GetAllApplicationAutoScalingScalableTargetResources() {
		if _, arg, _ := fn(target.ResourceId); strings.Contains(fmt.Sprint(arg), "${"+svc+".Name}") {
			return name
		}
	}
	t.Fatalf("no scalable target for %s", svc)
	return ""
}

// serviceHandler builds the real HTTP handler a container would serve,
// with its configuration but an SQLite database (and, for the task
// service, an auth URL that needs no DNS).
func serviceHandler(t *testing.T, c container) http.Handler {
	t.Helper()
	env := environment(t, c)
	for k := range env {
		if strings.HasPrefix(k, "DB_") && k != "DB_MIGRATE" && k != "DB_MAX_OPEN_CONNS" {
			delete(env, k)
		}
	}
	env["SQLITE_PATH"] = filepath.Join(t.TempDir(), "taskapi.db")
	if c.Service == "task" {
		env["AUTH_SERVICE_URL"] = "http://127.0.0.1:1"
	}
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: %v", c.Logical, err)
	}
	db, err := store.Open(context.Background(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, err := app.BuildAPI(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// albRule is a listener rule as the ALB evaluates it.
type albRule struct {
	Name     string
	Priority int
	Patterns []string
	Targets  []string // services forwarded to, or nil for a fixed response
	Fixed    string   // fixed-response status
}

// albRules returns the API listener's rules in priority order, with target
// groups translated to the service whose ECS service registers in them.
func albRules(t *testing.T) []albRule {
	t.Helper()
	st := stacks(t)["services"]
	serviceOfTG := map[string]string{}
	for _, c := range containers(t) {
		if c.Stack != st {
			continue
		}
		for _, lb := range ecsServiceOf(t, c).LoadBalancers {
			serviceOfTG[refOf(lb.TargetGroupArn)] = c.Service
		}
	}
	var rules []albRule
	for name, r := range st.T.GetAllElasticLoadBalancingV2ListenerRuleResources() {
		if refOf(r.ListenerArn) == "HttpListener" && r.AWSCloudFormationCondition == "HasCertificate" {
			continue // the HTTP-to-HTTPS redirect, not on the API listener
		}
		rule := albRule{Name: name, Priority: r.Priority}
		for _, c := range r.Conditions {
			if val(c.Field) != "path-pattern" {
				t.Errorf("%s: condition %s is not simulated here", name, val(c.Field))
			}
			rule.Patterns = append(rule.Patterns, val(c.PathPatternConfig).Values...)
		}
		if len(r.Actions) != 1 {
			t.Fatalf("%s: %d actions", name, len(r.Actions))
		}
		a := r.Actions[0]
		switch a.Type {
		case "forward":
			tgs := []string{refOf(a.TargetGroupArn)}
			if a.ForwardConfig != nil {
				tgs = nil
				for _, tg := range a.ForwardConfig.TargetGroups {
					if val(tg.Weight) < 1 {
						t.Errorf("%s: target group %s has weight %d", name, refOf(tg.TargetGroupArn), val(tg.Weight))
					}
					tgs = append(tgs, refOf(tg.TargetGroupArn))
				}
			}
			for _, tg := range tgs {
				svc, ok := serviceOfTG[tg]
				if !ok {
					t.Errorf("%s forwards to %s, which no ECS service registers in", name, tg)
				}
				rule.Targets = append(rule.Targets, svc)
			}
			sort.Strings(rule.Targets)
		case "fixed-response":
			rule.Fixed = a.FixedResponseConfig.StatusCode
		default:
			t.Errorf("%s: action %s is not simulated here", name, a.Type)
		}
		rules = append(rules, rule)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
	return rules
}

// albMatch reports whether an ALB path pattern matches a path: the whole
// path, case-sensitively, "*" for any run of characters, "?" for one.
func albMatch(pattern, path string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(path)
}

// route returns where the ALB sends a request path: the services forwarded
// to, or "fixed <status>" (the listener's default is a fixed 404).
func route(rules []albRule, rawPath string) string {
	for _, r := range rules {
		for _, p := range r.Patterns {
			if albMatch(p, rawPath) {
				if r.Targets != nil {
					return strings.Join(r.Targets, "+")
				}
				return "fixed " + r.Fixed
			}
		}
	}
	return "default"
}

// TestALBRoutingMatchesTheServices sends the API's requests through a
// simulation of the listener rules and on to the real handler of the
// service they reach: every public route arrives at a service that serves
// it; /auth/validate, which the auth service does serve, never arrives.
func TestALBRoutingMatchesTheServices(t *testing.T) {
	handlers := map[string]http.Handler{}
	for _, c := range containers(t) {
		if c.Logical != "MigrateTaskDefinition" {
			handlers[c.Service] = serviceHandler(t, c)
		}
	}
	rules := albRules(t)
	t.Logf("rules: %+v", rules)
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/auth/register", "auth"},
		{"POST", "/auth/login", "auth"},
		{"POST", "/auth/logout", "auth"},
		{"GET", "/auth/me", "auth"},
		{"DELETE", "/auth/me", "auth"},
		{"PUT", "/auth/password", "auth"},
		{"GET", "/auth/health", "auth"},
		{"GET", "/tasks", "task"},
		{"POST", "/tasks", "task"},
		{"GET", "/tasks/7", "task"},
		{"PUT", "/tasks/7", "task"},
		{"DELETE", "/tasks/7", "task"},
		{"GET", "/tasks/health", "task"},
		{"GET", "/health", "auth+task"},
		{"POST", "/auth/validate", "fixed 404"},
		{"POST", "/auth/%76alidate", "fixed 404"}, // the service would decode it to /auth/validate
		{"GET", "/auth", "default"},
		{"GET", "/", "default"},
		{"GET", "/tasksx", "default"},
	} {
		got := route(rules, tc.path)
		if got != tc.want {
			t.Errorf("ALB sends %s %s to %s, want %s", tc.method, tc.path, got, tc.want)
			continue
		}
		targets := strings.Split(got, "+")
		if strings.HasPrefix(got, "fixed") {
			targets = []string{"auth"} // blocked: show that the service would have served it
		}
		if got == "default" {
			continue
		}
		for _, svc := range targets {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			rec := httptest.NewRecorder()
			handlers[svc].ServeHTTP(rec, req)
			if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s %s reaches the %s service, which answers %d %s", tc.method, tc.path, svc, rec.Code, rec.Body)
			}
		}
	}

	// Each target group's health check is a route its service answers 200.
	st := stacks(t)["services"]
	for _, c := range containers(t) {
		if c.Stack != st {
			continue
		}
		for _, lb := range ecsServiceOf(t, c).LoadBalancers {
			tg, err := st.T.GetElasticLoadBalancingV2TargetGroupWithName(refOf(lb.TargetGroupArn))
			if err != nil {
				t.Fatal(err)
			}
			path := val(tg.HealthCheckPath)
			rec := httptest.NewRecorder()
			handlers[c.Service].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			eq(t, fmt.Sprintf("%s health check GET %s", designName(t, st, refOf(lb.TargetGroupArn), "Name"), path), strconv.Itoa(rec.Code), val(val(tg.Matcher).HttpCode))
			// The other service does not serve it: the path is the service's own.
			for other, h := range handlers {
				if other != c.Service {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
					if rec.Code == http.StatusOK {
						t.Errorf("%s also answers %s: the health check would not tell the services apart", other, path)
					}
				}
			}
		}
	}
}

// buildBinary returns cmd/taskapi built as the Dockerfile builds it
// (static, stripped, -trimpath): deploytest's one build of this test
// binary, with make build's flags.
func buildBinary(t *testing.T) string {
	t.Helper()
	return deploytest.Binary(t)
}

// TestContainerHealthCheckCommand runs the task definitions' health-check
// command, as ECS will inside the container, against a real server.
func TestContainerHealthCheckCommand(t *testing.T) {
	bin := buildBinary(t)
	imageBinary := dockerfileBinaryPath(t)

	for _, c := range containers(t) {
		if c.Container.HealthCheck == nil {
			continue
		}
		t.Run(c.Logical, func(t *testing.T) {
			env := environment(t, c)
			for k := range env {
				if strings.HasPrefix(k, "DB_") && k != "DB_MIGRATE" {
					delete(env, k)
				}
			}
			env["SQLITE_PATH"] = filepath.Join(t.TempDir(), "taskapi.db")
			env["PORT"] = "0"
			if c.Service == "task" {
				env["AUTH_SERVICE_URL"] = "http://127.0.0.1:1"
			}
			cfg, err := app.LoadConfig(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			api := apitest.Start(t, func(ctx context.Context, ready chan<- string) error {
				return app.Serve(ctx, cfg, io.Discard, ready)
			})
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(api.URL, "http://"))

			cmd := c.Container.HealthCheck.Command
			if len(cmd) < 2 || cmd[0] != "CMD" {
				t.Fatalf("health check %v: want [CMD, <binary>, ...] (the image has no shell for CMD-SHELL)", cmd)
			}
			eq(t, "health-check binary (the image's)", cmd[1], imageBinary)
			run := func(port string) error {
				// The container's whole environment (secrets included) with
				// the port, as ECS runs it: nothing in it is checked.
				hc := exec.Command(bin, cmd[2:]...)
				for k, v := range environment(t, c) {
					hc.Env = append(hc.Env, k+"="+v)
				}
				hc.Env = append(hc.Env, "PORT="+port)
				out, err := hc.CombinedOutput()
				if err != nil {
					return fmt.Errorf("%w: %s", err, out)
				}
				return nil
			}
			if err := run(port); err != nil {
				t.Errorf("health check against the %s service: %v", c.Service, err)
			}
			// Nothing listening: it must fail, with exit code 1.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			_, closed, _ := net.SplitHostPort(ln.Addr().String())
			ln.Close()
			var exit *exec.ExitError
			if err := run(closed); !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("health check with nothing listening: %v, want exit code 1", err)
			}
		})
	}
}

// TestAppMetricsMapping keeps monitoring.yaml's AppMetrics mapping equal to
// what the binary writes (taskapi/metrics), so no alarm watches a metric
// that never arrives.
func TestAppMetricsMapping(t *testing.T) {
	m := appMetrics(t)
	cluster := stacks(t)["cluster"]
	eq(t, "namespace (the design's environment)", evaluate(t, stacks(t), cluster, asMap(asMap(cluster.Raw["Outputs"])["MetricsNamespace"])["Value"], designDeployment(t)), metrics.DefaultNamespace)
	eq(t, "units", fmt.Sprint(m["Unit"]), fmt.Sprint(metrics.Units))
	eq(t, "dimension Service", m["Dimension"]["Service"], metrics.DimService)
	eq(t, "dimension Route", m["Dimension"]["Route"], metrics.DimRoute)
	eq(t, "auth service value", m["Service"]["Auth"], httpapi.AuthService)
	eq(t, "task service value", m["Service"]["Task"], httpapi.TaskService)
	// The ECS services carry the same names as the metrics' Service.
	st := stacks(t)["services"]
	for logical, want := range map[string]string{"AuthService": httpapi.AuthService, "TaskService": httpapi.TaskService} {
		svc, _ := st.T.GetECSServiceWithName(logical)
		eq(t, logical+" name", val(svc.ServiceName), want)
	}
	for name, a := range stacks(t)["monitoring"].T.GetAllCloudWatchAlarmResources() {
		for _, q := range a.Metrics {
			if q.MetricStat == nil {
				continue
			}
			metric := val(q.MetricStat.Metric.MetricName)
			if _, ok := metrics.Units[metric]; !ok {
				t.Errorf("alarm %s watches %s, which the binary does not write", name, metric)
			}
		}
	}
}

// pseudoParameters are CloudFormation's own Ref targets.
var pseudoParameters = []string{"AWS::AccountId", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix", "AWS::NotificationARNs"}

// getAttAttributes are the attributes this deployment reads, per type.
var getAttAttributes = map[string][]string{
	"AWS::EC2::SecurityGroup":                    {"GroupId"},
	"AWS::ECR::Repository":                       {"Arn", "RepositoryUri"},
	"AWS::Logs::LogGroup":                        {"Arn"},
	"AWS::IAM::Role":                             {"Arn"},
	"AWS::ServiceDiscovery::PrivateDnsNamespace": {"Id", "Arn"},
	"AWS::ServiceDiscovery::Service":             {"Arn", "Id", "Name"},
	"AWS::RDS::DBInstance":                       {"Endpoint.Address", "Endpoint.Port"},
	"AWS::ElasticLoadBalancingV2::LoadBalancer":  {"DNSName", "LoadBalancerFullName", "LoadBalancerArn", "CanonicalHostedZoneID"},
	"AWS::ElasticLoadBalancingV2::TargetGroup":   {"TargetGroupFullName", "TargetGroupArn"},
	"AWS::ECS::Service":                          {"Name", "ServiceArn"},
	"AWS::CloudWatch::Alarm":                     {"Arn"},
	"AWS::WAFv2::WebACL":                         {"Arn"},
	"AWS::CloudFront::VpcOrigin":                 {"Id", "Arn"},
	"AWS::CloudFront::Distribution":              {"DomainName", "Id"},
	"AWS::CloudFront::OriginAccessControl":       {"Id"},
	"AWS::CloudFront::Function":                  {"FunctionARN"},
	"AWS::S3::Bucket":                            {"Arn", "RegionalDomainName", "DomainName"},
}

var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// TestReferencesResolve follows every Ref, Fn::GetAtt, Fn::Sub variable,
// Fn::ImportValue, Fn::FindInMap, condition and DependsOn in every template
// to something that exists (an import, to an export of a stack deployed
// earlier), so none of them fails only at deployment time.
func TestReferencesResolve(t *testing.T) {
	all := stacks(t)
	for i, name := range stackOrder {
		st := all[name]
		has := func(n string) bool {
			_, p := st.T.Parameters[n]
			r := resourceType(st, n) != ""
			return p || r || slices.Contains(pseudoParameters, n)
		}
		attrOK := func(where, res, attr string) {
			typ := resourceType(st, res)
			if typ == "" {
				t.Errorf("%s: %s: no resource %s", st.Path, where, res)
			} else if !slices.Contains(getAttAttributes[typ], attr) {
				t.Errorf("%s: %s: %s (%s) has no attribute %s here", st.Path, where, res, typ, attr)
			}
		}
		conditions := asMap(st.Raw["Conditions"])
		check := func(path string, m map[string]any) {
			for key, arg := range m {
				switch key {
				case "Ref":
					if n, _ := arg.(string); !has(n) {
						t.Errorf("%s: %s: Ref %v resolves to nothing", st.Path, path, arg)
					}
				case "Fn::GetAtt":
					res, attr := getAttOf(m)
					attrOK(path, res, attr)
				case "Fn::Sub":
					s, vars := arg, map[string]any{}
					if l, ok := arg.([]any); ok {
						s, vars = l[0], asMap(l[1])
					}
					for _, v := range subVariable.FindAllStringSubmatch(fmt.Sprint(s), -1) {
						if _, ok := vars[v[1]]; ok || has(v[1]) {
							continue
						}
						if res, attr, found := strings.Cut(v[1], "."); found {
							attrOK(path, res, attr)
							continue
						}
						t.Errorf("%s: %s: ${%s} resolves to nothing", st.Path, path, v[1])
					}
				case "Fn::ImportValue":
					prod, export := importOf(m)
					if export == "" {
						t.Errorf("%s: %s: import %v is not !Sub \"${<X>StackName}-<Export>\"", st.Path, path, arg)
						continue
					}
					if j := slices.Index(stackOrder, prod); j < 0 || j >= i {
						t.Errorf("%s: %s imports from %s, which is not deployed before it", st.Path, path, prod)
					}
					resolve(t, all, st, m)
				case "Fn::FindInMap":
					l := arg.([]any)
					if _, ok := asMap(asMap(asMap(st.Raw["Mappings"])[fmt.Sprint(l[0])])[fmt.Sprint(l[1])])[fmt.Sprint(l[2])]; !ok {
						t.Errorf("%s: %s: mapping %v does not exist", st.Path, path, l)
					}
				case "Fn::If":
					if _, ok := conditions[fmt.Sprint(arg.([]any)[0])]; !ok {
						t.Errorf("%s: %s: Fn::If on unknown condition %v", st.Path, path, arg.([]any)[0])
					}
				}
			}
		}
		walk(st.Raw["Resources"], "Resources", check)
		walk(st.Raw["Outputs"], "Outputs", check)
		walk(st.Raw["Conditions"], "Conditions", check)
		for rname, r := range asMap(st.Raw["Resources"]) {
			r := asMap(r)
			if c, ok := r["Condition"]; ok {
				if _, known := conditions[fmt.Sprint(c)]; !known {
					t.Errorf("%s: %s has unknown condition %v", st.Path, rname, c)
				}
			}
			for _, d := range listOf(r["DependsOn"]) {
				if d != nil && !has(fmt.Sprint(d)) {
					t.Errorf("%s: %s depends on unknown %v", st.Path, rname, d)
				}
			}
		}
		// Rules may only Ref parameters.
		walk(st.Raw["Rules"], "Rules", func(path string, m map[string]any) {
			if n, ok := m["Ref"]; ok {
				if _, isParam := st.T.Parameters[fmt.Sprint(n)]; !isParam {
					t.Errorf("%s: %s: a rule refers to %v, which is not a parameter", st.Path, path, n)
				}
			}
		})
		// A parameter naming another stack defaults to its deploy-script name.
		for p, target := range stackParams {
			if param, ok := st.T.Parameters[p]; ok {
				eq(t, st.Path+" "+p+" default", fmt.Sprint(param.Default), "taskapi-"+target)
			}
		}
		// Export names are unique across stacks ("${AWS::StackName}-" prefix).
		for out, o := range st.T.Outputs {
			if o.Export != nil {
				sameJSON(t, st.Path+" export "+out, o.Export.Name, map[string]any{"Fn::Sub": "${AWS::StackName}-" + out})
			}
		}
	}
}

package ecs_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// deployment is one environment as the scripts deploy it: the
// EnvironmentName every stack is given, and the stacks' names.
type deployment struct {
	Env    string
	Stacks map[string]string // template name -> stack name
	Params map[string]string // parameters given other than their defaults
}

// with returns d with parameters set, as a deployment passing them would.
func (d deployment) with(params map[string]string) deployment {
	d.Params = params
	return d
}

var (
	deploymentsMu sync.Mutex
	deployments   = map[string]deployment{}
)

// deploymentFor asks lib.sh (the scripts' own code) for the stack names of
// ENVIRONMENT=env.
func deploymentFor(t *testing.T, env string) deployment {
	t.Helper()
	deploymentsMu.Lock()
	defer deploymentsMu.Unlock()
	if d, ok := deployments[env]; ok {
		return d
	}
	script := `source scripts/lib.sh; for name in ` + strings.Join(stackOrder, " ") + `; do echo "$name $(stack "$name")"; done`
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "ENVIRONMENT="+env, "STACK_PREFIX=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lib.sh with ENVIRONMENT=%q: %v\n%s", env, err, out)
	}
	d := deployment{Env: env, Stacks: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, stackName, _ := strings.Cut(line, " ")
		d.Stacks[name] = stackName
	}
	deployments[env] = d
	return d
}

// designDeployment is the default deployment: no ENVIRONMENT.
func designDeployment(t *testing.T) deployment {
	t.Helper()
	return deploymentFor(t, "")
}

// placeholder marks what only AWS knows (a resource's ID or attribute, a
// parameter without a default): "<...>".
var placeholder = regexp.MustCompile(`<[^>]*>`)

// evaluate computes a raw (long-form) template value of stack st as
// CloudFormation would for deployment d: parameters (EnvironmentName and
// the stack names as the scripts pass them, the others at their defaults),
// pseudo parameters, Fn::Sub, Fn::If with the template's conditions,
// Fn::Join, Fn::FindInMap and Fn::ImportValue (through the exporting
// stack's output). What only exists once deployed comes out as <...>.
func evaluate(t *testing.T, all map[string]*stack, st *stack, v any, d deployment) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case float64, bool, int:
		return fmt.Sprint(x)
	case []any:
		t.Fatalf("%s: a list where a string is evaluated: %v", st.Path, x)
	}
	name, arg, ok := fn(v)
	if !ok {
		t.Fatalf("%s: cannot evaluate %v", st.Path, v)
	}
	switch name {
	case "Ref":
		return evaluateRef(t, st, fmt.Sprint(arg), d)
	case "Fn::GetAtt":
		res, attr := getAttOf(v)
		return "<" + res + "." + attr + ">"
	case "Fn::Sub":
		s, vars := arg, map[string]any{}
		if l, isList := arg.([]any); isList {
			s, vars = l[0], asMap(l[1])
		}
		return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(fmt.Sprint(s), func(m string) string {
			key := m[2 : len(m)-1]
			if strings.HasPrefix(key, "!") {
				return "${" + key[1:] + "}"
			}
			if value, isVar := vars[key]; isVar {
				return evaluate(t, all, st, value, d)
			}
			if res, attr, isAttr := strings.Cut(key, "."); isAttr && !strings.Contains(res, "::") {
				return "<" + res + "." + attr + ">"
			}
			return evaluateRef(t, st, key, d)
		})
	case "Fn::If":
		l := arg.([]any)
		if condition(t, all, st, fmt.Sprint(l[0]), d) {
			return evaluate(t, all, st, l[1], d)
		}
		return evaluate(t, all, st, l[2], d)
	case "Fn::Join":
		l := arg.([]any)
		var parts []string
		for _, p := range l[1].([]any) {
			parts = append(parts, evaluate(t, all, st, p, d))
		}
		return strings.Join(parts, fmt.Sprint(l[0]))
	case "Fn::FindInMap":
		l := arg.([]any)
		return fmt.Sprint(asMap(asMap(asMap(st.Raw["Mappings"])[fmt.Sprint(l[0])])[fmt.Sprint(l[1])])[fmt.Sprint(l[2])])
	case "Fn::ImportValue":
		prod, export := importOf(v)
		p := all[prod]
		if p == nil {
			t.Fatalf("%s: import %v from no known stack", st.Path, v)
		}
		out := asMap(asMap(p.Raw["Outputs"])[export])
		if out == nil {
			t.Fatalf("%s: import of %s, which %s does not output", st.Path, export, p.Path)
		}
		return evaluate(t, all, p, out["Value"], d)
	}
	t.Fatalf("%s: %s is not evaluated here", st.Path, name)
	return ""
}

// evaluateRef is a Ref's value: a parameter's or a pseudo parameter's, or a
// placeholder for a resource's.
func evaluateRef(t *testing.T, st *stack, name string, d deployment) string {
	t.Helper()
	switch name {
	case "AWS::StackName":
		return d.Stacks[st.Name]
	case "AWS::Region":
		return "us-east-1"
	case "AWS::AccountId":
		return "123456789012"
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::NoValue":
		return "<none>"
	case "EnvironmentName":
		return d.Env
	}
	if target, isStack := stackParams[name]; isStack {
		return d.Stacks[target]
	}
	if v, given := d.Params[name]; given {
		return v
	}
	if p, isParam := st.T.Parameters[name]; isParam {
		if p.Default == nil {
			return "<" + name + ">"
		}
		return fmt.Sprint(p.Default)
	}
	if resourceType(st, name) != "" {
		return "<" + name + ">"
	}
	t.Fatalf("%s: Ref %s resolves to nothing", st.Path, name)
	return ""
}

// condition evaluates one of st's conditions for deployment d.
func condition(t *testing.T, all map[string]*stack, st *stack, name string, d deployment) bool {
	t.Helper()
	c, ok := asMap(st.Raw["Conditions"])[name]
	if !ok {
		t.Fatalf("%s: no condition %s", st.Path, name)
	}
	return conditionValue(t, all, st, c, d)
}

func conditionValue(t *testing.T, all map[string]*stack, st *stack, v any, d deployment) bool {
	t.Helper()
	name, arg, ok := fn(v)
	if !ok {
		t.Fatalf("%s: condition %v is not a function", st.Path, v)
	}
	l, _ := arg.([]any)
	switch name {
	case "Fn::Equals":
		return evaluate(t, all, st, l[0], d) == evaluate(t, all, st, l[1], d)
	case "Fn::Not":
		return !conditionValue(t, all, st, l[0], d)
	case "Fn::And", "Fn::Or":
		and := name == "Fn::And"
		for _, c := range l {
			if conditionValue(t, all, st, c, d) != and {
				return !and
			}
		}
		return and
	case "Condition":
		return condition(t, all, st, fmt.Sprint(arg), d)
	}
	t.Fatalf("%s: condition function %s is not evaluated here", st.Path, name)
	return false
}

// property returns a resource's raw property value.
func property(st *stack, resource, prop string) any {
	return asMap(asMap(asMap(st.Raw["Resources"])[resource])["Properties"])[prop]
}

// designName evaluates a resource's name property for the design's
// (default) deployment.
func designName(t *testing.T, st *stack, resource, prop string) string {
	t.Helper()
	v := property(st, resource, prop)
	if v == nil {
		t.Fatalf("%s: %s has no %s", st.Path, resource, prop)
	}
	return evaluate(t, stacks(t), st, v, designDeployment(t))
}

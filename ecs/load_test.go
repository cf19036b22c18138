package ecs_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// stackOrder is every template, in the order the deploy script creates the
// stacks: a stack may import only from stacks before it.
var stackOrder = []string{"registry", "network", "data", "cluster", "services", "monitoring"}

// stackParams are the parameters through which a template names another
// stack, and the stack each names.
var stackParams = map[string]string{
	"RegistryStackName": "registry",
	"NetworkStackName":  "network",
	"DataStackName":     "data",
	"ClusterStackName":  "cluster",
	"ServicesStackName": "services",
}

// stack is one template, read twice: typed by goformation (which rejects
// unknown properties and wrong types) with every intrinsic function kept as
// goformation's encoded string (see expand), and as the plain long-form JSON
// tree, for walking every reference.
type stack struct {
	Name string
	Path string
	T    *cloudformation.Template
	Raw  map[string]any
}

var loadStacks = sync.OnceValues(func() (map[string]*stack, error) {
	all := map[string]*stack{}
	for _, name := range stackOrder {
		path := filepath.Join("templates", name+".yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		tmpl, raw, err := parseTemplate(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		all[name] = &stack{Name: name, Path: path, T: tmpl, Raw: raw}
	}
	return all, nil
})

// stacks returns every template, parsed.
func stacks(t *testing.T) map[string]*stack {
	t.Helper()
	all, err := loadStacks()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// parseTemplate parses a YAML template strictly, keeping intrinsics.
func parseTemplate(data []byte) (*cloudformation.Template, map[string]any, error) {
	handlers := map[string]intrinsics.IntrinsicHandler{}
	for name, h := range cloudformation.EncoderIntrinsics {
		handlers[name] = h
	}
	// A Ref to a list parameter stands where a list is expected: keep it
	// as a one-element list, so that goformation's type checks still apply.
	encodeRef := cloudformation.EncoderIntrinsics["Ref"]
	handlers["Ref"] = func(name string, input, template any) any {
		encoded := encodeRef(name, input, template)
		if isListParameter(template, input) {
			return []any{encoded}
		}
		// A Ref to a Number parameter stands where a number is expected:
		// its default stands in, so that goformation checks the type.
		if def, ok := numberParameterDefault(template, input); ok {
			return def
		}
		return encoded
	}
	// An Fn::If whose first value is not a string (MultiAZ: !If [IsProd,
	// true, false], a number, a list, a structure) stands as that value,
	// so that goformation checks its type (an encoded intrinsic is a
	// string); the tests evaluate the condition on the raw tree.
	encodeIf := cloudformation.EncoderIntrinsics["Fn::If"]
	handlers["Fn::If"] = func(name string, input, template any) any {
		if l, ok := input.([]any); ok && len(l) == 3 && isLiteral(l[1]) {
			return l[1]
		}
		return encodeIf(name, input, template)
	}
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, nil, err
	}
	var raw, typed map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, nil, err
	}
	_ = json.Unmarshal(js, &typed)
	withoutNewerTypes(typed)
	typedJSON, err := json.Marshal(typed)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := goformation.ParseJSONWithOptions(typedJSON, &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: handlers})
	if err != nil {
		return nil, nil, err
	}
	return tmpl, raw, nil
}

// newerTypes are the resource types goformation v7.14.9 (its newest
// release) does not know; newerProperties, per resource type, the
// properties it does not know, at a path of JSON keys ("[]" for each
// element of a list). They are left out of the typed template (goformation
// would refuse the whole file) and stay in the raw tree, which the tests
// read; cfn-lint checks them against AWS's own schemas.
var (
	newerTypes      = map[string]bool{"AWS::CloudFront::VpcOrigin": true}
	newerProperties = map[string][][]string{
		"AWS::CloudFront::Distribution": {{"DistributionConfig", "Origins", "[]", "VpcOriginConfig"}},
	}
)

// withoutNewerTypes deletes newerTypes and newerProperties from a template.
func withoutNewerTypes(template map[string]any) {
	resources := asMap(template["Resources"])
	for name, r := range resources {
		typ, _ := asMap(r)["Type"].(string)
		if newerTypes[typ] {
			delete(resources, name)
			continue
		}
		for _, path := range newerProperties[typ] {
			deletePath(asMap(r)["Properties"], path)
		}
	}
}

func deletePath(v any, path []string) {
	if len(path) == 0 {
		return
	}
	if path[0] == "[]" {
		l, _ := v.([]any)
		for _, e := range l {
			deletePath(e, path[1:])
		}
		return
	}
	m := asMap(v)
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	deletePath(m[path[0]], path[1:])
}

// isLiteral: a value that is not a string (which may be an encoded
// intrinsic).
func isLiteral(v any) bool {
	switch v.(type) {
	case bool, float64, int, []any, map[string]any:
		return true
	}
	return false
}

func isListParameter(template, name any) bool {
	params, _ := asMap(template)["Parameters"].(map[string]any)
	p, _ := params[fmt.Sprint(name)].(map[string]any)
	typ, _ := p["Type"].(string)
	return strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList"
}

// numberParameterDefault returns the default of a Number parameter.
func numberParameterDefault(template, name any) (any, bool) {
	params, _ := asMap(template)["Parameters"].(map[string]any)
	p, _ := params[fmt.Sprint(name)].(map[string]any)
	if p["Type"] != "Number" || p["Default"] == nil {
		return nil, false
	}
	return p["Default"], true
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// intrinsicNames are the functions a template may use outside Rules.
var intrinsicNames = []string{
	"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::ImportValue",
	"Fn::FindInMap", "Fn::If", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::Base64",
	"Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Condition",
}

// expand turns goformation's encoded intrinsics (base64 JSON strings) back
// into long-form trees such as {"Ref": "X"}, recursively.
func expand(v any) any {
	switch x := v.(type) {
	case *string:
		if x == nil {
			return nil
		}
		return expand(*x)
	case string:
		b, err := base64.StdEncoding.DecodeString(x)
		if err != nil || len(x) < 8 {
			return x
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil || len(m) != 1 {
			return x
		}
		for k, arg := range m {
			if slices.Contains(intrinsicNames, k) {
				return map[string]any{k: expand(arg)}
			}
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = expand(x[i])
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i := range x {
			out[i] = expand(x[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k := range x {
			out[k] = expand(x[k])
		}
		return out
	}
	return v
}

// fn returns the function name and argument of an intrinsic (expanded or
// encoded), or ok=false for a plain value.
func fn(v any) (name string, arg any, ok bool) {
	m, isMap := expand(v).(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if slices.Contains(intrinsicNames, k) {
			return k, a, true
		}
	}
	return "", nil, false
}

// refOf returns the name a {"Ref": name} refers to.
func refOf(v any) string {
	if name, arg, ok := fn(v); ok && name == "Ref" {
		s, _ := arg.(string)
		return s
	}
	return ""
}

// getAttOf returns the resource and attribute of a Fn::GetAtt.
func getAttOf(v any) (resource, attribute string) {
	name, arg, ok := fn(v)
	if !ok || name != "Fn::GetAtt" {
		return "", ""
	}
	switch a := arg.(type) {
	case string:
		resource, attribute, _ = strings.Cut(a, ".")
	case []any:
		if len(a) == 2 {
			resource, _ = a[0].(string)
			attribute, _ = a[1].(string)
		}
	}
	return resource, attribute
}

var importPattern = regexp.MustCompile(`^\$\{(\w+)\}-(\w+)$`)

// importOf returns, for {"Fn::ImportValue": {"Fn::Sub": "${XStackName}-Name"}},
// the stack named by XStackName and the export's suffix Name.
func importOf(v any) (stackName, export string) {
	name, arg, ok := fn(v)
	if !ok || name != "Fn::ImportValue" {
		return "", ""
	}
	sub, subArg, ok := fn(arg)
	if !ok || sub != "Fn::Sub" {
		return "", ""
	}
	s, _ := subArg.(string)
	m := importPattern.FindStringSubmatch(s)
	if m == nil {
		return "", ""
	}
	return stackParams[m[1]], m[2]
}

// resolved is what a value comes to once references are followed: a
// resource (and attribute), a template parameter, or a plain value.
type resolved struct {
	Stack     *stack
	Resource  string // logical name, when the value is a resource's Ref or attribute
	Attribute string // "" for a Ref
	Parameter string
	Value     any // a plain value, or the unresolved intrinsic
}

// resolve follows Ref, Fn::GetAtt and Fn::ImportValue (through the
// producing stack's Output) from st.
func resolve(t *testing.T, all map[string]*stack, st *stack, v any) resolved {
	t.Helper()
	if prod, export := importOf(v); export != "" {
		p := all[prod]
		if p == nil {
			t.Errorf("%s: import %v names no known stack", st.Name, expand(v))
			return resolved{Value: v}
		}
		out, ok := p.T.Outputs[export]
		if !ok || out.Export == nil {
			t.Errorf("%s imports %s-%s, which %s does not export", st.Name, prod, export, p.Path)
			return resolved{Value: v}
		}
		if want := "${AWS::StackName}-" + export; fmt.Sprint(expand(out.Export.Name)) != fmt.Sprint(map[string]any{"Fn::Sub": want}) {
			t.Errorf("%s output %s: export name %v, want !Sub %q", p.Path, export, expand(out.Export.Name), want)
		}
		return resolve(t, all, p, out.Value)
	}
	if name := refOf(v); name != "" {
		if _, ok := st.T.Parameters[name]; ok {
			return resolved{Stack: st, Parameter: name}
		}
		if resourceType(st, name) != "" {
			return resolved{Stack: st, Resource: name}
		}
		return resolved{Stack: st, Value: v}
	}
	if res, attr := getAttOf(v); res != "" {
		return resolved{Stack: st, Resource: res, Attribute: attr}
	}
	return resolved{Stack: st, Value: expand(v)}
}

// resourceType returns a resource's CloudFormation type (from the raw
// tree: it also knows newerTypes).
func resourceType(st *stack, name string) string {
	typ, _ := asMap(asMap(st.Raw["Resources"])[name])["Type"].(string)
	return typ
}

// walk calls f on every map in a raw tree, with its path.
func walk(v any, path string, f func(path string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(path, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(x[k], path+"/"+k, f)
		}
	case []any:
		for i, e := range x {
			walk(e, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

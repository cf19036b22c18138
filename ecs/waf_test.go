package ecs_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"taskapi/adapters/httpapi"
)

// TestServicesWaf checks the optional web ACL: off by default, on the
// API's ALB when on, a rate limit per client address over every task on
// exactly the login and registration routes (answered with the API's own
// 429 error shape), then AWS's common rule set, whose body-size rule would
// refuse legitimate requests the API accepts.
func TestServicesWaf(t *testing.T) {
	st := stacks(t)["services"]
	eq(t, "EnableWaf default (off: it costs money)", fmt.Sprint(st.T.Parameters["EnableWaf"].Default), "false")
	sameJSON(t, "EnableWaf values", st.T.Parameters["EnableWaf"].AllowedValues, []any{"true", "false"})
	sameJSON(t, "HasWaf", st.T.Conditions["HasWaf"], map[string]any{"Fn::Equals": []any{ref("EnableWaf"), "true"}})
	for _, name := range []string{"WebAcl", "WebAclAssociation"} {
		eq(t, name+" condition", conditionOf(st, name), "HasWaf")
	}
	assoc := asMap(asMap(asMap(st.Raw["Resources"])["WebAclAssociation"])["Properties"])
	sameJSON(t, "association: the ALB", assoc["ResourceArn"], ref("LoadBalancer"))
	if res, attr := getAttOf(assoc["WebACLArn"]); res+"."+attr != "WebAcl.Arn" {
		t.Errorf("association: the web ACL = %v, want !GetAtt WebAcl.Arn", assoc["WebACLArn"])
	}

	acl := asMap(asMap(asMap(st.Raw["Resources"])["WebAcl"])["Properties"])
	eq(t, "scope (an ALB's)", acl["Scope"], any("REGIONAL"))
	sameJSON(t, "default action", acl["DefaultAction"], map[string]any{"Allow": map[string]any{}})
	rules := map[string]map[string]any{}
	var priorities []int
	for _, r := range acl["Rules"].([]any) {
		r := asMap(r)
		rules[fmt.Sprint(r["Name"])] = r
		priorities = append(priorities, int(r["Priority"].(float64)))
		vc := asMap(r["VisibilityConfig"])
		if vc["CloudWatchMetricsEnabled"] != true || vc["MetricName"] != r["Name"] {
			t.Errorf("rule %v: its metrics are off or not named after it: %v", r["Name"], vc)
		}
	}
	sort.Ints(priorities)
	eq(t, "priorities", fmt.Sprint(priorities), "[0 1]")

	// 1. The rate limit, first, so a flood costs no managed-rule evaluation.
	rate := rules["auth-rate-per-ip"]
	if rate == nil {
		t.Fatal("no auth-rate-per-ip rule")
	}
	eq(t, "rate rule priority", rate["Priority"], any(0.0))
	stmt := asMap(asMap(rate["Statement"])["RateBasedStatement"])
	// Per viewer: behind CloudFront the ALB's peer is CloudFront, so the
	// key is the header CloudFront's function sets to the viewer's address
	// on every API request (TestCloudFront checks the function is on each).
	eq(t, "rate aggregated per", stmt["AggregateKeyType"], any("FORWARDED_IP"))
	sameJSON(t, "rate key header", stmt["ForwardedIPConfig"], map[string]any{"HeaderName": "X-Viewer-Address", "FallbackBehavior": "MATCH"})
	sameJSON(t, "rate limit", stmt["Limit"], ref("WafLoginRateLimit"))
	eq(t, "rate window (s)", stmt["EvaluationWindowSec"], any(300.0))
	limit := st.T.Parameters["WafLoginRateLimit"]
	if d, ok := limit.Default.(float64); !ok || d < 10 || float64(val(limit.MinValue)) < 10 {
		t.Errorf("WafLoginRateLimit default %v, minimum %v: WAF's smallest limit is 10", limit.Default, val(limit.MinValue))
	}
	var paths []string
	for _, s := range asMap(asMap(stmt["ScopeDownStatement"])["OrStatement"])["Statements"].([]any) {
		bm := asMap(asMap(s)["ByteMatchStatement"])
		sameJSON(t, "rate scope field", bm["FieldToMatch"], map[string]any{"UriPath": map[string]any{}})
		// Exactly, unchanged: the ALB and the router match paths case-sensitively
		// and whole, so another spelling never reaches these routes.
		eq(t, "rate scope match", bm["PositionalConstraint"], any("EXACTLY"))
		sameJSON(t, "rate scope transformation", bm["TextTransformations"], []any{map[string]any{"Priority": 0, "Type": "NONE"}})
		paths = append(paths, fmt.Sprint(bm["SearchString"]))
	}
	sort.Strings(paths)
	eq(t, "rate-limited paths", fmt.Sprint(paths), "[/auth/login /auth/register]")
	// They are the auth service's public routes behind this ALB.
	albRoutes := albRules(t)
	for _, p := range paths {
		eq(t, "the ALB sends "+p+" to", route(albRoutes, p), "auth")
	}

	// Blocked with the API's error shape and status.
	action := asMap(asMap(rate["Action"])["Block"])["CustomResponse"]
	eq(t, "rate block status", asMap(action)["ResponseCode"], any(429.0))
	key := fmt.Sprint(asMap(action)["CustomResponseBodyKey"])
	body := asMap(asMap(acl["CustomResponseBodies"])[key])
	eq(t, "429 body type", body["ContentType"], any("APPLICATION_JSON"))
	var answer httpapi.ErrorBody
	if err := json.Unmarshal([]byte(fmt.Sprint(body["Content"])), &answer); err != nil {
		t.Fatalf("429 body %v: %v", body["Content"], err)
	}
	eq(t, "429 body error", answer.Error, http.StatusText(http.StatusTooManyRequests))
	if answer.Message == "" {
		t.Error("429 body has no message")
	}

	// 2. AWS's common rule set, its blocks kept (no Count override of the group)
	// but the 8 KB body rule, under the API's own limit.
	common := rules["aws-common-rule-set"]
	if common == nil {
		t.Fatal("no aws-common-rule-set rule")
	}
	sameJSON(t, "common rule set override action", common["OverrideAction"], map[string]any{"None": map[string]any{}})
	group := asMap(asMap(common["Statement"])["ManagedRuleGroupStatement"])
	eq(t, "managed group", fmt.Sprint(group["VendorName"], "/", group["Name"]), "AWS/AWSManagedRulesCommonRuleSet")
	var counted []string
	for _, o := range group["RuleActionOverrides"].([]any) {
		o := asMap(o)
		sameJSON(t, fmt.Sprint(o["Name"])+" action", o["ActionToUse"], map[string]any{"Count": map[string]any{}})
		counted = append(counted, fmt.Sprint(o["Name"]))
	}
	eq(t, "rules only counted", strings.Join(counted, " "), "SizeRestrictions_BODY")
	if httpapi.MaxBodyBytes <= 8<<10 {
		t.Errorf("the API's body limit (%d) is within the rule set's 8 KB: SizeRestrictions_BODY may block again", httpapi.MaxBodyBytes)
	}
	eq(t, "rules", len(rules), 2)
}

package ecs_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sgRule is one security-group rule, with the other side named by the
// group's logical name ("sg:AlbSecurityGroup") or its CIDR.
type sgRule struct {
	Direction string // in or out
	Protocol  string
	From, To  int
	Peer      string
}

func (r sgRule) String() string {
	return fmt.Sprintf("%s %s/%d-%d %s", r.Direction, r.Protocol, r.From, r.To, r.Peer)
}

// isPlaceholder: the egress rule that matches nothing, there only to drop
// EC2's default allow-all egress.
func (r sgRule) isPlaceholder() bool {
	return r.Direction == "out" && r.Protocol == "icmp" && r.From == 252 && r.To == 86 && r.Peer == "255.255.255.255/32"
}

// securityGroupRules collects, per security group of the network stack, its
// inline rules and the separate ingress/egress resources attached to it.
func securityGroupRules(t *testing.T) (rules map[string][]sgRule, inlineEgress map[string]int) {
	t.Helper()
	st := stacks(t)["network"]
	peer := func(what string, cidr *string, group *string, prefixList ...*string) string {
		if cidr != nil {
			return *cidr
		}
		if len(prefixList) > 0 && prefixList[0] != nil {
			return "pl:" + refOf(prefixList[0])
		}
		res, attr := getAttOf(group)
		if res == "" || attr != "GroupId" || resourceType(st, res) != "AWS::EC2::SecurityGroup" {
			t.Errorf("%s: peer %v is not a security group of this stack", what, expand(group))
		}
		return "sg:" + res
	}
	rules, inlineEgress = map[string][]sgRule{}, map[string]int{}
	for name, sg := range st.T.GetAllEC2SecurityGroupResources() {
		rules[name] = nil
		for _, in := range sg.SecurityGroupIngress {
			rules[name] = append(rules[name], sgRule{"in", in.IpProtocol, val(in.FromPort), val(in.ToPort), peer(name, in.CidrIp, in.SourceSecurityGroupId, in.SourcePrefixListId)})
		}
		for _, out := range sg.SecurityGroupEgress {
			rules[name] = append(rules[name], sgRule{"out", out.IpProtocol, val(out.FromPort), val(out.ToPort), peer(name, out.CidrIp, out.DestinationSecurityGroupId)})
		}
		inlineEgress[name] = len(sg.SecurityGroupEgress)
	}
	owner := func(what string, group any) string {
		res, attr := getAttOf(group)
		if res == "" || attr != "GroupId" || resourceType(st, res) != "AWS::EC2::SecurityGroup" {
			t.Errorf("%s: GroupId %v is not a security group of this stack", what, expand(group))
		}
		return res
	}
	for name, in := range st.T.GetAllEC2SecurityGroupIngressResources() {
		g := owner(name, in.GroupId)
		rules[g] = append(rules[g], sgRule{"in", in.IpProtocol, val(in.FromPort), val(in.ToPort), peer(name, in.CidrIp, in.SourceSecurityGroupId)})
	}
	for name, out := range st.T.GetAllEC2SecurityGroupEgressResources() {
		g := owner(name, out.GroupId)
		rules[g] = append(rules[g], sgRule{"out", out.IpProtocol, val(out.FromPort), val(out.ToPort), peer(name, out.CidrIp, out.DestinationSecurityGroupId)})
	}
	return rules, inlineEgress
}

// TestSecurityGroupsExactlyAsDesign compares every group's rules with the
// design's (sections 1, 3, 4, 6) plus the endpoints' group: nothing more,
// nothing less, and no default allow-all egress left anywhere.
func TestSecurityGroupsExactlyAsDesign(t *testing.T) {
	const anywhere = "0.0.0.0/0"
	want := map[string][]sgRule{
		// The internal ALB admits CloudFront (its VPC origin) only: nothing
		// from the internet, in plain HTTP or otherwise.
		"AlbSecurityGroup": { // alb-sg
			{"in", "tcp", 80, 80, "pl:CloudFrontPrefixListId"},
			{"in", "tcp", 443, 443, "pl:CloudFrontPrefixListId"},
			{"out", "tcp", 3000, 3000, "sg:AuthServiceSecurityGroup"},
			{"out", "tcp", 3000, 3000, "sg:TaskServiceSecurityGroup"},
		},
		"AuthServiceSecurityGroup": { // auth-service-sg
			{"in", "tcp", 3000, 3000, "sg:AlbSecurityGroup"},
			{"in", "tcp", 3000, 3000, "sg:TaskServiceSecurityGroup"},
			{"out", "tcp", 5432, 5432, "sg:RdsSecurityGroup"},
			{"out", "tcp", 443, 443, anywhere},
		},
		"TaskServiceSecurityGroup": { // task-service-sg
			{"in", "tcp", 3000, 3000, "sg:AlbSecurityGroup"},
			{"out", "tcp", 3000, 3000, "sg:AuthServiceSecurityGroup"},
			{"out", "tcp", 5432, 5432, "sg:RdsSecurityGroup"},
			{"out", "tcp", 443, 443, anywhere},
		},
		"RdsSecurityGroup": { // rds-sg: no outbound
			{"in", "tcp", 5432, 5432, "sg:AuthServiceSecurityGroup"},
			{"in", "tcp", 5432, 5432, "sg:TaskServiceSecurityGroup"},
		},
		"EndpointSecurityGroup": { // endpoints-sg (optional): no outbound
			{"in", "tcp", 443, 443, "sg:AuthServiceSecurityGroup"},
			{"in", "tcp", 443, 443, "sg:TaskServiceSecurityGroup"},
		},
	}
	names := map[string]string{
		"AlbSecurityGroup": "alb-sg", "AuthServiceSecurityGroup": "auth-service-sg", "TaskServiceSecurityGroup": "task-service-sg",
		"RdsSecurityGroup": "rds-sg", "EndpointSecurityGroup": "endpoints-sg",
	}
	got, inlineEgress := securityGroupRules(t)
	st := stacks(t)["network"]
	eq(t, "CloudFrontPrefixListId has no default (the scripts look it up)", st.T.Parameters["CloudFrontPrefixListId"].Default == nil, true)
	if len(got) != len(want) {
		t.Errorf("security groups %v, want %v", keys(got), keys(want))
	}
	for group, wantRules := range want {
		var g, w []string
		for _, r := range got[group] {
			if !r.isPlaceholder() {
				g = append(g, r.String())
			}
		}
		for _, r := range wantRules {
			w = append(w, r.String())
		}
		sort.Strings(g)
		sort.Strings(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s rules:\n got  %s\n want %s", group, strings.Join(g, "; "), strings.Join(w, "; "))
		}
		// Without an inline egress rule EC2 keeps its default allow-all.
		if inlineEgress[group] == 0 {
			t.Errorf("%s has no inline SecurityGroupEgress, so EC2's default allow-all egress stays", group)
		}
		sg, err := st.T.GetEC2SecurityGroupWithName(group)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, group+" name", designName(t, st, group, "GroupName"), names[group])
		eq(t, group+" VPC", refOf(sg.VpcId), "VpcId")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestVpcEndpoints: the optional endpoints that private subnets without NAT
// need, and every task's security group can reach each of them.
func TestVpcEndpoints(t *testing.T) {
	all := stacks(t)
	st := all["network"]
	rules, _ := securityGroupRules(t)
	interfaces := map[string]bool{}
	var gateway []string
	for name, ep := range st.T.GetAllEC2VPCEndpointResources() {
		eq(t, name+" condition", ep.AWSCloudFormationCondition, "CreateEndpoints")
		eq(t, name+" VPC", refOf(ep.VpcId), "VpcId")
		sub, arg, _ := fn(ep.ServiceName)
		service, found := strings.CutPrefix(fmt.Sprint(arg), "com.amazonaws.${AWS::Region}.")
		if sub != "Fn::Sub" || !found {
			t.Errorf("%s service %v", name, expand(ep.ServiceName))
		}
		switch val(ep.VpcEndpointType) {
		case "Interface":
			interfaces[service] = true
			eq(t, name+" private DNS", val(ep.PrivateDnsEnabled), true)
			sameJSON(t, name+" subnets", ep.SubnetIds, []any{ref("PrivateSubnet1"), ref("PrivateSubnet2")})
			sameJSON(t, name+" security groups", ep.SecurityGroupIds, []any{map[string]any{"Fn::GetAtt": []any{"EndpointSecurityGroup", "GroupId"}}})
		case "Gateway":
			gateway = append(gateway, service)
			sameJSON(t, name+" route tables", ep.RouteTableIds, []any{ref("PrivateRouteTableIds")})
		default:
			t.Errorf("%s: endpoint type %q", name, val(ep.VpcEndpointType))
		}
	}
	eq(t, "interface endpoints", fmt.Sprint(keys(interfaces)), "[ecr.api ecr.dkr logs secretsmanager]")
	eq(t, "gateway endpoints (ECR layers live in S3)", fmt.Sprint(gateway), "[s3]")
	sameJSON(t, "CreateEndpoints", st.T.Conditions["CreateEndpoints"], map[string]any{"Fn::Equals": []any{ref("CreateVpcEndpoints"), "true"}})

	// The groups tasks run in: each service's, and the migration's (the
	// deploy script runs it in the auth service's group).
	taskGroups := map[string]bool{"AuthServiceSecurityGroup": true}
	for _, c := range containers(t) {
		if c.Logical == "MigrateTaskDefinition" {
			continue
		}
		svc := ecsServiceOf(t, c)
		for _, g := range val(val(svc.NetworkConfiguration).AwsvpcConfiguration).SecurityGroups {
			r := resolve(t, all, c.Stack, g)
			if r.Stack == nil || r.Stack.Name != "network" || r.Attribute != "GroupId" {
				t.Fatalf("%s security group %v does not resolve to a network group", c.Logical, expand(g))
			}
			taskGroups[r.Resource] = true
		}
	}
	for group := range taskGroups {
		reachesOut, allowedIn := false, false
		for _, r := range rules[group] {
			if r.Direction == "out" && r.Protocol == "tcp" && r.From <= 443 && 443 <= r.To && (r.Peer == "0.0.0.0/0" || r.Peer == "sg:EndpointSecurityGroup") {
				reachesOut = true
			}
		}
		for _, r := range rules["EndpointSecurityGroup"] {
			if r.Direction == "in" && r.Protocol == "tcp" && r.From <= 443 && 443 <= r.To && r.Peer == "sg:"+group {
				allowedIn = true
			}
		}
		if !reachesOut || !allowedIn {
			t.Errorf("tasks in %s cannot reach the endpoints on 443 (egress %v, endpoint ingress %v)", group, reachesOut, allowedIn)
		}
	}
}

// securityGroupKeys are the properties, in any template, that name
// security groups.
var securityGroupKeys = []string{"SecurityGroups", "SecurityGroupIds", "VPCSecurityGroups", "GroupId", "SourceSecurityGroupId", "DestinationSecurityGroupId"}

// TestSecurityGroupReferencesResolve follows every reference to a security
// group, in every template, to an AWS::EC2::SecurityGroup's GroupId.
func TestSecurityGroupReferencesResolve(t *testing.T) {
	all := stacks(t)
	count := 0
	for _, st := range all {
		walk(st.Raw["Resources"], st.Name, func(path string, m map[string]any) {
			for _, key := range securityGroupKeys {
				v, ok := m[key]
				if !ok {
					continue
				}
				for _, g := range listOf(v) {
					count++
					r := resolve(t, all, st, g)
					if r.Resource == "" || resourceType(r.Stack, r.Resource) != "AWS::EC2::SecurityGroup" || r.Attribute != "GroupId" {
						t.Errorf("%s/%s: %v does not resolve to a security group's GroupId", path, key, g)
					}
				}
			}
		})
	}
	if count < 20 {
		t.Errorf("only %d security-group references found: is the walk broken?", count)
	}
}

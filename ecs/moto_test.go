package ecs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// motoGaps are the stacks moto_server (5.2) cannot create, with why: the
// gaps are moto's, and docs/deploy-ecs.md lists them.
var motoGaps = map[string]string{
	"data":       "moto's AWS::RDS::DBInstance has no Endpoint.Port attribute for Fn::GetAtt",
	"cluster":    "imports the data stack's exports",
	"services":   "imports the data stack's exports; moto knows no AWS::CloudFront::VpcOrigin",
	"monitoring": "imports the services stack's exports",
}

// TestStacksOnMoto creates the stacks moto_server can create, with the
// scripts' parameters, against a moto_server of its own on 127.0.0.1, and
// reads back what AWS would enforce: immutable ECR tags, and an ALB
// security group that admits CloudFront's prefix list and nothing else.
// It skips, saying so, where moto_server or the AWS CLI is missing.
func TestStacksOnMoto(t *testing.T) {
	t.Parallel() // a Python process does the work: the other tests go on meanwhile
	moto, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not installed (pip install 'moto[server]'): the stacks are not exercised against it")
	}
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed: the stacks are not exercised against moto")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	server := exec.CommandContext(ctx, moto, "-H", host, "-p", port)
	server.Stdout, server.Stderr = nil, nil
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	// Polled: moto_server says nothing a test could wait on when it listens.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("moto_server did not start listening in 30 s")
		}
	}

	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "AWS_CONFIG_FILE=" + filepath.Join(home, "none")}
	// Every aws call is a Python process of its own (a third of a second
	// or more): the calls that need nothing of each other run at once.
	// A failure is reported with t.Errorf, which any goroutine may call,
	// and ends the test at the next stopIfFailed.
	aws := func(args ...string) string {
		t.Helper() // safe from any goroutine
		cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", "http://" + addr, "--output", "text"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	stopIfFailed := func() {
		t.Helper()
		if t.Failed() {
			t.FailNow()
		}
	}
	create := func(name string, params map[string]string) {
		t.Helper()
		args := []string{"cloudformation", "create-stack", "--stack-name", "taskapi-" + name,
			"--template-body", "file://templates/" + name + ".yaml", "--capabilities", "CAPABILITY_IAM"}
		if len(params) > 0 {
			args = append(args, "--parameters")
			for k, v := range params {
				args = append(args, "ParameterKey="+k+",ParameterValue="+v)
			}
		}
		aws(args...)
	}

	shim := writeAWSShim(t, awsCLI, addr)
	var setup, registry sync.WaitGroup
	// Joined however the test ends (FailNow runs deferred calls), so that
	// no goroutine reports after it.
	defer registry.Wait()
	defer setup.Wait()
	var vpc, prefixList string
	subnets := make([]string, 2)
	setup.Go(func() {
		vpc = aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId")
		var both sync.WaitGroup
		for i, zone := range []string{"us-east-1a", "us-east-1b"} {
			both.Go(func() {
				subnets[i] = aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", fmt.Sprintf("10.0.%d.0/24", 3+i),
					"--availability-zone", zone, "--query", "Subnet.SubnetId")
			})
		}
		both.Wait()
	})
	setup.Go(func() {
		// The scripts' own look-up of the prefix list (lib.sh), run against moto.
		lookup := exec.CommandContext(ctx, "bash", "-c", "source scripts/lib.sh; cloudfront_prefix_list")
		lookup.Env = append(env, "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
		plOut, err := lookup.CombinedOutput()
		if err != nil {
			t.Errorf("lib.sh cloudfront_prefix_list against moto: %v\n%s", err, plOut)
		}
		prefixList = strings.TrimSpace(string(plOut))
	})
	registry.Go(func() {
		create("registry", nil)
		// Both repositories in one call: one line each, name and mutability.
		mutability := map[string]string{}
		for _, line := range strings.Split(aws("ecr", "describe-repositories", "--repository-names", "auth-service", "task-service",
			"--query", "repositories[].[repositoryName,imageTagMutability]"), "\n") {
			if name, m, ok := strings.Cut(line, "\t"); ok {
				mutability[name] = m
			}
		}
		for _, repo := range []string{"auth-service", "task-service"} {
			eq(t, repo+" tag mutability on moto", mutability[repo], "IMMUTABLE")
		}
	})
	setup.Wait()
	stopIfFailed()
	create("network", map[string]string{
		"VpcId":          vpc,
		"PrivateSubnet1": subnets[0], "PrivateSubnet2": subnets[1],
		"CloudFrontPrefixListId": prefixList,
	})
	registry.Wait()
	stopIfFailed()

	// Both stacks' status in one call, beside the security group's.
	var statuses string
	var status sync.WaitGroup
	defer status.Wait()
	status.Go(func() {
		statuses = aws("cloudformation", "describe-stacks", "--query", "Stacks[].[StackName,StackStatus]")
	})
	var groups []struct {
		IpPermissions []struct {
			FromPort      int
			IpRanges      []any
			Ipv6Ranges    []any
			PrefixListIds []struct{ PrefixListId string }
		}
	}
	raw := aws("ec2", "describe-security-groups", "--filters", "Name=group-name,Values=alb-sg", "--output", "json", "--query", "SecurityGroups")
	status.Wait()
	for _, name := range []string{"registry", "network"} {
		if want := "taskapi-" + name + "\tCREATE_COMPLETE"; !slices.Contains(strings.Split(statuses, "\n"), want) {
			t.Errorf("taskapi-%s is not CREATE_COMPLETE on moto: describe-stacks says\n%s", name, statuses)
		}
	}
	if err := json.Unmarshal([]byte(raw), &groups); err != nil || len(groups) != 1 {
		t.Fatalf("alb-sg on moto: %v\n%s", err, raw)
	}
	// No address range may reach the ALB. (moto 5.2 drops ingress rules
	// whose source is a prefix list, and inline egress rules, so it shows
	// neither CloudFront's rules nor the replaced default egress: its gap.)
	for _, p := range groups[0].IpPermissions {
		if len(p.IpRanges) != 0 || len(p.Ipv6Ranges) != 0 {
			t.Errorf("alb-sg admits addresses on port %d: %v %v", p.FromPort, p.IpRanges, p.Ipv6Ranges)
		}
		if len(p.PrefixListIds) != 0 && (len(p.PrefixListIds) != 1 || p.PrefixListIds[0].PrefixListId != prefixList) {
			t.Errorf("alb-sg port %d admits %v, want only CloudFront's %s", p.FromPort, p.PrefixListIds, prefixList)
		}
	}
	if !strings.HasPrefix(prefixList, "pl-") {
		t.Errorf("the prefix list lib.sh found on moto: %q", prefixList)
	}
	for name, why := range motoGaps {
		t.Logf("not created on moto: taskapi-%s (%s)", name, why)
	}
}

// writeAWSShim writes an aws command that calls the real CLI against the
// moto endpoint, for the scripts' functions, and returns its directory.
func writeAWSShim(t *testing.T, awsCLI, addr string) string {
	t.Helper()
	dir := t.TempDir()
	shim := "#!/bin/sh\nexec " + awsCLI + " --endpoint-url http://" + addr + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

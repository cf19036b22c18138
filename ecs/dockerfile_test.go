package ecs_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string
	Args string
}

func dockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonArgs parses an exec-form argument list such as ["/taskapi", "serve"].
func jsonArgs(t *testing.T, what, s string) []string {
	t.Helper()
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		t.Errorf("%s %s: want the exec form [\"...\"] (the image has no shell): %v", what, s, err)
	}
	return l
}

// dockerfileBinaryPath is the binary the image runs (its ENTRYPOINT).
func dockerfileBinaryPath(t *testing.T) string {
	t.Helper()
	for _, in := range dockerfile(t) {
		if in.Cmd == "ENTRYPOINT" {
			if l := jsonArgs(t, "ENTRYPOINT", in.Args); len(l) > 0 {
				return l[0]
			}
		}
	}
	t.Fatal("the Dockerfile has no ENTRYPOINT")
	return ""
}

// dockerfileUser is the runtime stage's USER: uid:gid.
func dockerfileUser(t *testing.T) string {
	t.Helper()
	var user string
	for _, in := range dockerfile(t) {
		if in.Cmd == "USER" {
			user = in.Args
		}
	}
	if user == "" {
		t.Fatal("the Dockerfile has no USER")
	}
	return user
}

// TestDockerfile checks the image's key lines: a multi-stage static build,
// a distroless nonroot runtime, port 3000, the health check and the RDS CA
// bundle, each against what the task definitions expect.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var froms []string
	args := map[string]string{}
	byCmd := map[string][]string{}
	for _, in := range ins {
		byCmd[in.Cmd] = append(byCmd[in.Cmd], in.Args)
		switch in.Cmd {
		case "FROM":
			froms = append(froms, in.Args)
		case "ARG":
			if k, v, ok := strings.Cut(in.Args, "="); ok {
				args[k] = v
			}
		}
	}
	if len(froms) != 2 {
		t.Fatalf("FROM %v: want a build stage and a runtime stage", froms)
	}
	if !regexp.MustCompile(`^(--platform=\$BUILDPLATFORM )?golang:\$\{GO_VERSION\} AS build$`).MatchString(froms[0]) {
		t.Errorf("build stage %q: want golang:${GO_VERSION} AS build", froms[0])
	}
	eq(t, "runtime stage", froms[1], "gcr.io/distroless/static-debian12:nonroot")

	// The Go release is the one go.mod says builds the project: its
	// toolchain line (which carries the security fixes), else its go line.
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindSubmatch(mod)
	if goLine == nil {
		goLine = regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	}
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	eq(t, "ARG GO_VERSION (= go.mod's toolchain)", args["GO_VERSION"], string(goLine[1]))

	// The static, stripped, reproducible build.
	var build string
	for _, r := range byCmd["RUN"] {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "go build", "-trimpath", `-ldflags="-s -w`, "-o /out/taskapi", "./cmd/taskapi"} {
		if !strings.Contains(build, want) {
			t.Errorf("the go build line lacks %s: %s", want, build)
		}
	}
	copies := strings.Join(byCmd["COPY"], "\n")
	binary := dockerfileBinaryPath(t)
	if !strings.Contains(copies, "--from=build /out/taskapi "+binary) {
		t.Errorf("the runtime stage does not copy the binary to %s:\n%s", binary, copies)
	}

	// Non-root, port 3000, exec-form entrypoint and default command.
	// distroless's nonroot user and group, by number (the task definitions'
	// User is checked against this line).
	eq(t, "USER", strings.Join(byCmd["USER"], ";"), dockerfileUser(t))
	eq(t, "USER (distroless nonroot, numeric)", dockerfileUser(t), "65532:65532")
	eq(t, "EXPOSE", strings.Join(byCmd["EXPOSE"], ";"), "3000")
	eq(t, "ENTRYPOINT", strings.Join(jsonArgs(t, "ENTRYPOINT", strings.Join(byCmd["ENTRYPOINT"], "")), " "), "/taskapi")
	eq(t, "CMD", strings.Join(jsonArgs(t, "CMD", strings.Join(byCmd["CMD"], "")), " "), "serve")

	// The image's health check is the task definitions' (ECS uses theirs).
	hc := strings.Join(byCmd["HEALTHCHECK"], "")
	_, execForm, found := strings.Cut(hc, " CMD ")
	if !found {
		t.Fatalf("HEALTHCHECK %q: want ... CMD [\"/taskapi\", \"healthcheck\"]", hc)
	}
	image := jsonArgs(t, "HEALTHCHECK", execForm)
	for _, c := range containers(t) {
		if c.Container.HealthCheck != nil {
			eq(t, c.Logical+" health check = the image's", strings.Join(c.Container.HealthCheck.Command[1:], " "), strings.Join(image, " "))
		}
	}
	for _, opt := range []string{"--interval=30s", "--timeout=5s", "--start-period=60s", "--retries=3"} {
		if !strings.Contains(hc, opt) {
			t.Errorf("HEALTHCHECK lacks %s (the task definitions' values)", opt)
		}
	}

	// The RDS CA bundle is where DB_SSLROOTCERT points.
	bundle := dockerfileBundlePath(t)
	for _, c := range containers(t) {
		eq(t, c.Logical+" DB_SSLROOTCERT", c.Env["DB_SSLROOTCERT"].(string), bundle)
	}
	if !strings.HasPrefix(args["RDS_CA_BUNDLE_URL"], "https://truststore.pki.rds.amazonaws.com/") {
		t.Errorf("RDS_CA_BUNDLE_URL %q: want AWS's RDS trust store, over HTTPS", args["RDS_CA_BUNDLE_URL"])
	}
	if !strings.Contains(strings.Join(byCmd["RUN"], "\n"), `grep -q "BEGIN CERTIFICATE"`) {
		t.Error("the downloaded bundle is not checked to hold certificates")
	}
}

// TestDockerignoreKeepsTheBuildInputs checks that .dockerignore leaves in
// every file `go build ./cmd/taskapi` reads (Go files and embedded files of
// every package it depends on, go.mod, go.sum) and leaves out the rest.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	data, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "!") {
				t.Fatalf(".dockerignore exception %q: not modelled here", line)
			}
			patterns = append(patterns, strings.TrimSuffix(line, "/"))
		}
	}
	ignored := func(file string) bool {
		for _, p := range patterns {
			// A pattern matches the file or one of its parent directories.
			for dir := file; dir != "."; dir = path.Dir(dir) {
				if ok, _ := path.Match(p, dir); ok {
					return true
				}
				if rest, ok := strings.CutPrefix(p, "**/"); ok {
					if m, _ := path.Match(rest, path.Base(dir)); m {
						return true
					}
				}
			}
		}
		return false
	}

	cmd := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`, "./cmd/taskapi")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root = path.Dir(root)
	inputs := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		inputs = append(inputs, strings.TrimPrefix(f, root+"/"))
	}
	if len(inputs) < 20 {
		t.Fatalf("go list found only %v", inputs)
	}
	for _, f := range inputs {
		if ignored(f) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", f)
		}
	}
	for _, f := range []string{".git/HEAD", "bin/taskapi", "data/taskapi.db", "ecs/templates/services.yaml", "app/run_test.go", "README.md"} {
		if !ignored(f) {
			t.Errorf(".dockerignore sends %s into the build context", f)
		}
	}
}

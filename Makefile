# taskapi: the two commands a newcomer needs are `make run` and `make test`.
# Every variable below is a default: a value set in the environment wins.
# A plain `make` prints the help (every `## target:` comment below) rather
# than starting anything: the first build downloads and compiles for minutes.
.DEFAULT_GOAL := help

GO           ?= go
BIN          ?= bin/taskapi
STATICCHECK  ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The Go release that builds and tests the project (go.mod's toolchain line):
# go1.27.3 carries the standard-library security fixes that go1.26.8 lacks
# (govulncheck finds called net/http, crypto/tls and crypto/x509 advisories
# there). The go command fetches it from the module proxy once, ~76 MB.
export GOTOOLCHAIN ?= go1.27.3

# The race detector needs cgo (a C compiler); use it wherever one exists.
# Every package is instrumented. Leaving some out (-gcflags=PKG=-race=false)
# was tried for the SQLite engine and bcrypt, 20 to 50 times faster there,
# and gave false race reports: memory those packages had used, reported
# against unrelated code (encoding/json's cache, the OpenAPI document).
# -race also turns on checkptr, a check of unsafe.Pointer arithmetic, in
# every package. It stays on for ours and every other module, and is off
# for the SQLite engine (modernc.org, C translated to Go, unsafe by
# design), where it was 45 % of the engine's CPU under test: the race
# instrumentation there stays. make test took 140 s warm with it, 113 s
# without (same machine, minutes apart).
RACE ?= $(shell command -v gcc >/dev/null 2>&1 && echo -race -gcflags=modernc.org/...=-d=checkptr=0)

# The race runtime (ThreadSanitizer) sleeps atexit_sleep_ms, 1 s by
# default, as each instrumented process exits, for races still being
# reported by other threads: a second of idle wall time per test binary,
# 21 of them, 11 to 12 s of make test here at two packages at a time.
# A race found during a test fails that test when it is found (testing
# checks the detector's count after every test), so the sleep guards only
# races in goroutines still running after m.Run returned; 50 ms leaves
# them time to report.
export GORACE ?= atexit_sleep_ms=50

# The packages make test runs, the two longest first: go test starts them
# in the order named, so neither app nor store (the two longest) starts
# last behind the other and finishes alone.
TEST_PACKAGES ?= ./app/ ./store/ ./...

# How many test binaries run at once. go test's default is one per core,
# two here; but a good share of every package's wall time is spent waiting
# on PostgreSQL (another process), on bcrypt in a server under test, and on
# subprocesses, so a third binary fills cores the first two leave idle
# (the README gives the figures).
TEST_PARALLEL ?= 3

# The binary's build: one environment and one set of flags for make run,
# make build and the tests that start the binary (internal/deploytest
# declares the same, a test keeps them equal), so that none of them
# compiles again what another has compiled: a static, stripped binary.
BUILD_ENV   ?= CGO_ENABLED=0
BUILD_FLAGS ?= -trimpath -ldflags="-s -w"

# Human-readable logs for local runs; ECS keeps the JSON default.
export LOG_FORMAT ?= text

.PHONY: help run test bench bench-micro build lint fmt tidy config-doc clean

## help: list the targets (a plain `make` does this too)
help:
	@echo "usage: make <target>   (a plain make prints this list)"
	@echo
	@sed -n 's/^## \([A-Za-z0-9_-]*\): \(.*\)$$/\1\t\2/p' $(MAKEFILE_LIST) | \
		while IFS="$$(printf '\t')" read -r target text; do printf '  %-15s %s\n' "$$target" "$$text"; done
	@echo
	@echo "Documentation: README.md, then docs/."

## run: start the whole API (auth + tasks) on 127.0.0.1:3000 with the embedded SQLite default
# A development server listens on loopback only. The container image and
# the ECS tasks do not run make: they keep the binary's default, every
# interface. HOST=0.0.0.0 make run opens it to the network.
# Built, then exec'd rather than `go run`: Ctrl-C then reaches the server
# alone, which drains and exits 0, instead of go run reporting exit 1.
RUN_BIN ?= bin/run/taskapi
run: export HOST ?= 127.0.0.1
run:
	@echo "make run: compiling taskapi into $(RUN_BIN) (the first time, after downloading Go and the modules, this takes minutes)"
	$(BUILD_ENV) $(GO) build $(BUILD_FLAGS) -o $(RUN_BIN) ./cmd/taskapi
	@echo "make run: starting $(RUN_BIN): it logs \"server started\" and its address once it serves (Ctrl-C stops it)"
	@exec $(RUN_BIN)

## test: run every test (PostgreSQL suites too when TEST_DATABASE_URL is set)
test:
	$(GO) test $(RACE) -count=1 -p $(TEST_PARALLEL) $(TEST_PACKAGES)

## bench: the load benchmark (cmd/taskbench): split deployment on PostgreSQL, every scenario and its limit; writes BENCHMARKS.md and BENCHMARKS.json (under 10 minutes; BENCH_FLAGS=-h lists the knobs)
BENCH_FLAGS ?=
bench: build
	$(GO) run ./cmd/taskbench -bin $(BIN) $(BENCH_FLAGS)

## bench-micro: every testing.B benchmark, BENCHTIME each (PostgreSQL ones need TEST_DATABASE_URL)
BENCHTIME ?= 1s
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

## build: a static, stripped binary in bin/
build:
	$(BUILD_ENV) $(GO) build $(BUILD_FLAGS) -o $(BIN) ./cmd/taskapi

## lint: gofmt, go vet and staticcheck must all be silent
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## fmt: gofmt every Go file in place
fmt:
	gofmt -w .

## tidy: go mod tidy
tidy:
	$(GO) mod tidy

## config-doc: rewrite docs/configuration.md's table of variables from app/variables.go (a test fails while they differ)
config-doc:
	$(GO) run ./cmd/taskapi config-doc docs/configuration.md

## clean: delete bin/ and data/ (the embedded database: make clean run starts empty)
clean:
	rm -rf bin data

# --- Lambda / SAM ---
# One binary serves Lambda events when AWS_LAMBDA_RUNTIME_API is set. `sam build`
# (BuildMethod: makefile in template.yaml) runs build-<LogicalId> with ARTIFACTS_DIR
# set, and expects the function's `bootstrap` there. GOARCH must match the
# template's Architecture parameter (x86_64 is amd64, arm64 is arm64): ARCH
# picks both, e.g. make sam-build ARCH=arm64 for Graviton functions.
ARCH          ?= amd64
LAMBDA_GOARCH ?= $(ARCH)
SAM_ARCH       = $(if $(filter arm64,$(LAMBDA_GOARCH)),arm64,x86_64)
# REST (API Gateway v1 events) or HTTP (v2 events): template.yaml's ApiType.
API_TYPE      ?= REST
# The Lambda Runtime Interface Emulator, for the end-to-end test (adapters/lambda/rie_test.go
# pins the same version and installs it by itself when it is missing).
RIE_MODULE    ?= github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION   ?= v0.0.0-20261030222936-bef5c4ba774d
# make sam-local: a PostgreSQL container on a docker network that sam local's
# function containers join, so both functions share one database.
SAM_NETWORK   ?= taskapi-sam
SAM_DB        ?= taskapi-sam-db
SAM_PORT      ?= 3000

.PHONY: build-AuthFunction build-TaskFunction lambda rie sam-build sam-local sam-local-db

build-AuthFunction build-TaskFunction:
	@case "$(LAMBDA_GOARCH)" in amd64|arm64) ;; *) echo "LAMBDA_GOARCH (or ARCH) is \"$(LAMBDA_GOARCH)\": amd64 or arm64" >&2; exit 1 ;; esac
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" -o "$(ARTIFACTS_DIR)/bootstrap" ./cmd/taskapi

## lambda: the function's bootstrap in bin/lambda/, as sam build makes it
lambda:
	$(MAKE) build-AuthFunction ARTIFACTS_DIR=$(CURDIR)/bin/lambda

## rie: install aws-lambda-rie into bin/ (runs bin/lambda/bootstrap without docker)
rie:
	GOBIN=$(CURDIR)/bin $(GO) install $(RIE_MODULE)/cmd/aws-lambda-rie@$(RIE_VERSION)

## sam-build: sam build for ARCH (amd64 or arm64): the bootstraps and the template's Architecture agree
sam-build:
	LAMBDA_GOARCH=$(LAMBDA_GOARCH) sam build --parameter-overrides "Architecture=$(SAM_ARCH) ApiType=$(API_TYPE)"

## sam-local: sam build, then the API on :3000 through sam local start-api (needs sam and docker)
sam-local: sam-local-db sam-build
	tools/sam-local.sh $(SAM_PORT) $(SAM_NETWORK) $(SAM_DB) $(SAM_ARCH) $(API_TYPE)

sam-local-db:
	docker network inspect $(SAM_NETWORK) >/dev/null 2>&1 || docker network create $(SAM_NETWORK) >/dev/null
	docker inspect $(SAM_DB) >/dev/null 2>&1 || docker run -d --name $(SAM_DB) --network $(SAM_NETWORK) \
		-e POSTGRES_USER=dbadmin -e POSTGRES_PASSWORD=sam-local -e POSTGRES_DB=taskmanagement postgres:15-alpine >/dev/null
	docker start $(SAM_DB) >/dev/null
	for i in $$(seq 1 30); do docker exec $(SAM_DB) pg_isready -q -U dbadmin && exit 0; sleep 1; done; \
		echo "PostgreSQL in $(SAM_DB) did not become ready" >&2; exit 1

# --- ECS deployment ---
# The AWS CLI (and docker, for ecs-push) against your account. Settings come
# from the environment or the command line, e.g. make ecs-deploy TAG=v1.0.0
# VPC_ID=vpc-... (docs/deploy-ecs.md); the scripts are in ecs/scripts/.
ECS_SCRIPTS ?= ecs/scripts

.PHONY: ecs-push ecs-plan ecs-deploy ecs-migrate ecs-url ecs-destroy ecs-test lint-ecs lint-workflows

## ecs-push: build the image once, push it as TAG to the auth-service and task-service ECR repositories
ecs-push:
	$(ECS_SCRIPTS)/push.sh

## ecs-plan: what ecs-deploy would change, stack by stack (change sets, described, then deleted; nothing applied)
ecs-plan:
	$(ECS_SCRIPTS)/plan.sh

## ecs-deploy: create or update every stack for image TAG; migrates the database before the services change
ecs-deploy:
	$(ECS_SCRIPTS)/deploy.sh

## ecs-migrate: run `taskapi migrate` as a one-off Fargate task and wait for it to succeed
ecs-migrate:
	$(ECS_SCRIPTS)/migrate.sh

## ecs-url: print the API's URL
ecs-url:
	@$(ECS_SCRIPTS)/url.sh

## ecs-destroy: delete every stack, newest first (asks; CONFIRM=yes does not)
ecs-destroy:
	$(ECS_SCRIPTS)/destroy.sh

## ecs-test: the template, image and script tests (no AWS account or docker engine needed)
ecs-test:
	$(GO) test $(RACE) -count=1 ./ecs/...

# actionlint checks the GitHub Actions workflows (and, through shellcheck,
# their run: scripts); a Go tool, fetched from the module proxy.
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

## lint-workflows: actionlint (with shellcheck) on .github/workflows
lint-workflows:
	$(GO) run $(ACTIONLINT) -no-color

# cfn-lint, AWS's CloudFormation linter (a Python package): the version
# whose resource specifications the templates are checked against.
CFN_LINT_VERSION ?= 1.51.0
CFN_TEMPLATES    ?= ecs/templates/*.yaml template.yaml

## lint-ecs: bash -n and shellcheck on every shell script (ecs/scripts, scripts, .ci/run), cfn-lint (no error, warning or informational finding) on every template
lint-ecs:
	CFN_LINT_VERSION=$(CFN_LINT_VERSION) scripts/lint-ecs.sh $(CFN_TEMPLATES)

# --- fuzzing ---
# The seed corpus of every Fuzz target already runs in `make test`; `make
# fuzz` explores from it, each target for FUZZTIME, one after the other.
# A failing input is saved under its package's testdata/fuzz/ and replays
# in every `make test` from then on: commit it with the fix.
FUZZTIME ?= 30s

# govulncheck offline (scripts/vulncheck.sh): the vulnerability database
# is built from the golang.org/x/vulndb module, which the Go module proxy
# serves, and cached per version.
GOVULNCHECK    ?= golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB_CACHE   ?= $(HOME)/.cache/taskapi-vulndb

.PHONY: fuzz vulncheck

## fuzz: run every fuzz target for FUZZTIME (default 30s) each
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## vulncheck: known vulnerabilities in the code the binary calls (Go, stdlib and modules)
vulncheck:
	GO=$(GO) GOVULNCHECK=$(GOVULNCHECK) VULNDB_VERSION=$(VULNDB_VERSION) VULNDB_CACHE=$(VULNDB_CACHE) scripts/vulncheck.sh

# --- web app and browser tests ---
# The app is plain files in web/static/, embedded in the binary: `make run`
# serves it at / without Node. Node and npm are needed only for the browser
# tests (playwright-core and axe-core, pinned by web/e2e/package-lock.json), which drive
# the system's Chromium (Debian: apt-get install chromium); nothing ever
# downloads a browser.
E2E_DIR   ?= web/e2e
CHROMIUM  ?= /usr/bin/chromium
WEB_DIST  ?= bin/web
API_BASE  ?=

.PHONY: e2e e2e-deps web-dist

## e2e: the web app's end-to-end tests in headless Chromium against the built binary
e2e: build e2e-deps
	@test -x "$(CHROMIUM)" || { echo "e2e: no Chromium at $(CHROMIUM) (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }
	cd $(E2E_DIR) && TASKAPI_BIN=$(CURDIR)/$(BIN) CHROMIUM_PATH=$(CHROMIUM) node --test --test-concurrency=1 .

## e2e-deps: install the browser tests' npm packages exactly as locked (no browser download)
e2e-deps:
	@if [ ! -f $(E2E_DIR)/node_modules/.package-lock.json ] || ! cmp -s $(E2E_DIR)/package-lock.json $(E2E_DIR)/node_modules/.package-lock.json.installed; then \
		cd $(E2E_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error && \
		cp package-lock.json node_modules/.package-lock.json.installed; \
	fi

## web-dist: the app as static files in WEB_DIST for S3/CloudFront; API_BASE=https://api.example.com sets config.js's apiBase
web-dist:
	@case '$(API_BASE)' in *'"'*|*'\\'*|*"'"*|*'|'*|*'&'*|*' '*) echo "web-dist: API_BASE must be a plain origin URL, e.g. https://api.example.com" >&2; exit 1;; esac
	rm -rf $(WEB_DIST) && mkdir -p $(WEB_DIST) && cp -R web/static/. $(WEB_DIST)/
	sed -i.orig 's|^  apiBase: "",$$|  apiBase: "$(patsubst %/,%,$(API_BASE))",|' $(WEB_DIST)/config.js && rm $(WEB_DIST)/config.js.orig
	@grep -q '^  apiBase: "$(patsubst %/,%,$(API_BASE))",$$' $(WEB_DIST)/config.js || { echo "web-dist: could not set apiBase in config.js" >&2; exit 1; }
	@echo "web-dist: $(WEB_DIST)/ (apiBase \"$(patsubst %/,%,$(API_BASE))\"); upload it as it is, config.js with Cache-Control: no-cache"

# --- API contract and interactive reference (issue 12) ---
# The OpenAPI document, embedded in the binary and served at /openapi.json.
# Its linter, Redocly CLI, is pinned in tools/openapi-lint/package-lock.json
# and installed there by `npm ci`: npm is all a machine needs for it.
OPENAPI_SPEC       ?= adapters/httpapi/openapi/openapi.yaml
OPENAPI_LINT       ?= tools/openapi-lint
# Swagger UI for /docs: the swagger-ui-dist npm package of this version,
# vendored (only the files the page loads) so that building and running
# never need Node.
SWAGGER_UI_VERSION ?= 5.35.0
DOCS_ASSETS        ?= adapters/httpapi/docs/assets

.PHONY: lint-openapi docs-assets

## lint-openapi: lint the OpenAPI document (Redocly CLI, pinned, via npm; openapi-spec-validator too where installed)
lint-openapi: $(OPENAPI_LINT)/node_modules/.installed
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
		$(OPENAPI_LINT)/node_modules/.bin/redocly lint --config $(OPENAPI_LINT)/redocly.yaml --format stylish $(OPENAPI_SPEC)
	@if command -v openapi-spec-validator >/dev/null 2>&1; then openapi-spec-validator $(OPENAPI_SPEC); \
		else echo "lint-openapi: openapi-spec-validator is not installed; skipped"; fi

$(OPENAPI_LINT)/node_modules/.installed: $(OPENAPI_LINT)/package.json $(OPENAPI_LINT)/package-lock.json
	cd $(OPENAPI_LINT) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The generators a client author would use, with their default settings:
# oapi-codegen (Go, pinned as a tool in tools/openapi-clients/go/go.mod, from
# the module proxy) and openapi-typescript with tsc (pinned in
# tools/openapi-clients/ts/package-lock.json, from npm).
CLIENTS ?= tools/openapi-clients

.PHONY: clients

## clients: generate a Go client and TypeScript types from the served /openapi.json, compile both, run a session with each against the built binary
clients: build $(CLIENTS)/ts/node_modules/.installed
	$(CLIENTS)/run.sh $(BIN)

$(CLIENTS)/ts/node_modules/.installed: $(CLIENTS)/ts/package.json $(CLIENTS)/ts/package-lock.json
	cd $(CLIENTS)/ts && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

## docs-assets: refresh the vendored Swagger UI files of /docs from npm (swagger-ui-dist SWAGGER_UI_VERSION)
docs-assets:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz) && \
	for f in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE; do cp "$$tmp/package/$$f" $(DOCS_ASSETS)/ || exit 1; done && \
	echo "docs-assets: swagger-ui-dist $(SWAGGER_UI_VERSION) in $(DOCS_ASSETS)"

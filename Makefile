# taskapi: the two commands a newcomer needs are `make run` and `make test`.
# Every variable below is a default: a value set in the environment wins.

GO           ?= go
BIN          ?= bin/taskapi
STATICCHECK  ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The race detector needs cgo (a C compiler); use it wherever one exists.
RACE ?= $(shell command -v gcc >/dev/null 2>&1 && echo -race)

# Human-readable logs for local runs; ECS keeps the JSON default.
export LOG_FORMAT ?= text

.PHONY: run test build lint fmt tidy clean

## run: start the whole API (auth + tasks) on :3000 with the embedded SQLite default
run:
	$(GO) run ./cmd/taskapi

## test: run every test (PostgreSQL suites too when TEST_DATABASE_URL is set)
test:
	$(GO) test $(RACE) -count=1 ./...

## build: a static, stripped binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o $(BIN) ./cmd/taskapi

## lint: gofmt, go vet and staticcheck must all be silent
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w .

tidy:
	$(GO) mod tidy

clean:
	rm -rf bin data

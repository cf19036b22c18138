package app

// Version is the build's version, set at link time:
//
//	go build -ldflags "-X taskapi/app.Version=v1.2.3" ./cmd/taskapi
//
// It appears in the start-up log line, so every log stream says which
// build wrote it.
var Version = "dev"

package app

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Usage is what taskapi help (or -h, --help) prints: the commands, the
// variables a first run may want (those of the table marked Help), and
// where the rest is documented.
var Usage = `taskapi: the Task Management API (auth service, task service, or both)

Usage:
  taskapi [serve]      start the HTTP server (what make run does)
  taskapi migrate      apply the database migrations, then exit
  taskapi backup FILE  copy the embedded SQLite database to the new file FILE,
                       consistently, while the server runs (PostgreSQL: use
                       pg_dump or RDS snapshots)
  taskapi healthcheck  exit 0 if this container's server answers /health with
                       200, else 1 (the container's health check)
  taskapi config-doc   print every variable as a Markdown table (the one of
                       docs/configuration.md; with a file name, rewrite it there)
  taskapi version      print the version and the Go release it was built with
  taskapi help         print this help (also -h and --help)

Configuration comes from environment variables. The main ones:
` + helpVariables(Variables) + `
Every variable and its default: taskapi config-doc, or docs/configuration.md.
The API: docs/api.md. Both are in the source repository, which starts with
README.md.
`

// isHelp reports whether a command asks for the usage.
func isHelp(command string) bool {
	switch command {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// isVersion reports whether a command asks for the version.
func isVersion(command string) bool {
	return command == "version" || command == "--version" || command == "-version"
}

// printVersion writes the build's version, the Go release and platform,
// and the commit when the go command stamped one (go build in a checkout).
func printVersion(w io.Writer) error {
	line := fmt.Sprintf("taskapi %s (%s, %s/%s", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if info, ok := debug.ReadBuildInfo(); ok {
		var revision, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(revision) > 12 {
			revision = revision[:12]
		}
		if revision != "" {
			line += ", commit " + revision
			if modified == "true" {
				line += " with local changes"
			}
		}
	}
	_, err := fmt.Fprintln(w, line+")")
	return err
}

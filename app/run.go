// Package app assembles the API from its parts: it reads the
// configuration, opens the store, wires handlers into the HTTP adapter and
// runs the server. Every entry point (the ECS server, the migrate task,
// the Lambda runtime) starts here, so they share one configuration.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// Run is the whole program with its inputs made explicit, so tests can
// start real servers in-process. args[0] is the command: serve (default),
// migrate, backup FILE, healthcheck (which reads only the listening
// address), config-doc, help or version.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	// Help and version read no configuration: they must work where the
	// environment is not set up yet, which is when people ask for help.
	if len(args) > 0 && isHelp(args[0]) {
		_, err := io.WriteString(stdout, Usage)
		return err
	}
	if len(args) > 0 && isVersion(args[0]) {
		return printVersion(stdout)
	}
	if len(args) > 0 && args[0] == "config-doc" {
		return configDoc(args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		// Before LoadConfig: the container health check reads only the
		// listening address and must not need the database or JWT settings.
		return Healthcheck(ctx, getenv)
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	out := &lockedWriter{w: stdout}
	logger, err := NewLogger(out, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	command := "serve"
	if len(args) > 0 {
		command = args[0]
	}
	switch command {
	case "serve":
		return Serve(ctx, cfg, out, nil)
	case "migrate":
		return Migrate(ctx, cfg, logger)
	case "backup":
		return Backup(ctx, cfg, args[1:], out)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, backup, healthcheck, config-doc, version or help; taskapi --help explains them)", command)
}

// NewLogger returns the process's structured logger.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want json or text", format)
}

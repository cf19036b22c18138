// Command taskapi runs the Task Management API: the auth service, the task
// service, or both in one process (the default, for local use).
//
//	taskapi [serve]   start the HTTP server (SERVICE=all|auth|task)
//	taskapi migrate   apply database migrations and exit
//
// Configuration comes from the environment; see the README.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"taskapi/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		// One clear JSON line, then a non-zero exit, so ECS shows the
		// reason next to the stopped task and CloudWatch can search it.
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("taskapi stopped", "error", err.Error(), "version", app.Version)
		os.Exit(1)
	}
}

// Command taskapi runs the Task Management API: the auth service, the task
// service, or both in one process (the default, for local use).
//
//	taskapi [serve]      start the HTTP server (auth, task or both)
//	taskapi migrate      apply database migrations and exit
//	taskapi backup FILE  copy the embedded SQLite database while it runs
//	taskapi healthcheck  the container's health check
//	taskapi config-doc   every variable, as docs/configuration.md's table
//	taskapi version      the version and Go release
//	taskapi help         usage: commands, main variables, documentation
//
// Inside AWS Lambda (AWS_LAMBDA_RUNTIME_API set) it serves Lambda
// invocations instead: API Gateway REST and HTTP API events and ALB events.
//
// Configuration comes from the environment; see docs/configuration.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"taskapi/app"
)

func main() {
	if err := run(); err != nil {
		// One clear line, then a non-zero exit, so ECS shows the reason
		// next to the stopped task and CloudWatch can search it (JSON),
		// and a person running make run reads it (text).
		app.StopLogger(os.Stderr, os.Getenv).Error("taskapi stopped", "error", err.Error(), "version", app.Version)
		os.Exit(1)
	}
}

func run() error {
	if app.OnLambda(os.Getenv) {
		// Inside AWS Lambda (or its runtime interface emulator): the
		// runtime loop instead of a listener. It owns SIGTERM, which
		// Lambda sends before it ends the environment.
		return app.RunLambda(context.Background(), os.Getenv, os.Stdout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, os.Args[1:], os.Getenv, os.Stdout)
}

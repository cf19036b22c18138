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
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"taskapi/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		// One clear line, then a non-zero exit, so ECS shows the reason
		// next to the stopped task.
		fmt.Fprintln(os.Stderr, "taskapi:", err)
		os.Exit(1)
	}
}

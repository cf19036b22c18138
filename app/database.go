package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"taskapi/store"
)

// openStore opens the database, waiting up to cfg.DBWaitLimit for it to
// answer (RDS may still be starting), and migrates it if asked.
//
// The wait is one deadline for every attempt together: a database that
// accepts TCP and never answers makes an attempt hang until that deadline
// cuts it, so start-up still gives up (and the process exits non-zero) on
// time, and ECS replaces the task. Only what waiting can fix is retried
// (store.ConnectRetryable): refused credentials, an unknown role or
// database, or TLS that cannot work end the start at once, with the
// server's own words.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, cfg.DBWaitLimit)
	defer cancel()
	// cause is what the last attempt itself met (the server's message, a
	// refused dial), kept so that the deadline which ends the wait does
	// not hide it.
	var cause error
	for delay := 250 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		err = db.Ping(waitCtx)
		if err == nil {
			break
		}
		if c := store.ConnectCause(err); cause == nil || !errors.Is(c, context.DeadlineExceeded) {
			cause = c
		}
		if !store.ConnectRetryable(err) {
			db.Close()
			return nil, fmt.Errorf("cannot use the database, not retried (waiting will not change it): %w", cause)
		}
		if waitCtx.Err() != nil {
			db.Close()
			if errors.Is(cause, context.DeadlineExceeded) {
				return nil, fmt.Errorf("database unreachable after %s: no answer from the server (%w)", cfg.DBWaitLimit, cause)
			}
			return nil, fmt.Errorf("database unreachable after %s: %w", cfg.DBWaitLimit, cause)
		}
		logger.Warn("database not reachable yet, retrying", "error", cause.Error(), "retry_in", delay.String())
		select {
		case <-time.After(delay):
		case <-waitCtx.Done():
		}
	}
	if cfg.Migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	return db, nil
}

// Migrate applies the migrations and exits: the one-off ECS task that runs
// before a deployment, so services never race each other at start-up.
func Migrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	cfg.Migrate = true
	db, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	logger.Info("migrations applied", "database", cfg.DB.Driver)
	return db.Close()
}

package app

import (
	"context"
	"log/slog"
	"time"

	"taskapi/handlers"
	"taskapi/store"
)

// watchRevocations keeps cache told about every revocation any process
// stores in the shared PostgreSQL database, until ctx is done: the
// store's listener does the work, and this loop starts it again (after a
// pause) whenever it cannot start, e.g. while the database is down at
// start-up. Until it listens, the cache's TTL bounds how long another
// process's revocation can go unnoticed, as it does on SQLite, which has
// no notifications (docs/operations.md). It returns at once for SQLite
// or without a cache.
func watchRevocations(ctx context.Context, cfg Config, db *store.DB, cache *handlers.ValidationCache, logger *slog.Logger) {
	if cache == nil || !db.Notifies() {
		return
	}
	for ctx.Err() == nil {
		err := db.WatchRevocations(ctx, cfg.DB.DSN, cache, store.WatchOptions{}, logger)
		if err == nil || ctx.Err() != nil {
			return
		}
		logger.Warn("revocation notifications not started; cached validations live their full TTL meanwhile, retrying", "err", err.Error())
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

package app

import (
	"context"
	"log/slog"
	"time"

	"taskapi/store"
)

// pruneInterval is how often each instance deletes expired side-table
// rows (idempotency keys, revocations); pruneLimits bounds one round to
// 20 batches of 500 rows per table, each batch a short transaction of its
// own, so that a backlog is worked off over a few rounds and no round
// holds the database long.
const pruneInterval = 10 * time.Minute

var pruneLimits = store.PruneLimits{Batch: 500, Batches: 20}

// pruneTimeout bounds one round, which normally takes milliseconds.
const pruneTimeout = time.Minute

// runPruner prunes db once at start and then every interval until ctx
// ends. Every instance runs one: the statements skip the rows another
// instance is deleting (see store.DB.Prune), so running many at once is
// safe and costs only the empty rounds. A failure is logged and retried at
// the next round.
func runPruner(ctx context.Context, db *store.DB, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 { // a Config not made by LoadConfig
		interval = pruneInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		roundCtx, cancel := context.WithTimeout(ctx, pruneTimeout)
		deleted, err := db.Prune(roundCtx, time.Now(), pruneLimits)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("pruning expired rows failed; retrying at the next round", "error", err.Error(), "deleted", deleted, "next_in", interval.String())
		case err == nil:
			var total int64
			for _, n := range deleted {
				total += n
			}
			if total > 0 {
				logger.Info("pruned expired rows", "deleted", deleted)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

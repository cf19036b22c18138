package store

import "context"

// CountTasks returns how many tasks userID holds (served by the
// user_id index), for the per-user quota.
func (db *DB) CountTasks(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.x.GetContext(ctx, &n, db.rebind("SELECT COUNT(*) FROM tasks WHERE user_id = ?"), userID); err != nil {
		return 0, classify(err)
	}
	return n, nil
}

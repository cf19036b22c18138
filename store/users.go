package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"taskapi"
)

// userColumns is the select list userRow scans.
const userColumns = "id, username, email, password_hash, created_at, updated_at"

// userRow is a users row as scanned; times go through dbTime.
type userRow struct {
	ID           int64  `db:"id"`
	Username     string `db:"username"`
	Email        string `db:"email"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    dbTime `db:"created_at"`
	UpdatedAt    dbTime `db:"updated_at"`
}

func (r userRow) user() *taskapi.User {
	return &taskapi.User{
		ID:           r.ID,
		Username:     r.Username,
		Email:        r.Email,
		PasswordHash: r.PasswordHash,
		CreatedAt:    r.CreatedAt.Time,
		UpdatedAt:    r.UpdatedAt.Time,
	}
}

// CreateUser inserts u and sets its ID. The times are stored as given, and
// u's are replaced by the stored values (UTC, whole microseconds). A
// username or email that is taken, in any letter case, is ECONFLICT.
//
// The insert runs in a transaction (see inTx): otherwise a connection cut
// while the server commits lets database/sql send it again, and the user
// who was just created would be told 409.
func (db *DB) CreateUser(ctx context.Context, u *taskapi.User) error {
	created, updated := normTime(u.CreatedAt), normTime(u.UpdatedAt)
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.QueryRowxContext(ctx, db.rebind(
			`INSERT INTO users (username, email, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`),
			u.Username, u.Email, u.PasswordHash, timeArg(created), timeArg(updated),
		).Scan(&id)
		if uniqueViolation(err) {
			return taskapi.Wrap(err, taskapi.ECONFLICT, taskapi.MsgConflict)
		}
		return err
	})
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, created, updated
	return nil
}

// UserByUsername finds a user by username, ignoring letter case; the
// unique index on LOWER(username) serves the lookup.
func (db *DB) UserByUsername(ctx context.Context, username string) (*taskapi.User, error) {
	return db.user(ctx, "SELECT "+userColumns+" FROM users WHERE LOWER(username) = LOWER(?)", username)
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (*taskapi.User, error) {
	return db.user(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id)
}

func (db *DB) user(ctx context.Context, query string, arg any) (*taskapi.User, error) {
	var r userRow
	if err := db.x.GetContext(ctx, &r, db.rebind(query), arg); err != nil {
		if notFound(err) {
			return nil, taskapi.Errorf(taskapi.ENOTFOUND, taskapi.MsgUserNotFound)
		}
		return nil, classify(err)
	}
	return r.user(), nil
}

// UpdatePassword replaces user userID's password hash, sets updated_at
// to now and makes the account's tokens issued before tokensValidAfter
// invalid (TokenInvalidated), in one transaction that also tells every
// process watching revocations (WatchRevocations) to forget the user's
// cached validations. An unknown user is ENOTFOUND.
func (db *DB) UpdatePassword(ctx context.Context, userID int64, hash string, now, tokensValidAfter time.Time) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(
			"UPDATE users SET password_hash = ?, updated_at = ?, tokens_valid_after = ? WHERE id = ?"),
			hash, timeArg(now), timeArg(tokensValidAfter), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return taskapi.Errorf(taskapi.ENOTFOUND, taskapi.MsgUserNotFound)
		}
		return db.notifyRevocation(ctx, tx, userRevoked(userID))
	})
}

// DeleteUser deletes user userID and, through the schema's ON DELETE
// CASCADE, their tasks and revocations, in one transaction that also
// tells every process watching revocations to forget the user's cached
// validations. An unknown user is ENOTFOUND. The user's tokens are
// refused from then on because TokenInvalidated finds no user.
func (db *DB) DeleteUser(ctx context.Context, userID int64) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind("DELETE FROM users WHERE id = ?"), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return taskapi.Errorf(taskapi.ENOTFOUND, taskapi.MsgUserNotFound)
		}
		return db.notifyRevocation(ctx, tx, userRevoked(userID))
	})
}

-- +goose Up
-- The same table as migrations/postgres/00005_idempotency_keys.sql, in
-- SQLite's dialect (AUTOINCREMENT for SERIAL).
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    idem_key VARCHAR(255) NOT NULL,
    request_hash VARCHAR(64) NOT NULL,
    task_id INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX idx_idempotency_keys_user_key ON idempotency_keys(user_id, idem_key);
CREATE INDEX idx_idempotency_keys_created_at ON idempotency_keys(created_at);

-- +goose Down
DROP TABLE idempotency_keys;

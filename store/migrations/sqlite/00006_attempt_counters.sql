-- +goose Up
-- The same table as migrations/postgres/00006_attempt_counters.sql.
CREATE TABLE attempt_counters (
    key TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    next_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE INDEX idx_attempt_counters_expires_at ON attempt_counters(expires_at);

-- +goose Down
DROP TABLE attempt_counters;

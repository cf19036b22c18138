-- The same table as migrations/postgres/00002_revoked_tokens.sql. SQLite
-- enforces the foreign key (and its cascade) because every connection
-- sets foreign_keys(1); see sqlitePragmas.

-- +goose Up
CREATE TABLE revoked_tokens (
    jti VARCHAR(64) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP NOT NULL
);

CREATE INDEX idx_revoked_tokens_expires_at ON revoked_tokens(expires_at);

-- +goose Down
DROP TABLE revoked_tokens;

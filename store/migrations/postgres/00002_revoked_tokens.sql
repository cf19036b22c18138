-- Tokens revoked by POST /auth/logout, by their jti claim. A row is only
-- needed until the token would have expired anyway: the periodic prune
-- (store.DB.Prune) deletes the rows whose expires_at has passed, which
-- the index on expires_at keeps cheap. A user's rows go with the user.

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

-- +goose Up
-- The counters behind the login and registration limits, shared by every
-- auth instance (they used to live in each process's memory, so each of n
-- instances allowed its own share, a restart forgot them, and a flood of
-- other names pushed a lockout out of the table). One row per key: a scope
-- and what it counts, e.g. 'login/pair:alice|203.0.113.7',
-- 'login/account:alice', 'login/client:2001:db8:1:2::/64',
-- 'register/client:203.0.113.7'. A row exists only while it matters: it
-- is written when an attempt is counted (never for a refused one) and is
-- deleted once expires_at has passed (attempts delete expired rows a few
-- at a time, which the index on expires_at keeps cheap).
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

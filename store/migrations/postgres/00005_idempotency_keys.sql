-- +goose Up
-- The Idempotency-Key of each POST /tasks that sent one, per user, with a
-- hash of the request and the task as created (the first answer's body),
-- so that a retry of an ambiguous create (a 503 cut during commit) returns
-- that task instead of storing a second one, on every task instance. The
-- row is written in the task's own transaction: the key exists exactly
-- when the task was committed. Keys expire after 24 h; the periodic
-- prune (store.DB.Prune) deletes expired rows a batch at a time, which the
-- index on created_at keeps cheap.
-- task_id is no foreign key: deleting the task later does not make its
-- key usable again.
CREATE TABLE idempotency_keys (
    id SERIAL PRIMARY KEY,
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

-- +goose Up
-- A counter that every update of a task increments: the task's ETag, so
-- that a client can update or delete only the version it has seen
-- (If-Match), and a concurrent change answers 412 instead of being lost.
ALTER TABLE tasks ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE tasks DROP COLUMN version;

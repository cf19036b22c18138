-- The same column as migrations/postgres/00007_tokens_valid_after.sql,
-- stored as text in timeLayout like every other time, so that comparing
-- it with a token's iat as text follows time.

-- +goose Up
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMP NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN tokens_valid_after;

-- A password change ends every session of the account: tokens whose iat
-- is before tokens_valid_after are refused (TokenInvalidated). NULL means
-- the password was never changed, so every token of the account counts.

-- +goose Up
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMP NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN tokens_valid_after;

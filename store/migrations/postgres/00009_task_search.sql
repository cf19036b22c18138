-- Text search over a task's title and description (GET /tasks?q=).
--
-- search_vector holds the task's words and, as one more lexeme, its
-- owner: 'user 42'. No word can equal it, since the text search parser
-- never makes a lexeme with a space in it. A search asks for its words
-- AND the caller's owner lexeme, so the GIN index answers it from the
-- caller's own matching tasks: GIN's fast scan walks the rarest entry
-- (a selective word) and skips through the owner's long posting tree.
-- Its cost follows how many of the caller's tasks match, not how many
-- tasks the caller or anyone else holds, and no extension (btree_gin,
-- pg_trgm) is needed.
--
-- Words are split as SearchWords splits a search: ASCII punctuation
-- becomes a space first, so that the parser does not read "milk/eggs" as
-- a file name, "milk.com" as a host or "a@milk.org" as an e-mail address
-- (one lexeme each) and "milk" still matches them. The 'simple'
-- configuration lower-cases and keeps every word: no stemming, no stop
-- words, the same as SQLite's unicode61 tokenizer.
--
-- Adding a stored column rewrites the table once, under an exclusive
-- lock, which is fine at the sizes this service runs at.

-- +goose Up
ALTER TABLE tasks ADD COLUMN search_vector tsvector NOT NULL
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig,
            regexp_replace(title || ' ' || COALESCE(description, ''), '[[:punct:]]', ' ', 'g'))
        || array_to_tsvector(ARRAY['user ' || user_id::text])
    ) STORED;
CREATE INDEX idx_tasks_search ON tasks USING gin (search_vector) WITH (fastupdate = off);

-- +goose Down
DROP INDEX idx_tasks_search;
ALTER TABLE tasks DROP COLUMN search_vector;

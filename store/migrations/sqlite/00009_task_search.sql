-- Text search over a task's title and description (GET /tasks?q=), with
-- FTS5 (modernc.org/sqlite builds it in).
--
-- tasks_fts is an external-content index over tasks: it stores only the
-- index, and triggers keep it in step with every insert, update and
-- delete, in the same transaction. Besides title and description it
-- indexes user_id, so that a search asks for the caller's id in that
-- column AND its words in the other two, and reads only the caller's
-- matching tasks: FTS5 steps through the rarest word's list and seeks
-- in the owner's. Its cost follows how many of the caller's tasks match,
-- not how many tasks anyone holds.
--
-- unicode61 splits words on everything but letters, digits and marks and
-- folds case, as SearchWords does; remove_diacritics 0 keeps "café" and
-- "cafe" apart, as PostgreSQL's 'simple' configuration does.

-- +goose Up
CREATE VIRTUAL TABLE tasks_fts USING fts5(
    title, description, user_id,
    content = 'tasks', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

-- +goose StatementBegin
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO tasks_fts (rowid, title, description, user_id)
        VALUES (NEW.id, NEW.title, NEW.description, NEW.user_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title, description, user_id)
        VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.user_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF title, description, user_id ON tasks
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title, description, user_id)
        VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.user_id);
    INSERT INTO tasks_fts (rowid, title, description, user_id)
        VALUES (NEW.id, NEW.title, NEW.description, NEW.user_id);
END;
-- +goose StatementEnd

INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');

-- +goose Down
DROP TRIGGER tasks_fts_update;
DROP TRIGGER tasks_fts_delete;
DROP TRIGGER tasks_fts_insert;
DROP TABLE tasks_fts;

-- The same as migrations/postgres/00004_task_counts.sql in SQLite's
-- dialect; the reasons are written there. priority_rank is a VIRTUAL
-- generated column (ALTER TABLE cannot add a STORED one); its indexes
-- store it all the same. SQLite's triggers run for the rows a foreign key
-- cascade deletes too, and the single connection (plus BEGIN IMMEDIATE)
-- already serialises writers, so no lock order is needed here: deletes
-- count row by row, and the nine counter rows per user are created up
-- front only to keep the two engines alike.

-- +goose Up
ALTER TABLE tasks ADD COLUMN priority_rank INTEGER NOT NULL
    GENERATED ALWAYS AS (CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END) VIRTUAL;

DROP INDEX idx_tasks_user_id;
DROP INDEX idx_tasks_status;
DROP INDEX idx_tasks_due_date;
CREATE INDEX idx_tasks_user_due ON tasks(user_id, due_date, id);
CREATE INDEX idx_tasks_user_rank_created ON tasks(user_id, priority_rank, created_at, id);
CREATE INDEX idx_tasks_user_rank_due ON tasks(user_id, priority_rank, due_date, id);
CREATE INDEX idx_tasks_user_status_created ON tasks(user_id, status, created_at, id);
CREATE INDEX idx_tasks_user_status_due ON tasks(user_id, status, due_date, id);
CREATE INDEX idx_tasks_user_status_rank_created ON tasks(user_id, status, priority_rank, created_at, id);
CREATE INDEX idx_tasks_user_status_rank_due ON tasks(user_id, status, priority_rank, due_date, id);

CREATE TABLE task_totals (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    n INTEGER NOT NULL
);

CREATE TABLE task_counts (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status VARCHAR(20) NOT NULL,
    priority VARCHAR(20) NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (user_id, status, priority)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER users_task_counters AFTER INSERT ON users
BEGIN
    INSERT INTO task_totals (user_id, n) VALUES (NEW.id, 0) ON CONFLICT (user_id) DO NOTHING;
    INSERT INTO task_counts (user_id, status, priority, n)
        SELECT NEW.id, s.status, p.priority, 0
        FROM (SELECT 'pending' AS status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'completed') s
        CROSS JOIN (SELECT 'low' AS priority UNION ALL SELECT 'medium' UNION ALL SELECT 'high') p
        WHERE true ON CONFLICT (user_id, status, priority) DO NOTHING;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO task_totals (user_id, n) VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
    INSERT INTO task_counts (user_id, status, priority, n)
        VALUES (NEW.user_id, COALESCE(NEW.status, ''), COALESCE(NEW.priority, ''), 1)
        ON CONFLICT (user_id, status, priority) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
BEGIN
    UPDATE task_totals SET n = n - 1 WHERE user_id = OLD.user_id;
    UPDATE task_counts SET n = n - 1
        WHERE user_id = OLD.user_id AND status = COALESCE(OLD.status, '') AND priority = COALESCE(OLD.priority, '');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_count_update AFTER UPDATE OF user_id, status, priority ON tasks
    WHEN OLD.user_id IS NOT NEW.user_id OR OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority
BEGIN
    UPDATE task_totals SET n = n - 1 WHERE user_id = OLD.user_id;
    UPDATE task_counts SET n = n - 1
        WHERE user_id = OLD.user_id AND status = COALESCE(OLD.status, '') AND priority = COALESCE(OLD.priority, '');
    INSERT INTO task_totals (user_id, n) VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
    INSERT INTO task_counts (user_id, status, priority, n)
        VALUES (NEW.user_id, COALESCE(NEW.status, ''), COALESCE(NEW.priority, ''), 1)
        ON CONFLICT (user_id, status, priority) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

INSERT INTO task_totals (user_id, n)
    SELECT u.id, (SELECT COUNT(*) FROM tasks t WHERE t.user_id = u.id) FROM users u;
INSERT INTO task_counts (user_id, status, priority, n)
    SELECT u.id, s.status, p.priority,
        (SELECT COUNT(*) FROM tasks t WHERE t.user_id = u.id AND t.status = s.status AND t.priority = p.priority)
    FROM users u
    CROSS JOIN (SELECT 'pending' AS status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'completed') s
    CROSS JOIN (SELECT 'low' AS priority UNION ALL SELECT 'medium' UNION ALL SELECT 'high') p;
INSERT INTO task_counts (user_id, status, priority, n)
    SELECT user_id, COALESCE(status, ''), COALESCE(priority, ''), COUNT(*) FROM tasks
    WHERE status IS NULL OR priority IS NULL GROUP BY 1, 2, 3;

-- +goose Down
DROP TRIGGER tasks_count_update;
DROP TRIGGER tasks_count_delete;
DROP TRIGGER tasks_count_insert;
DROP TRIGGER users_task_counters;
DROP TABLE task_counts;
DROP TABLE task_totals;
DROP INDEX idx_tasks_user_status_rank_due;
DROP INDEX idx_tasks_user_status_rank_created;
DROP INDEX idx_tasks_user_status_due;
DROP INDEX idx_tasks_user_status_created;
DROP INDEX idx_tasks_user_rank_due;
DROP INDEX idx_tasks_user_rank_created;
DROP INDEX idx_tasks_user_due;
CREATE INDEX idx_tasks_user_id ON tasks(user_id);
CREATE INDEX idx_tasks_status ON tasks(status);
CREATE INDEX idx_tasks_due_date ON tasks(due_date);
ALTER TABLE tasks DROP COLUMN priority_rank;

-- The same as migrations/postgres/00008_write_path_counters.sql in
-- SQLite's dialect; the reasons are written there. SQLite runs one writer
-- at a time, so the slots change nothing here but keep the two engines'
-- counters alike, and the quota needs no function: createTaskSQLite
-- counts and inserts in one statement. Triggers stay row by row (SQLite
-- has no statement-level ones); each changes rows of one cell.

-- +goose Up
DROP TRIGGER tasks_count_update;
DROP TRIGGER tasks_count_delete;
DROP TRIGGER tasks_count_insert;
DROP TRIGGER users_task_counters;
DROP TABLE task_totals;
DROP TABLE task_counts;

CREATE TABLE task_counts (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slot INTEGER NOT NULL,
    status VARCHAR(20) NOT NULL,
    priority VARCHAR(20) NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (user_id, status, priority, slot)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER users_task_counters AFTER INSERT ON users
BEGIN
    INSERT INTO task_counts (user_id, slot, status, priority, n)
        SELECT NEW.id, k.slot, s.status, p.priority, 0
        FROM (SELECT column1 AS slot FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15))) k
        CROSS JOIN (SELECT 'pending' AS status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'completed') s
        CROSS JOIN (SELECT 'low' AS priority UNION ALL SELECT 'medium' UNION ALL SELECT 'high') p
        WHERE true ON CONFLICT (user_id, slot, status, priority) DO NOTHING;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO task_counts (user_id, slot, status, priority, n)
        VALUES (NEW.user_id, NEW.id % 16, COALESCE(NEW.status, ''), COALESCE(NEW.priority, ''), 1)
        ON CONFLICT (user_id, slot, status, priority) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
BEGIN
    UPDATE task_counts SET n = n - 1
        WHERE user_id = OLD.user_id AND slot = OLD.id % 16
            AND status = COALESCE(OLD.status, '') AND priority = COALESCE(OLD.priority, '');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tasks_count_update AFTER UPDATE OF user_id, status, priority ON tasks
    WHEN OLD.user_id IS NOT NEW.user_id OR OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority
BEGIN
    UPDATE task_counts SET n = n - 1
        WHERE user_id = OLD.user_id AND slot = OLD.id % 16
            AND status = COALESCE(OLD.status, '') AND priority = COALESCE(OLD.priority, '');
    INSERT INTO task_counts (user_id, slot, status, priority, n)
        VALUES (NEW.user_id, NEW.id % 16, COALESCE(NEW.status, ''), COALESCE(NEW.priority, ''), 1)
        ON CONFLICT (user_id, slot, status, priority) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

INSERT INTO task_counts (user_id, slot, status, priority, n)
    SELECT u.id, k.slot, s.status, p.priority, 0
    FROM users u
    CROSS JOIN (SELECT column1 AS slot FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15))) k
    CROSS JOIN (SELECT 'pending' AS status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'completed') s
    CROSS JOIN (SELECT 'low' AS priority UNION ALL SELECT 'medium' UNION ALL SELECT 'high') p;
INSERT INTO task_counts (user_id, slot, status, priority, n)
    SELECT user_id, id % 16, COALESCE(status, ''), COALESCE(priority, ''), COUNT(*)
    FROM tasks WHERE true GROUP BY 1, 2, 3, 4
    ON CONFLICT (user_id, slot, status, priority) DO UPDATE SET n = excluded.n;

-- +goose Down
DROP TRIGGER tasks_count_update;
DROP TRIGGER tasks_count_delete;
DROP TRIGGER tasks_count_insert;
DROP TRIGGER users_task_counters;
DROP TABLE task_counts;

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

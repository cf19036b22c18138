-- Constant-cost lists and quota, whatever a user holds:
--
--   * priority_rank orders priorities by urgency (high 3, medium 2, low 1),
--     so a priority sort reads an index instead of sorting every task
--     through a CASE. Lists filter by it too (the store turns ?priority=
--     into a rank), so one index serves the priority filter and the
--     priority sort.
--   * One index per documented list shape, in the order the query reads
--     it: user, optional status, optional rank, sort key, id. A priority
--     sort orders by (rank, created_at, id), so the rank+created_at
--     indexes serve it. The single-column indexes of the first schema go:
--     every query names a user, so status and due_date alone serve none,
--     and user_id alone is the prefix of every index here.
--   * task_counts keeps how many tasks each user holds per status and
--     priority, and task_totals how many in all, so a list's total is a
--     sum of at most nine small rows and the quota check reads one row
--     that it locks (exact under any concurrency). Triggers keep both in
--     step with every insert, update and delete, in the same transaction,
--     cascades of a deleted account included. Every counter change takes
--     the user's task_totals row before any task_counts row, so two
--     writers for one user queue there instead of deadlocking.
--
-- This runs in one transaction: the triggers exist before the backfill
-- reads tasks, and CREATE TRIGGER blocks other writers of tasks until the
-- commit, so no task written meanwhile is missed or counted twice.

-- +goose Up
ALTER TABLE tasks ADD COLUMN priority_rank SMALLINT NOT NULL
    GENERATED ALWAYS AS (CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END) STORED;

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
);

-- Every user has a task_totals row and all nine task_counts rows from
-- the start. The quota check locks the task_totals row, and a row that
-- does not exist yet cannot be locked. And a counter that a write had to
-- insert would make that write check the foreign key on users, which an
-- account deletion holds while its cascade waits for the task that write
-- has locked: a deadlock, which a randomized workload did find.
-- +goose StatementBegin
CREATE FUNCTION task_counters_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_totals (user_id, n) VALUES (NEW.id, 0) ON CONFLICT (user_id) DO NOTHING;
    INSERT INTO task_counts (user_id, status, priority, n)
        SELECT NEW.id, s.status, p.priority, 0
        FROM (SELECT 'pending' AS status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'completed') s
        CROSS JOIN (SELECT 'low' AS priority UNION ALL SELECT 'medium' UNION ALL SELECT 'high') p
        ON CONFLICT (user_id, status, priority) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_task_counters AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION task_counters_new_user();

-- A task leaving its (user, status, priority) cell is a delete, a task
-- entering one an insert; an update that moves a task does both. Inserts
-- and updates count row by row (the API writes one task per statement).
--
-- Each counter row is changed at most once per statement, by a plain
-- UPDATE. PostgreSQL checks a row's foreign key again when the version
-- being updated was written by the same transaction: a second change
-- (say -1 then +1 on the user's total) would take a share lock on the
-- users row, which an account deletion holds while its cascade waits for
-- the task this update has locked. So an update that keeps its user only
-- locks the total (the lock that orders the user's counter writes) and
-- leaves its value alone. The INSERT ... ON CONFLICT fallbacks only run
-- for a cell that has no row (a NULL status or priority written by hand).
-- +goose StatementBegin
CREATE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.user_id = NEW.user_id THEN
            PERFORM 1 FROM task_totals WHERE user_id = OLD.user_id FOR NO KEY UPDATE;
        ELSE
            UPDATE task_totals SET n = n - 1 WHERE user_id = OLD.user_id;
        END IF;
        UPDATE task_counts SET n = n - 1
            WHERE user_id = OLD.user_id AND status = COALESCE(OLD.status, '') AND priority = COALESCE(OLD.priority, '');
    END IF;
    IF TG_OP = 'INSERT' OR OLD.user_id <> NEW.user_id THEN
        UPDATE task_totals SET n = n + 1 WHERE user_id = NEW.user_id;
        IF NOT FOUND THEN
            INSERT INTO task_totals AS t (user_id, n) VALUES (NEW.user_id, 1)
                ON CONFLICT (user_id) DO UPDATE SET n = t.n + 1;
        END IF;
    END IF;
    UPDATE task_counts SET n = n + 1
        WHERE user_id = NEW.user_id AND status = COALESCE(NEW.status, '') AND priority = COALESCE(NEW.priority, '');
    IF NOT FOUND THEN
        INSERT INTO task_counts AS c (user_id, status, priority, n)
            VALUES (NEW.user_id, COALESCE(NEW.status, ''), COALESCE(NEW.priority, ''), 1)
            ON CONFLICT (user_id, status, priority) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Deletes count once per statement, after every deleted row is locked:
-- an account deletion's cascade removes many tasks in one statement, and
-- counting row by row would take the user's task_totals row after the
-- first task and then wait for the next task's row, held by an update
-- that itself waits for task_totals: a deadlock. Decrements are plain
-- UPDATEs: once an account is gone its counter rows go too.
-- +goose StatementBegin
CREATE FUNCTION task_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE task_totals t SET n = t.n - g.k
        FROM (SELECT user_id, COUNT(*) AS k FROM gone GROUP BY user_id) g
        WHERE t.user_id = g.user_id;
    UPDATE task_counts c SET n = c.n - g.k
        FROM (SELECT user_id, COALESCE(status, '') AS status, COALESCE(priority, '') AS priority, COUNT(*) AS k
              FROM gone GROUP BY 1, 2, 3) g
        WHERE c.user_id = g.user_id AND c.status = g.status AND c.priority = g.priority;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_counts_apply();
CREATE TRIGGER tasks_count_update AFTER UPDATE OF user_id, status, priority ON tasks
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.priority IS DISTINCT FROM NEW.priority)
    EXECUTE FUNCTION task_counts_apply();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_deleted();

INSERT INTO task_totals (user_id, n)
    SELECT u.id, (SELECT COUNT(*) FROM tasks t WHERE t.user_id = u.id) FROM users u;
INSERT INTO task_counts (user_id, status, priority, n)
    SELECT u.id, s.status, p.priority,
        (SELECT COUNT(*) FROM tasks t WHERE t.user_id = u.id AND t.status = s.status AND t.priority = p.priority)
    FROM users u
    CROSS JOIN (SELECT 'pending' AS status UNION ALL SELECT 'in_progress' UNION ALL SELECT 'completed') s
    CROSS JOIN (SELECT 'low' AS priority UNION ALL SELECT 'medium' UNION ALL SELECT 'high') p;
-- Rows written by hand with a NULL status or priority count under ''.
INSERT INTO task_counts (user_id, status, priority, n)
    SELECT user_id, COALESCE(status, ''), COALESCE(priority, ''), COUNT(*) FROM tasks
    WHERE status IS NULL OR priority IS NULL GROUP BY 1, 2, 3;

-- +goose Down
DROP TRIGGER tasks_count_update ON tasks;
DROP TRIGGER tasks_count_delete ON tasks;
DROP TRIGGER tasks_count_insert ON tasks;
DROP FUNCTION task_counts_deleted();
DROP FUNCTION task_counts_apply();
DROP TRIGGER users_task_counters ON users;
DROP FUNCTION task_counters_new_user();
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

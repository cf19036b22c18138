-- A create counts itself, as a delete does since 00011: task_create
-- adds one to the new task's counter row by primary key, and the
-- insert-counting statement trigger stands aside for task_create's own
-- INSERT. The trigger (a transition table, a plpgsql call, a grouped
-- insert-or-update of task_counts) is built for a bulk insert and cost
-- a create more than the one counter row it changes (see
-- docs/capacity.md, "Where a write's time goes").
--
-- The counter row is the one the trigger would have chosen: the stored
-- row's user, slot id % 16, status and priority (NULL counted under ''),
-- taken from the INSERT's RETURNING. The locks come in the same order as
-- before: the INSERT's foreign-key check takes the user's row (FOR KEY
-- SHARE), then the counter row is taken, then, on the fast path, the
-- count runs in a snapshot of its own, so the fast path's bound (every
-- create not yet committed holds a counter row) holds as it did. The
-- exact path still locks every counter row of the user, in key order,
-- before its count and its insert.
--
-- The trigger stands aside through a transaction-local setting, set
-- around task_create's INSERT only, as 00011 does for task_delete: the
-- statement trigger's WHEN is evaluated when that INSERT ends, before the
-- setting is cleared, and a failed statement or a rollback (of the
-- transaction or a savepoint) restores the setting with the rows. Every
-- other insert (a bulk seed, a hand-written INSERT) is still counted by
-- the trigger. The setting is changed by an assignment, which plpgsql
-- evaluates without starting the executor (PERFORM would run a query).

-- +goose Up
DROP TRIGGER tasks_count_insert ON tasks;
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT WHEN (current_setting('taskapi.counted_insert', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION task_counts_inserted();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION task_create(p_user INTEGER, p_title VARCHAR, p_description TEXT, p_status VARCHAR,
    p_priority VARCHAR, p_due_date TIMESTAMP, p_created_at TIMESTAMP, p_updated_at TIMESTAMP,
    p_quota INTEGER, p_exact BOOLEAN) RETURNS INTEGER LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    held BIGINT;
    cells BIGINT;
    t RECORD;
    ignored TEXT;
BEGIN
    IF p_exact THEN
        PERFORM 1 FROM users WHERE id = p_user FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE foreign_key_violation USING MESSAGE = 'insert or update on table "tasks" violates foreign key constraint "tasks_user_id_fkey"',
                CONSTRAINT = 'tasks_user_id_fkey', TABLE = 'tasks';
        END IF;
        SELECT COALESCE(SUM(n), 0) INTO held FROM
            (SELECT n FROM task_counts WHERE user_id = p_user ORDER BY status, priority, slot FOR NO KEY UPDATE) c;
        IF held >= p_quota THEN
            RETURN NULL;
        END IF;
    END IF;
    -- The insert's foreign-key check locks the user's row.
    ignored := set_config('taskapi.counted_insert', 'on', true);
    INSERT INTO tasks (user_id, title, description, status, priority, due_date, created_at, updated_at)
        VALUES (p_user, p_title, p_description, p_status, p_priority, p_due_date, p_created_at, p_updated_at)
        RETURNING id, user_id, status, priority INTO t;
    ignored := set_config('taskapi.counted_insert', '', true);
    -- Then one counter row, as the trigger would. Every user has all its
    -- rows (00008): the insert only runs for a cell without one (a NULL
    -- status or priority). A plain UPDATE first: it costs less than
    -- INSERT ... ON CONFLICT (measured, see docs/capacity.md).
    UPDATE task_counts SET n = n + 1
        WHERE user_id = t.user_id AND status = COALESCE(t.status, '') AND priority = COALESCE(t.priority, '')
            AND slot = t.id % 16;
    IF NOT FOUND THEN
        INSERT INTO task_counts AS c (user_id, slot, status, priority, n)
            VALUES (t.user_id, (t.id % 16)::smallint, COALESCE(t.status, ''), COALESCE(t.priority, ''), 1)
            ON CONFLICT (user_id, slot, status, priority) DO UPDATE SET n = c.n + 1;
    END IF;
    IF p_exact THEN
        RETURN t.id;
    END IF;
    -- This count, in a snapshot of its own, includes the new task.
    SELECT COALESCE(SUM(n), 0), COUNT(*) INTO held, cells FROM task_counts WHERE user_id = p_user;
    IF held + cells - 1 > p_quota THEN
        RAISE EXCEPTION 'task quota: near the limit, repeat exactly' USING ERRCODE = 'TQ001';
    END IF;
    RETURN t.id;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER tasks_count_insert ON tasks;
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_inserted();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION task_create(p_user INTEGER, p_title VARCHAR, p_description TEXT, p_status VARCHAR,
    p_priority VARCHAR, p_due_date TIMESTAMP, p_created_at TIMESTAMP, p_updated_at TIMESTAMP,
    p_quota INTEGER, p_exact BOOLEAN) RETURNS INTEGER LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    held BIGINT;
    cells BIGINT;
    new_id INTEGER;
BEGIN
    IF p_exact THEN
        PERFORM 1 FROM users WHERE id = p_user FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE foreign_key_violation USING MESSAGE = 'insert or update on table "tasks" violates foreign key constraint "tasks_user_id_fkey"',
                CONSTRAINT = 'tasks_user_id_fkey', TABLE = 'tasks';
        END IF;
        SELECT COALESCE(SUM(n), 0) INTO held FROM
            (SELECT n FROM task_counts WHERE user_id = p_user ORDER BY status, priority, slot FOR NO KEY UPDATE) c;
        IF held >= p_quota THEN
            RETURN NULL;
        END IF;
        INSERT INTO tasks (user_id, title, description, status, priority, due_date, created_at, updated_at)
            VALUES (p_user, p_title, p_description, p_status, p_priority, p_due_date, p_created_at, p_updated_at)
            RETURNING id INTO new_id;
        RETURN new_id;
    END IF;
    -- The insert's foreign-key check locks the user's row, then its
    -- trigger one counter row; this count, in a snapshot of its own,
    -- includes the new task.
    INSERT INTO tasks (user_id, title, description, status, priority, due_date, created_at, updated_at)
        VALUES (p_user, p_title, p_description, p_status, p_priority, p_due_date, p_created_at, p_updated_at)
        RETURNING id INTO new_id;
    SELECT COALESCE(SUM(n), 0), COUNT(*) INTO held, cells FROM task_counts WHERE user_id = p_user;
    IF held + cells - 1 > p_quota THEN
        RAISE EXCEPTION 'task quota: near the limit, repeat exactly' USING ERRCODE = 'TQ001';
    END IF;
    RETURN new_id;
END
$$;
-- +goose StatementEnd

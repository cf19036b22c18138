-- A task's delete counts itself in one function call instead of the
-- statement trigger, which cost about 40 % of PostgreSQL's CPU per
-- delete (measured on one connection: 164-182 µs per delete with it, 95
-- on a copy of the table without it, 122-136 through task_delete; see
-- docs/capacity.md): the trigger captures the deleted
-- rows in a transition table, calls plpgsql and groups them, which a
-- cascade of thousands of rows needs and a delete of one row by id does
-- not.
--
-- task_delete(p_id, p_version) deletes task p_id (at version p_version,
-- unless that is 0) and takes one from its counter row, by primary key:
-- the same row the trigger would have changed, in the same order (the
-- task's row, then the counter), so nothing new can deadlock. It returns
-- whether it deleted a task.
--
-- Every other delete (an account deletion's cascade, a hand-written
-- DELETE) is still counted by the trigger. task_delete tells the
-- trigger to stand aside with a transaction-local setting, set around
-- its own DELETE only: the trigger's WHEN is evaluated when that DELETE
-- ends, before the setting is cleared, and a rollback (of the
-- transaction or a savepoint) restores the setting along with the rows.

-- +goose Up
DROP TRIGGER tasks_count_delete ON tasks;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT WHEN (current_setting('taskapi.counted_delete', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION task_counts_deleted();

-- +goose StatementBegin
CREATE FUNCTION task_delete(p_id INTEGER, p_version INTEGER) RETURNS BOOLEAN LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    g RECORD;
    deleted BOOLEAN;
BEGIN
    PERFORM set_config('taskapi.counted_delete', 'on', true);
    DELETE FROM tasks WHERE id = p_id AND (p_version = 0 OR version = p_version)
        RETURNING user_id, status, priority INTO g;
    deleted := FOUND; -- before PERFORM sets FOUND again
    PERFORM set_config('taskapi.counted_delete', '', true);
    IF NOT deleted THEN
        RETURN FALSE;
    END IF;
    UPDATE task_counts SET n = n - 1
        WHERE user_id = g.user_id AND status = COALESCE(g.status, '') AND priority = COALESCE(g.priority, '')
            AND slot = p_id % 16;
    RETURN TRUE;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION task_delete(INTEGER, INTEGER);
DROP TRIGGER tasks_count_delete ON tasks;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_deleted();

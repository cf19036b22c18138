-- Writes at the database's speed, with the same exact totals and quota.
--
-- Until now every create, move and delete of a user's tasks took that
-- user's one task_totals row (the quota check locked it, the row trigger
-- rewrote it), so one user's writes queued there, each holding the lock
-- through its commit, and the row trigger rewrote the counters once per
-- inserted row: a 100,000-row INSERT ... SELECT rewrote one row 100,000
-- times inside one transaction (minutes, and dead versions that slowed
-- lists until a VACUUM).
--
--   * task_counts is split into 16 slots per (user, status, priority): a
--     task counts in slot id % 16, so concurrent writers of one user
--     mostly take different rows (with 4 slots, 32 creates of one user in
--     one cell still queued 8 deep). Totals are sums, as before: of at
--     most 144 small rows for a user's whole list, 16 for one status and
--     priority, read through the primary key (user, status, priority,
--     slot). task_totals goes: its figure is the sum of the user's
--     task_counts.
--   * Inserts count once per statement (transition table): a bulk insert
--     adds each cell's count once. Deletes did already. A move between
--     statuses or priorities (the API updates one task per statement)
--     changes both cells in key order, so two moves never wait for each
--     other in a cycle.
--   * task_create inserts a task within a quota in one call (see there).
--
-- Every user has all 144 counter rows from the start, for the reason given
-- in 00004: a counter row a write had to insert would check the foreign
-- key on users, which an account deletion holds.

-- +goose Up
DROP TRIGGER tasks_count_insert ON tasks;
DROP TRIGGER tasks_count_update ON tasks;
DROP TRIGGER tasks_count_delete ON tasks;
DROP FUNCTION task_counts_apply();
DROP FUNCTION task_counts_deleted();
DROP TRIGGER users_task_counters ON users;
DROP FUNCTION task_counters_new_user();
DROP TABLE task_totals;
DROP TABLE task_counts;

CREATE TABLE task_counts (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slot SMALLINT NOT NULL,
    status VARCHAR(20) NOT NULL,
    priority VARCHAR(20) NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (user_id, status, priority, slot)
);

-- +goose StatementBegin
CREATE FUNCTION task_counters_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (user_id, slot, status, priority, n)
        SELECT NEW.id, k.slot, s.status, p.priority, 0
        FROM generate_series(0, 15) AS k(slot)
        CROSS JOIN (VALUES ('pending'), ('in_progress'), ('completed')) AS s(status)
        CROSS JOIN (VALUES ('low'), ('medium'), ('high')) AS p(priority)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_task_counters AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION task_counters_new_user();

-- The cells of the rows one statement inserted, each changed once. A
-- cell without a row (a NULL status or priority written by hand, counted
-- under '') is inserted.
-- +goose StatementBegin
CREATE FUNCTION task_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts AS c (user_id, slot, status, priority, n)
        SELECT user_id, (id % 16)::smallint, COALESCE(status, ''), COALESCE(priority, ''), COUNT(*)
        FROM added GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (user_id, slot, status, priority) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Deletes count once per statement, after every deleted row is locked,
-- for the reason 00004 gives (an account deletion's cascade). Plain
-- UPDATEs: once an account is gone its counter rows go too.
-- +goose StatementBegin
CREATE FUNCTION task_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE task_counts c SET n = c.n - g.k
        FROM (SELECT user_id, (id % 16)::smallint AS slot, COALESCE(status, '') AS status,
                     COALESCE(priority, '') AS priority, COUNT(*) AS k
              FROM gone GROUP BY 1, 2, 3, 4) g
        WHERE c.user_id = g.user_id AND c.slot = g.slot AND c.status = g.status AND c.priority = g.priority;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A task that moves leaves one cell and enters another of the same slot
-- (its id stays). The two rows are changed in key order (user, status,
-- priority, slot), whichever is the old one, so two moves never wait for
-- each other in a cycle; each is one primary-key lookup. A move to a cell
-- without a row (a NULL written by hand) inserts it.
-- +goose StatementBegin
CREATE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o_status VARCHAR := COALESCE(OLD.status, '');
    o_priority VARCHAR := COALESCE(OLD.priority, '');
    n_status VARCHAR := COALESCE(NEW.status, '');
    n_priority VARCHAR := COALESCE(NEW.priority, '');
    o_slot SMALLINT := OLD.id % 16;
    n_slot SMALLINT := NEW.id % 16;
    leave_first BOOLEAN := ROW(OLD.user_id, o_status, o_priority, o_slot) < ROW(NEW.user_id, n_status, n_priority, n_slot);
BEGIN
    IF leave_first THEN
        UPDATE task_counts SET n = n - 1
            WHERE user_id = OLD.user_id AND status = o_status AND priority = o_priority AND slot = o_slot;
    END IF;
    UPDATE task_counts SET n = n + 1
        WHERE user_id = NEW.user_id AND status = n_status AND priority = n_priority AND slot = n_slot;
    IF NOT FOUND THEN
        INSERT INTO task_counts AS c (user_id, slot, status, priority, n)
            VALUES (NEW.user_id, n_slot, n_status, n_priority, 1)
            ON CONFLICT (user_id, status, priority, slot) DO UPDATE SET n = c.n + 1;
    END IF;
    IF NOT leave_first THEN
        UPDATE task_counts SET n = n - 1
            WHERE user_id = OLD.user_id AND status = o_status AND priority = o_priority AND slot = o_slot;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_inserted();
CREATE TRIGGER tasks_count_update AFTER UPDATE OF user_id, status, priority ON tasks
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.priority IS DISTINCT FROM NEW.priority)
    EXECUTE FUNCTION task_counts_moved();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_deleted();

-- task_create inserts one task for p_user unless the user holds p_quota
-- tasks already, and returns its id (NULL: the quota is reached). A user
-- that does not exist is a foreign key violation, as the insert's own.
--
-- The quota is exact without one lock per user. The insert's trigger
-- takes one of the user's counter rows; then a new snapshot (each query
-- of a VOLATILE function takes one) counts the user's tasks, its own
-- included. Any other create not yet committed holds another counter row
-- until it commits, so at most (rows - 1) of them are unseen: with
-- seen + rows - 1 <= quota no interleaving ends above the quota. Creates
-- far from the limit take this path and never wait for each other. Near
-- it (the count before the insert says so) the function locks all the
-- user's counter rows in key order and counts exactly, as the old single
-- row did. A create that only finds out after its insert that it is near
-- raises SQLSTATE TQ001, which aborts the statement; the caller repeats
-- the create with p_exact.
--
-- The user's row is locked first (FOR KEY SHARE, what the foreign-key
-- check takes anyway): an account deletion holds it while its cascade
-- takes the counter rows, so the other order could deadlock.
-- +goose StatementBegin
CREATE FUNCTION task_create(p_user INTEGER, p_title VARCHAR, p_description TEXT, p_status VARCHAR,
    p_priority VARCHAR, p_due_date TIMESTAMP, p_created_at TIMESTAMP, p_updated_at TIMESTAMP,
    p_quota INTEGER, p_exact BOOLEAN) RETURNS INTEGER LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    held BIGINT;
    cells BIGINT;
    new_id INTEGER;
BEGIN
    PERFORM 1 FROM users WHERE id = p_user FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = 'insert or update on table "tasks" violates foreign key constraint "tasks_user_id_fkey"',
            CONSTRAINT = 'tasks_user_id_fkey', TABLE = 'tasks';
    END IF;
    SELECT COALESCE(SUM(n), 0), COUNT(*) INTO held, cells FROM task_counts WHERE user_id = p_user;
    IF p_exact OR held + cells >= p_quota THEN
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

INSERT INTO task_counts (user_id, slot, status, priority, n)
    SELECT u.id, k.slot, s.status, p.priority, 0
    FROM users u
    CROSS JOIN generate_series(0, 15) AS k(slot)
    CROSS JOIN (VALUES ('pending'), ('in_progress'), ('completed')) AS s(status)
    CROSS JOIN (VALUES ('low'), ('medium'), ('high')) AS p(priority);
INSERT INTO task_counts AS c (user_id, slot, status, priority, n)
    SELECT user_id, (id % 16)::smallint, COALESCE(status, ''), COALESCE(priority, ''), COUNT(*)
    FROM tasks GROUP BY 1, 2, 3, 4
    ON CONFLICT (user_id, slot, status, priority) DO UPDATE SET n = EXCLUDED.n;

-- +goose Down
DROP FUNCTION task_create(INTEGER, VARCHAR, TEXT, VARCHAR, VARCHAR, TIMESTAMP, TIMESTAMP, TIMESTAMP, INTEGER, BOOLEAN);
DROP TRIGGER tasks_count_insert ON tasks;
DROP TRIGGER tasks_count_update ON tasks;
DROP TRIGGER tasks_count_delete ON tasks;
DROP FUNCTION task_counts_inserted();
DROP FUNCTION task_counts_moved();
DROP FUNCTION task_counts_deleted();
DROP TRIGGER users_task_counters ON users;
DROP FUNCTION task_counters_new_user();
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
);

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
INSERT INTO task_counts (user_id, status, priority, n)
    SELECT user_id, COALESCE(status, ''), COALESCE(priority, ''), COUNT(*) FROM tasks
    WHERE status IS NULL OR priority IS NULL GROUP BY 1, 2, 3;

package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the embedded store's driver: its limits go through it too

	"taskapi/internal/loadgen"
)

// The write limits: single-row statements on a table of the tasks
// table's base columns with the primary key and one (user, created_at,
// id) index, through the services' own driver, autocommit, at the run's
// concurrency. The table is created here, not copied from the tasks
// table, so a limit means the same whatever the migrations add.

// engine is one database the limits run on.
type engine struct {
	name   string // names the limits: limit-insert, limit-sqlite-insert…
	table  string // CREATE TABLE and CREATE INDEX
	dollar bool   // $n placeholders instead of ?
}

var (
	postgresEngine = engine{name: "", dollar: true, table: `CREATE TABLE bench_insert_limit (
	id BIGSERIAL PRIMARY KEY,
	user_id BIGINT NOT NULL,
	title TEXT NOT NULL,
	description TEXT,
	status TEXT NOT NULL,
	priority TEXT NOT NULL,
	due_date TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX bench_insert_limit_user ON bench_insert_limit (user_id, created_at, id)`}
	sqliteEngine = engine{name: "sqlite", table: `CREATE TABLE bench_insert_limit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL,
	title TEXT NOT NULL,
	description TEXT,
	status TEXT NOT NULL,
	priority TEXT NOT NULL,
	due_date TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX bench_insert_limit_user ON bench_insert_limit (user_id, created_at, id)`}
)

// limitName is the scenario name of kind (insert, update, delete, mixed)
// on e.
func (e engine) limitName(kind string) string {
	if e.name == "" {
		return "limit-" + kind
	}
	return "limit-" + e.name + "-" + kind
}

// sql returns query with ? turned into $1, $2… where the engine wants it.
func (e engine) sql(query string) string {
	if !e.dollar {
		return query
	}
	var out strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// The limits' statements.
const (
	bareInsert = `INSERT INTO bench_insert_limit (user_id, title, description, status, priority, due_date, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	bareUpdate = `UPDATE bench_insert_limit SET title = ?, status = ?, priority = ?, updated_at = ? WHERE id = ?`
	bareDelete = `DELETE FROM bench_insert_limit WHERE id = ?`
	bareGet    = `SELECT * FROM bench_insert_limit WHERE id = ?`
	bareList   = `SELECT * FROM bench_insert_limit WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 20`
)

// limits runs the write limits of one engine, and counts the rows the
// insert limit left for the update and delete limits.
type limits struct {
	b    *bench
	db   *sql.DB
	e    engine
	pg   *backends // nil: no PostgreSQL CPU to count
	rows int64     // ids 1…rows exist
	made bool      // the table exists
}

// ensureTable creates the limits' table once.
func (l *limits) ensureTable(ctx context.Context) error {
	if l.made {
		return nil
	}
	if _, err := l.db.ExecContext(ctx, l.e.table); err != nil {
		return fmt.Errorf("create the limits' table: %w", err)
	}
	l.made = true
	return nil
}

// openSQLiteLimits opens a new SQLite file in dir the way the embedded
// store opens its own: one connection, WAL, foreign keys, busy timeout.
func openSQLiteLimits(dir string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "limits.db")+
		"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func (l *limits) run(ctx context.Context, kind, request string, o loadgen.Options, op loadgen.Op) {
	name := l.e.limitName(kind)
	if !l.b.wants(name) || ctx.Err() != nil {
		return
	}
	p := newProbe(l.pg)
	o.OnMeasureStart, o.OnMeasureEnd = p.start, p.end
	res := loadgen.Run(ctx, o, op)
	var probe *probe
	if l.pg != nil {
		probe = p
	}
	l.b.addLimit(name, request, o.Concurrency, res, probe)
}

// insert runs single-row inserts.
func (l *limits) insert(ctx context.Context) error {
	if err := l.ensureTable(ctx); err != nil {
		return err
	}
	now := time.Now().UTC()
	query := l.e.sql(bareInsert)
	l.run(ctx, "insert", "INSERT INTO bench_insert_limit … RETURNING id", l.b.opts(), func(ctx context.Context, worker int, seq int64) error {
		var id int64
		return l.db.QueryRowContext(ctx, query, int64(worker+1), fmt.Sprint("Task ", seq), "Seeded by taskbench",
			statuses[seq%3], priorities[seq%3], now.AddDate(0, 0, int(seq%730)), now, now).Scan(&id)
	})
	return l.count(ctx)
}

// count finds how many rows the update and delete limits may use.
func (l *limits) count(ctx context.Context) error {
	var n sql.NullInt64
	if err := l.db.QueryRowContext(ctx, "SELECT MAX(id) FROM bench_insert_limit").Scan(&n); err != nil {
		return err
	}
	l.rows = n.Int64
	return nil
}

// update changes rows by primary key, round robin.
func (l *limits) update(ctx context.Context) {
	if l.rows == 0 {
		return
	}
	query := l.e.sql(bareUpdate)
	l.run(ctx, "update", "UPDATE bench_insert_limit SET … WHERE id = ?", l.b.opts(), func(ctx context.Context, _ int, seq int64) error {
		return l.exec(ctx, query, "Updated by taskbench", statuses[(seq+1)%3], priorities[(seq+1)%3], time.Now().UTC(), seq%l.rows+1)
	})
}

// delete removes each row once by primary key, ending early when they
// run out.
func (l *limits) delete(ctx context.Context) {
	if l.rows == 0 {
		return
	}
	o := l.b.opts()
	o.MaxRequests = l.rows
	query := l.e.sql(bareDelete)
	l.run(ctx, "delete", "DELETE FROM bench_insert_limit WHERE id = ?", o, func(ctx context.Context, _ int, seq int64) error {
		return l.exec(ctx, query, seq+1)
	})
	l.rows = 0
}

// exec runs a statement that must change exactly one row.
func (l *limits) exec(ctx context.Context, query string, args ...any) error {
	res, err := l.db.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%d rows changed, want 1 (%v)", n, err)
	}
	return nil
}

// mixed runs the mixed load's proportions (see mixOf) as bare
// statements, each worker on its own rows.
func (l *limits) mixed(ctx context.Context) error {
	if err := l.ensureTable(ctx); err != nil {
		return err
	}
	ins, upd, del, get, list := l.e.sql(bareInsert), l.e.sql(bareUpdate), l.e.sql(bareDelete), l.e.sql(bareGet), l.e.sql(bareList)
	stacks := make([][]int64, l.b.cfg.conc)
	l.run(ctx, "mixed", "the mixed load's statements, bare (2/25 INSERT, 2/25 UPDATE, 1/25 DELETE, 10/25 SELECT by id, 10/25 a page of 20)", l.b.opts(), func(ctx context.Context, worker int, seq int64) error {
		own := &stacks[worker]
		now := time.Now().UTC()
		switch mixOf(seq, len(*own)) {
		case mixCreate:
			var id int64
			err := l.db.QueryRowContext(ctx, ins, int64(1000+worker), "Mixed", nil, statuses[seq%3], priorities[seq%3], nil, now, now).Scan(&id)
			if err == nil {
				*own = append(*own, id)
			}
			return err
		case mixUpdate:
			return l.exec(ctx, upd, "Updated", statuses[seq%3], priorities[seq%3], now, (*own)[seq%int64(len(*own))])
		case mixDelete:
			id := (*own)[len(*own)-1]
			*own = (*own)[:len(*own)-1]
			return l.exec(ctx, del, id)
		case mixGet:
			_, err := drain(l.db.QueryContext(ctx, get, (*own)[seq%int64(len(*own))]))
			return err
		default:
			_, err := drain(l.db.QueryContext(ctx, list, int64(1000+worker)))
			return err
		}
	})
	return nil
}

// drain reads every row of a query's answer and says how many there were.
func drain(rows *sql.Rows, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

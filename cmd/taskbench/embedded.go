package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"

	"taskapi/app"
	"taskapi/internal/loadgen"
)

// embeddedWrites measures the writes and the mixed load on the zero-setup
// default, both services in one process on the embedded SQLite store, against bare
// statements on a SQLite file of their own through the same driver.
func (b *bench) embeddedWrites(ctx context.Context, e *env) error {
	names := []string{loadgen.EmbeddedPrefix + loadgen.Create, loadgen.EmbeddedPrefix + loadgen.Update,
		loadgen.EmbeddedPrefix + loadgen.Delete, loadgen.EmbeddedPrefix + loadgen.Mixed}
	wanted := false
	for _, n := range names {
		wanted = wanted || b.wants(n)
	}
	if !wanted {
		return nil
	}
	dir := filepath.Join(b.dir, "embedded-writes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env := map[string]string{app.EnvService: "all", app.EnvHost: "127.0.0.1", app.EnvPort: "0", app.EnvLogFormat: "json",
		app.EnvSQLitePath: filepath.Join(dir, "taskapi.db"), app.EnvBcryptCost: strconv.Itoa(b.cfg.bcryptCost),
		app.EnvRegisterIPMax: strconv.Itoa(registerMax), app.EnvTaskQuota: strconv.FormatInt(b.cfg.big+1_000_000, 10)}
	all, _, err := startService(ctx, b.cfg.bin, dir, "embedded", env, startLimit)
	if err != nil {
		return err
	}
	defer all.stop()
	allAPI := b.client
	allAPI.base = all.url()
	users, err := registerAll(ctx, allAPI, "e", e.suffix, writers)
	if err != nil {
		return err
	}
	db, err := openSQLiteLimits(dir)
	if err != nil {
		return err
	}
	defer db.Close()
	l := &limits{b: b, db: db, e: sqliteEngine}
	w := writeTarget{prefix: loadgen.EmbeddedPrefix, deployment: "embedded", procs: []*service{all}, tasks: allAPI}
	if err := b.writes(ctx, w, []userGroup{{"", users}}, l); err != nil {
		return err
	}
	if err := l.mixed(ctx); err != nil {
		return err
	}
	b.mixed(ctx, w, users, l.e.limitName("mixed"))
	return nil
}

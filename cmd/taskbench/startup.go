package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"taskapi/app"
	"taskapi/internal/loadgen"
)

// startupStep times the embedded store's start-ups.
func (b *bench) startupStep(ctx context.Context, _ *env) error {
	if !b.wants("startup") || ctx.Err() != nil {
		return nil
	}
	st, err := b.startups(ctx)
	if err != nil {
		return err
	}
	b.report.Startup = st
	b.logf("start-up to healthy (embedded): median %.0f ms, slowest %.0f ms; idle RSS %.1f MiB", st.MedianMs, st.MaxMs, st.IdleRSSMiB)
	return nil
}

// startups times both services in one process on a new embedded store (the first start
// creates and migrates the file) and restarts on the same file.
func (b *bench) startups(ctx context.Context) (*loadgen.Startup, error) {
	dir := filepath.Join(b.dir, "embedded")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := map[string]string{app.EnvService: "all", app.EnvHost: "127.0.0.1", app.EnvPort: "0", app.EnvLogFormat: "json",
		app.EnvSQLitePath: filepath.Join(dir, "taskapi.db"), app.EnvBcryptCost: strconv.Itoa(b.cfg.bcryptCost)}
	var times []float64
	st := &loadgen.Startup{Description: "`" + app.EnvService + "=all` on the embedded SQLite store, from exec to the first 200 from /health (the first start creates and migrates a new file, the others reopen it)"}
	for i := 0; i < b.cfg.startups && ctx.Err() == nil; i++ {
		s, took, err := startService(ctx, b.cfg.bin, dir, fmt.Sprint("embedded-", i), env, 30*time.Second)
		if err != nil {
			return nil, err
		}
		times = append(times, float64(took.Microseconds())/1000)
		if p, err := loadgen.ReadProc(s.pid()); err == nil {
			st.IdleRSSMiB = max(st.IdleRSSMiB, float64(p.RSSKiB)/1024)
		}
		s.stop()
	}
	st.Runs = len(times)
	if len(times) > 0 {
		sort.Float64s(times)
		st.MedianMs = times[len(times)/2]
		st.MaxMs = times[len(times)-1]
	}
	return st, nil
}

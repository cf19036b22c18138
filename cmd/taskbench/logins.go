package main

import (
	"context"
	"fmt"

	"taskapi/internal/loadgen"
)

// logins measures bcrypt on its own, then POST /auth/login against it.
func (b *bench) logins(ctx context.Context, e *env) error {
	cfg := b.cfg
	if b.wants(loadgen.LimitBcrypt) && ctx.Err() == nil {
		res, workers, err := bcryptLimit(ctx, cfg.bcryptCost, b.slowOpts())
		if err != nil {
			return err
		}
		b.addLimit(loadgen.LimitBcrypt, fmt.Sprintf("bcrypt.CompareHashAndPassword, cost %d", cfg.bcryptCost), workers, res, nil)
	}
	o := b.slowOpts()
	o.Concurrency = cfg.loginConc
	body := e.small.loginBody()
	login := func(ctx context.Context, _ int, _ int64) error {
		return e.authAPI.call(ctx, "POST", "/auth/login", "", body, 200, nil)
	}
	if sc := b.measure(ctx, loadgen.Login, "split", "POST /auth/login", e.split, o, login); sc != nil {
		b.report.SetRatio(sc, loadgen.LimitBcrypt)
	}
	return nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"taskapi/adapters/httpapi"
	"taskapi/handlers"
	"taskapi/metrics"
	"taskapi/store"
	"taskapi/tokens"
)

// Serve runs the HTTP server until ctx is cancelled (SIGTERM), then drains
// in-flight requests, writes the last metrics and closes the database
// pool. Logs and EMF metric records go to out. If ready is non-nil, the
// listener's address is sent on it once the server accepts connections.
func Serve(ctx context.Context, cfg Config, out io.Writer, ready chan<- string) error {
	logger, err := NewLogger(out, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	recorder := NewRecorder(cfg, out, db)
	handler, err := BuildAPI(cfg, db, logger, recorder)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
		// Longer than the ALB's 60 s idle timeout, so the ALB, not us,
		// closes idle keep-alive connections and never sends on a closed one.
		IdleTimeout: 75 * time.Second,
		// Go's default is 1 MiB; 128 KiB still bounds memory per connection
		// while leaving room for an absurd token to reach the handler and
		// get the API's JSON 401 rather than Go's plain-text 431.
		MaxHeaderBytes: 128 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("server started", append([]any{"version", Version, "addr", ln.Addr().String()}, cfg.LogValues()...)...)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	metricsCtx, stopMetrics := context.WithCancel(context.Background())
	metricsDone := make(chan error, 1)
	go func() { metricsDone <- recorder.Run(metricsCtx, cfg.MetricsInterval) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopMetrics()
		<-metricsDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	// After the drain, so that the last requests are in the last record.
	stopMetrics()
	if err := <-metricsDone; err != nil {
		logger.Error("final metrics flush failed", "error", err.Error())
	}
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("server stopped", "version", Version)
	return nil
}

// BuildAPI wires the handlers this process serves into the HTTP adapter.
// Every finished request is reported to recorder, if it is non-nil.
func BuildAPI(cfg Config, db *store.DB, logger *slog.Logger, recorder *metrics.Recorder) (http.Handler, error) {
	now := time.Now
	opts := httpapi.Options{
		Logger:             logger,
		Service:            serviceName(cfg.Service),
		TrustedProxyHops:   cfg.Abuse.TrustedProxyHops,
		CORSAllowedOrigins: cfg.Abuse.CORSAllowedOrigins,
	}
	if recorder != nil {
		opts.Metrics = recorder
	}
	opts.Health = handlers.NewHealth(serviceName(cfg.Service), db)
	if cfg.Service != serviceTask {
		signer := tokens.NewHS256(cfg.JWTSecret, cfg.JWTExpiration, now)
		// Every token this process accepts, on /auth/validate, on the
		// account routes and, all in one process, on /tasks (validated
		// in-process, no network hop), is checked against the revocations
		// in the database.
		validator := handlers.RejectingRevoked(signer, db)
		hasher := cfg.Abuse.hasher(cfg.BcryptCost)
		accounts, clients := cfg.Abuse.passwordThrottles()
		auth, err := handlers.NewAuth(db, hasher, signer, validator, now, handlers.WithLoginThrottle(accounts, clients))
		if err != nil {
			return nil, err
		}
		opts.Auth = auth
		opts.Account = handlers.NewAccount(db, hasher, db, now, handlers.WithPasswordThrottle(accounts))
		opts.AuthHealth = handlers.NewHealth("auth-service", db)
		opts.Tokens = validator
	}
	if cfg.Service != serviceAuth {
		opts.Tasks = handlers.NewTasks(db, now, handlers.WithQuota(cfg.Abuse.TaskQuota))
		opts.TaskHealth = handlers.NewHealth("task-service", db)
		if cfg.Service == serviceTask {
			client, err := newAuthClient(cfg, logger)
			if err != nil {
				return nil, err
			}
			opts.Tokens = client
		}
	}
	return withRequestTimeout(httpapi.NewServer(opts), cfg.RequestTimeout), nil
}

// withRequestTimeout bounds the work of every request: database calls and
// the auth call inherit the deadline and fail with 503 instead of piling up.
func withRequestTimeout(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// openStore opens the database, waiting up to DB_CONNECT_TIMEOUT for it to
// answer (RDS may still be starting), and migrates it if asked.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	deadline := time.Now().Add(cfg.DBWaitLimit)
	for delay := 250 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		err = db.Ping(ctx)
		if err == nil {
			break
		}
		if time.Now().Add(delay).After(deadline) || ctx.Err() != nil {
			db.Close()
			return nil, fmt.Errorf("database unreachable after %s: %w", cfg.DBWaitLimit, err)
		}
		logger.Warn("database not reachable yet, retrying", "error", err.Error(), "retry_in", delay.String())
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
	}
	if cfg.Migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	return db, nil
}

// Migrate applies the migrations and exits: the one-off ECS task that runs
// before a deployment, so services never race each other at start-up.
func Migrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	cfg.Migrate = true
	db, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	logger.Info("migrations applied", "database", cfg.DB.Driver)
	return db.Close()
}

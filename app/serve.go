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
	handler, cache, err := buildServer(cfg, db, logger, recorder)
	if err != nil {
		return err
	}
	// Stopped after the drain, like the metrics: the last requests are
	// still told about revocations.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); watchRevocations(watchCtx, cfg, db, cache, logger) }()
	defer func() { stopWatch(); <-watchDone }()
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
	pruneCtx, stopPruning := context.WithCancel(context.Background())
	pruneDone := make(chan struct{})
	go func() { defer close(pruneDone); runPruner(pruneCtx, db, cfg.PruneInterval, logger) }()
	// Before the pool closes (deferred above).
	defer func() { stopPruning(); <-pruneDone }()
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

package app

import (
	"io"
	"log/slog"
	"sync"
)

// lockedWriter serialises writes to one stream. Log lines and EMF metric
// records share stdout; each is written in one call, and the lock keeps
// two of them from interleaving into one broken line.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// StopLogger is the logger of a failed run's last line, which says why
// it stopped: in the configured log format, so that it reads as text
// under make run and as one searchable JSON line on ECS and CloudWatch.
// JSON when the format itself is unreadable.
func StopLogger(w io.Writer, getenv func(string) string) *slog.Logger {
	cfg := Config{LogFormat: "json"}
	for _, v := range Variables {
		if v.Name == EnvLogFormat {
			readVariables(&cfg, getenv, []Variable{v})
		}
	}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

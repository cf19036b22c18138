package app

import (
	"io"

	"taskapi/adapters/httpapi"
	"taskapi/metrics"
	"taskapi/store"
)

// serviceName is how a process running service appears in logs and
// metrics: the ECS service's name, or taskapi for both in one process.
func serviceName(service string) string {
	switch service {
	case serviceAuth:
		return httpapi.AuthService
	case serviceTask:
		return httpapi.TaskService
	}
	return "taskapi"
}

// NewRecorder returns the metrics recorder of a process: the services it
// serves are reported on every flush (zero when idle), and the database
// pool under the process's own name. Under the text log format, for
// people, it writes a one-line summary per busy service instead of EMF records.
func NewRecorder(cfg Config, out io.Writer, db *store.DB) *metrics.Recorder {
	var services []string
	if cfg.Service != serviceTask {
		services = append(services, httpapi.AuthService)
	}
	if cfg.Service != serviceAuth {
		services = append(services, httpapi.TaskService)
	}
	w := out
	if cfg.LogFormat == "text" {
		if logger, err := NewLogger(out, cfg.LogLevel, cfg.LogFormat); err == nil {
			w = metrics.Summary(logger)
		}
	}
	r := metrics.New(w, cfg.MetricsNamespace, services...)
	if db != nil {
		r.WatchPool(serviceName(cfg.Service), db.Stats)
	}
	return r
}

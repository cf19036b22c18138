package metrics

import (
	"encoding/json"
	"io"
	"log/slog"
)

// Summary returns a writer to give a Recorder in place of the log stream
// when people, not CloudWatch, read the log (the text log format). EMF records
// are JSON lines of several hundred characters meant for CloudWatch, not
// for a person watching make run; the summary turns each service's record
// of an interval that saw requests into one short line on logger, and
// drops the rest (per-route and pool records, idle intervals).
func Summary(logger *slog.Logger) io.Writer {
	return &summary{logger: logger}
}

type summary struct {
	logger *slog.Logger
}

// emfRecord is the part of an EMF request record the summary reads.
type emfRecord struct {
	Service      string  `json:"Service"`
	Route        *string `json:"Route"`
	RequestCount *int64  `json:"RequestCount"`
	ErrorCount   int64   `json:"ErrorCount"`
	ResponseTime *struct {
		Max, Count, Sum float64
	} `json:"ResponseTime"`
}

// Write takes one EMF record (the recorder writes each in one call).
func (m *summary) Write(p []byte) (int, error) {
	var rec emfRecord
	if err := json.Unmarshal(p, &rec); err != nil {
		// Not a record this code knows: say so rather than lose it.
		m.logger.Warn("unreadable metrics record", "error", err.Error())
		return len(p), nil
	}
	if rec.Route != nil || rec.RequestCount == nil || *rec.RequestCount == 0 || rec.ResponseTime == nil {
		return len(p), nil
	}
	avg := 0.0
	if rec.ResponseTime.Count > 0 {
		avg = rec.ResponseTime.Sum / rec.ResponseTime.Count
	}
	m.logger.Info("metrics", "service", rec.Service, "requests", *rec.RequestCount,
		"errors_5xx", rec.ErrorCount, "avg_ms", round3(avg), "max_ms", round3(rec.ResponseTime.Max))
	return len(p), nil
}

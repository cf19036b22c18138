package app

import (
	"encoding/json"
	"log/slog"
	"math"
)

// metricsSummary stands in for the log stream as the metrics recorder's
// writer under LOG_FORMAT=text. EMF records are JSON lines of several
// hundred characters meant for CloudWatch, not for a person watching make
// run; this turns each service's record of an interval that saw requests
// into one short log line, and drops the rest (per-route and pool
// records, idle intervals). Under json the records go out unchanged.
type metricsSummary struct {
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
func (m *metricsSummary) Write(p []byte) (int, error) {
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

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

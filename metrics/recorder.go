// Package metrics aggregates request and database-pool figures in memory
// and writes them as CloudWatch Embedded Metric Format (EMF) records: JSON
// lines in the log stream from which CloudWatch Logs extracts metrics, with
// no agent, SDK call or network round trip from the service.
package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// DefaultNamespace is the CloudWatch namespace the ECS alarms and
// dashboard read (ecs/ templates); the configuration may override it.
const DefaultNamespace = "TaskManagement"

// Metric names. The ECS templates use exactly these; a test cross-checks.
const (
	RequestCount       = "RequestCount"
	ErrorCount         = "ErrorCount" // responses with a 5xx status
	ErrorRate          = "ErrorRate"  // ErrorCount / RequestCount, in percent
	ResponseTime       = "ResponseTime"
	DBOpenConnections  = "DBOpenConnections"
	DBInUseConnections = "DBInUseConnections"
	DBIdleConnections  = "DBIdleConnections"
	DBWaitCount        = "DBWaitCount"    // waits for a free connection since the last record
	DBWaitDuration     = "DBWaitDuration" // time spent waiting, since the last record
)

// Units gives each metric's CloudWatch unit.
var Units = map[string]string{
	RequestCount:       "Count",
	ErrorCount:         "Count",
	ErrorRate:          "Percent",
	ResponseTime:       "Milliseconds",
	DBOpenConnections:  "Count",
	DBInUseConnections: "Count",
	DBIdleConnections:  "Count",
	DBWaitCount:        "Count",
	DBWaitDuration:     "Milliseconds",
}

// Dimension names. Service is the service's name (auth-service or
// task-service); Route is "METHOD /path/{template}", a small fixed set.
const (
	DimService = "Service"
	DimRoute   = "Route"
)

// Recorder aggregates observations between flushes. It is safe for
// concurrent use.
type Recorder struct {
	w         io.Writer
	namespace string
	services  []string
	now       func() time.Time

	mu     sync.Mutex
	series map[seriesKey]*series

	poolService string
	poolStats   func() sql.DBStats
	lastWaits   int64
	lastWaited  time.Duration
}

type seriesKey struct{ service, route string }

type series struct {
	requests, errors int64
	latency          histogram
}

// New returns a recorder that writes to w. services are reported on every
// flush, with zero counts when idle, so that alarms see data rather than
// gaps.
func New(w io.Writer, namespace string, services ...string) *Recorder {
	return &Recorder{w: w, namespace: namespace, services: services, now: time.Now, series: map[seriesKey]*series{}}
}

// WatchPool adds the database pool's figures, reported under service.
func (r *Recorder) WatchPool(service string, stats func() sql.DBStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.poolService, r.poolStats = service, stats
	s := stats()
	r.lastWaits, r.lastWaited = s.WaitCount, s.WaitDuration
}

// Observe records one finished request.
func (r *Recorder) Observe(service, route string, status int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, key := range []seriesKey{{service, ""}, {service, route}} {
		s := r.series[key]
		if s == nil {
			s = &series{}
			r.series[key] = s
		}
		s.requests++
		if status >= 500 {
			s.errors++
		}
		s.latency.observe(d)
	}
}

// Flush writes one EMF record per service, one per route that saw
// requests, and one for the database pool, then starts a new interval.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	current := r.series
	r.series = map[seriesKey]*series{}
	var pool map[string]any
	if r.poolStats != nil {
		pool = r.poolRecord()
	}
	r.mu.Unlock()

	for _, svc := range r.services {
		if current[seriesKey{svc, ""}] == nil {
			current[seriesKey{svc, ""}] = &series{}
		}
	}
	keys := make([]seriesKey, 0, len(current))
	for k := range current {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].service != keys[j].service {
			return keys[i].service < keys[j].service
		}
		return keys[i].route < keys[j].route
	})
	ts := r.now().UnixMilli()
	for _, k := range keys {
		if err := r.write(requestRecord(r.namespace, ts, k, current[k])); err != nil {
			return err
		}
	}
	if pool != nil {
		pool["_aws"] = directive(r.namespace, ts, []string{DimService},
			DBOpenConnections, DBInUseConnections, DBIdleConnections, DBWaitCount, DBWaitDuration)
		return r.write(pool)
	}
	return nil
}

// poolRecord reads the pool: gauges as they are now, waits as the change
// since the previous record. r.mu must be held.
func (r *Recorder) poolRecord() map[string]any {
	s := r.poolStats()
	rec := map[string]any{
		DimService:         r.poolService,
		DBOpenConnections:  s.OpenConnections,
		DBInUseConnections: s.InUse,
		DBIdleConnections:  s.Idle,
		DBWaitCount:        s.WaitCount - r.lastWaits,
		DBWaitDuration:     float64(s.WaitDuration-r.lastWaited) / float64(time.Millisecond),
	}
	r.lastWaits, r.lastWaited = s.WaitCount, s.WaitDuration
	return rec
}

func requestRecord(namespace string, ts int64, k seriesKey, s *series) map[string]any {
	rec := map[string]any{DimService: k.service, RequestCount: s.requests, ErrorCount: s.errors}
	dims := []string{DimService}
	if k.route != "" {
		rec[DimRoute] = k.route
		dims = append(dims, DimRoute)
	}
	names := []string{RequestCount, ErrorCount}
	if s.requests > 0 {
		rec[ErrorRate] = float64(s.errors) * 100 / float64(s.requests)
		rec[ResponseTime] = s.latency.emf()
		names = append(names, ErrorRate, ResponseTime)
	}
	rec["_aws"] = directive(namespace, ts, dims, names...)
	return rec
}

// directive is the _aws member that tells CloudWatch which members are
// metrics, in what unit, under which dimensions.
func directive(namespace string, ts int64, dims []string, names ...string) map[string]any {
	metrics := make([]map[string]string, len(names))
	for i, n := range names {
		metrics[i] = map[string]string{"Name": n, "Unit": Units[n]}
	}
	return map[string]any{
		"Timestamp": ts,
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  namespace,
			"Dimensions": [][]string{dims},
			"Metrics":    metrics,
		}},
	}
}

// write emits one record as one line in one Write call, so it never
// interleaves with a log line written concurrently to the same stream.
func (r *Recorder) write(rec map[string]any) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode EMF record: %w", err)
	}
	_, err = r.w.Write(append(line, '\n'))
	return err
}

// Run flushes every interval until ctx ends, then once more, so that the
// last interval's figures survive a shutdown.
func (r *Recorder) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := r.Flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			return r.Flush()
		}
	}
}

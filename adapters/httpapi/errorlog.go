package httpapi

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// errorLogInterval is how long repeats of one failure are counted before
// they are reported in one summary line.
const errorLogInterval = 10 * time.Second

// maxErrorCauses bounds the failures counted at once: beyond it, a new
// failure is logged line by line, as if it were never repeated, so a storm
// of distinct failures cannot grow memory without bound.
const maxErrorCauses = 1000

// errorLog writes the ERROR line of failed requests, collapsing repeats.
//
// During an outage every request fails the same way: one ERROR line each
// (100,000 lines in 20 s during an auth outage) drowns the log and costs
// CloudWatch ingestion, while telling nothing more than the first line. So
// the first failure of a kind is logged at once, with its request id, and
// the same failure again within the interval is only counted; when the
// interval ends, one summary line gives the count. A kind that stays quiet
// for a whole interval is forgotten, so its next failure is logged at once
// again. The access log still has one line per request, with its status.
//
// Failures are the same kind when their status and cause text match
// apart from numbers: ports, addresses and ids differ from one request to
// the next while the failure is the same.
type errorLog struct {
	logger   *slog.Logger
	interval time.Duration
	// afterFunc runs f once, d from now: time.AfterFunc, or the tests'
	// clock, which fires on command.
	afterFunc func(d time.Duration, f func())

	mu     sync.Mutex
	causes map[string]*errorCause
}

// errorCause is one kind of failure being counted in the current interval.
type errorCause struct {
	status  int
	example string // the cause of the failure logged in full
	repeats int    // the same failure since, in this interval
	lastID  string // request id of the latest repeat
}

func newErrorLog(logger *slog.Logger, interval time.Duration, afterFunc func(time.Duration, func())) *errorLog {
	if afterFunc == nil {
		afterFunc = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	return &errorLog{logger: logger, interval: interval, afterFunc: afterFunc, causes: map[string]*errorCause{}}
}

// digits are what errorKind ignores.
var digits = regexp.MustCompile(`[0-9]+`)

func errorKind(status int, cause string) string {
	return strconv.Itoa(status) + " " + digits.ReplaceAllLiteralString(cause, "#")
}

// failed reports one request's server-side failure.
func (l *errorLog) failed(ctx context.Context, requestID string, status int, cause string) {
	key := errorKind(status, cause)
	l.mu.Lock()
	c, seen := l.causes[key]
	switch {
	case seen:
		c.repeats++
		c.lastID = requestID
		l.mu.Unlock()
		return
	case len(l.causes) < maxErrorCauses:
		l.causes[key] = &errorCause{status: status, example: cause}
		l.afterFunc(l.interval, func() { l.intervalEnded(key) })
	}
	l.mu.Unlock()
	l.logger.LogAttrs(ctx, slog.LevelError, "request failed",
		slog.String("request_id", requestID),
		slog.Int("status", status),
		slog.String("error", cause))
}

// intervalEnded reports the repeats of one kind counted in the interval
// that just ended, and counts on for another; a kind without repeats is
// forgotten.
func (l *errorLog) intervalEnded(key string) {
	l.mu.Lock()
	c := l.causes[key]
	if c.repeats == 0 {
		delete(l.causes, key)
		l.mu.Unlock()
		return
	}
	repeats, lastID := c.repeats, c.lastID
	c.repeats, c.lastID = 0, ""
	l.afterFunc(l.interval, func() { l.intervalEnded(key) })
	l.mu.Unlock()
	l.logger.LogAttrs(context.Background(), slog.LevelError, "request failed repeatedly",
		slog.Int("repeated", repeats),
		slog.String("in_last", l.interval.String()),
		slog.String("last_request_id", lastID),
		slog.Int("status", c.status),
		slog.String("error", c.example))
}

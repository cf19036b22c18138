// Package loadgen is the engine of `make bench` (cmd/taskbench): a
// closed-loop load driver, latency statistics, per-process figures read
// from /proc, and the report (table, targets, Markdown and JSON).
//
// Closed loop means a fixed number of workers, each sending its next
// request as soon as the previous one is answered, for a fixed time. That
// is the shape the benchmark's questions have ("how much does the service
// sustain at concurrency 32, and at what latency"): an open-loop driver at
// a fixed rate (vegeta) measures latency at a rate chosen in advance, and
// on a shared 2-core machine any rate chosen in advance is either below
// the capacity or piles up a queue that measures the driver.
package loadgen

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options bound one run: every loop stops at Warmup+Duration or after
// MaxRequests requests, whichever comes first.
type Options struct {
	Concurrency int           // workers, each with one request in flight
	Warmup      time.Duration // requests sent but not recorded
	Duration    time.Duration // the measured window
	// MaxRequests caps the requests of the whole run, warm-up included;
	// zero means DefaultMaxRequests.
	MaxRequests int64
	// Grace is how long a request in flight at the end may still take
	// before its context is cancelled; zero means 10 s.
	Grace time.Duration
	// OnMeasureStart and OnMeasureEnd, if set, are called when the
	// measured window opens and after its last request finished: the
	// moments to sample the processes under test.
	OnMeasureStart, OnMeasureEnd func()
}

// DefaultMaxRequests bounds a run whose Options do not: far above what
// any scenario reaches in its window on this hardware.
const DefaultMaxRequests = 2_000_000

// Op sends one request. worker is the worker's number (0 to
// Concurrency-1) and seq the request's number in the run, both for
// choosing what to send. A non-nil error counts the request as failed.
type Op func(ctx context.Context, worker int, seq int64) error

// Result is what one run measured, over its measured window only.
type Result struct {
	Requests  int64           // requests that started in the window
	Errors    int64           // of which failed
	ErrorText []string        // the first few distinct failures
	Elapsed   time.Duration   // window start to the last answer
	Latencies []time.Duration // sorted, one per request in the window
}

// Rate is requests per second over the window.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the latency at or below which p per cent of the window's
// requests were answered (nearest rank; 0 with no requests).
func (r Result) Percentile(p float64) time.Duration {
	return Percentile(r.Latencies, p)
}

const maxErrorTexts = 5

// Run drives op from o.Concurrency workers until the window ends, ctx is
// cancelled or the request cap is reached.
func Run(ctx context.Context, o Options, op Op) Result {
	workers := max(o.Concurrency, 1)
	limit := o.MaxRequests
	if limit <= 0 {
		limit = DefaultMaxRequests
	}
	grace := o.Grace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	start := time.Now()
	windowStart := start.Add(o.Warmup)
	end := windowStart.Add(o.Duration)
	opCtx, cancel := context.WithDeadline(ctx, end.Add(grace))
	defer cancel()

	opened := make(chan struct{})
	timer := time.AfterFunc(o.Warmup, func() {
		if o.OnMeasureStart != nil {
			o.OnMeasureStart()
		}
		close(opened)
	})

	var (
		seq      atomic.Int64
		mu       sync.Mutex
		res      Result
		lastDone time.Time
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var lat []time.Duration
			var errs int64
			var texts []string
			var last time.Time
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				n := seq.Add(1)
				if n > limit {
					break
				}
				err := op(opCtx, w, n-1)
				t1 := time.Now()
				if t0.Before(windowStart) {
					continue
				}
				lat = append(lat, t1.Sub(t0))
				last = t1
				if err != nil {
					errs++
					if len(texts) < maxErrorTexts {
						texts = append(texts, err.Error())
					}
				}
			}
			perWorker[w] = lat
			mu.Lock()
			defer mu.Unlock()
			res.Errors += errs
			res.ErrorText = mergeTexts(res.ErrorText, texts)
			if last.After(lastDone) {
				lastDone = last
			}
		}(w)
	}
	wg.Wait()
	if timer.Stop() {
		// Everything ended before the window opened (cancelled, or the
		// cap reached during warm-up): nothing was measured.
		close(opened)
	}
	<-opened
	if o.OnMeasureEnd != nil {
		o.OnMeasureEnd()
	}
	for _, l := range perWorker {
		res.Latencies = append(res.Latencies, l...)
	}
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	res.Requests = int64(len(res.Latencies))
	if res.Requests > 0 {
		res.Elapsed = lastDone.Sub(windowStart)
	}
	return res
}

// mergeTexts adds the distinct texts of more to have, keeping at most
// maxErrorTexts.
func mergeTexts(have, more []string) []string {
	for _, t := range more {
		if len(have) >= maxErrorTexts {
			break
		}
		dup := false
		for _, h := range have {
			dup = dup || h == t
		}
		if !dup {
			have = append(have, t)
		}
	}
	return have
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value with at least p per cent of the values at
// or below it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(p / 100 * float64(n))
	if float64(rank) < p/100*float64(n) {
		rank++ // ceil, without float surprises for exact ranks
	}
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	// Three values: p50 is the second (rank ceil(1.5) = 2), p99 the third.
	three := []time.Duration{1, 2, 3}
	if got := Percentile(three, 50); got != 2 {
		t.Errorf("p50 of 1,2,3 = %v, want 2", got)
	}
	if got := Percentile(three, 99); got != 3 {
		t.Errorf("p99 of 1,2,3 = %v, want 3", got)
	}
	if got := Percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %v, want 0", got)
	}
}

// TestRunStopsAtTheRequestCap drives a run that could last a minute but
// is capped at 200 requests: the count, not the clock, ends it.
func TestRunStopsAtTheRequestCap(t *testing.T) {
	var calls atomic.Int64
	var mu sync.Mutex
	inFlight, most := 0, 0
	seen := map[int64]bool{}
	r := Run(context.Background(), Options{Concurrency: 4, Duration: time.Minute, MaxRequests: 200},
		func(_ context.Context, worker int, seq int64) error {
			if worker < 0 || worker >= 4 {
				t.Errorf("worker %d out of range", worker)
			}
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			if seen[seq] {
				t.Errorf("seq %d twice", seq)
			}
			seen[seq] = true
			mu.Unlock()
			calls.Add(1)
			time.Sleep(100 * time.Microsecond)
			mu.Lock()
			inFlight--
			mu.Unlock()
			if seq%10 == 0 {
				return fmt.Errorf("failure %d", seq%20)
			}
			return nil
		})
	if calls.Load() != 200 || r.Requests != 200 || len(r.Latencies) != 200 {
		t.Fatalf("calls %d, requests %d, latencies %d; want 200 each", calls.Load(), r.Requests, len(r.Latencies))
	}
	if most > 4 {
		t.Errorf("%d requests in flight at once, want at most 4", most)
	}
	if r.Errors != 20 {
		t.Errorf("errors = %d, want 20 (every tenth)", r.Errors)
	}
	if len(r.ErrorText) != 2 {
		t.Errorf("error texts = %q, want the two distinct ones", r.ErrorText)
	}
	for i := 1; i < len(r.Latencies); i++ {
		if r.Latencies[i] < r.Latencies[i-1] {
			t.Fatal("latencies not sorted")
		}
	}
	if r.Elapsed <= 0 || r.Rate() <= 0 {
		t.Errorf("elapsed %v, rate %v: want positive", r.Elapsed, r.Rate())
	}
}

// TestRunRecordsNothingFromTheWarmUp caps a run inside its (long) warm-up:
// requests were sent, none measured, and the window hooks still pair up.
func TestRunRecordsNothingFromTheWarmUp(t *testing.T) {
	var started, ended atomic.Int32
	var calls atomic.Int64
	r := Run(context.Background(), Options{
		Concurrency: 2, Warmup: time.Minute, Duration: time.Minute, MaxRequests: 50,
		OnMeasureStart: func() { started.Add(1) },
		OnMeasureEnd:   func() { ended.Add(1) },
	}, func(context.Context, int, int64) error { calls.Add(1); return errors.New("x") })
	if calls.Load() != 50 {
		t.Fatalf("calls = %d, want 50", calls.Load())
	}
	if r.Requests != 0 || r.Errors != 0 || r.Rate() != 0 || r.Percentile(99) != 0 {
		t.Errorf("warm-up leaked into the result: %+v", r)
	}
	if started.Load() != 0 || ended.Load() != 1 {
		t.Errorf("hooks: start %d, end %d; want 0 and 1 (the window never opened)", started.Load(), ended.Load())
	}
}

// TestRunEndsWhenCancelled: a cancelled context ends the run at once and
// the operation sees a cancelled context too.
func TestRunEndsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	done := make(chan Result, 1)
	go func() {
		done <- Run(ctx, Options{Concurrency: 3, Duration: time.Hour}, func(ctx context.Context, _ int, _ int64) error {
			n := calls.Add(1)
			if n == 30 {
				cancel()
			}
			if n >= 30 {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a cancelled run did not end")
	}
	if calls.Load() > 32 {
		t.Errorf("%d calls: after the cancel at call 30 each of the other 2 workers may start one more, no more", calls.Load())
	}
}

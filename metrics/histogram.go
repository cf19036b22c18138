package metrics

import (
	"math"
	"time"
)

// Histogram bins span from histMin to histMax milliseconds in histBins
// exponential steps (about 14 % apart), so a response-time distribution
// always fits the 100 values EMF allows for one metric, and CloudWatch can
// compute percentiles from it within that resolution. Min, Max, Sum and
// Count are kept exactly.
const (
	histBins = 100
	histMin  = 0.05     // ms
	histMax  = 60_000.0 // ms; the write timeout bounds real requests well below
)

var histRatio = math.Pow(histMax/histMin, 1.0/(histBins-1))

// histogram accumulates durations in milliseconds.
type histogram struct {
	counts        [histBins]int64
	count         int64
	sum, min, max float64
}

func (h *histogram) observe(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	if h.count == 0 || ms < h.min {
		h.min = ms
	}
	if h.count == 0 || ms > h.max {
		h.max = ms
	}
	h.count++
	h.sum += ms
	h.counts[binOf(ms)]++
}

// binOf returns the bin whose range holds ms; values outside the span go
// to the first or last bin.
func binOf(ms float64) int {
	if ms <= histMin {
		return 0
	}
	i := int(math.Log(ms/histMin)/math.Log(histRatio) + 0.5)
	return min(max(i, 0), histBins-1)
}

// binValue is the representative value of bin i.
func binValue(i int) float64 {
	return histMin * math.Pow(histRatio, float64(i))
}

// emfValue is the EMF histogram form of h: the values seen (one per
// non-empty bin) with how often each occurred, plus exact statistics.
type emfHistogram struct {
	Values []float64 `json:"Values"`
	Counts []int64   `json:"Counts"`
	Max    float64   `json:"Max"`
	Min    float64   `json:"Min"`
	Count  int64     `json:"Count"`
	Sum    float64   `json:"Sum"`
}

func (h *histogram) emf() emfHistogram {
	out := emfHistogram{Max: h.max, Min: h.min, Count: h.count, Sum: h.sum}
	for i, c := range h.counts {
		if c > 0 {
			out.Values = append(out.Values, round3(binValue(i)))
			out.Counts = append(out.Counts, c)
		}
	}
	return out
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

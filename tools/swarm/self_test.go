package swarm

import (
	"math"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestQuantilesOfTheRuntimesHistograms: a quantile is the upper bound of
// its bucket (the lower for the unbounded last), over what was recorded
// between two reads.
func TestQuantilesOfTheRuntimesHistograms(t *testing.T) {
	buckets := []float64{math.Inf(-1), 0, 1e-6, 1e-3, 1e-2, math.Inf(1)}
	before := &rtmetrics.Float64Histogram{Counts: []uint64{0, 5, 5, 0, 0}, Buckets: buckets}
	after := &rtmetrics.Float64Histogram{Counts: []uint64{0, 5 + 90, 5 + 9, 1, 0}, Buckets: buckets}
	d := histDelta(before, after)
	for _, tc := range []struct{ q, want float64 }{{0.5, 1e-6}, {0.9, 1e-6}, {0.95, 1e-3}, {0.99, 1e-3}, {1, 1e-2}} {
		if got := histQuantile(d, tc.q); got != tc.want {
			t.Errorf("q%.2f = %g, want %g", tc.q, got, tc.want)
		}
	}
	if got := histQuantile(histDelta(after, after), 0.99); got != 0 {
		t.Errorf("nothing recorded between two reads: q0.99 = %g", got)
	}
	tail := &rtmetrics.Float64Histogram{Counts: []uint64{0, 0, 0, 0, 3}, Buckets: buckets}
	if got := histQuantile(tail, 0.5); got != 1e-2 {
		t.Errorf("the unbounded bucket: %g, want its lower bound", got)
	}
	if histQuantile(nil, 0.5) != 0 {
		t.Error("no histogram")
	}
}

// TestTheSwarmMeasuresItself: goroutines that outnumber the Ps and burn
// CPU show as CPU and as scheduling delay between two marks, and a report
// says when the delay is over the line.
func TestTheSwarmMeasuresItself(t *testing.T) {
	s := newSelfMeter()
	a := s.mark()
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := time.Now(); time.Since(start) < 30*time.Millisecond; {
			}
		}()
	}
	wg.Wait()
	r := between(a, s.mark())
	if r.CPUCores <= 0 || r.SchedP99Ms <= 0 || r.Procs != runtime.GOMAXPROCS(0) {
		t.Fatalf("after burning CPU in more goroutines than Ps: %+v", r)
	}
	if runtime.GOOS == "linux" && r.CPUWaitMsPerS < 0 {
		t.Fatalf("the run queue's wait is not read: %+v", r)
	}
	rep := &Report{Self: &SelfReport{CPUCores: 1.9, Procs: 2, SchedP99Ms: 40, Starved: true, CPUWaitMsPerS: -1}}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "WARNING: the swarm was short of CPU") || !strings.Contains(b.String(), "waiting for a CPU not measured") {
		t.Fatalf("a starved swarm's report:\n%s", b.String())
	}
}

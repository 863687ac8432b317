package swarm

import (
	"math"
	"runtime"
	rtmetrics "runtime/metrics"
	"strings"
	"sync"
	"syscall"
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
// 30 ms of the process's CPU (by its own account) show as that CPU and as
// scheduling delay between two marks, 64 MB held across a GC as the live
// heap, and a report says when the delay is over the line.
func TestTheSwarmMeasuresItself(t *testing.T) {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s := newSelfMeter()
	a := s.mark()
	until := cpu() + 30*time.Millisecond
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cpu() < until {
			}
		}()
	}
	wg.Wait()
	held := make([]byte, 64<<20) // 64 MB live across a GC
	for i := range held {
		held[i] = byte(i)
	}
	runtime.GC()
	b := s.mark()
	runtime.KeepAlive(held)
	r := between(a, b)
	if used := r.CPUCores * b.at.Sub(a.at).Seconds(); used < 0.030 || r.SchedP99Ms <= 0 || r.Procs != runtime.GOMAXPROCS(0) {
		t.Fatalf("after burning 30 ms of CPU in more goroutines than Ps: %.3f s of CPU, %+v", used, r)
	}
	if r.HeapLiveMB < 64 {
		t.Fatalf("64 MB held across a GC, %.1f MB live reported", r.HeapLiveMB)
	}
	if runtime.GOOS == "linux" && r.CPUWaitMsPerS < 0 {
		t.Fatalf("the run queue's wait is not read: %+v", r)
	}
	rep := &Report{Self: &SelfReport{CPUCores: 1.9, Procs: 2, SchedP99Ms: 40, Starved: true, CPUWaitMsPerS: -1}}
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "WARNING: the swarm was short of CPU") || !strings.Contains(table.String(), "waiting for a CPU not measured") {
		t.Fatalf("a starved swarm's report:\n%s", table.String())
	}
}

package swarm

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A load generator short of CPU adds its own delays to what it measures: a
// snapshot that waited in the swarm's socket, or a goroutine that waited to
// run, looks like a late snapshot. The swarm therefore measures itself
// alongside the realm, each second and over the steady phase: its CPU, how
// long its runnable goroutines waited for the Go scheduler, how long its
// threads waited for a CPU (the kernel's run queue), and its GC pauses.

// starvedSchedP99Ms is the scheduling delay p99 above which the report
// warns that the swarm's own delays are in its figures: a fifth of a 20 Hz
// tick.
const starvedSchedP99Ms = 10

// SelfReport is the swarm's own health over the steady phase.
type SelfReport struct {
	CPUCores float64 `json:"cpu_cores"` // the swarm process's CPU, in cores
	Procs    int     `json:"procs"`     // GOMAXPROCS
	// SchedP50Ms and SchedP99Ms: how long goroutines that could run waited
	// for the Go scheduler (runtime/metrics /sched/latencies:seconds).
	SchedP50Ms float64 `json:"sched_p50_ms"`
	SchedP99Ms float64 `json:"sched_p99_ms"`
	// CPUWaitMsPerS is how long the swarm's threads together waited for a
	// CPU in the kernel's run queue, per second (-1: not measured, off
	// Linux).
	CPUWaitMsPerS float64 `json:"cpu_wait_ms_per_s"`
	GCPauseMaxMs  float64 `json:"gc_pause_max_ms"` // the longest stop-the-world pause of a GC
	// HeapLiveMB is the heap the last GC before the end found live
	// (runtime/metrics /gc/heap/live:bytes), in MB: with the bots' number,
	// what a bot holds.
	HeapLiveMB float64 `json:"heap_live_mb"`
	// Starved says SchedP99Ms exceeded starvedSchedP99Ms: part of the
	// snapshot ages and echo times is the swarm's own.
	Starved bool `json:"starved"`
}

// selfMark is the swarm's counters at one moment.
type selfMark struct {
	at     time.Time
	cpu    time.Duration // user + system
	wait   time.Duration // run-queue wait, every thread (-1: unknown)
	sched  *rtmetrics.Float64Histogram
	pauses *rtmetrics.Float64Histogram
	live   uint64 // heap bytes live at the last GC
}

// selfMeter takes marks; between two it tells the swarm's health.
type selfMeter struct {
	samples []rtmetrics.Sample
}

func newSelfMeter() *selfMeter {
	return &selfMeter{samples: []rtmetrics.Sample{{Name: "/sched/latencies:seconds"}, {Name: "/sched/pauses/total/gc:seconds"}, {Name: "/gc/heap/live:bytes"}}}
}

func (s *selfMeter) mark() selfMark {
	m := selfMark{at: time.Now(), wait: runQueueWait()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	rtmetrics.Read(s.samples)
	m.sched = copyHist(s.samples[0].Value)
	m.pauses = copyHist(s.samples[1].Value)
	if v := s.samples[2].Value; v.Kind() == rtmetrics.KindUint64 {
		m.live = v.Uint64()
	}
	return m
}

// between is the health from a to b.
func between(a, b selfMark) SelfReport {
	r := SelfReport{Procs: runtime.GOMAXPROCS(0), CPUWaitMsPerS: -1, HeapLiveMB: float64(b.live) / 1e6}
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return r
	}
	r.CPUCores = (b.cpu - a.cpu).Seconds() / secs
	if a.wait >= 0 && b.wait >= 0 {
		// A thread that ended took its wait with it: never below 0.
		r.CPUWaitMsPerS = max(0, float64((b.wait-a.wait).Microseconds())/1000/secs)
	}
	sched := histDelta(a.sched, b.sched)
	r.SchedP50Ms = histQuantile(sched, 0.50) * 1000
	r.SchedP99Ms = histQuantile(sched, 0.99) * 1000
	r.GCPauseMaxMs = histQuantile(histDelta(a.pauses, b.pauses), 1) * 1000
	r.Starved = r.SchedP99Ms > starvedSchedP99Ms
	return r
}

func copyHist(v rtmetrics.Value) *rtmetrics.Float64Histogram {
	if v.Kind() != rtmetrics.KindFloat64Histogram {
		return nil
	}
	h := v.Float64Histogram()
	return &rtmetrics.Float64Histogram{Counts: append([]uint64(nil), h.Counts...), Buckets: h.Buckets}
}

// histDelta is what was recorded in b since a (the runtime's histograms
// only grow, over the same buckets).
func histDelta(a, b *rtmetrics.Float64Histogram) *rtmetrics.Float64Histogram {
	if b == nil {
		return nil
	}
	d := &rtmetrics.Float64Histogram{Counts: append([]uint64(nil), b.Counts...), Buckets: b.Buckets}
	if a != nil && len(a.Counts) == len(b.Counts) {
		for i := range d.Counts {
			d.Counts[i] -= min(a.Counts[i], d.Counts[i])
		}
	}
	return d
}

// histQuantile is the upper bound of the bucket that holds quantile q
// (the lower bound for the last, unbounded bucket); 0 for an empty
// histogram.
func histQuantile(h *rtmetrics.Float64Histogram, q float64) float64 {
	if h == nil {
		return 0
	}
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if c > 0 && seen >= rank {
			if hi := h.Buckets[i+1]; !math.IsInf(hi, 1) {
				return hi
			}
			return max(h.Buckets[i], 0)
		}
	}
	return 0
}

// runQueueWait is how long this process's threads have waited for a CPU
// (the second field of each /proc/self/task/*/schedstat, in ns); -1 where
// the kernel does not say.
func runQueueWait() time.Duration {
	tasks, err := filepath.Glob("/proc/self/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		return -1
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return -1
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return -1
		}
		total += time.Duration(ns)
	}
	return total
}

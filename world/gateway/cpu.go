package gateway

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Admission by the machine's CPU. Lateness (load.go) sees only what the
// gateway itself is late for; on a machine the gateway shares (zones, a
// login node hashing passwords, other gateways), the first sign of
// overload is the machine's CPU running out, and players' snapshots go
// stale in the kernel's and their processes' queues before the gateway's
// own passes run late. So a gateway also says it is full when, over the
// last cpuWindow, the machine had less than FullIdle of its CPU idle (or
// spent on processes of lower priority, which yield it) and
// the gateway itself used at least FullIdleShare of a core (it is a large
// part of the load: refusing players helps); it takes players again once
// the idle share is back above twice FullIdle, or once the gateway uses
// less than three quarters of its share (it sheds load, shed.go, or lost
// players: it is no longer a large part of the load, and pacing, below,
// then takes players slowly).

// cpuWindow is the window the CPU shares are measured over.
const cpuWindow = 5 * time.Second

// paceJoins is how many players a gateway takes in a cpuWindow once the
// machine is within twice FullIdle of full and the gateway uses three
// quarters of its FullIdleShare (close to full: a gateway with a few
// players on a busy machine takes them at the logins' pace): the shares
// lag the players taken by their window, and a gateway that took players
// as fast as the logins came overshot the bound by a hundred before the
// window showed it (snapshot-age p99 393 ms).
const paceJoins = 10

// cpuSample is the machine's and the process's CPU counters at a moment.
type cpuSample struct {
	at          time.Time
	total, idle uint64        // the machine's jiffies (/proc/stat)
	self        time.Duration // the process's CPU (user + system)
}

// cpuReader reads a sample (readProcCPU; tests give their own).
type cpuReader func() (cpuSample, error)

// cpuWatch keeps samples over the window and judges fullness.
type cpuWatch struct {
	mu      sync.Mutex
	read    cpuReader
	samples []cpuSample // oldest first, spanning about cpuWindow
	full    bool
	idle    float64              // the machine's idle share over the window, niced processes' time included (-1: unknown)
	cores   float64              // the process's CPU over the window, in cores
	failed  bool                 // reading failed once: the signal is off
	joins   [paceJoins]time.Time // when the last players were taken, a ring: joins[next] is the oldest
	next    int
	cpus    int // the machine's CPUs (runtime.NumCPU; tests set theirs)
}

func newCPUWatch(read cpuReader) *cpuWatch {
	return &cpuWatch{read: read, idle: -1, cpus: runtime.NumCPU()}
}

// machineCPUs returns the machine's CPUs, at least 1.
func (w *cpuWatch) machineCPUs() float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return float64(max(w.cpus, 1))
}

// sample takes a sample and drops those older than the window.
func (w *cpuWatch) sample(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed || w.read == nil {
		return
	}
	s, err := w.read()
	if err != nil {
		w.failed = true // not Linux, or no /proc: lateness alone judges
		return
	}
	s.at = now
	w.samples = append(w.samples, s)
	for len(w.samples) > 2 && now.Sub(w.samples[1].at) >= cpuWindow {
		w.samples = w.samples[1:]
	}
	first, last := w.samples[0], w.samples[len(w.samples)-1]
	span := last.at.Sub(first.at)
	if span < cpuWindow/2 || last.total <= first.total {
		return
	}
	w.idle = float64(last.idle-first.idle) / float64(last.total-first.total)
	w.cores = float64(last.self-first.self) / float64(span)
}

// judge returns whether the CPU makes the gateway full (see above).
func (w *cpuWatch) judge(fullIdle, share float64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case fullIdle <= 0 || w.idle < 0:
		w.full = false
	case w.idle < fullIdle && w.cores >= share:
		w.full = true
	case w.idle > 2*fullIdle || w.cores < 3*share/4:
		w.full = false
	}
	return w.full
}

// joined records a player taken.
func (w *cpuWatch) joined(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.joins[w.next] = now
	w.next = (w.next + 1) % paceJoins
}

// pacing reports whether the gateway should wait before taking another
// player: the machine is within twice fullIdle of full, the gateway uses
// three quarters of its share of a core, and it took paceJoins players in
// the last window.
func (w *cpuWatch) pacing(now time.Time, fullIdle, share float64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fullIdle > 0 && w.idle >= 0 && w.idle < 2*fullIdle && w.cores >= 3*share/4 &&
		!w.joins[w.next].IsZero() && now.Sub(w.joins[w.next]) < cpuWindow
}

// shares returns the last measured idle share of the machine (-1:
// unknown) and the process's cores.
func (w *cpuWatch) shares() (idle, cores float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.idle, w.cores
}

// readProcCPU reads the machine's CPU counters from /proc/stat and the
// process's own CPU from getrusage.
func readProcCPU() (cpuSample, error) {
	var s cpuSample
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return s, fmt.Errorf("/proc/stat: %q", line)
	}
	// user nice system idle iowait irq softirq steal; guest and guest_nice
	// after them are already counted in user and nice.
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("/proc/stat: %q", line)
		}
		s.total += n
		// idle and iowait; and nice: what processes of lower priority
		// (a login node hashing passwords) use, they yield to play.
		if i == 1 || i == 3 || i == 4 {
			s.idle += n
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return s, err
	}
	s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return s, nil
}

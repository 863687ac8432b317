package gateway

import (
	"errors"
	"testing"
	"time"
)

// A gateway is full once its snapshots' lateness (90th percentile of the
// last 64 ticks) passes the limit, and takes players again only once it is
// back under half of it; a negative limit never makes it full.
func TestLatenessJudgesFullWithHysteresis(t *testing.T) {
	var l lateness
	limit := 150 * time.Millisecond
	for i := 0; i < 64; i++ {
		l.add(20 * time.Millisecond)
	}
	if l.judge(limit) {
		t.Fatal("full at 20 ms")
	}
	for i := 0; i < 10; i++ {
		l.add(400 * time.Millisecond)
	}
	if !l.judge(limit) {
		t.Fatalf("not full with p90 %v", l.p90())
	}
	for i := 0; i < 64; i++ {
		l.add(100 * time.Millisecond) // under the limit, above half of it
	}
	if !l.judge(limit) {
		t.Fatal("took players again above half the limit")
	}
	for i := 0; i < 64; i++ {
		l.add(50 * time.Millisecond)
	}
	if l.judge(limit) {
		t.Fatalf("still full at p90 %v", l.p90())
	}
	for i := 0; i < 64; i++ {
		l.add(time.Second)
	}
	if l.judge(-1) {
		t.Fatal("full with lateness checks off")
	}
}

// TestFullWhenTheMachineIsSpent: admission by CPU. A gateway using most of
// a core on a machine with no idle CPU left says it is full; one using
// little on the same machine is not (refusing players would not help);
// it takes players again once the idle share is back above twice the
// bound, not before (no flapping); and without /proc the signal is off.
func TestFullWhenTheMachineIsSpent(t *testing.T) {
	var total, idle uint64
	var self time.Duration
	busy := func(idleShare, cores float64) { // one second of the machine (2 cores, 100 jiffies a core-second)
		total += 200
		idle += uint64(200 * idleShare)
		self += time.Duration(cores * float64(time.Second))
	}
	w := newCPUWatch(func() (cpuSample, error) { return cpuSample{total: total, idle: idle, self: self}, nil })
	now := time.Unix(100, 0)
	run := func(secs int, idleShare, cores float64) bool {
		for range secs {
			busy(idleShare, cores)
			now = now.Add(time.Second)
			w.sample(now)
		}
		return w.judge(0.10, 0.33)
	}
	if run(6, 0.5, 0.6) {
		t.Fatal("full with half the machine idle")
	}
	if run(6, 0.02, 0.1) {
		t.Fatal("full while the gateway uses a tenth of a core: refusing players would not help")
	}
	if !run(6, 0.02, 0.8) {
		t.Fatal("not full with 2% idle and 0.8 cores of its own")
	}
	if idleNow, cores := w.shares(); idleNow > 0.05 || cores < 0.7 {
		t.Fatalf("shares %.2f idle, %.2f cores", idleNow, cores)
	}
	if !run(6, 0.15, 0.8) {
		t.Fatal("took players again at 15% idle: under twice the bound")
	}
	if run(6, 0.4, 0.8) {
		t.Fatal("still full at 40% idle")
	}
	// Filling up: at 50% idle (within twice the bound) and three quarters
	// of its share of a core, the gateway takes paceJoins players in a
	// window, then waits.
	run(6, 0.5, 0.25)
	for i := range paceJoins {
		if w.pacing(now, 0.3, 0.33) {
			t.Fatalf("pacing after %d players", i)
		}
		w.joined(now)
	}
	if !w.pacing(now, 0.3, 0.33) || w.pacing(now.Add(cpuWindow), 0.3, 0.33) {
		t.Fatal("not pacing after paceJoins players in a window, or still pacing a window later")
	}
	if w.pacing(now, 0.2, 0.33) || w.pacing(now, 0.3, 0.4) {
		t.Fatal("pacing with idle above twice the bound, or under three quarters of the share")
	}
	off := newCPUWatch(func() (cpuSample, error) { return cpuSample{}, errors.New("no /proc") })
	off.sample(now)
	if off.judge(0.10, 0.33) {
		t.Fatal("full without a measurement")
	}
	if s, err := readProcCPU(); err != nil || s.total == 0 {
		t.Fatalf("this machine's /proc: %+v %v", s, err)
	}
}

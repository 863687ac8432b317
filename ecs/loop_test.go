package ecs

import (
	"context"
	"math"
	"testing"
	"time"
)

// fakeClock is driven by the test: Sleep advances it, systems can advance
// it to stand for work.
type fakeClock struct {
	now    time.Time
	cancel context.CancelFunc
	until  time.Time // cancel once time reaches this
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) {
	c.now = c.now.Add(d)
	if c.cancel != nil && !c.now.Before(c.until) {
		c.cancel()
	}
}

func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func TestOverrunDilatesTimeAndSkipsNothing(t *testing.T) {
	clock := newFakeClock()
	w := NewWorld(1)
	s := NewSchedule(clock)
	runs := 0
	var dts []float32
	s.Add(PhaseSimulation, "work", SystemFunc(func(w *World) {
		runs++
		dts = append(dts, w.Time.Dt)
		if w.Time.Tick == 2 {
			clock.Advance(80 * time.Millisecond) // a 50 ms tick that takes 80 ms
		}
		if w.Time.Tick == 4 {
			clock.Advance(2 * time.Second) // far over: dilation stops at its floor
		}
	}))
	l := NewLoop(LoopConfig{}, clock, w, s)
	var st []TickStats
	for i := 0; i < 6; i++ {
		st = append(st, l.Step())
	}
	if runs != 6 {
		t.Fatalf("system ran %d times in 6 ticks", runs)
	}
	want := []float64{1, 1, 50.0 / 80, 1, 0.1, 1}
	for i, s := range st {
		if math.Abs(s.Dilation-want[i]) > 1e-9 {
			t.Errorf("tick %d: dilation %v, want %v", s.Tick, s.Dilation, want[i])
		}
		if math.Abs(float64(dts[i])-0.05*want[i]) > 1e-6 {
			t.Errorf("tick %d: dt %v, want %v", s.Tick, dts[i], 0.05*want[i])
		}
	}
	if st[1].Work != 80*time.Millisecond {
		t.Errorf("work of tick 2: %v", st[1].Work)
	}
	// Game time is the sum of the dilated ticks: it fell behind wall time.
	wantElapsed := time.Duration(float64(50*time.Millisecond) * (1 + 1 + 50.0/80 + 1 + 0.1))
	if d := w.Time.Elapsed - wantElapsed; d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("game time %v, want %v", w.Time.Elapsed, wantElapsed)
	}
}

// TestLongGapRunsOneTick: after a 10 s stall (a paused process, a stopped
// VM) the loop runs one tick and carries on at its rate: no burst of 200
// catch-up ticks, no 10 s step of game time.
func TestLongGapRunsOneTick(t *testing.T) {
	clock := newFakeClock()
	w := NewWorld(1)
	s := NewSchedule(clock)
	var dts []float32
	s.Add(PhaseInput, "stall", SystemFunc(func(w *World) {
		dts = append(dts, w.Time.Dt)
		if w.Time.Tick == 5 {
			clock.Advance(10 * time.Second)
		}
	}))
	l := NewLoop(LoopConfig{}, clock, w, s)
	start := clock.Now()
	ctx, cancel := context.WithCancel(context.Background())
	clock.cancel, clock.until = cancel, start.Add(10*time.Second+20*50*time.Millisecond)
	var stats []TickStats
	l.Run(ctx, func(st TickStats) { stats = append(stats, st) })

	// 5 ticks before the stall, then one tick per 50 ms for the 1 s after
	// it: about 25, never the 225 a catch-up would make.
	if n := len(stats); n < 20 || n > 30 {
		t.Fatalf("%d ticks in 11 s of fake time with a 10 s stall", n)
	}
	for _, dt := range dts {
		if dt > 0.05+1e-6 {
			t.Fatalf("a tick simulated %v s", dt)
		}
	}
	if stats[5].Dilation != 0.1 || stats[5].Late != 0 {
		t.Fatalf("tick after the stall: %+v", stats[5])
	}
	for i := 1; i < len(stats); i++ {
		if stats[i].Tick != stats[i-1].Tick+1 {
			t.Fatal("ticks skipped")
		}
	}
}

func TestScheduleRunsPhasesInOrder(t *testing.T) {
	w := NewWorld(1)
	s := NewSchedule(nil)
	var order []string
	add := func(p Phase, name string) {
		s.Add(p, name, SystemFunc(func(*World) { order = append(order, name) }))
	}
	add(PhasePublish, "publish")
	add(PhaseInput, "input")
	add(PhaseSimulation, "ai")
	add(PhaseSimulation, "movement")
	add(PhaseSpatial, "interest")
	add(PhaseInput, "bots")
	s.Prepend(PhaseSimulation, "first-sim", SystemFunc(func(*World) { order = append(order, "first-sim") }))
	s.Prepend(PhaseInput, "inbox", SystemFunc(func(*World) { order = append(order, "inbox") }))
	s.Run(w)
	want := "inbox input bots first-sim ai movement interest publish"
	got := ""
	for i, n := range order {
		if i > 0 {
			got += " "
		}
		got += n
	}
	if got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate system name accepted")
		}
	}()
	add(PhaseInput, "ai")
}

func TestResources(t *testing.T) {
	type terrain struct{ n int }
	w := NewWorld(7)
	AddResource(w, &terrain{n: 3})
	if Resource[terrain](w).n != 3 {
		t.Fatal("resource")
	}
	type missing struct{}
	if Resource[missing](w) != nil {
		t.Fatal("a resource the world does not have is not nil")
	}
	a, b := NewWorld(7), NewWorld(7)
	if a.Rand.Uint64() != b.Rand.Uint64() {
		t.Fatal("same seed, different randomness")
	}
}

package ecs

import (
	"context"
	"math"
	"testing"
	"time"
)

// runUntil runs l until clock reaches at (checked after each tick: the
// loop's own sleeps move a ManualClock), calling onTick.
func runUntil(l *Loop, clock *ManualClock, at time.Time, onTick func(TickStats)) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.Run(ctx, func(st TickStats) {
		onTick(st)
		if !clock.Now().Before(at) {
			cancel()
		}
	})
}

// TestDilationIsGameTimeOverWallTime: a zone whose every tick takes
// 100 ms of a 50 ms budget runs its game clock at half of wall time, and
// says 0.5; the figure is measured, not derived twice.
func TestDilationIsGameTimeOverWallTime(t *testing.T) {
	clock := NewManualClock(time.Unix(1_700_000_000, 0))
	w := NewWorld(1)
	s := NewSchedule(clock)
	s.Add(PhaseSimulation, "slow", SystemFunc(func(*World) { clock.Advance(100 * time.Millisecond) }))
	l := NewLoop(LoopConfig{TickLen: 50 * time.Millisecond}, clock, w, s)
	start := clock.Now()
	var last TickStats
	runUntil(l, clock, start.Add(20*time.Second), func(st TickStats) { last = st })

	wall := clock.Now().Sub(start)
	game := w.Time.Elapsed + w.Time.TickLen // every tick run, the last included
	ratio := float64(game) / float64(wall)
	if math.Abs(ratio-0.5) > 0.005 {
		t.Fatalf("game time %v in %v of wall time: %.4f, want 0.5", game, wall, ratio)
	}
	if math.Abs(last.Dilation-ratio)/ratio > 0.01 {
		t.Fatalf("reported dilation %.4f, measured game/wall %.4f", last.Dilation, ratio)
	}
	if math.Abs(l.Dilation()-ratio)/ratio > 0.01 {
		t.Fatalf("Loop.Dilation %.4f, measured %.4f", l.Dilation(), ratio)
	}
}

// TestTicksSimulateFixedGameTime: an overrun never changes what a tick
// simulates (movement, cooldowns and respawns all slow down alike); the
// loop reports the overrun, and runs every system every tick.
func TestTicksSimulateFixedGameTime(t *testing.T) {
	clock := NewManualClock(time.Unix(1_700_000_000, 0))
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
	}))
	l := NewLoop(LoopConfig{}, clock, w, s)
	var st []TickStats
	for i := 0; i < 4; i++ {
		st = append(st, l.Step())
	}
	if runs != 4 {
		t.Fatalf("system ran %d times in 4 ticks", runs)
	}
	want := []float64{1, 50.0 / 80, 1, 1}
	for i, s := range st {
		if math.Abs(s.Dilation-want[i]) > 1e-9 {
			t.Errorf("tick %d: dilation %v, want %v", s.Tick, s.Dilation, want[i])
		}
		if dts[i] != 0.05 {
			t.Errorf("tick %d: dt %v, want 0.05", s.Tick, dts[i])
		}
	}
	if st[1].Work != 80*time.Millisecond {
		t.Errorf("work of tick 2: %v", st[1].Work)
	}
	if w.Time.Elapsed != 150*time.Millisecond {
		t.Errorf("game time before tick 4: %v, want 150ms", w.Time.Elapsed)
	}
}

// TestLongGapRunsOneTick: after a 10 s stall (a paused process, a stopped
// VM) the loop runs one tick and carries on at its rate: no burst of 200
// catch-up ticks, no 10 s step of game time, and the stall is reported.
func TestLongGapRunsOneTick(t *testing.T) {
	clock := NewManualClock(time.Unix(1_700_000_000, 0))
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
	var stats []TickStats
	runUntil(l, clock, start.Add(10*time.Second+20*50*time.Millisecond), func(st TickStats) { stats = append(stats, st) })

	// 5 ticks before the stall, then one tick per 50 ms for the 1 s after
	// it: about 25, never the 225 a catch-up would make.
	if n := len(stats); n < 20 || n > 30 {
		t.Fatalf("%d ticks in 11 s of fake time with a 10 s stall", n)
	}
	for _, dt := range dts {
		if dt != 0.05 {
			t.Fatalf("a tick simulated %v s", dt)
		}
	}
	if d := stats[5].Dilation; d > 0.006 || stats[4].Work < 10*time.Second {
		t.Fatalf("tick after the stall: %+v", stats[5])
	}
	if stats[7].Dilation != 1 {
		t.Fatalf("two ticks after the stall: %+v", stats[7])
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

package ecs

import (
	"context"
	"time"
)

// Clock is where the loop reads time; tests drive a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d (or returns early when ctx ends).
	Sleep(ctx context.Context, d time.Duration)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the wall time.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// LoopConfig configures a Loop; the zero value means the defaults.
type LoopConfig struct {
	// TickLen is the wall time of one tick (default 50 ms: 20 Hz).
	TickLen time.Duration
	// MinDilation is the slowest the game clock may run relative to wall
	// time (default 0.1).
	MinDilation float64
}

// TickStats describes one tick.
type TickStats struct {
	Tick uint64
	// Work is how long the tick's systems took.
	Work time.Duration
	// Late is how far after its scheduled time the tick started.
	Late time.Duration
	// Dilation is the dilation this tick ran with.
	Dilation float64
}

// Loop runs a world's schedule at a fixed tick. A tick that overruns its
// budget is never hidden: the next tick simulates less game time (time
// dilation, reported in TickStats and by Dilation) instead of skipping
// systems, and the loop never runs ticks back to back to catch up.
type Loop struct {
	cfg      LoopConfig
	clock    Clock
	world    *World
	schedule *Schedule
	next     time.Time
	dilation float64
}

// NewLoop returns a loop for w and s driven by clock (the real clock when
// nil).
func NewLoop(cfg LoopConfig, clock Clock, w *World, s *Schedule) *Loop {
	if cfg.TickLen <= 0 {
		cfg.TickLen = 50 * time.Millisecond
	}
	if cfg.MinDilation <= 0 || cfg.MinDilation > 1 {
		cfg.MinDilation = 0.1
	}
	if clock == nil {
		clock = RealClock{}
	}
	return &Loop{cfg: cfg, clock: clock, world: w, schedule: s, dilation: 1}
}

// TickLen returns the loop's nominal tick length.
func (l *Loop) TickLen() time.Duration { return l.cfg.TickLen }

// Dilation returns the dilation the next tick will run with.
func (l *Loop) Dilation() float64 { return l.dilation }

// Step runs one tick now, whatever the time, and returns its stats.
func (l *Loop) Step() TickStats {
	w := l.world
	w.Time.Elapsed += time.Duration(float64(w.Time.TickLen) * w.Time.Dilation)
	w.Time.Tick++
	w.Time.TickLen = l.cfg.TickLen
	w.Time.Dilation = l.dilation
	w.Time.Dt = float32(l.cfg.TickLen.Seconds() * l.dilation)

	start := l.clock.Now()
	l.schedule.Run(w)
	work := l.clock.Now().Sub(start)

	st := TickStats{Tick: w.Time.Tick, Work: work, Dilation: l.dilation}
	// The next tick simulates the share of a tick's game time that the
	// zone can compute in a tick's wall time.
	l.dilation = 1
	if work > l.cfg.TickLen {
		l.dilation = max(l.cfg.MinDilation, float64(l.cfg.TickLen)/float64(work))
	}
	return st
}

// Run ticks until ctx ends, calling onTick (if not nil) after each tick.
func (l *Loop) Run(ctx context.Context, onTick func(TickStats)) {
	l.next = l.clock.Now()
	for ctx.Err() == nil {
		now := l.clock.Now()
		if wait := l.next.Sub(now); wait > 0 {
			l.clock.Sleep(ctx, wait)
			continue
		}
		st := l.Step()
		st.Late = now.Sub(l.next)
		if onTick != nil {
			onTick(st)
		}
		// The next tick is one tick after this one was due, or now if that
		// has passed: a late or long tick delays the schedule, it does not
		// make the loop run several ticks at once.
		l.next = l.next.Add(l.cfg.TickLen)
		if now := l.clock.Now(); l.next.Before(now) {
			l.next = now
		}
	}
}

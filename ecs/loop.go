package ecs

import (
	"context"
	"time"
)

// LoopConfig configures a Loop; the zero value means the defaults.
type LoopConfig struct {
	// TickLen is the wall time of one tick and the game time it simulates
	// (default 50 ms: 20 Hz).
	TickLen time.Duration
}

// DefaultTickLen is a tick's length when LoopConfig.TickLen is zero.
const DefaultTickLen = 50 * time.Millisecond

// TickStats describes one tick.
type TickStats struct {
	Tick uint64
	// Work is how long the tick's systems took.
	Work time.Duration
	// Late is how far after its scheduled time the tick started.
	Late time.Duration
	// Dilation is game time over wall time since the previous tick
	// started: 1 when the zone keeps its tick, TickLen/interval when it
	// does not.
	Dilation float64
}

// Loop runs a world's schedule at a fixed tick. Every tick simulates
// exactly TickLen of game time (a fixed step: the same inputs give the
// same world, whatever the machine's speed). A tick that overruns its
// budget is never hidden and never skipped: the next tick starts late,
// game time falls behind wall time (time dilation), and the factor —
// game time over wall time, measured — is reported in TickStats and by
// Dilation. Movement, cooldowns, regeneration and respawns all advance
// by ticks of game time, so they all slow down alike. The loop never runs
// ticks back to back to catch up.
type Loop struct {
	cfg       LoopConfig
	clock     Clock
	world     *World
	schedule  *Schedule
	next      time.Time
	lastStart time.Time
	dilation  float64
}

// NewLoop returns a loop for w and s driven by clock (the real clock when
// nil).
func NewLoop(cfg LoopConfig, clock Clock, w *World, s *Schedule) *Loop {
	if cfg.TickLen <= 0 {
		cfg.TickLen = DefaultTickLen
	}
	w.Time.TickLen = cfg.TickLen
	return &Loop{cfg: cfg, clock: OrReal(clock), world: w, schedule: s, dilation: 1}
}

// TickLen returns the loop's nominal tick length.
func (l *Loop) TickLen() time.Duration { return l.cfg.TickLen }

// Dilation returns game time over wall time measured at the last tick.
func (l *Loop) Dilation() float64 { return l.dilation }

// Step runs one tick now, whatever the time, and returns its stats. Run
// back to back (a headless run), each tick's wall time is the longer of
// its work and TickLen.
func (l *Loop) Step() TickStats {
	start := l.clock.Now()
	st := l.step(start)
	if work := st.Work; work > l.cfg.TickLen {
		// Back to back, the next tick starts when this one ends.
		l.dilation = float64(l.cfg.TickLen) / float64(work)
	} else {
		l.dilation = 1
	}
	st.Dilation = l.dilation
	l.lastStart = time.Time{}
	return st
}

func (l *Loop) step(start time.Time) TickStats {
	w := l.world
	if w.Time.Tick > 0 {
		w.Time.Elapsed += w.Time.TickLen
	}
	w.Time.Tick++
	w.Time.TickLen = l.cfg.TickLen
	w.Time.Dt = float32(l.cfg.TickLen.Seconds())
	w.Time.Dilation = l.dilation
	l.schedule.Run(w)
	return TickStats{Tick: w.Time.Tick, Work: l.clock.Now().Sub(start)}
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
		l.measure(now)
		st := l.step(now)
		st.Late = now.Sub(l.next)
		st.Dilation = l.dilation
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

// measure sets the dilation from the wall time since the previous tick
// started: that interval simulated one TickLen of game time.
func (l *Loop) measure(start time.Time) {
	if !l.lastStart.IsZero() {
		if interval := start.Sub(l.lastStart); interval > l.cfg.TickLen {
			l.dilation = float64(l.cfg.TickLen) / float64(interval)
		} else {
			l.dilation = 1
		}
	}
	l.lastStart = start
}

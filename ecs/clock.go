package ecs

import (
	"context"
	"sync"
	"time"
)

// Clock is where the engine and every node read time. Simulation and node
// code take one in their Config, so that a test drives time exactly (a
// ManualClock, or the real clock inside a testing/synctest bubble); this
// file is the only one in ecs, systems and world allowed to touch the wall
// clock (tools/layercheck).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or returns early when ctx ends.
	Sleep(ctx context.Context, d time.Duration)
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
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

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// OrReal returns c, or the wall clock when c is nil: what a Config's zero
// Clock means.
func OrReal(c Clock) Clock {
	if c == nil {
		return RealClock{}
	}
	return c
}

// ManualClock is a clock that moves only when told: Advance moves it, and
// Sleep advances it by the time slept (so a Loop driven by it runs as fast
// as the machine allows, with exact timings). Safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
}

type manualWaiter struct {
	at time.Time
	ch chan time.Time
}

// Epoch is a fixed start for a ManualClock, so that runs that print times
// print the same ones.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and fires the After channels due.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now, kept := c.now, c.waiters[:0]
	var due []manualWaiter
	for _, w := range c.waiters {
		if w.at.After(now) {
			kept = append(kept, w)
		} else {
			due = append(due, w)
		}
	}
	c.waiters = kept
	c.mu.Unlock()
	for _, w := range due {
		w.ch <- now
	}
}

// Sleep advances the clock by d, unless ctx has ended.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) {
	if ctx.Err() == nil && d > 0 {
		c.Advance(d)
	}
}

// After returns a channel that receives once Advance has moved the clock
// d past now.
func (c *ManualClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	w := manualWaiter{at: c.now.Add(d), ch: ch}
	if d <= 0 {
		c.mu.Unlock()
		ch <- w.at
		return ch
	}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	return ch
}

package gateway

import (
	"time"

	"golang.org/x/time/rate"
)

// Message budgets, per player and kind, per second. A message over its
// budget is dropped and counted; a player whose drops in one second pass
// floodFactor times the budget is disconnected (MessageFlood).
const (
	inputsPerSecond = 60 // clients send one per frame, 20-60 Hz
	chatPerSecond   = 5
	otherPerSecond  = 10
	floodFactor     = 3
)

// budget is one kind's allowance for one player.
type budget struct {
	l       *rate.Limiter
	perSec  int
	window  time.Time
	dropped int // in the current one-second window
	// Dropped counts every message dropped over budget.
	Dropped int
}

func newBudget(perSecond int) *budget {
	return &budget{l: rate.NewLimiter(rate.Limit(perSecond), perSecond), perSec: perSecond}
}

// take spends one message. ok is false when it is over budget (drop it);
// flood is true when the player is far over (disconnect it).
func (b *budget) take(now time.Time) (ok, flood bool) {
	if b.l.AllowN(now, 1) {
		return true, false
	}
	if now.Sub(b.window) >= time.Second {
		b.window, b.dropped = now, 0
	}
	b.dropped++
	b.Dropped++
	return false, b.dropped > floodFactor*b.perSec
}

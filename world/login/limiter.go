package login

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter rate-limits login attempts per address. It forgets addresses idle
// for ten minutes, so that a scan of many addresses cannot grow it without
// bound.
type limiter struct {
	mu      sync.Mutex
	per     rate.Limit
	burst   int
	entries map[string]*limitEntry
	swept   time.Time
}

type limitEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{per: rate.Limit(perSecond), burst: burst, entries: map[string]*limitEntry{}}
}

func (l *limiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for a, e := range l.entries {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.entries, a)
			}
		}
		l.swept = now
	}
	e, ok := l.entries[addr]
	if !ok {
		e = &limitEntry{l: rate.NewLimiter(l.per, l.burst)}
		l.entries[addr] = e
	}
	e.seen = now
	return e.l.AllowN(now, 1)
}

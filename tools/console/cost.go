package console

import (
	"sync"
	"time"
)

// What a player costs, live. A gateway's /metrics has its process's CPU
// (process_cpu_seconds_total) and its player ticks (zone ticks times the
// players it serves in the zone: gridrealm_gateway_player_ticks_total);
// the increase of the first over the second's is its CPU a player a tick,
// the figure `realm bench gateway` measures and the README sizes a realm
// with. The console keeps each gateway's readings of the last costWindow
// and gives the figures over it.
const (
	// costWindow is how far back the figures reach: long enough to smooth
	// a tick's burst, short enough to show a change within seconds.
	costWindow = 10 * time.Second
	// costMinSpan is the shortest span a figure is given over: two pages
	// open read the metrics moments apart.
	costMinSpan = time.Second
)

// costReading is one scrape of a gateway's counters.
type costReading struct {
	at           time.Time
	cpuS, pTicks float64
}

// costs holds each gateway's recent readings.
type costs struct {
	mu   sync.Mutex
	seen map[string][]costReading
}

// Cost is a gateway's CPU over the window: the cores it used, and its CPU
// a player a tick in microseconds (0 while it served no player tick).
type Cost struct {
	Cores             float64
	USPerPlayerTick   float64
	Span              time.Duration
	ServedPlayerTicks float64
}

// note records a reading of gateway id and returns its cost since the
// oldest reading within the window; ok is false until the readings span
// costMinSpan. Counters that went back (the gateway restarted) start the
// window again.
func (c *costs) note(id string, r costReading) (Cost, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string][]costReading{}
	}
	rs := c.seen[id]
	if n := len(rs); n > 0 && (r.cpuS < rs[n-1].cpuS || r.pTicks < rs[n-1].pTicks || !r.at.After(rs[n-1].at)) {
		rs = rs[:0]
	}
	for len(rs) > 1 && r.at.Sub(rs[1].at) >= costWindow {
		rs = rs[1:]
	}
	rs = append(rs, r)
	c.seen[id] = rs
	first := rs[0]
	span := r.at.Sub(first.at)
	if span < costMinSpan {
		return Cost{}, false
	}
	cost := Cost{Cores: (r.cpuS - first.cpuS) / span.Seconds(), Span: span, ServedPlayerTicks: r.pTicks - first.pTicks}
	if cost.ServedPlayerTicks > 0 {
		cost.USPerPlayerTick = 1e6 * (r.cpuS - first.cpuS) / cost.ServedPlayerTicks
	}
	return cost, true
}

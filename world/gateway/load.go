package gateway

import (
	"slices"
	"sync"
	"time"
)

// Admission. A gateway that cannot keep up takes no new player, rather
// than let every player's snapshots go stale: its load reports say it is
// full when it holds MaxPlayers, or when its snapshots leave later than
// FullLateness (the 90th percentile of its last 64 zone ticks, from the
// tick's time to the end of its snapshot pass). It is full again only
// once the lateness is back under half of FullLateness, so that admission
// does not flap. The realm node sends new players to gateways that are
// not full, and refuses them Busy with a retry hint when none is (the
// players already in keep playing).

// lateness keeps the last zone ticks' lateness.
type lateness struct {
	mu   sync.Mutex
	ring [64]time.Duration
	n, i int
	full bool // by lateness, with hysteresis
}

// add records one tick's lateness.
func (l *lateness) add(d time.Duration) {
	l.mu.Lock()
	l.ring[l.i] = d
	l.i = (l.i + 1) % len(l.ring)
	l.n = min(l.n+1, len(l.ring))
	l.mu.Unlock()
}

// p90 is the 90th percentile of the recorded lateness.
func (l *lateness) p90() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0
	}
	s := slices.Clone(l.ring[:l.n])
	slices.Sort(s)
	return s[(len(s)*9)/10]
}

// judge updates and returns whether the lateness makes the gateway full:
// above limit, and until it falls under half of it.
func (l *lateness) judge(limit time.Duration) bool {
	p := l.p90()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case limit < 0:
		l.full = false
	case p > limit:
		l.full = true
	case p < limit/2:
		l.full = false
	}
	return l.full
}

// Players behind. A gateway's own lateness does not see snapshots that go
// stale after they left it: in the network, or in a client that cannot keep
// up (on a machine the load generator shares, the first to starve). What
// its players acknowledge does. When an input comes, the gateway notes how
// many snapshots older than the newest sent the one it acknowledges is (a
// client acknowledges the newest it has taken in when it sends, so the
// time between its inputs does not count); at each snapshot pass it takes
// that in time, less the connection's least round trip (the path's own),
// for each player, and records the pass's 90th percentile. A player keeping
// up is within a tick. Over FullBehind (default 150 ms) the gateway takes
// no new player, until it is back under half. A pass of fewer than
// minLagged players records nothing: one slow client (or one holding its
// acknowledgements back) does not close a gateway.
const minLagged = 20

// lagOf takes one player's lag into the pass's; g.mu is held.
func (g *Node) lagOf(z *zoneView, p *player) {
	if p.ack.Load() == 0 {
		return // nothing acknowledged yet
	}
	lag := time.Duration(p.behind.Load()) * z.tickLen
	if p.s != nil {
		lag -= p.s.MinRTT()
	}
	g.lags = append(g.lags, lag)
}

// noteLags records a snapshot pass's 90th percentile lag; g.mu is held.
func (g *Node) noteLags() {
	if len(g.lags) < minLagged {
		return
	}
	slices.Sort(g.lags)
	g.behind.add(g.lags[len(g.lags)*9/10])
}

// full reports whether the gateway takes no new player; g.mu is held.
func (g *Node) full() bool {
	late := g.late.judge(g.cfg.FullLateness) || g.behind.judge(g.cfg.FullBehind)
	busy := g.cpu.judge(g.cfg.FullIdle, g.cfg.FullIdleShare) || g.cpu.pacing(g.clock.Now(), g.cfg.FullIdle, g.cfg.FullIdleShare)
	return late || busy || g.cfg.MaxPlayers > 0 && len(g.players)+g.connecting >= g.cfg.MaxPlayers
}

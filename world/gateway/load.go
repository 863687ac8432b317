package gateway

import (
	"slices"
	"strings"
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

// lateness keeps the last zone ticks' lateness (or passes' lag), each
// for measureFor: a gateway whose zones stopped ticking, or whose passes
// have too few players to judge, is not judged on what it measured before
// (it stayed full, forever, on the last figures of a storm).
type lateness struct {
	mu   sync.Mutex
	ring [64]time.Duration
	at   [64]time.Time
	n, i int
	full bool // by lateness, with hysteresis
}

// measureFor is how long a measure of lateness or lag counts.
const measureFor = 5 * time.Second

// add records one tick's lateness, measured at now.
func (l *lateness) add(d time.Duration, now time.Time) {
	l.mu.Lock()
	l.ring[l.i], l.at[l.i] = d, now
	l.i = (l.i + 1) % len(l.ring)
	l.n = min(l.n+1, len(l.ring))
	l.mu.Unlock()
}

// p90 is the 90th percentile of the lateness recorded within measureFor
// of now (0: none).
func (l *lateness) p90(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var buf [64]time.Duration
	s := buf[:0]
	for k := range l.n {
		if now.Sub(l.at[k]) < measureFor {
			s = append(s, l.ring[k])
		}
	}
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return s[(len(s)*9)/10]
}

// judge updates and returns whether the lateness makes the gateway full:
// above limit, and until it falls under half of it.
func (l *lateness) judge(limit time.Duration, now time.Time) bool {
	p := l.p90(now)
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

// lagOf takes one player's lag into its zone's round, its snapshots every
// ticks apart; g.mu is held. A player behind by the one snapshot it could
// not have had yet when it sent (the newest, in flight) is a tick behind,
// whatever the rate: at every 2 ticks, a snapshot behind is one tick, two
// are three.
func (g *Node) lagOf(z *zoneView, p *player, every uint32) {
	if p.ack.Load() == 0 {
		return // nothing acknowledged yet
	}
	var lag time.Duration
	if behind := p.behind.Load(); behind > 0 {
		lag = time.Duration(behind*every-(every-1)) * z.tickLen
	}
	if p.s != nil {
		lag -= p.s.MinRTT()
	}
	z.lags = append(z.lags, lag)
}

// noteLags records the 90th percentile of the players' lag once a round of
// passes has gathered it: one pass, or every passes while the gateway sheds
// (each pass holds only the players due). A round of fewer than minLagged
// players records nothing (and what was recorded before expires: lateness).
// g.mu is held.
func (g *Node) noteLags(z *zoneView, every uint32) {
	if z.lagPasses++; z.lagPasses < int(every) {
		return
	}
	lags := z.lags
	z.lags, z.lagPasses = z.lags[:0], 0
	if len(lags) < minLagged {
		return
	}
	slices.Sort(lags)
	g.behind.add(lags[len(lags)*9/10], g.clock.Now())
}

// fullness is which of the gateway's rules say it takes no new player.
// Every rule is judged each time, so that each one's hysteresis follows
// its own measure.
type fullness struct {
	late, behind, busy bool // measured, with hysteresis: logged when they change
	paced, capped      bool // a pause between joins; MaxPlayers reached
}

func (f fullness) full() bool { return f.late || f.behind || f.busy || f.paced || f.capped }

// by names the measured rules that hold: "" when none does.
func (f fullness) by() string {
	var by []string
	for _, r := range []struct {
		on   bool
		name string
	}{{f.late, "lateness"}, {f.behind, "players behind"}, {f.busy, "cpu"}} {
		if r.on {
			by = append(by, r.name)
		}
	}
	return strings.Join(by, ", ")
}

// judgeFullness judges every rule; g.mu is held.
func (g *Node) judgeFullness() fullness {
	now := g.clock.Now()
	return fullness{
		late:   g.late.judge(g.cfg.FullLateness, now),
		behind: g.behind.judge(g.cfg.FullBehind, now),
		busy:   g.cpu.judge(g.cfg.FullIdle, g.cfg.FullIdleShare),
		paced:  g.cpu.pacing(now, g.cfg.FullIdle, g.cfg.FullIdleShare),
		capped: g.cfg.MaxPlayers > 0 && len(g.players)+g.connecting >= g.cfg.MaxPlayers,
	}
}

// full reports whether the gateway takes no new player; g.mu is held.
func (g *Node) full() bool { return g.judgeFullness().full() }

// logFullness logs a change in the measured rules that close the gateway,
// with the figures they judge: an operator reading an overload's logs
// sees when each gateway stopped taking players, and why. (The cap and
// the pauses between joins are not logged: they come and go with each
// player.) report's goroutine only; players is the count it reported.
func (g *Node) logFullness(f fullness, players int) {
	by := f.by()
	if by == g.fullBy {
		return
	}
	was := g.fullBy
	g.fullBy = by
	idle, cores := g.cpu.shares()
	now := g.clock.Now()
	attrs := []any{"late_p90", g.late.p90(now), "late_limit", g.cfg.FullLateness,
		"behind_p90", g.behind.p90(now), "behind_limit", g.cfg.FullBehind,
		"machine_idle", idle, "cores", cores, "players", players}
	switch {
	case by == "":
		g.log.Info("gateway: taking new players again", append([]any{"was_full_by", was}, attrs...)...)
	default:
		g.log.Warn("gateway: full, taking no new player", append([]any{"by", by}, attrs...)...)
	}
}

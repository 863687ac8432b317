package gateway

import (
	"sync/atomic"
	"time"
)

// Shedding. Under pressure a gateway sends each player fewer snapshots
// rather than stale ones. Each player is sent a snapshot every
// Config.SnapshotEvery zone ticks (1: every tick); once a measured rule
// says the gateway is full (its lateness, its players behind their
// snapshots, or the machine's CPU: load.go, cpu.go), it sheds: every
// player gets one every Config.ShedEvery ticks instead, each on its own
// phase (its entity's id), so that every tick carries its share of the
// players and none carries them all. A snapshot is a delta against what
// the player acknowledged, so one skipped costs nothing to convergence;
// each snapshot sent is built from the newest tick, so it is no older
// than before, only rarer. Most of a gateway's per-player cost is per
// packet (ARCHITECTURE §3): half the snapshots saved a fifth to a quarter
// of it in the live bench (inputs and acknowledgements do not halve). The
// rules that close the gateway then judge it at that rate: it takes new
// players again while they fit at the lower rate.
//
// It goes back to the full rate when its players would fit at it: after
// its dwell at least, every measured rule calm (lateness and players
// behind under half their limits, the CPU rule open), and one of these:
//   - it holds fewer than shedBack of the players it held when it began
//     (the same players at the full rate would strain it again);
//   - where the CPU is measured, the CPU rule would let it take players at
//     the full rate: its own CPU times the rates' ratio under three
//     quarters of its share of a core, or the machine's idle share, less
//     the CPU the full rate adds, over twice FullIdle (the rule's own
//     release). The first is how a gateway on a shared box comes back
//     after a strain from elsewhere (a login storm) passed; the second is
//     how one with many players on a machine to spare does: before it, a
//     gateway of 1,000 players on an idle 32-core machine, shed once by a
//     transient, stayed at half the rate for good (its own share alone
//     never fits);
//   - where the CPU is not measured, nothing projects the full rate: after
//     shedProbe calm it tries it, and the players' lag says.
//
// Coming back is a trial: a gateway that sheds again within twice its
// dwell of coming back doubles its dwell (to shedDwellMax), so that a
// rate that does not fit is not retried every few seconds; one that held
// the full rate for twice its last dwell starts afresh. A snapshot costs a
// gateway less than its share of a player's cost (packets in, timers), so
// the projection is high: it errs toward shedding.
const (
	shedDwell    = 10 * time.Second
	shedDwellMax = 5 * time.Minute
	shedProbe    = time.Minute
	shedBack     = 0.75
)

// shedding is a gateway's snapshot rate: the report goroutine writes it,
// the snapshot passes read every.
type shedding struct {
	every   atomic.Int32  // zone ticks between one player's snapshots now
	on      bool          // shedding (report's)
	since   time.Time     // when it began (report's)
	players int           // the players it held then (report's)
	dwell   time.Duration // the least time it sheds for, this time (report's)
	backAt  time.Time     // when it last went back to the full rate (report's)
}

// judgeShed starts or ends shedding by the rules just judged, players the
// count reported; report's goroutine only.
func (g *Node) judgeShed(f fullness, players int, now time.Time) {
	s := &g.shed
	if g.cfg.ShedEvery <= g.cfg.SnapshotEvery {
		return
	}
	strained := f.late || f.behind || f.busy
	late, behind := g.late.p90(now), g.behind.p90(now)
	_, cores := g.cpu.shares()
	switch {
	case !s.on && strained:
		last := max(s.dwell, shedDwell)
		s.dwell = shedDwell
		if !s.backAt.IsZero() && now.Sub(s.backAt) < 2*last {
			s.dwell = min(2*last, shedDwellMax) // the full rate did not hold
		}
		s.on, s.since, s.players = true, now, players
		s.every.Store(int32(g.cfg.ShedEvery))
		g.log.Warn("gateway: shedding load, fewer snapshots a player", "every_ticks", g.cfg.ShedEvery, "by", f.by(),
			"players", players, "late_p90", late, "behind_p90", behind, "cores", cores, "for_at_least", s.dwell)
	case s.on && !strained && now.Sub(s.since) >= s.dwell && late < g.cfg.FullLateness/2 && behind < g.cfg.FullBehind/2:
		why := g.backBy(players, now)
		if why == "" {
			return
		}
		s.on, s.backAt = false, now
		s.every.Store(int32(g.cfg.SnapshotEvery))
		g.log.Info("gateway: back to the full snapshot rate", "every_ticks", g.cfg.SnapshotEvery, "by", why, "players", players,
			"players_when_shedding_began", s.players, "shed_for", now.Sub(s.since).Round(time.Second))
	}
}

// backBy says why a calm shedding gateway may go back to the full rate
// ("": it may not yet).
func (g *Node) backBy(players int, now time.Time) string {
	s := &g.shed
	idle, _ := g.cpu.shares()
	switch {
	case float64(players) < shedBack*float64(s.players):
		return "fewer players"
	case g.fitsAtFullRate():
		return "cpu"
	case (g.cfg.FullIdle <= 0 || idle < 0) && now.Sub(s.since) >= max(s.dwell, shedProbe):
		return "trial"
	}
	return ""
}

// fitsAtFullRate reports whether, by the CPU measured while the gateway
// sheds and scaled to the full rate, the CPU rule would let it take
// players: its own CPU under three quarters of its share of a core, or
// the machine's idle share, less what the full rate adds, over twice
// FullIdle (false where the CPU is not measured).
func (g *Node) fitsAtFullRate() bool {
	idle, cores := g.cpu.shares()
	if g.cfg.FullIdle <= 0 || idle < 0 {
		return false
	}
	full := cores * float64(g.cfg.ShedEvery) / float64(g.cfg.SnapshotEvery)
	idleFull := idle - (full-cores)/g.cpu.machineCPUs()
	return full < 3*g.cfg.FullIdleShare/4 || idleFull > 2*g.cfg.FullIdle
}

// snapshotEvery is the number of zone ticks between one player's
// snapshots now.
func (g *Node) snapshotEvery() uint32 { return uint32(max(g.shed.every.Load(), 1)) }

// due reports whether a player gets a snapshot at tick, every ticks
// apart: on its phase, or when more than every ticks passed since its
// last (a pass skipped for lateness, a new zone's ticks); g.mu is held.
func (p *player) due(tick, every uint32) bool {
	return every <= 1 || (tick+p.netID)%every == 0 || tick-p.lastSnap > every
}

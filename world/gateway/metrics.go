package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/net/pquic"
)

// metrics are the gateway's figures on its node's /metrics.
type metrics struct {
	snapshots, snapshotBytes, overBudget  prometheus.Counter
	corrections, events, eventsDropped    prometheus.Counter
	zoneRestarts, handoffs, lagExcused    prometheus.Counter
	passesSkipped, blind                  prometheus.Counter
	cellsUnwatched, cellsResent           prometheus.Counter
	inputs, playerTicks, capped           prometheus.Counter
	eventsEarly, selfWaits                prometheus.Counter
	sight                                 prometheus.Histogram
	dropped, disconnects, connects, names *prometheus.CounterVec
}

// playerTicksHelp says what a player's cost is counted in.
const playerTicksHelp = "Zone ticks times this gateway's players in the zone: the unit a player's cost is counted in " +
	"(the increase of process_cpu_seconds_total over this one's is the gateway's CPU a player a tick)."

func (g *Node) newMetrics() *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: name, Help: help})
	}
	m := &metrics{
		snapshots:     counter("snapshots_total", "Snapshot datagrams built for players."),
		snapshotBytes: counter("snapshot_bytes_total", "Bytes of the snapshot datagrams built."),
		overBudget:    counter("snapshots_over_budget_total", "Snapshots larger than their player's budget (a bug: stays 0)."),
		corrections:   counter("corrections_total", "Corrections of impossible moves sent to players."),
		events:        counter("events_total", "Zone events (chat, damage, loot, system messages) queued for players."),
		eventsDropped: counter("events_dropped_total", "Zone events for players whose event queue was full."),
		eventsEarly: counter("events_early_total", "Zone events that came before the gateway held their player in the zone (its entry's answer on its way): "+
			"held, and sent after its Welcome if it comes within 5 s."),
		selfWaits: counter("snapshots_waited_for_self_total", "Snapshots held back a pass because the gateway did not mirror the player's own entity "+
			"(an arrival before the tick carrying it, a handoff under way), at most 10 in a row."),
		zoneRestarts: counter("zone_restarts_total", "Zones found restarted, whose players were entered again."),
		handoffs:     counter("handoffs_total", "Players moved to another zone by a handoff (a border, a portal)."),
		inputs:       counter("inputs_total", "Input datagrams received from players (a client sends one on a change of intent, and an acknowledgement ten times a second)."),
		playerTicks:  counter("player_ticks_total", playerTicksHelp),
		capped:       counter("snapshots_capped_total", "Snapshots built from the player's MaxVisible nearest entities because more were within its view radius (the zone's bound at work)."),
		sight: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "snapshot_sight_entities",
			Help:    "Entities within a player's view radius at each snapshot, before the zone's MaxVisible bound: what crowds look like, to set the bound by.",
			Buckets: []float64{10, 25, 50, 100, 200, 400, 800, 1600, 3200}}),
		passesSkipped:  counter("passes_skipped_total", "Zone ticks whose snapshot pass was skipped because the gateway was behind (a fresher tick was coming)."),
		blind:          counter("players_blind_total", "Times a player went 64 snapshots (3.2 s) without being shown itself: its gateway mirrors no cell that holds it (each is also logged)."),
		cellsUnwatched: counter("cells_unwatched_total", "Cell deltas from zones that arrived after the gateway's last player watching the cell stopped (sent before the zone took the unsubscription): skipped."),
		cellsResent:    counter("cells_resent_total", "Cells found out of step with their zone and asked for whole again."),
		lagExcused:     counter("move_checks_excused_total", "Impossible claims not counted against a player because it was behind its snapshots, or none of its recent snapshots showed it itself (lag is not cheating)."),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "messages_over_budget_total",
			Help: "Player messages dropped over their per-second budget, by kind."}, []string{"kind"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "disconnects_total",
			Help: "Players the gateway disconnected, by reason."}, []string{"reason"}),
		names: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "names_asked_total",
			Help: "Entities players asked who they are (WhoIs), by who answered: gateway (a name a zone told, kept) or zone (asked of it)."}, []string{"by"}),
		connects: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "connects_total",
			Help: "Connect requests placed by the realm node, by kind (new: a session handle; resume: a resume token) and outcome."}, []string{"kind", "outcome"}),
	}
	g.node.Metrics().MustRegister(m.snapshots, m.snapshotBytes, m.overBudget, m.corrections, m.events, m.eventsDropped, m.selfWaits, m.zoneRestarts, m.handoffs,
		m.dropped, m.disconnects, m.connects, m.names, m.lagExcused, m.passesSkipped, m.inputs, m.playerTicks, m.blind, m.cellsUnwatched, m.cellsResent,
		m.capped, m.sight)
	g.node.Metrics().MustRegister(g.readings()...)
	return m
}

// readings are the figures read from the gateway's state when scraped.
func (g *Node) readings() []prometheus.Collector {
	players := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "players",
		Help: "Players connected to this gateway."}, func() float64 {
		g.mu.Lock()
		defer g.mu.Unlock()
		return float64(len(g.players))
	})
	pacerWaits := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "pacer_waits_total",
		Help: "Ticks whose snapshots waited for the previous tick's to finish going out (the gateway falling behind)."}, func() float64 {
		_, waited := g.Pacing()
		return float64(waited)
	})
	full := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "full",
		Help: "1 when the gateway takes no new player (at its cap, its snapshots leave too late, or the machine's CPU is spent), as it last reported."}, func() float64 {
		if g.fullNow.Load() {
			return 1
		}
		return 0
	})
	lateP90 := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "snapshot_lateness_p90_seconds",
		Help: "The 90th percentile of the last 64 zone ticks' lateness: from the tick's time to the end of the gateway's snapshot pass."}, func() float64 {
		return g.late.p90(g.clock.Now()).Seconds()
	})
	replaced := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "snapshots_replaced_total",
		Help: "Snapshots that replaced the player's previous one before it went: its connection could take no more (a client that stopped acknowledging)."}, func() float64 {
		return float64(g.replaced.Load())
	})
	behindP90 := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "players_behind_p90_seconds",
		Help: "The 90th percentile over the last 64 snapshot passes of how far behind the newest snapshot sent its players acknowledge (less each path's round trip)."}, func() float64 {
		return g.behind.p90(g.clock.Now()).Seconds()
	})
	idle := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "machine_idle_ratio",
		Help: "The machine's idle CPU share over the last 5 s, as admission by CPU sees it (-1: not measured; --full-idle off)."}, func() float64 {
		i, _ := g.cpu.shares()
		return i
	})
	cores := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "cpu_cores",
		Help: "The gateway's own CPU over the last 5 s, in cores, as admission by CPU sees it (0: not measured)."}, func() float64 {
		_, c := g.cpu.shares()
		return c
	})
	every := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: "snapshot_every_ticks",
		Help: "Zone ticks between one player's snapshots now: --snapshot-every, or --shed-every while the gateway sheds load."}, func() float64 {
		return float64(g.snapshotEvery())
	})
	packets := func(name, help string, of func(pquic.PacketCounts) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "gateway", Name: name, Help: help}, func() float64 {
			if g.ln == nil {
				return 0
			}
			c, _ := g.ln.Packets()
			return float64(of(c))
		})
	}
	sent := packets("udp_packets_sent_total", "UDP packets sent to players: snapshot datagrams, stream data, and QUIC packets that only acknowledge (counted on 64-bit Linux; 0 elsewhere).",
		func(c pquic.PacketCounts) uint64 { return c.Sent })
	received := packets("udp_packets_received_total", "UDP packets received from players: inputs, stream data, and QUIC packets that only acknowledge (counted on 64-bit Linux; 0 elsewhere).",
		func(c pquic.PacketCounts) uint64 { return c.Received })
	return []prometheus.Collector{players, pacerWaits, full, lateP90, behindP90, replaced, idle, cores, every, sent, received}
}

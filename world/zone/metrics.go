package zone

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/world/script"
)

// metrics are the zone's figures on its node's /metrics: how its ticks
// keep time, and what it holds.
type metrics struct {
	work, late       prometheus.Histogram
	dilation         prometheus.Gauge
	players          prometheus.Gauge
	entities         prometheus.Gauge
	ticksUnsent      prometheus.Counter
	events, lootings prometheus.Counter
	trades           *prometheus.CounterVec
	contentRefused   prometheus.Counter
	playersDropped   prometheus.Counter
	replayed         prometheus.Counter
	handoffs         *prometheus.CounterVec
	handoffSeconds   prometheus.Histogram
	released         prometheus.Counter
	whoIs, named     prometheus.Counter
	partiesEnded     prometheus.Counter
}

func (zn *Node) newMetrics() *metrics {
	opts := func(name, help string) prometheus.GaugeOpts {
		return prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "zone", Name: name, Help: help}
	}
	buckets := []float64{.0005, .001, .002, .005, .01, .02, .03, .05, .075, .1, .2, .5, 1}
	m := &metrics{
		work: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "tick_work_seconds",
			Help: "How long a tick's systems took.", Buckets: buckets}),
		late: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "tick_late_seconds",
			Help: "How far after its scheduled time a tick started.", Buckets: buckets}),
		dilation: prometheus.NewGauge(opts("dilation", "The last tick's time dilation (1: keeping time; lower: the zone is slowing its game clock).")),
		players:  prometheus.NewGauge(opts("players", "Player characters in the zone.")),
		entities: prometheus.NewGauge(opts("entities", "Entities in the zone.")),
		ticksUnsent: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "ticks_unsent_total",
			Help: "Ticks a gateway could not be sent."}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "player_events_total",
			Help: "Events (chat, damage, death, loot) queued for players."}),
		lootings: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "loot_granted_total",
			Help: "Items granted in the db as loot."}),
		trades: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "trades_total",
			Help: "Trades the db was asked to carry out, by outcome: done, failed."}, []string{"outcome"}),
		contentRefused: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "content_reloads_refused_total",
			Help: "Content reloads refused (a set that did not load, check or start): the running content stayed."}),
		playersDropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "players_dropped_total",
			Help: "Players saved and taken out because their gateway was gone."}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "events_replayed_total",
			Help: "Chat lines and system messages sent again to players who missed them when their gateway died."}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "handoffs_total",
			Help: "Handoffs this zone started, by outcome: done, claimed_unheard (the target claimed but its answer was lost), aborted."}, []string{"outcome"}),
		handoffSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "handoff_seconds",
			Help: "Time from a player reaching a border to the target holding it.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		released: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "instances_released_total",
			Help: "Instances this instance node let go, empty, back to the pool."}),
		whoIs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "whois_total",
			Help: "Players' questions about who entities they see are (WhoIs), each answered between two ticks."}),
		named: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "names_told_total",
			Help: "Entities named in the answers (Names): those asked about that the asking player could see."}),
		partiesEnded: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "parties_ended_total",
			Help: "Parties led from another zone that ended here because the realm node said their leader left the realm (or began a new session)."}),
	}
	scriptCounter := func(name, help string, v func(s *script.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "gridrealm", Subsystem: "zone", Name: name, Help: help},
			func() float64 {
				if e := zn.scripts.Load(); e != nil {
					return float64(v(&e.Stats))
				}
				return 0
			})
	}
	zn.node.Metrics().MustRegister(
		scriptCounter("script_calls_total", "Script handler calls.", func(s *script.Stats) int64 { return s.Calls.Load() }),
		scriptCounter("script_errors_total", "Script calls that failed (raised, or ran over their step budget).", func(s *script.Stats) int64 { return s.Errors.Load() }),
		scriptCounter("script_overruns_total", "Script calls stopped for running over their step budget.", func(s *script.Stats) int64 { return s.Overruns.Load() }),
		scriptCounter("script_handlers_disabled_total", "Script handlers disabled after failing repeatedly.", func(s *script.Stats) int64 { return s.Disabled.Load() }),
		scriptCounter("script_calls_deferred_total", "Script calls put off to a later tick by the tick's budget.", func(s *script.Stats) int64 { return s.Deferred.Load() }),
		scriptCounter("content_reloads_total", "Content reloads that landed.", func(s *script.Stats) int64 { return s.Reloads.Load() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "content_reload_swap_seconds",
			Help: "The tick time the last content reload took (the swap at the tick's start; loading happens off the tick)."}, func() float64 {
			if e := zn.scripts.Load(); e != nil {
				return float64(e.Stats.LastReloadNs.Load()) / 1e9
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gridrealm", Subsystem: "zone", Name: "content_reload_npcs_changed",
			Help: "NPCs that took their template's new numbers in the last content reload."}, func() float64 {
			if e := zn.scripts.Load(); e != nil {
				return float64(e.Stats.LastReloadNPCs.Load())
			}
			return 0
		}))
	zn.node.Metrics().MustRegister(m.work, m.late, m.dilation, m.players, m.entities, m.ticksUnsent, m.events, m.lootings, m.trades, m.contentRefused, m.playersDropped, m.replayed, m.handoffs, m.handoffSeconds, m.released, m.whoIs, m.named, m.partiesEnded)
	zn.node.Metrics().MustRegister(zoneInfo{zn})
	return m
}

// zoneInfo reports what the zone is called, as an info metric (value 1,
// the name a label): for the console and for joining other series by
// zone name.
type zoneInfo struct{ zn *Node }

var zoneInfoDesc = prometheus.NewDesc("gridrealm_zone_info", "What the zone is called (name: its content's name for it, or an instance template's while it holds a copy; else its node id). Always 1.",
	[]string{"name"}, nil)

func (zoneInfo) Describe(ch chan<- *prometheus.Desc) { ch <- zoneInfoDesc }

func (z zoneInfo) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(zoneInfoDesc, prometheus.GaugeValue, 1, z.zn.zoneName())
}

// MetricType says it is a gauge, for the catalog (net/metrics).
func (zoneInfo) MetricType(string) string { return "gauge" }

// tick records one tick's stats (entities < 0: not counted this tick); it
// runs on the tick's goroutine.
func (m *metrics) tick(s ecs.TickStats, players, entities int) {
	m.work.Observe(s.Work.Seconds())
	m.late.Observe(s.Late.Seconds())
	m.dilation.Set(s.Dilation)
	m.players.Set(float64(players))
	if entities >= 0 {
		m.entities.Set(float64(entities))
	}
}

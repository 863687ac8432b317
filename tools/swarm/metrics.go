package swarm

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/wire"
)

// Latencies are recorded in microseconds, from 1 µs to 60 s, to three
// significant figures.
const (
	histMin, histMax = 1, 60_000_000
	histDigits       = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	h.RecordValue(us)
}

// metrics gathers what every bot sees. One lock: a thousand bots record
// about 20,000 samples a second, which a mutex carries easily.
type metrics struct {
	mu    sync.Mutex
	start time.Time

	age, echo       *hdrhistogram.Histogram // the steady phase (the ramp's until it begins)
	rampAge         *hdrhistogram.Histogram // the ramp's, once the steady phase began
	rampEcho        *hdrhistogram.Histogram
	steadyAt        time.Time
	secAge, secEcho *hdrhistogram.Histogram // the current second
	sec             struct {
		snapshots, bytes, inputs, errors int64
	}

	connected      int // connected now
	everConnected  int
	failed         int
	refused        int           // of failed, turned away with a reason and a retry hint
	settle         time.Duration // waited after the ramp before the steady phase
	disconnected   int
	snapshots      int64
	skipped        int64
	inputs         int64
	budget         int64 // snapshot datagrams over their player's budget
	echoTimeouts   int64
	loginRetries   int64
	loginsQueued   int64                              // logins told their place in line
	placeMax       uint32                             // the furthest back a login was told it stood
	realmLineWaits int64                              // logins told their place in the full realm's line
	realmPlaceMax  uint32                             // the furthest back one was
	tradeOffers    int64                              // trade: offers made
	tradeResults   map[string]int64                   // trade: TradeResults heard, by status (both sides hear Done)
	loots          int64                              // loot events heard
	lootUnits      int64                              // and their counts
	namesAsked     int64                              // names: entities asked about (Config.Names)
	namesTold      int64                              // of them, named
	namesWrong     int64                              // names whose kind or template the bot's view contradicted
	namesRenamed   int64                              // names kept that a content reload renamed
	nameLatency    *hdrhistogram.Histogram            // question → answer
	selfMissing    int64                              // snapshots without the bot's own entity, once seen
	reconnects     int64                              // lost connections that came back (resume tokens)
	zoneRestarts   int64                              // zone restarts lived through (a new Welcome on a live connection)
	handoffs       int64                              // handoffs to another zone (a new Welcome in another zone)
	relogins       int64                              // logins again after the realm let every player go
	neverBack      int                                // lost connections that did not
	recovery       *hdrhistogram.Histogram            // last snapshot before a loss → first showing the bot again
	recoveryBy     map[string]*hdrhistogram.Histogram // the same, by what the bot went through
	maxDatagram    int
	heldSum        int64 // entities the bots' views held after each snapshot applied, summed
	heldMax        int   // and the most one held
	budget0        int   // the budget gateways announced (the smallest)
	failures       map[string]int
	retryReasons   map[string]int // why logins were tried again
	disconnects    map[string]int
	reconnectWhy   map[string]int // what ended the connections bots came back from
	rates          []float64      // downstream bytes/s of each bot that connected
	timeline       []Second

	self       *selfMeter
	secMark    selfMark // the swarm's own counters when the second began
	steadyMark selfMark // and when the steady phase did
}

func newMetrics(start time.Time) *metrics {
	m := &metrics{start: start, age: newHist(), echo: newHist(), secAge: newHist(), secEcho: newHist(), recovery: newHist(),
		nameLatency: newHist(),
		recoveryBy:  map[string]*hdrhistogram.Histogram{}, failures: map[string]int{}, retryReasons: map[string]int{}, disconnects: map[string]int{}, reconnectWhy: map[string]int{},
		self: newSelfMeter()}
	m.secMark = m.self.mark()
	return m
}

// recovered records how long a bot went without seeing itself across a
// lost connection, its zone's restart or a login again (why).
func (m *metrics) recovered(why string, gap time.Duration) {
	m.mu.Lock()
	record(m.recovery, gap)
	h := m.recoveryBy[why]
	if h == nil {
		h = newHist()
		m.recoveryBy[why] = h
	}
	record(h, gap)
	m.mu.Unlock()
}

// reconnected counts a lost connection that came back.
func (m *metrics) reconnected(why string) {
	m.mu.Lock()
	m.reconnects++
	m.reconnectWhy[why]++
	m.mu.Unlock()
}

// relogged counts a bot that logged in again after the realm let every
// player go.
func (m *metrics) relogged() {
	m.mu.Lock()
	m.relogins++
	m.mu.Unlock()
}

// handedOff counts a handoff to another zone the bot lived through.
func (m *metrics) handedOff() {
	m.mu.Lock()
	m.handoffs++
	m.mu.Unlock()
}

// rewelcomed counts a zone restart the bot lived through.
func (m *metrics) rewelcomed() {
	m.mu.Lock()
	m.zoneRestarts++
	m.mu.Unlock()
}

// lost records a lost connection that did not come back.
func (m *metrics) lost() {
	m.mu.Lock()
	m.neverBack++
	m.mu.Unlock()
}

// beginSteady starts the steady phase: every bot that will connect has;
// what was measured so far is the ramp's.
func (m *metrics) beginSteady() {
	mark := m.self.mark()
	m.mu.Lock()
	m.rampAge, m.rampEcho = m.age, m.echo
	m.age, m.echo = newHist(), newHist()
	m.steadyAt, m.steadyMark = time.Now(), mark
	m.mu.Unlock()
}

// snapshot records a snapshot datagram received: how old (tick time to
// arrival), how large, whether it
// was skipped (its baseline not held), and how many entities the bot's
// view holds once it is applied.
func (m *metrics) snapshot(age time.Duration, size int, skipped bool, held int) {
	m.mu.Lock()
	record(m.age, age)
	record(m.secAge, age)
	m.snapshots++
	m.sec.snapshots++
	m.sec.bytes += int64(size)
	if skipped {
		m.skipped++
	} else {
		m.heldSum += int64(held)
		m.heldMax = max(m.heldMax, held)
	}
	m.mu.Unlock()
}

func (m *metrics) echoed(d time.Duration) {
	m.mu.Lock()
	record(m.echo, d)
	record(m.secEcho, d)
	m.mu.Unlock()
}

func (m *metrics) add(counter *int64, n int64) {
	m.mu.Lock()
	*counter += n
	m.mu.Unlock()
}

// place records a place in line a login was told.
func (m *metrics) place(p client.InLine) {
	m.mu.Lock()
	if p.RealmFull {
		m.realmPlaceMax = max(m.realmPlaceMax, p.Position)
	} else {
		m.placeMax = max(m.placeMax, p.Position)
	}
	m.mu.Unlock()
}

func (m *metrics) input() {
	m.mu.Lock()
	m.inputs++
	m.sec.inputs++
	m.mu.Unlock()
}

func (m *metrics) connect() {
	m.mu.Lock()
	m.connected++
	m.everConnected++
	m.mu.Unlock()
}

// retried records why a login was tried again.
func (m *metrics) retried(reason string) {
	m.mu.Lock()
	m.loginRetries++
	m.retryReasons[reason]++
	m.mu.Unlock()
}

func (m *metrics) fail(reason string) {
	m.mu.Lock()
	m.failed++
	m.failures[reason]++
	m.sec.errors++
	m.mu.Unlock()
}

// refuse records a bot the realm turned away with its reason and a retry
// hint: a failure, and counted apart (Report.Refused).
func (m *metrics) refuse(reason string) {
	m.mu.Lock()
	m.refused++
	m.mu.Unlock()
	m.fail(reason)
}

// leave records a connected bot's end: rate is its downstream bytes per
// second, overBudget the snapshot datagrams it got over its budget, reason
// why the connection ended early ("" at the end of the run).
func (m *metrics) leave(rate float64, overBudget int64, reason string) {
	m.mu.Lock()
	m.connected--
	if rate >= 0 {
		m.rates = append(m.rates, rate)
	}
	m.budget += overBudget
	m.sec.errors += overBudget
	if reason != "" {
		m.disconnected++
		m.disconnects[reason]++
		m.sec.errors++
	}
	m.mu.Unlock()
}

// datagram records a bot's largest snapshot datagram and its budget.
func (m *metrics) datagram(size, budget int) {
	m.mu.Lock()
	m.maxDatagram = max(m.maxDatagram, size)
	if m.budget0 == 0 || budget < m.budget0 {
		m.budget0 = budget
	}
	m.mu.Unlock()
}

// Second is one second of the run's timeline.
type Second struct {
	T         int   `json:"t"`
	Steady    bool  `json:"steady"` // in the steady phase (else the ramp)
	Connected int   `json:"connected"`
	Snapshots int64 `json:"snapshots"`
	Inputs    int64 `json:"inputs"`
	Errors    int64 `json:"errors"`
	// DownBytesPerBot is the second's downstream bytes over the bots
	// connected at its end.
	DownBytesPerBot float64 `json:"down_bytes_per_bot"`
	AgeP50Ms        float64 `json:"snapshot_age_p50_ms"`
	AgeP99Ms        float64 `json:"snapshot_age_p99_ms"`
	EchoP99Ms       float64 `json:"echo_p99_ms"`
	// The swarm's own second (SelfReport): its CPU in cores, its
	// goroutines' scheduling delay p99, and its threads' wait for a CPU
	// (-1: not measured).
	SwarmCPU        float64 `json:"swarm_cpu_cores"`
	SwarmSchedP99Ms float64 `json:"swarm_sched_p99_ms"`
	SwarmCPUWaitMs  float64 `json:"swarm_cpu_wait_ms"`
}

// closeSecond ends the current second of the timeline and returns it.
func (m *metrics) closeSecond() Second {
	now := m.self.mark() // /proc reads: not under mu, which every snapshot takes
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Second{T: len(m.timeline) + 1, Steady: !m.steadyAt.IsZero(), Connected: m.connected, Snapshots: m.sec.snapshots, Inputs: m.sec.inputs,
		Errors: m.sec.errors, AgeP50Ms: ms(m.secAge.ValueAtQuantile(50)), AgeP99Ms: ms(m.secAge.ValueAtQuantile(99)),
		EchoP99Ms: ms(m.secEcho.ValueAtQuantile(99))}
	if m.connected > 0 {
		s.DownBytesPerBot = float64(m.sec.bytes) / float64(m.connected)
	}
	own := between(m.secMark, now)
	m.secMark = now
	s.SwarmCPU, s.SwarmSchedP99Ms, s.SwarmCPUWaitMs = own.CPUCores, own.SchedP99Ms, own.CPUWaitMsPerS
	m.timeline = append(m.timeline, s)
	m.secAge.Reset()
	m.secEcho.Reset()
	m.sec = struct{ snapshots, bytes, inputs, errors int64 }{}
	return s
}

// Progress is the run so far, for a live progress line.
type Progress struct {
	Elapsed         time.Duration
	Connected, Bots int
	Errors          int64
	MessagesPerSec  float64 // snapshots and inputs, the last second
	AgeP99Ms        float64 // the run so far
	// Steady is set once the steady phase began (every bot connected or
	// failed).
	Steady bool
}

func (m *metrics) progress(last Second, bots int) Progress {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Progress{Elapsed: time.Since(m.start), Connected: m.connected, Bots: bots, Errors: m.errors(),
		MessagesPerSec: float64(last.Snapshots + last.Inputs), AgeP99Ms: ms(m.age.ValueAtQuantile(99)), Steady: !m.steadyAt.IsZero()}
}

// failedSoFar is how many bots have failed (or were refused).
func (m *metrics) failedSoFar() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

// settling notes the wait between the ramp and the steady phase.
func (m *metrics) settling(d time.Duration) {
	m.mu.Lock()
	m.settle = d
	m.mu.Unlock()
}

// errors counts what the thresholds judge: bots that never connected,
// connections lost before the end, and datagrams over budget.
func (m *metrics) errors() int64 { return int64(m.failed+m.disconnected) + m.budget }

func ms(us int64) float64 { return float64(us) / 1000 }

// report turns the metrics into a report.
func (m *metrics) report(cfg Config, elapsed time.Duration) *Report {
	end := m.self.mark()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &Report{
		Login: cfg.Login, Realm: cfg.Realm, Behavior: string(cfg.Behavior), Bots: cfg.Bots, Seed: cfg.Seed,
		DurationS: cfg.Duration.Seconds(), RampPerS: cfg.Ramp, DropRate: cfg.DropRate,
		Started: m.start.UTC().Format(time.RFC3339), ElapsedS: elapsed.Seconds(),
		RampS:     elapsed.Seconds(),
		Connected: m.everConnected, Failed: m.failed, Refused: m.refused, Disconnects: m.disconnected,
		FailureReasons: m.failures, LoginRetryReasons: m.retryReasons, DisconnectReasons: m.disconnects, ReconnectReasons: m.reconnectWhy,
		Snapshots: m.snapshots, SnapshotsSkipped: m.skipped, Inputs: m.inputs,
		SnapshotAge: latency(m.age), Echo: latency(m.echo), EchoTimeouts: m.echoTimeouts,
		BudgetViolations: m.budget, LoginRetries: m.loginRetries, LoginsQueued: m.loginsQueued, LoginPlaceMax: m.placeMax, RealmLineWaits: m.realmLineWaits, RealmLinePlaceMax: m.realmPlaceMax, SelfMissing: m.selfMissing, MaxDatagram: m.maxDatagram, Budget: m.budget0, Errors: m.errors(),
		Timeline: m.timeline, Reconnects: m.reconnects, ZoneRestarts: m.zoneRestarts, Handoffs: m.handoffs, Relogins: m.relogins, NeverBack: m.neverBack, Recovery: latency(m.recovery), RecoveryBy: latencies(m.recoveryBy),
	}
	r.Loots, r.LootUnits = m.loots, m.lootUnits
	r.ViewMax = m.heldMax
	if applied := m.snapshots - m.skipped; applied > 0 {
		r.ViewMean = float64(m.heldSum) / float64(applied)
	}
	if cfg.Behavior == Trade {
		r.Trades = &TradeReport{Offers: m.tradeOffers, Results: m.tradeResults}
	}
	if cfg.Names {
		r.Names = &NamesReport{Asked: m.namesAsked, Told: m.namesTold, Mismatched: m.namesWrong, Renamed: m.namesRenamed, Latency: latency(m.nameLatency)}
	}
	if !m.steadyAt.IsZero() {
		r.RampS = m.steadyAt.Sub(m.start).Seconds()
		r.SettleS = m.settle.Seconds()
		r.Ramp = RampReport{SnapshotAge: latency(m.rampAge), Echo: latency(m.rampEcho)}
		own := between(m.steadyMark, end)
		r.Self = &own
	}
	var snaps, bots int64
	for _, s := range m.timeline {
		if s.Steady {
			snaps, bots = snaps+s.Snapshots, bots+int64(s.Connected)
		}
	}
	if bots > 0 {
		r.SnapshotsPerBotS = float64(snaps) / float64(bots)
	}
	if len(m.rates) > 0 {
		sum := 0.0
		for _, v := range m.rates {
			sum += v
			r.DownBytesPerBot.Max = max(r.DownBytesPerBot.Max, v)
		}
		r.DownBytesPerBot.Mean = sum / float64(len(m.rates))
	}
	return r
}

func latency(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{Count: h.TotalCount(), P50: ms(h.ValueAtQuantile(50)), P95: ms(h.ValueAtQuantile(95)),
		P99: ms(h.ValueAtQuantile(99)), Max: ms(h.Max())}
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func latencies(hs map[string]*hdrhistogram.Histogram) map[string]Latency {
	out := make(map[string]Latency, len(hs))
	for k, h := range hs {
		out[k] = latency(h)
	}
	return out
}

// traded counts a TradeResult a bot heard.
func (m *metrics) traded(status wire.TradeStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tradeResults == nil {
		m.tradeResults = map[string]int64{}
	}
	m.tradeResults[strings.ToLower(status.String())]++
}

// looted counts a loot event a bot heard.
func (m *metrics) looted(count uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loots++
	m.lootUnits += int64(count)
}

// named records how long a name a bot asked for took to come.
func (m *metrics) named(after time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	record(m.nameLatency, after)
}

// namesOf adds a connection's names asked, told, contradicted and renamed.
func (m *metrics) namesOf(st client.Stats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.namesAsked += int64(st.NamesAsked)
	m.namesTold += int64(st.NamesTold)
	m.namesWrong += int64(st.NamesMismatched)
	m.namesRenamed += int64(st.NamesRenamed)
}

package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
)

func testBot(behavior Behavior) *bot {
	s := &swarm{cfg: Config{Behavior: behavior}, m: newMetrics(time.Now())}
	b := &bot{s: s, rng: rand.New(rand.NewPCG(1, 2))}
	s.bots = []*bot{b}
	return b
}

// TestWanderAlwaysTurnsAtLeastARightAngle: every leg change is timed for
// the echo, which is only unambiguous for turns of 90° or more.
func TestWanderAlwaysTurnsAtLeastARightAngle(t *testing.T) {
	b := testBot(Wander)
	now := time.Now()
	turns := 0
	for i := 0; i < 2000; i++ {
		px, py := b.dx, b.dy
		b.wander(now)
		if b.dx != px || b.dy != py {
			turns++
			if px*b.dx+py*b.dy > 1e-9 {
				t.Fatalf("turn from (%.2f,%.2f) to (%.2f,%.2f) is less than 90°", px, py, b.dx, b.dy)
			}
			if l := math.Hypot(b.dx, b.dy); math.Abs(l-1) > 1e-9 {
				t.Fatalf("direction of length %v", l)
			}
			b.mu.Lock()
			b.echoPending = false // as if echoed
			b.mu.Unlock()
		}
		now = now.Add(50 * time.Millisecond)
	}
	// Legs of 1–3 s over 100 s.
	if turns < 30 || turns > 110 {
		t.Fatalf("%d turns in 100 s", turns)
	}
}

// feed applies a snapshot with the bot's own entity at (x, y) metres and
// runs the bot's snapshot hook.
func feed(t *testing.T, b *bot, w *client.World, seq, tick uint32, x, y float64, sent time.Time) {
	t.Helper()
	s := codec.Snapshot{Seq: seq, Tick: tick, TickUnixMs: sent.UnixMilli(), Updates: codec.Updates{
		Enters: []codec.Spawn{{ID: 9, X: uint16(math.Round(x * 256)), Y: uint16(math.Round(y * 256)), Health: 255}}}}
	b.onSnapshot(&s, 100, w.Apply(&s), w)
}

// TestEchoIsTheFirstSnapshotMovingTheNewWay: after a turn, snapshots still
// showing the old motion (or noise) do not count; the first that moves the
// new way does, and only once.
func TestEchoIsTheFirstSnapshotMovingTheNewWay(t *testing.T) {
	b := testBot(Wander)
	b.self.Store(9)
	var w client.World
	now := time.Now()
	b.dx, b.dy = 1, 0 // walking east
	feed(t, b, &w, 1, 10, 100, 100, now)
	b.turn(now, math.Pi/2, time.Second) // turn north (+y)
	if !b.echoPending {
		t.Fatal("a 90° turn is not timed")
	}
	feed(t, b, &w, 2, 11, 100.3, 100.004, now) // still east, quantization noise north
	feed(t, b, &w, 3, 13, 100.9, 100, now)     // still east, two ticks later
	if b.s.m.echo.TotalCount() != 0 {
		t.Fatal("the old motion was taken for the echo")
	}
	feed(t, b, &w, 4, 14, 100.9, 100.3, now)
	if b.s.m.echo.TotalCount() != 1 || b.echoPending {
		t.Fatalf("the move north was not taken for the echo (%d samples)", b.s.m.echo.TotalCount())
	}
	feed(t, b, &w, 5, 15, 100.9, 100.6, now)
	if b.s.m.echo.TotalCount() != 1 {
		t.Fatal("one turn echoed twice")
	}
	// A small turn (45°) is not timed.
	b.turn(now, math.Pi/4, time.Second)
	if b.echoPending {
		t.Fatal("a 45° turn is timed")
	}
	if got := b.s.m.snapshots; got != 5 {
		t.Fatalf("%d snapshots recorded, want 5", got)
	}
}

// TestEchoTimesOut: a turn never seen (against a wall) is counted as a
// timeout after 2 s, and a later turn is timed again.
func TestEchoTimesOut(t *testing.T) {
	b := testBot(Wander)
	now := time.Now()
	b.turn(now, 0, time.Hour)
	b.step(now.Add(echoTimeout + time.Millisecond))
	if b.s.m.echoTimeouts != 1 || b.echoPending {
		t.Fatalf("timeouts %d, pending %v", b.s.m.echoTimeouts, b.echoPending)
	}
}

func sampleReport() *Report {
	m := newMetrics(time.Now())
	for i := 0; i < 100; i++ {
		m.snapshot(time.Duration(i)*time.Millisecond, 500, false, 10)
	}
	m.echoed(80 * time.Millisecond)
	m.connect()
	m.connect()
	m.fail("login: Denied")
	m.leave(4000, 0, "")
	m.leave(2000, 1, "disconnected: MessageFlood")
	m.reconnected("timeout: no recent network activity")
	m.closeSecond()
	return m.report(Config{Login: "127.0.0.1:1", Realm: "dev", Behavior: Clump, Bots: 3, Duration: time.Second}, time.Second)
}

func TestReportCountsAndJudges(t *testing.T) {
	r := sampleReport()
	if r.Connected != 2 || r.Failed != 1 || r.Disconnects != 1 || r.BudgetViolations != 1 || r.Errors != 3 ||
		r.Reconnects != 1 || r.ReconnectReasons["timeout: no recent network activity"] != 1 {
		t.Fatalf("counts: %+v", r)
	}
	if r.SnapshotAge.Count != 100 || r.SnapshotAge.P50 < 49 || r.SnapshotAge.P50 > 50.1 || r.SnapshotAge.Max < 98.9 {
		t.Fatalf("snapshot age %+v", r.SnapshotAge)
	}
	if r.DownBytesPerBot.Mean != 3000 || r.DownBytesPerBot.Max != 4000 {
		t.Fatalf("bytes per bot %+v", r.DownBytesPerBot)
	}
	if len(r.Timeline) != 1 || r.Timeline[0].Snapshots != 100 || r.Timeline[0].Errors != 3 {
		t.Fatalf("timeline %+v", r.Timeline)
	}
	if r.Judge(-1, -1, false) != true {
		t.Fatalf("no thresholds, verdict %v", r.Verdict)
	}
	if r.Judge(200, 3, false) != true || r.Judge(50, 3, false) != false || r.Judge(200, 2, false) != false {
		t.Fatal("thresholds misjudged")
	}
	if len(r.Verdict) != 1 || !strings.Contains(r.Verdict[0], "errors 3 > 2") {
		t.Fatalf("verdict %q", r.Verdict)
	}
	// An overload run: a bot turned away with a reason is not an error
	// there, and is one in a normal run; a bot failed otherwise is in both.
	r.Refused = 1
	if r.Judge(200, 2, true) != true || r.Judge(200, 2, false) != false || r.Judge(200, 1, true) != false {
		t.Fatalf("refusals misjudged: %q", r.Verdict)
	}
}

// TestRefusedBotsAreCountedApart: a bot the realm turned away with its
// reason is a failure, with its reason, and is counted apart.
func TestRefusedBotsAreCountedApart(t *testing.T) {
	m := newMetrics(time.Now())
	m.connect()
	m.refuse("login: Busy, the realm is full (told to retry later, until the ramp ended)")
	m.fail("not connected before the ramp ended (the last try: deadline exceeded)")
	r := m.report(Config{Bots: 3}, time.Second)
	if r.Failed != 2 || r.Refused != 1 || r.Errors != 2 || len(r.FailureReasons) != 2 {
		t.Fatalf("failed %d, refused %d, errors %d, reasons %v", r.Failed, r.Refused, r.Errors, r.FailureReasons)
	}
	if r.Judge(-1, 1, true) != true || r.Judge(-1, 0, true) != false {
		t.Fatalf("verdict %q", r.Verdict)
	}
}

func TestReportFormats(t *testing.T) {
	r := sampleReport()
	r.Judge(-1, 0, false)
	var j bytes.Buffer
	if err := r.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(j.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"connected", "failed", "snapshot_age", "input_echo", "down_bytes_per_s_per_bot", "budget_violations", "disconnect_reasons", "reconnect_reasons", "timeline", "errors", "verdict"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON has no %q", k)
		}
	}
	var tab bytes.Buffer
	r.WriteTable(&tab)
	for _, want := range []string{"bots connected / failed      2 / 1", "disconnected: MessageFlood", "FAIL: errors 3 > 0"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	var h bytes.Buffer
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	if strings.Count(page, "<svg") != 3 || !strings.Contains(page, "<polyline") || strings.Contains(page, "<script") ||
		strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Fatalf("the page is not three self-contained plots:\n%s", page)
	}
	if !strings.Contains(page, "<strong>FAIL</strong>") {
		t.Fatal("the page does not show the verdict")
	}
	r.Judge(-1, -1, false)
	h.Reset()
	if err := r.WriteHTML(&h); err != nil || !strings.Contains(h.String(), "<strong>PASS</strong>") {
		t.Fatalf("a passing run's page: %v", err)
	}
}

func TestRunRefusesBadConfigs(t *testing.T) {
	for _, c := range []Config{
		{},
		{Login: "x", Bots: 1, Duration: time.Second},
		{Login: "x", TLS: nil, Bots: 0, Duration: time.Second},
	} {
		if _, err := Run(t.Context(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestABotTurnedAwayIsRefusedNotFailed: a bot whose last answer was the
// realm's Busy (its retry under way when the ramp ended), or that waited
// in line (for a password check, or in the full realm's line), is refused
// with that reason; one that never got an answer is failed, with its last
// error.
func TestABotTurnedAwayIsRefusedNotFailed(t *testing.T) {
	s := &swarm{m: newMetrics(time.Now())}
	busy := &bot{s: s, told: "login: Busy, the realm is full"}
	r, _ := busy.unjoined(context.DeadlineExceeded)
	r("x")
	line := &bot{s: s}
	r, _ = line.unjoined(errors.New("login: in line for a password check (place 12)"))
	r("y")
	waiting := &bot{s: s, told: "login: Busy, the realm is full"}
	r, full := waiting.unjoined(errors.New("login: in the full realm's line at place 40 (about 1m0s to wait) until the end of the run"))
	r(full.Error())
	lost := &bot{s: s}
	r, why := lost.unjoined(errors.New("dial: no route"))
	r(why.Error())
	rep := s.m.report(Config{Bots: 4}, time.Second)
	if rep.Failed != 4 || rep.Refused != 3 || !strings.Contains(why.Error(), "not connected before the ramp ended") ||
		!strings.Contains(full.Error(), "in the full realm's line, told its place") {
		t.Fatalf("failed %d, refused %d, the lost bot's reason %q, the waiting one's %q", rep.Failed, rep.Refused, why, full)
	}
}

// A login tried again is counted with why: the report says what the
// login nodes answered, or how reaching them failed.
func TestLoginRetriesSayWhy(t *testing.T) {
	m := newMetrics(time.Now())
	m.retried("login: Busy")
	m.retried("login: Busy")
	m.retried("login: no login node answered")
	r := m.report(Config{Bots: 1}, time.Second)
	if r.LoginRetries != 3 || r.LoginRetryReasons["login: Busy"] != 2 || r.LoginRetryReasons["login: no login node answered"] != 1 {
		t.Fatalf("retries %d, reasons %v", r.LoginRetries, r.LoginRetryReasons)
	}
}

// TestTheSteadyPhaseWaitsAfterBotsGaveUp: bots that could not join by the
// end of the ramp (here: no login node answers) give up together, and the
// steady phase begins Settle after, which the report says; with a
// negative Settle it begins at once.
func TestTheSteadyPhaseWaitsAfterBotsGaveUp(t *testing.T) {
	_, ctls, err := pquic.DevTLS()
	if err != nil {
		t.Fatal(err)
	}
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // takes packets, answers none
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, settle := range []time.Duration{400 * time.Millisecond, -1} {
		cfg := Config{Login: silent.LocalAddr().String(), TLS: ctls, Bots: 3, Duration: 200 * time.Millisecond,
			RampTimeout: time.Second, Settle: settle}
		rep, err := Run(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := max(settle, 0).Seconds()
		if rep.Failed != 3 || rep.SettleS != want || rep.RampS < 1+want {
			t.Fatalf("settle %v: %d failed, settled %.2f s, steady after %.2f s", settle, rep.Failed, rep.SettleS, rep.RampS)
		}
		var table strings.Builder
		rep.WriteTable(&table)
		if said := strings.Contains(table.String(), "settling after 3 bots gave up"); said != (settle > 0) {
			t.Fatalf("settle %v: the table says:\n%s", settle, table.String())
		}
	}
}

package gateway

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gridrealm/gridrealm/ecs/spatial"
)

// A gateway is full once its snapshots' lateness (90th percentile of the
// last 64 ticks) passes the limit, and takes players again only once it is
// back under half of it, or once what it measured is measureFor old; a
// negative limit never makes it full.
func TestLatenessJudgesFullWithHysteresis(t *testing.T) {
	var l lateness
	limit := 150 * time.Millisecond
	now := time.Unix(100, 0)
	for i := 0; i < 64; i++ {
		l.add(20*time.Millisecond, now)
	}
	if l.judge(limit, now) {
		t.Fatal("full at 20 ms")
	}
	for i := 0; i < 10; i++ {
		l.add(400*time.Millisecond, now)
	}
	if !l.judge(limit, now) {
		t.Fatalf("not full with p90 %v", l.p90(now))
	}
	for i := 0; i < 64; i++ {
		l.add(100*time.Millisecond, now) // under the limit, above half of it
	}
	if !l.judge(limit, now) {
		t.Fatal("took players again above half the limit")
	}
	for i := 0; i < 64; i++ {
		l.add(50*time.Millisecond, now)
	}
	if l.judge(limit, now) {
		t.Fatalf("still full at p90 %v", l.p90(now))
	}
	for i := 0; i < 64; i++ {
		l.add(time.Second, now)
	}
	if l.judge(-1, now) {
		t.Fatal("full with lateness checks off")
	}
	if !l.judge(limit, now) {
		t.Fatal("not full at p90 1 s")
	}
	// What was measured expires: a gateway whose zones stopped ticking
	// (or whose passes are too small to judge) is not full on old figures.
	if p := l.p90(now.Add(measureFor)); p != 0 {
		t.Fatalf("p90 %v of figures measureFor old", p)
	}
	if l.judge(limit, now.Add(measureFor)) {
		t.Fatal("still full on figures measureFor old")
	}
}

// TestFullWhenTheMachineIsSpent: admission by CPU. A gateway using most of
// a core on a machine with no idle CPU left says it is full; one using
// little on the same machine is not (refusing players would not help);
// it takes players again once the idle share is back above twice the
// bound, not before (no flapping), or once its own share is under three
// quarters of the bound; and without /proc the signal is off.
func TestFullWhenTheMachineIsSpent(t *testing.T) {
	var total, idle uint64
	var self time.Duration
	busy := func(idleShare, cores float64) { // one second of the machine (2 cores, 100 jiffies a core-second)
		total += 200
		idle += uint64(200 * idleShare)
		self += time.Duration(cores * float64(time.Second))
	}
	w := newCPUWatch(func() (cpuSample, error) { return cpuSample{total: total, idle: idle, self: self}, nil })
	now := time.Unix(100, 0)
	run := func(secs int, idleShare, cores float64) bool {
		for range secs {
			busy(idleShare, cores)
			now = now.Add(time.Second)
			w.sample(now)
		}
		return w.judge(0.10, 0.33)
	}
	if run(6, 0.5, 0.6) {
		t.Fatal("full with half the machine idle")
	}
	if run(6, 0.02, 0.1) {
		t.Fatal("full while the gateway uses a tenth of a core: refusing players would not help")
	}
	if !run(6, 0.02, 0.8) {
		t.Fatal("not full with 2% idle and 0.8 cores of its own")
	}
	if idleNow, cores := w.shares(); idleNow > 0.05 || cores < 0.7 {
		t.Fatalf("shares %.2f idle, %.2f cores", idleNow, cores)
	}
	if !run(6, 0.15, 0.8) {
		t.Fatal("took players again at 15% idle: under twice the bound")
	}
	if run(6, 0.4, 0.8) {
		t.Fatal("still full at 40% idle")
	}
	// Full again; then the gateway sheds (or loses players) and its own
	// share falls: it is open again though the machine is still busy.
	if !run(6, 0.02, 0.4) || !run(6, 0.02, 0.3) {
		t.Fatal("not full at 2% idle and 0.4 cores, or open at 0.3 cores (within the band)")
	}
	if run(6, 0.02, 0.2) {
		t.Fatal("still full at 0.2 cores of its own: under three quarters of its share, refusing players helps little")
	}
	// Filling up: at 50% idle (within twice the bound) and three quarters
	// of its share of a core, the gateway takes paceJoins players in a
	// window, then waits.
	run(6, 0.5, 0.25)
	for i := range paceJoins {
		if w.pacing(now, 0.3, 0.33) {
			t.Fatalf("pacing after %d players", i)
		}
		w.joined(now)
	}
	if !w.pacing(now, 0.3, 0.33) || w.pacing(now.Add(cpuWindow), 0.3, 0.33) {
		t.Fatal("not pacing after paceJoins players in a window, or still pacing a window later")
	}
	if w.pacing(now, 0.2, 0.33) || w.pacing(now, 0.3, 0.4) {
		t.Fatal("pacing with idle above twice the bound, or under three quarters of the share")
	}
	off := newCPUWatch(func() (cpuSample, error) { return cpuSample{}, errors.New("no /proc") })
	off.sample(now)
	if off.judge(0.10, 0.33) {
		t.Fatal("full without a measurement")
	}
	if s, err := readProcCPU(); err != nil || s.total == 0 {
		t.Fatalf("this machine's /proc: %+v %v", s, err)
	}
}

// TestPlayersBehindTheirSnapshotsFillAGateway: through snapshot passes, a
// gateway whose players acknowledge snapshots far behind the newest sent
// (clients that cannot keep up) takes no new player, though its own passes
// are on time; players keeping up, or too few lagging to judge by, leave
// it open; a negative limit turns the rule off.
func TestPlayersBehindTheirSnapshotsFillAGateway(t *testing.T) {
	g, z, _ := passScene(t, []uint32{1<<16 | 1, 1<<16 | 1, 2<<16 | 2}, func(uint32) int { return 1 })
	for i := range 40 { // more players in the same cells
		p := &player{netID: uint32(1000 + i), character: uint64(1000 + i), zone: z.id, view: NewView(0, g.scratch),
			px: 40 * spatial.PosSteps, py: 40 * spatial.PosSteps}
		g.players[p.key()], z.byNet[p.netID] = p, p
		g.watch(z, p)
	}
	off := func() (cpuSample, error) { return cpuSample{}, errors.New("not measured") }
	g.cpu = newCPUWatch(off)
	g.cfg.FullBehind, g.cfg.FullLateness = DefaultFullBehind, -1
	z.tickLen = 50 * time.Millisecond
	passes := func(n int, behind func(i int) uint32) bool {
		for range n {
			var b batch
			g.mu.Lock()
			g.pass(z, &b, 1, time.Now().UnixMilli())
			i := 0
			for _, p := range g.players { // as readInputs notes them
				p.ack.Store(max(p.sent.Load()-behind(i), 1))
				p.behind.Store(behind(i))
				i++
			}
			full := g.full()
			g.mu.Unlock()
			if n--; n == 0 {
				return full
			}
		}
		return false
	}
	if passes(64, func(int) uint32 { return 1 }) {
		t.Fatalf("full with every player a snapshot behind (p90 %v)", g.behind.p90(g.clock.Now()))
	}
	if !passes(64, func(i int) uint32 { return uint32(1 + 9*(i%2)) }) {
		t.Fatalf("not full with half the players 500 ms behind (p90 %v)", g.behind.p90(g.clock.Now()))
	}
	if !passes(64, func(int) uint32 { return 3 }) {
		t.Fatal("took players again at 150 ms behind: over half the limit")
	}
	if passes(64, func(int) uint32 { return 0 }) {
		t.Fatalf("still full with players keeping up (p90 %v)", g.behind.p90(g.clock.Now()))
	}
	g.cfg.FullBehind = -1
	if passes(64, func(int) uint32 { return 40 }) {
		t.Fatal("full with the rule off")
	}

	few, fz, _ := passScene(t, []uint32{1<<16 | 1, 2<<16 | 2}, func(uint32) int { return 1 })
	few.cpu = newCPUWatch(off)
	few.cfg.FullBehind, few.cfg.FullLateness = DefaultFullBehind, -1
	fz.tickLen = 50 * time.Millisecond
	for range 64 {
		var b batch
		few.mu.Lock()
		few.pass(fz, &b, 1, time.Now().UnixMilli())
		for _, p := range few.players {
			p.ack.Store(1) // far behind, and holding back
			p.behind.Store(p.sent.Load() - 1)
		}
		if few.full() {
			t.Fatal("two lagging players closed a gateway")
		}
		few.mu.Unlock()
	}
}

// TestAGatewaySaysWhyItIsFull: a change in the measured rules that close a
// gateway is logged once, with the rules and their figures; the cap and the
// pauses between joins, which come and go with each player, are not.
func TestAGatewaySaysWhyItIsFull(t *testing.T) {
	g, _, _ := passScene(t, nil, func(uint32) int { return 0 })
	var logs bytes.Buffer
	g.log = slog.New(slog.NewTextHandler(&logs, nil))
	g.cpu = newCPUWatch(func() (cpuSample, error) { return cpuSample{}, errors.New("not measured") })
	steps := []struct {
		f    fullness
		want string // "" : no line
	}{
		{fullness{behind: true}, `level=WARN msg="gateway: full, taking no new player" by="players behind"`},
		{fullness{behind: true, paced: true}, ""},
		{fullness{behind: true, late: true}, `level=WARN msg="gateway: full, taking no new player" by="lateness, players behind"`},
		{fullness{paced: true}, `level=INFO msg="gateway: taking new players again" was_full_by="lateness, players behind"`},
		{fullness{capped: true}, ""},
		{fullness{busy: true}, `by=cpu late_p90=0s late_limit=0s behind_p90=0s behind_limit=0s machine_idle=-1 cores=0 players=7`},
	}
	for i, s := range steps {
		logs.Reset()
		g.logFullness(s.f, 7)
		if got := logs.String(); (s.want == "") != (got == "") || !strings.Contains(got, s.want) {
			t.Fatalf("step %d (%+v): logged %q, want %q", i, s.f, got, s.want)
		}
	}
}

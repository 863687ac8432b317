package swarm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridrealm/gridrealm/net/client"
	"github.com/gridrealm/gridrealm/net/codec"
	"github.com/gridrealm/gridrealm/net/pquic"
	"github.com/gridrealm/gridrealm/net/wire"
	"github.com/gridrealm/gridrealm/systems"
)

// Echo detection: a turn is echoed by the first snapshot in which the
// bot's own entity moved at least echoStep metres per tick along the new
// direction. Turns are always by 90° or more, so the old motion never
// counts (its projection on the new direction is at most quantization
// noise, 1/256 m).
const (
	echoStep    = 0.02
	echoTimeout = 2 * time.Second
)

// bot is one headless player.
type bot struct {
	s         *swarm
	index     int
	rng       *rand.Rand
	transport *pquic.Transport // shared with other bots
	conn      *client.Conn     // set under mu: other bots read it (trade)
	self      atomic.Uint32    // the bot's entity, once connected
	ahead     atomic.Uint32    // its entity in a new zone whose snapshot came before the Welcome (0: none)

	// mu guards what the snapshot callback and the input loop share.
	mu          sync.Mutex
	x, y        float64 // own position, metres, from the newest snapshot
	tick        uint32  // the tick of x, y
	seen        bool
	echoPending bool
	echoDX      float64
	echoDY      float64
	echoSent    time.Time
	lastSnap    time.Time // when the newest snapshot arrived
	lostAt      time.Time // a reconnect is waiting for its first snapshot with self since then
	lostWhy     string    // what it waits after: reconnect, new_welcome (a zone restart), handoff, login_again
	zone        string    // the zone it was last welcomed in (under mu)
	offers      []uint64  // trade: offers made to it, to accept (under mu)
	east        bool      // travel: walking east (under mu)
	told        string    // the last refusal the login node gave it (Busy, RateLimited), with why

	// The input loop's own state.
	dx, dy     float64   // current direction (unit, or 0)
	until      time.Time // when the current leg ends
	checkX     float64   // stuck detection: position a second ago
	checkY     float64
	checkAt    time.Time
	approachAt time.Time // clump: next re-aim at the target
	tradeAt    time.Time // trade: when it next offers

	steadyAt    time.Time // when the steady phase began, if it did while connected
	steadyBytes int       // bytes received by then

	// fresh says a snapshot arrived: the input loop steps on it (see
	// play).
	fresh chan struct{}
}

// What a bot still in a line when its deadline came says (its error's
// start): unjoined counts it as refused, told its place.
const (
	inCheckLine = "login: in line for a password check"
	inRealmLine = "login: in the full realm's line"
)

// unjoined says why a bot was not in the world when the ramp ended, and
// how to count it: refused, when the realm turned it away with its reason
// and a retry hint (busy), or told its place in a line (for a password
// check, or in the full realm's line), else failed.
func (b *bot) unjoined(err error) (record func(string), why error) {
	msg := err.Error()
	inLine := strings.HasPrefix(msg, inCheckLine) || strings.HasPrefix(msg, inRealmLine)
	if b.told != "" && !inLine &&
		(strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "no login node answered")) {
		// Its retry, as told, was under way when the ramp ended: what it
		// was last told is its answer.
		msg = b.told + " until the end of the run"
	}
	switch {
	case strings.HasPrefix(msg, inRealmLine):
		return b.s.m.refuse, errors.New(inRealmLine + ", told its place, until the ramp ended")
	case strings.Contains(msg, "the realm is full"):
		return b.s.m.refuse, errors.New("login: Busy, the realm is full (told to retry later, until the ramp ended)")
	case strings.HasPrefix(msg, inCheckLine):
		return b.s.m.refuse, errors.New(inCheckLine + ", told its place, until the ramp ended")
	case strings.HasPrefix(msg, "login: Busy"), strings.HasPrefix(msg, "login: RateLimited"):
		return b.s.m.refuse, fmt.Errorf("%s, told to retry later, until the ramp ended", strings.TrimSuffix(msg, " until the end of the run"))
	default:
		return b.s.m.fail, fmt.Errorf("not connected before the ramp ended (the last try: %s)", reasonOf(msg))
	}
}

// run logs in and connects (by joinBy), then plays until ctx ends. A
// bot the whole realm let go (a db failure, a restart) logs in again, as
// a player would.
func (b *bot) run(ctx context.Context, joinBy time.Time) {
	jctx, jcancel := context.WithDeadline(ctx, joinBy)
	defer jcancel()
	conn, err := b.join(jctx)
	if err != nil {
		record := b.s.m.fail
		if client.Expired(jctx) != nil && ctx.Err() == nil {
			record, err = b.unjoined(err)
		}
		record(err.Error())
		b.s.joining.Done()
		return
	}
	b.s.m.connect()
	b.s.joining.Done()
	carried := 0 // bytes of the connections before this one
	var reason string
	for {
		reason = b.play(ctx, conn)
		if ctx.Err() != nil || !realmWide(conn.Counters().Disconnect) {
			break
		}
		carried += conn.Counters().Bytes
		b.s.m.namesOf(conn.Counters())
		conn.Close()
		b.mu.Lock()
		b.lostAt, b.lostWhy, b.seen = b.lastSnap, "login_again", false
		b.mu.Unlock()
		next, err := b.join(ctx)
		if err != nil {
			reason = "could not log in again: " + shortErr(err)
			break
		}
		b.s.m.relogged()
		conn = next
	}
	st := conn.Counters()
	b.s.m.namesOf(st)
	if reason == "" && st.Disconnect != 0 { // told just as the run ended
		reason = "disconnected: " + st.Disconnect.String()
	}
	conn.Close()
	rate := -1.0 // not connected in the steady phase
	if !b.steadyAt.IsZero() {
		rate = float64(carried+st.Bytes-b.steadyBytes) / time.Since(b.steadyAt).Seconds()
	}
	b.s.m.leave(rate, int64(st.OverBudget), reason)
	b.s.m.datagram(st.MaxDatagram, int(conn.Welcome.SnapshotBudget))
}

// realmWide reports whether a disconnect let every player of the realm
// go: the player logs in again.
func realmWide(r wire.DisconnectReason) bool {
	return r == wire.DisconnectReasonDatabaseFailure || r == wire.DisconnectReasonRealmRestart
}

// join logs in and connects, retrying a connect the realm is not ready
// for (it may be coming back), until ctx ends.
func (b *bot) join(ctx context.Context) (*client.Conn, error) {
	for {
		res, err := b.login(ctx)
		if err != nil {
			return nil, err
		}
		cctx, ccancel := context.WithTimeout(ctx, 15*time.Second)
		conn, err := client.ConnectWith(cctx, res.Gateways[0], b.s.cfg.TLS, res.SessionHandle, client.Options{
			DropRate: b.s.cfg.DropRate, Seed: b.s.cfg.Seed ^ uint64(b.index)<<20, OnSnapshot: b.onSnapshot,
			Transport: b.transport, Reconnect: true, Gateways: res.Gateways, OnReconnect: b.onReconnect, OnEvent: b.onEvent,
			Realm: b.s.cfg.Realm, OnNamed: b.s.m.named, DeadAfter: b.s.cfg.DeadAfter})
		ccancel()
		if err == nil {
			b.self.Store(conn.Welcome.EntityID)
			b.mu.Lock()
			b.conn = conn
			b.x, b.y = float64(conn.Welcome.X)/256, float64(conn.Welcome.Y)/256
			if b.zone == "" {
				b.east = true // travel: east first
			}
			b.zone = conn.Welcome.Zone
			b.mu.Unlock()
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect: %s", shortErr(err))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect: %s", shortErr(err))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// login logs in, retrying while the login node is busy or rate limits.
func (b *bot) login(ctx context.Context) (codec.LoginResult, error) {
	account := fmt.Sprintf("%s%d", b.s.cfg.Accounts, b.s.cfg.First+b.index)
	backoff := 100 * time.Millisecond
	for {
		// A login node with more logins than it can check tells each its
		// place in line while it waits: the bot waits, as a player would,
		// as long as its deadline allows.
		var line client.InLine
		res, err := b.s.logins.LoginInLine(ctx, account, b.s.cfg.Password, b.s.cfg.Realm, func(p client.InLine) {
			switch {
			case p.RealmFull && !line.RealmFull:
				b.s.m.add(&b.s.m.realmLineWaits, 1)
			case !p.RealmFull && line.Position == 0:
				b.s.m.add(&b.s.m.loginsQueued, 1)
			}
			line = p
			b.s.m.place(p)
		})
		if err != nil && line.Position > 0 && client.Expired(ctx) != nil {
			which := inCheckLine
			if line.RealmFull {
				which = inRealmLine
			}
			return res, fmt.Errorf("%s at place %d (about %v to wait) until the end of the run", which, line.Position, line.Wait.Round(time.Second))
		}
		if err == nil {
			if len(res.Gateways) == 0 {
				return res, errors.New("login: no gateway offered")
			}
			return res, nil
		}
		// Busy, rate limited or unreachable: a player's client tries again
		// a little later. A refused password does not get better.
		denied := errors.Is(err, client.ErrDenied)
		if denied && res.Status == wire.LoginStatusDenied {
			return res, fmt.Errorf("login: %s (no such account, or another password: realm up --dev-accounts N, which make run passes, creates %s0…%sN-1 with the password \"bot\")",
				res.Status, b.s.cfg.Accounts, b.s.cfg.Accounts)
		}
		if denied && res.Status != wire.LoginStatusBusy && res.Status != wire.LoginStatusRateLimited {
			return res, fmt.Errorf("login: %s", res.Status)
		}
		why := "login: " + shortErr(err)
		if denied {
			why = "login: " + res.Status.String()
		}
		if res.RetryAfterMs > 0 {
			// The login node or the realm says when to come back: a
			// player's client waits that long, not hammering it.
			if strings.Contains(res.Message, "full") {
				why = "login: " + res.Status.String() + ", the realm is full"
			}
			backoff = time.Duration(res.RetryAfterMs) * time.Millisecond
		}
		if denied {
			b.told = why
		}
		if client.Expired(ctx) != nil {
			return res, fmt.Errorf("%s until the end of the run", why)
		}
		b.s.m.retried(reasonOf(why))
		wait := backoff/2 + time.Duration(b.rng.Int64N(int64(backoff)))
		backoff = min(2*backoff, 2*time.Second)
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("%s until the end of the run", why)
		case <-time.After(wait):
		}
	}
}

// play sends inputs until the run ends or the connection does; it returns
// why the connection ended early, or "".
//
// A bot steps as a client renders: when a snapshot arrives, so that it
// works in one burst per snapshot instead of waking for a ticker of its own
// as well (about a sixth less of the swarm's CPU: ARCHITECTURE, "Clients steer").
// Its input then leaves within the 25 ms a QUIC receiver waits before
// acknowledging on its own (max_ack_delay): a quic-go that bundled a
// pending ACK with a datagram would send one packet for both, where stock
// quic-go sends two (ARCHITECTURE §3, make bench-quic-experiment). Without
// snapshots (a zone restarting, a gateway behind) it steps every two
// ticks, and Steer keeps the connection alive.
func (b *bot) play(ctx context.Context, conn *client.Conn) string {
	hz := int(conn.Welcome.TickHz)
	if hz <= 0 {
		hz = 20
	}
	idle := 2 * time.Second / time.Duration(hz)
	t := time.NewTimer(idle)
	defer t.Stop()
	steady := b.s.steady
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return ""
		case <-steady:
			b.steadyAt, b.steadyBytes = time.Now(), conn.Counters().Bytes
			steady = nil
			continue
		case <-conn.Done():
			st := conn.Counters()
			if st.Disconnect != 0 {
				return "disconnected: " + st.Disconnect.String()
			}
			return "connection lost: " + shortErr(conn.Err())
		case <-b.fresh:
			now = time.Now()
		case now = <-t.C:
		}
		t.Reset(idle)
		b.act(now, conn)
	}
}

// act steps the behavior and steers the connection by it.
func (b *bot) act(now time.Time, conn *client.Conn) {
	b.step(now)
	if b.s.cfg.Behavior == Trade {
		b.trade(now, conn)
	}
	if b.s.cfg.Names {
		conn.AskNames() // an error is the connection's, which play hears
	}
	mx, my := int8(math.Round(b.dx*127)), int8(math.Round(b.dy*127))
	heading := uint8(0)
	if b.dx != 0 || b.dy != 0 {
		heading = uint8(int(math.Round(math.Atan2(b.dy, b.dx)/(2*math.Pi)*256)) & 0xff)
	}
	in := codec.Input{MoveX: mx, MoveY: my, Heading: heading}
	if b.s.cfg.Fight {
		in.Actions = systems.ActionAttack
	}
	if b.s.cfg.InputEvery < 0 {
		if err := conn.SendInput(in); err == nil {
			b.s.m.input()
		}
	} else if sent, err := conn.Steer(in, b.s.cfg.InputEvery); sent && err == nil {
		b.s.m.input()
	}
}

// step runs the behavior: it picks the direction of this tick.
func (b *bot) step(now time.Time) {
	b.mu.Lock()
	x, y, seen := b.x, b.y, b.seen
	if b.echoPending && now.Sub(b.echoSent) > echoTimeout {
		b.echoPending = false
		b.s.m.add(&b.s.m.echoTimeouts, 1)
	}
	b.mu.Unlock()
	if b.checkAt.IsZero() || now.Sub(b.checkAt) >= time.Second {
		stuck := seen && (b.dx != 0 || b.dy != 0) && !b.checkAt.IsZero() && math.Hypot(x-b.checkX, y-b.checkY) < 0.5
		b.checkX, b.checkY, b.checkAt = x, y, now
		if stuck { // against a wall: try another way for a while
			b.turn(now, b.rng.Float64()*2*math.Pi, time.Duration(500+b.rng.IntN(1000))*time.Millisecond)
			return
		}
	}
	switch b.s.cfg.Behavior {
	case Travel:
		b.travel(now)
	case Clump:
		b.clump(now, x, y)
	case Follow:
		if b.index%10 != 0 {
			b.follow(now, x, y)
			return
		}
		b.wander(now)
	default:
		b.wander(now)
	}
}

// wander walks legs of 1 to 3 s, each turning at least 90° from the last.
func (b *bot) wander(now time.Time) {
	if now.Before(b.until) {
		return
	}
	a := math.Atan2(b.dy, b.dx) + math.Pi/2 + b.rng.Float64()*math.Pi // 90°..270° away
	if b.dx == 0 && b.dy == 0 {
		a = b.rng.Float64() * 2 * math.Pi
	}
	b.turn(now, a, time.Duration(1000+b.rng.IntN(2000))*time.Millisecond)
}

// travel walks east until a handoff takes the bot into the next zone,
// then west until it takes it back, and so on: it crosses the border
// again and again.
func (b *bot) travel(now time.Time) {
	if now.Before(b.until) {
		return
	}
	b.mu.Lock()
	east := b.east
	b.mu.Unlock()
	a := math.Pi // west
	if east {
		a = 0
	}
	b.turn(now, a, time.Second)
}

// clumpRadius is how close to the clump point bots mill about.
const clumpRadius = 12

// clump walks to the swarm's clump point (where the first bot to see
// itself stood) and mills about within clumpRadius of it.
func (b *bot) clump(now time.Time, x, y float64) {
	tx, ty, ok := b.s.clumpPoint()
	if !ok {
		b.wander(now)
		return
	}
	if d := math.Hypot(tx-x, ty-y); d > clumpRadius {
		if now.Before(b.approachAt) && now.Before(b.until) {
			return
		}
		b.approachAt = now.Add(250 * time.Millisecond)
		b.aim(now, tx-x, ty-y, 3*time.Second)
		return
	}
	if now.Before(b.until) {
		return
	}
	a := math.Atan2(b.dy, b.dx) + math.Pi/2 + b.rng.Float64()*math.Pi
	b.turn(now, a, time.Duration(500+b.rng.IntN(1000))*time.Millisecond)
}

// follow keeps within a few metres of the previous bot: groups of ten,
// each led by a wandering bot.
func (b *bot) follow(now time.Time, x, y float64) {
	leader := b.s.bots[b.index-1]
	id := leader.self.Load()
	if id == 0 {
		b.stop(now)
		return
	}
	var lx, ly float64
	var visible bool
	b.conn.View(func(w *client.World) {
		if e, ok := w.Entity(id); ok {
			lx, ly, visible = e.X, e.Y, true
		}
	})
	if !visible { // out of view: head where the leader says it is
		leader.mu.Lock()
		lx, ly, visible = leader.x, leader.y, leader.seen
		leader.mu.Unlock()
	}
	if !visible || math.Hypot(lx-x, ly-y) < 3 {
		b.stop(now)
		return
	}
	if now.Before(b.approachAt) {
		return
	}
	b.approachAt = now.Add(250 * time.Millisecond)
	b.aim(now, lx-x, ly-y, time.Second)
}

// aim heads toward (dx, dy) along the nearest of 8 directions.
func (b *bot) aim(now time.Time, dx, dy float64, leg time.Duration) {
	a := math.Round(math.Atan2(dy, dx)/(math.Pi/4)) * (math.Pi / 4)
	b.turn(now, a, leg)
}

func (b *bot) stop(now time.Time) {
	b.dx, b.dy = 0, 0
	b.until = now
}

// turn sets a new direction (angle a, snapped to 8 directions) for leg.
// A turn of 90° or more, or a start from standing, is timed until the
// bot's own entity shows it: the input→echo latency.
func (b *bot) turn(now time.Time, a float64, leg time.Duration) {
	a = math.Round(a/(math.Pi/4)) * (math.Pi / 4)
	dx, dy := math.Cos(a), math.Sin(a)
	if math.Abs(dx) < 1e-9 {
		dx = 0
	}
	if math.Abs(dy) < 1e-9 {
		dy = 0
	}
	b.until = now.Add(leg)
	if dx == b.dx && dy == b.dy {
		return
	}
	timed := b.dx*dx+b.dy*dy <= 1e-9
	b.dx, b.dy = dx, dy
	if !timed {
		return
	}
	b.mu.Lock()
	if !b.echoPending {
		b.echoPending, b.echoDX, b.echoDY, b.echoSent = true, dx, dy, now
	}
	b.mu.Unlock()
}

// onReconnect follows a lost connection: a bot that came back is counted
// once it sees itself again.
func (b *bot) onReconnect(ev client.ReconnectEvent) {
	if !ev.Back {
		b.s.m.lost()
		return
	}
	b.self.Store(ev.Welcome.EntityID)
	b.ahead.Store(0)
	b.mu.Lock()
	b.zone = ev.Welcome.Zone
	b.lostAt, b.lostWhy, b.seen = b.lastSnap, "reconnect", false
	b.mu.Unlock()
	b.s.m.reconnected(reasonOf(shortErr(ev.Lost)))
}

// onEvent follows a zone that restarted: its gateway entered the bot
// again, under a new entity, which a new Welcome tells; the bot counts as
// recovered once it sees itself again.
func (b *bot) onEvent(m *wire.ServerMessage) {
	switch m.BodyType() {
	case wire.ServerBodyTradeOffered:
		var o wire.TradeOffered
		codec.Member(m.Body, &o)
		b.mu.Lock()
		if len(b.offers) < 16 {
			b.offers = append(b.offers, o.Trade())
		}
		b.mu.Unlock()
		return
	case wire.ServerBodyTradeResult:
		var r wire.TradeResult
		codec.Member(m.Body, &r)
		b.s.m.traded(r.Status())
		return
	case wire.ServerBodyLoot:
		var l wire.Loot
		codec.Member(m.Body, &l)
		b.s.m.looted(l.Count())
		return
	case wire.ServerBodyWelcome:
	default:
		return
	}
	var w wire.Welcome
	codec.Member(m.Body, &w)
	b.self.Store(w.EntityId())
	b.ahead.Store(0)
	b.mu.Lock()
	why := "new_welcome"
	if zone := string(w.Zone()); b.zone != "" && zone != b.zone {
		why = "handoff" // walked into another zone
		b.east = !b.east
	}
	b.zone = string(w.Zone())
	b.lostAt, b.lostWhy, b.seen = b.lastSnap, why, false
	b.mu.Unlock()
	if why == "handoff" {
		b.s.m.handedOff()
	} else {
		b.s.m.rewelcomed()
	}
}

// onSnapshot runs on the connection's receiving goroutine, with its view
// locked: it times the snapshot and watches the bot's own entity.
func (b *bot) onSnapshot(s *codec.Snapshot, size int, applyErr error, w *client.World) {
	now := time.Now()
	select {
	case b.fresh <- struct{}{}:
	default:
	}
	age := now.Sub(time.UnixMilli(s.TickUnixMs))
	b.s.m.snapshot(age, size, applyErr != nil, w.Len())
	id := b.self.Load()
	if applyErr != nil || id == 0 {
		return
	}
	if s.Baseline == 0 && s.Self != 0 && s.Self != id && w.Latest() == s.Seq {
		b.ahead.Store(s.Self) // a new zone's first snapshot, before its Welcome
	}
	e, ok := w.Entity(id)
	if !ok {
		if ahead := b.ahead.Load(); ahead != 0 {
			if _, ok := w.Entity(ahead); ok {
				return // not missing: under the entity its Welcome will name
			}
		}
		b.mu.Lock()
		seen := b.seen
		b.mu.Unlock()
		if seen {
			b.s.m.add(&b.s.m.selfMissing, 1)
		}
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastSnap = now
	if !b.lostAt.IsZero() {
		b.s.m.recovered(b.lostWhy, now.Sub(b.lostAt))
		b.lostAt = time.Time{}
	}
	if b.seen && s.Tick > b.tick && b.echoPending {
		step := ((e.X-b.x)*b.echoDX + (e.Y-b.y)*b.echoDY) / float64(s.Tick-b.tick)
		if step >= echoStep {
			b.echoPending = false
			b.s.m.echoed(now.Sub(b.echoSent))
		}
	}
	if !b.seen || s.Tick > b.tick {
		b.x, b.y, b.tick, b.seen = e.X, e.Y, s.Tick, true
	}
	if b.s.cfg.Behavior == Clump {
		b.s.offerClumpPoint(e.X, e.Y)
	}
}

// shortErr keeps the first line of an error, for grouping reasons.
// reasonOf is an error message with its numbers (addresses, ports,
// durations) taken out, so that like failures count together.
func reasonOf(msg string) string {
	return strings.TrimSpace(digits.ReplaceAllString(msg, "N"))
}

var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)*`)

func shortErr(err error) string {
	if err == nil {
		return "closed"
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if reason, _, ok := pquic.CloseReason(err); ok && reason != 0 {
		return reason.String()
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// tradeRange is how near another bot must be to be a bot's first choice
// of partner.
const tradeRange = 40

// trade accepts the offers made to the bot and, every 2 to 4 s, offers one
// of its items to a bot near it in its zone (the nearest within
// tradeRange, else any), half the time asking one of that bot's items in
// return.
func (b *bot) trade(now time.Time, conn *client.Conn) {
	b.mu.Lock()
	offers := b.offers
	b.offers = nil
	zone, x, y := b.zone, b.x, b.y
	b.mu.Unlock()
	for _, id := range offers {
		conn.AnswerTrade(id, true)
	}
	if now.Before(b.tradeAt) {
		return
	}
	b.tradeAt = now.Add(2*time.Second + time.Duration(b.rng.Int64N(int64(2*time.Second))))
	mine := conn.Inventory()
	if len(mine) == 0 {
		return
	}
	var partner *bot
	var partnerConn *client.Conn
	best := math.Inf(1)
	for _, o := range b.s.bots {
		if o == b {
			continue
		}
		o.mu.Lock()
		oc, oz, d := o.conn, o.zone, math.Hypot(o.x-x, o.y-y)
		o.mu.Unlock()
		if oc == nil || oz != zone {
			continue
		}
		if d > tradeRange {
			d = tradeRange + 1 + b.rng.Float64() // beyond: any of them, at random
		}
		if d < best {
			best, partner, partnerConn = d, o, oc
		}
	}
	if partner == nil {
		return
	}
	give := []uint64{mine[b.rng.IntN(len(mine))].ID}
	var want []uint64
	if theirs := partnerConn.Inventory(); len(theirs) > 0 && b.rng.IntN(2) == 0 {
		want = []uint64{theirs[b.rng.IntN(len(theirs))].ID}
	}
	if conn.OfferTrade(fmt.Sprintf("%s%d", b.s.cfg.Accounts, b.s.cfg.First+partner.index), give, want) == nil {
		b.s.m.add(&b.s.m.tradeOffers, 1)
	}
}
